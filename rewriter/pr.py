"""A pull-request description for a proposal, from ``templates/pull-request.md``: paste-ready.

The problem in one sentence, the diff, what it newly allows, why this option (the alternatives and
what each opens), how to verify, and what ``unspecified`` means when it appears. When nothing needs
changing the body is one line; when no change is safe, ``templates/no-safe-change.md`` says why.
"""

from __future__ import annotations

import json
from string import Template
from typing import Any

from rewriter.i18n import N_, Text, say, translations
from rewriter.model import statement_label
from rewriter.propose import Candidate, Proposal
from rewriter.report import problem_sentences
from rewriter.templating import template_text
from rewriter.vocabulary import Status

__all__ = ["pull_request_body", "change_sentences"]

UNSPECIFIED_NOTE = N_(
    "**About `unspecified`:** a call through a global inference profile (`global.…`) is also authorized "
    "against the model ARN without a Region, with `aws:RequestedRegion` = `unspecified`. No Region list "
    "names it unless it is written in, so a Region deny blocks it although the caller is in an allowed Region."
)


def _template(name: str, lang: str) -> str:
    """``templates/NAME.md``, or its translation ``templates/NAME.LANG.md``."""
    return template_text(f"{name}.md" if lang == "en" else f"{name}.{lang}.md")


def pull_request_body(proposal: Proposal, *, diff: str, verify: str | None = None, lang: str = "en") -> str:
    """The body; ``verify`` is the ``scp-fix check ...`` command a reviewer runs after the change."""
    from rewriter import __version__

    tr = translations(lang)
    _ = tr.gettext

    profiles = ", ".join(f"`{p}`" for p in dict.fromkeys(c.profile.id for c in proposal.before.checks))
    profiles = profiles or ", ".join(f"`{u.profile.id}`" for u in proposal.before.unreachable) or "the profiles"
    path = proposal.policy.path
    if proposal.status is Status.UNCHANGED:
        return _("scp-fix: `{path}` already lets {profiles} through; nothing to change.").format(
            path=path, profiles=profiles
        )
    problem = _bullets(problem_sentences(proposal, lang=lang))
    unspecified = f"\n{_(UNSPECIFIED_NOTE)}\n" if _mentions_unspecified(proposal) else ""
    if proposal.status is Status.UNSAFE or proposal.chosen is None or proposal.chosen.fix is None:
        return _tidy(Template(_template("no-safe-change", lang)).safe_substitute(
            profiles=profiles, policy_path=path, problem=problem, reason=say(proposal.reason, tr),
            options=_options_table(proposal, tr), control_tower=_control_tower(proposal, tr),
            unspecified=unspecified, version=__version__,
        ))
    chosen = proposal.chosen
    fix = chosen.fix
    notes = [say(n, tr) for n in fix.notes + chosen.notes]
    size = chosen.size
    changes = change_sentences(proposal.policy, chosen.document or {}, lang=lang)
    return _tidy(Template(_template("pull-request", lang)).safe_substitute(
        profiles=profiles,
        policy_path=path,
        problem=problem,
        title=say(fix.title, tr),
        rationale=say(fix.rationale, tr),
        diff=diff.rstrip("\n") or _("(no change)"),
        changes=(_("In words:") + "\n" + _bullets(changes)) if changes else "",
        newly_allowed=_bullets(
            [say(g.summary, tr) for g in chosen.delta.newly_allowed] if chosen.delta else [], _("nothing")
        ),
        notes=("\n**" + _("Read this:") + "**\n" + _bullets(notes) + "\n") if notes else "",
        options=_options_table(proposal, tr),
        verify=verify or f"scp-fix check {path} --profile …",
        unspecified=unspecified,
        size=_(
            "{before} -> {after} characters as written, {minified} minified (the SCP limit is {limit})."
        ).format(before=size.before, after=size.after, minified=size.after_minified, limit=size.limit)
        if size else _("not measured"),
        version=__version__,
    ))


def _bullets(items: list[str], empty: str = "") -> str:
    if not items:
        return f"- {empty}" if empty else ""
    return "\n".join(f"- {item}" for item in items)


def _tidy(text: str) -> str:
    """No run of blank lines where an optional section was left out."""
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip("\n") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _options_table(proposal: Proposal, tr) -> str:
    """Every strategy tried: what it would newly allow, or why it is not possible; the chosen first."""
    _ = tr.gettext
    rows = ["| " + _("option") + " | " + _("what it newly allows") + " |", "| --- | --- |"]
    ordered: list[Candidate] = ([proposal.chosen] if proposal.chosen else []) + [
        c for c in proposal.alternatives if c is not proposal.chosen
    ]
    for candidate in ordered:
        name = f"`{candidate.strategy}`"
        if candidate is proposal.chosen:
            name = "**" + _("{name} (chosen)").format(name=name) + "**"
        if candidate.verified and candidate.delta is not None:
            opened = "; ".join(say(g.summary, tr) for g in candidate.delta.newly_allowed) or _("nothing")
        else:
            why = say(candidate.rejected, tr) if candidate.rejected else _("no fix of this kind applies")
            opened = _("not possible: {why}").format(why=why)
        rows.append(f"| {name} | {_cell(opened)} |")
    return "\n".join(rows) if len(rows) > 2 else "- " + _("no strategy applies")


def _mentions_unspecified(proposal: Proposal) -> bool:
    denied = any("unspecified" in c.denied_regions for c in proposal.before.checks)
    chosen = proposal.chosen
    opened = bool(chosen and chosen.delta and any("unspecified" in g.regions for g in chosen.delta.newly_allowed))
    return denied or opened


def _control_tower(proposal: Proposal, tr) -> str:
    _ = tr.gettext
    advice = proposal.control_tower
    if advice is None:
        return ""
    lines = [
        "",
        "### Control Tower",
        _(
            "{statement} is managed by AWS Control Tower: change it there, not here (a hand edit causes "
            "drift). Set the parameters of the Region deny control CT.MULTISERVICE.PV.1 "
            "(`aws controltower update-enabled-control --parameters`):"
        ).format(statement=say(advice.statement_label, tr)),
        "",
        "```json",
        json.dumps(advice.parameters),
        "```",
    ]
    if advice.needs_unspecified:
        lines.append(_(
            "Control Tower cannot list `unspecified` as a Region: exempt the actions with ExemptedActions and "
            "re-deny them outside your Regions in a custom SCP unless `bedrock:InferenceProfileArn` matches the profile."
        ))
    return "\n".join(lines) + "\n"


# -- deepdiff's result, one sentence per change ---------------------------------------------------


def change_sentences(policy, after: dict[str, Any], *, lang: str = "en") -> list[str]:
    """What changed in the document's meaning (key order and layout ignored), one sentence each."""
    from deepdiff import DeepDiff

    tr = translations(lang)
    before = policy.document
    sentences: list[str] = []
    if isinstance(before.get("Statement"), dict) and isinstance(after.get("Statement"), list):
        sentences.append(tr.gettext("`Statement` becomes a list of statements"))
        before = {**before, "Statement": [before["Statement"]]}
    diff = DeepDiff(before, after, view="tree")
    for kind in (
        "dictionary_item_added",
        "iterable_item_added",
        "values_changed",
        "type_changes",
        "dictionary_item_removed",
        "iterable_item_removed",
    ):
        for level in sorted(diff.get(kind, ()), key=lambda lv: str(lv.path(output_format="list"))):
            sentences.append(_sentence(policy, kind, level.path(output_format="list"), level.t1, level.t2, tr))
    return sentences


def _sentence(policy, kind: str, path: list, before: Any, after: Any, tr) -> str:
    _ = tr.gettext
    where, rest = _where(policy, path)
    where = say(where, tr)
    if kind.endswith("added") and not rest and path[:1] == ["Statement"]:
        sid = after.get("Sid") if isinstance(after, dict) else None
        effect = after.get("Effect", "") if isinstance(after, dict) else ""
        return _("adds {statement}, a new {effect} statement").format(
            statement=say(statement_label(int(path[1]), sid), tr), effect=effect
        )
    if kind.startswith("iterable") and rest and isinstance(rest[-1], int):
        container = " › ".join(f"`{p}`" for p in rest[:-1])
        if kind.endswith("added"):
            return _("{where}: adds {value} to {element}").format(where=where, value=_value(after), element=container)
        return _("{where}: removes {value} from {element}").format(where=where, value=_value(before), element=container)
    element = " › ".join(f"`{p}`" for p in rest) or _("the statement")
    if kind.endswith("added"):
        return _("{where}: adds {element} = {value}").format(where=where, element=element, value=_value(after))
    if kind.endswith("removed"):
        return _("{where}: removes {element} (was {value})").format(where=where, element=element, value=_value(before))
    if kind == "type_changes" and isinstance(after, list) and [before] == after[:1]:
        return _("{where}: {element} becomes a list: {value}").format(where=where, element=element, value=_value(after))
    return _("{where}: changes {element} from {before} to {after}").format(
        where=where, element=element, before=_value(before), after=_value(after)
    )


def _where(policy, path: list) -> tuple[str, list]:
    """(the statement's name, the path inside it), or ("the policy", the path)."""
    if path[:1] != ["Statement"]:
        return Text("the policy"), path
    if len(path) > 1 and isinstance(path[1], int):
        index, rest = path[1], path[2:]
    else:  # a single statement object
        index, rest = 0, path[1:]
    if index < len(policy.statements):
        return policy.statements[index].label, list(rest)
    return statement_label(index), list(rest)


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if len(text) <= 160 else f"`{text[:157]}…`"
