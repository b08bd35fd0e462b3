"""A pull-request description for a proposal, from ``templates/pull-request.md``."""

from __future__ import annotations

from string import Template

from rewriter.propose import Proposal
from rewriter.report import alternative_sentences, blocked_sentences
from rewriter.templating import template_text
from rewriter.vocabulary import Status

__all__ = ["pull_request_body", "semantic_summary"]


def semantic_summary(before: dict, after: dict) -> str:
    """What changed in the document's meaning, as deepdiff words it (key order and layout ignored)."""
    from deepdiff import DeepDiff

    diff = DeepDiff(before, after, verbose_level=2)
    return diff.pretty() if diff else "no semantic change"


def _bullets(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else f"- {empty}"


def pull_request_body(proposal: Proposal, *, diff: str) -> str:
    from rewriter import __version__

    chosen = proposal.chosen
    blocked = [f"{sentence}." for sentence in blocked_sentences(proposal)]
    if chosen is None or chosen.fix is None:
        title = "No change is proposed."
        rationale = proposal.reason
        newly, notes, size, semantic, strategy = [], [], str(Status.UNCHANGED), "no semantic change", str(proposal.status)
    else:
        title, rationale, strategy = chosen.fix.title, chosen.fix.rationale, chosen.strategy
        newly = [g.summary for g in chosen.delta.newly_allowed] if chosen.delta else []
        notes = list(chosen.fix.notes + chosen.notes)
        s = chosen.size
        size = (
            f"{s.before} -> {s.after} characters as written, {s.after_minified} minified "
            f"(the SCP limit is {s.limit})." if s else "not measured"
        )
        semantic = semantic_summary(proposal.policy.document, chosen.document)
    alternatives = [f"{sentence}." for sentence in alternative_sentences(proposal)]
    profiles = ", ".join(f"`{p}`" for p in dict.fromkeys(c.profile.id for c in proposal.before.checks)) or "the profiles"
    return Template(template_text("pull-request.md")).safe_substitute(
        profiles=profiles,
        policy_path=proposal.policy.path,
        blocked=_bullets(blocked, "nothing is blocked"),
        strategy=strategy,
        title=title,
        rationale=rationale,
        diff=diff.rstrip("\n") or "(no change)",
        newly_allowed=_bullets(newly, "nothing"),
        notes=("\n**Read this:**\n" + _bullets(notes, "") + "\n") if notes else "",
        alternatives=_bullets(alternatives, "none"),
        size=size,
        semantic=semantic,
        version=__version__,
    )
