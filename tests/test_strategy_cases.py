"""One harness for the strategy case tables in tests/strategies/*.yaml (sqlfluff-style).

Each table is named after the strategy it runs (``profile_arn.yaml`` runs ``profile-arn``; ``auto.yaml``
lets the engine choose). A case is::

    name:
      before: tokyo-only.json        # a samples/ file name, or the policy itself as a mapping
      profiles: [jp.anthropic.claude-sonnet-4-5-20250929-v1:0]
      source_region: ap-northeast-1  # optional
      options: {batch: false, broad: false, prefix: false, force: false, full_access: true}  # optional
                                     # (batch_role: the batch service role's ARN, with batch)
      expected:
        unchanged: true              # or
        unsafe: "substring of the reason"
        control_tower: {AllowedRegions: [...], ExemptedActions: [...]}   # optional, with unsafe
        # or a change:
        strategy: profile-arn        # optional; defaults to the table's strategy
        after: {...}                 # the whole expected policy document
        newly_allowed:               # one row per grant, in order
          - regions: [ap-northeast-3]        # exact set; or regions_except: [...] (every commercial
            direct: false                    #   Region plus "unspecified", less these)
            condition: "substring"           # optional
            actions: [...]                   # exact set; or min_actions / max_actions
        notes: ["substring", ...]     # each must appear in one note
        alternatives: {regions: verified, notaction: "substring of why not"}

For every changed case the harness also checks what the engine claims about itself: the patch applies
to ``before`` and gives ``after``, the rendered text parses to exactly ``after``, ``check`` on the result
is not blocked, proposing again gives "unchanged", and no Deny statement loses what the fix did not state
(``deny_losses``, shared with the property test).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from rewriter.catalog import load_catalog
from rewriter.check import check
from rewriter.cris import BATCH_ACTION, INFERENCE_ACTIONS
from rewriter.model import Policy
from rewriter.parse import parse_policy
from rewriter.propose import STRATEGY_NAMES, Proposal, propose

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TABLES = Path(__file__).resolve().parent / "strategies"

JP_SONNET = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
GLOBAL_SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"

_CASE_KEYS = {"before", "profiles", "source_region", "options", "expected"}
_OPTION_KEYS = {"batch", "batch_role", "broad", "prefix", "force", "full_access"}
_EXPECTED_KEYS = {
    "unchanged",
    "unsafe",
    "control_tower",
    "strategy",
    "after",
    "newly_allowed",
    "notes",
    "alternatives",
}
_ROW_KEYS = {
    "regions",
    "regions_except",
    "direct",
    "condition",
    "actions",
    "min_actions",
    "max_actions",
}


# --- loading ---------------------------------------------------------------------------------------


@functools.cache
def tables() -> dict[str, dict[str, Any]]:
    import yaml

    return {
        path.stem.replace("_", "-"): yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(TABLES.glob("*.yaml"))
    }


def _params() -> list[Any]:
    return [
        pytest.param(strategy, name, case, id=f"{strategy}/{name}")
        for strategy, table in tables().items()
        for name, case in table.items()
    ]


def policy_of(before: str | Mapping[str, Any]) -> Policy:
    if isinstance(before, str):
        return parse_policy((SAMPLES / before).read_bytes(), path=f"samples/{before}")
    return parse_policy(json.dumps(before, indent=2), path="<case>")


def profiles_of(refs: Sequence[str]) -> tuple[Any, ...]:
    catalog = load_catalog()
    found: dict[Any, None] = {}
    for ref in refs:
        found.update(dict.fromkeys(catalog.resolve(ref)))
    return tuple(found)


# --- the invariants --------------------------------------------------------------------------------


def needed_regions(
    policy: Policy, profiles: Sequence[Any], *, source_region: str | None, full_access: bool = True
) -> set[str]:
    """The Regions of the requests the policy denies before the fix, and, when callers may use any
    source Region the policy allows, the destinations of each source Region that allowing those opens,
    and so on: all a fix may open."""
    result = check(policy, profiles, source_region=source_region, full_access=full_access)
    needed = {r.request.region for c in result.checks for r in c.results if not r.decision.allowed}
    while source_region is None:
        more = {
            region
            for profile in profiles for source in profile.sources if source in needed
            for region in (*profile.routes[source], *(["unspecified"] if profile.is_global else []))
        }
        if more <= needed:
            break
        needed |= more
    return needed


def stated_patterns(profiles: Iterable[Any]) -> set[str]:
    """The profile ARN patterns a fix may add: the exact profile, or (``--prefix``, or the compact
    form when the exact one is too large) its geography. Written here, not taken from the engine."""
    patterns: set[str] = set()
    for profile in profiles:
        if profile.arn:
            patterns.add(profile.arn)
            continue
        partition = "aws-us-gov" if profile.geography == "us-gov" else "aws"
        base = f"arn:{partition}:bedrock:*:*:inference-profile/"
        patterns.update({base + profile.id, base + f"{profile.geography}.*"})
    return patterns


def carved_actions(*, broad: bool) -> set[str]:
    # --batch carves out nothing more: a batch job's hops are its service role's InvokeModel calls
    return set(INFERENCE_ACTIONS) | ({"bedrock:*"} if broad else set())


def checked_actions(*, batch: bool) -> tuple[str, ...]:
    """What a fix must let through: inference, and with --batch a batch job (its creation and its
    service role's hops, cris)."""
    return INFERENCE_ACTIONS + ((BATCH_ACTION,) if batch else ())


def _items(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _raw_statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statement = document["Statement"]
    return [statement] if isinstance(statement, dict) else list(statement)


def deny_losses(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    needed: set[str],
    patterns: set[str],
    carved: set[str],
) -> list[str]:
    """Everything a Deny statement of ``before`` lost in ``after`` that the fix did not state.

    Statement by statement: NotAction only grows by ``carved``; ``Action "*"`` may become a NotAction of
    ``carved``; a Region allow-list only grows by ``needed`` Regions and a deny-list only loses them;
    the only new condition values are ``bedrock:InferenceProfileArn`` exemptions from ``patterns``;
    everything else is untouched. Statements the fix appends must be Denies.
    """
    lost: list[str] = []
    old, new = _raw_statements(before), _raw_statements(after)
    if len(new) < len(old):
        return [f"{len(old) - len(new)} statement(s) removed"]
    for index, (b, a) in enumerate(zip(old, new)):
        where = f"statement {index}"
        if b.get("Effect") != "Deny":
            if a != b and not _allow_region_growth_only(b, a, needed):
                lost.append(f"{where}: an Allow statement was edited")
            continue
        for key in ("Sid", "Effect", "Resource", "NotResource", "Principal", "NotPrincipal"):
            if a.get(key) != b.get(key):
                lost.append(f"{where}: {key} changed from {b.get(key)!r} to {a.get(key)!r}")
        if set(a) - set(b) - {"NotAction", "Condition"}:
            lost.append(f"{where}: new elements {sorted(set(a) - set(b))}")
        if "Action" in b:
            if "Action" in a:
                if a["Action"] != b["Action"]:
                    lost.append(f"{where}: Action changed")
            elif set(_items(b["Action"])) != {"*"}:
                lost.append(f"{where}: Action {b['Action']!r} removed")
            elif not set(_items(a.get("NotAction", []))) <= carved:
                lost.append(f'{where}: Action "*" became NotAction {a.get("NotAction")!r}')
        if "NotAction" in b:
            was, now = set(_items(b["NotAction"])), set(_items(a.get("NotAction", [])))
            if not was <= now or not now - was <= carved:
                lost.append(f"{where}: NotAction {sorted(was)} became {sorted(now)}")
        lost.extend(
            _condition_losses(
                where, b.get("Condition", {}), a.get("Condition", {}), needed, patterns
            )
        )
    for index, a in enumerate(new[len(old) :], start=len(old)):
        if a.get("Effect") != "Deny":
            lost.append(f"statement {index}: an appended statement is not a Deny")
    return lost


def _allow_region_growth_only(before: Mapping[str, Any], after: Mapping[str, Any], needed: set[str]) -> bool:
    """An Allow that names its Regions may gain needed Regions, and nothing else may change."""
    import copy

    def without_regions(statement: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
        rest = copy.deepcopy(dict(statement))
        regions: set[str] = set()
        for operator in ("StringEquals", "StringEqualsIgnoreCase", "StringLike"):
            block = rest.get("Condition", {}).get(operator, {})
            for key in [k for k in block if k.lower() == "aws:requestedregion"]:
                regions |= set(_items(block.pop(key)))
        return rest, regions

    rest_before, was = without_regions(before)
    rest_after, now = without_regions(after)
    return rest_before == rest_after and was <= now and now - was <= needed


def _condition_losses(
    where: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    needed: set[str],
    patterns: set[str],
) -> list[str]:
    lost: list[str] = []
    lowered_needed = {r.lower() for r in needed}
    for operator in set(before) | set(after):
        was_block, now_block = before.get(operator, {}), after.get(operator, {})
        for key in set(was_block) | set(now_block):
            if key not in now_block:
                lost.append(f"{where}: condition {operator} {key} removed")
                continue
            was = set(_items(was_block.get(key, [])))
            now = set(_items(now_block[key]))
            if was == now:
                continue
            label = f"{where}: {operator} {key} {sorted(was)} -> {sorted(now)}"
            negated = "Not" in operator
            if key.lower() == "aws:requestedregion" and key in was_block:
                if negated:  # an allow-list: only needed Regions may join
                    ok = was <= now and {r.lower() for r in now - was} <= lowered_needed
                else:  # a deny-list: only needed Regions may leave
                    ok = now <= was and {r.lower() for r in was - now} <= lowered_needed
            elif key.lower() == "bedrock:inferenceprofilearn" and operator.startswith("ArnNotLike"):
                ok = was <= now and now - was <= patterns
            else:
                ok = False
            if not ok:
                lost.append(label)
    return lost


def assert_fixed(
    proposal: Proposal,
    profiles: Sequence[Any],
    *,
    source_region: str | None,
    options: Mapping[str, bool],
    strategy: str,
) -> Policy:
    """Everything a changed proposal must satisfy, checked independently of the engine's own checks.
    Returns the new policy."""
    import jsonpatch

    chosen = proposal.chosen
    assert proposal.status == "changed" and chosen is not None and chosen.fix is not None
    before = proposal.policy
    assert jsonpatch.apply_patch(before.document, chosen.fix.patch) == chosen.document
    new_policy = parse_policy(chosen.text, path=before.path)
    assert new_policy.document == chosen.document, (
        "the rendered text means something else than the patch"
    )
    assert json.loads(chosen.text.lstrip("\ufeff")) == chosen.document
    after_check = check(
        new_policy, profiles, source_region=source_region, full_access=options.get("full_access", True),
        actions=checked_actions(batch=options.get("batch", False)), batch_role=options.get("batch_role"),
    )
    assert not after_check.blocked, [
        (r.request.action, r.request.region, r.reason)
        for c in after_check.checks
        for r in c.results
        if r.reason
    ]
    again = propose(
        new_policy,
        profiles,
        source_region=source_region,
        strategy=strategy,
        newly_allowed=False,
        **{k: v for k, v in options.items()},
    )
    assert again.status == "unchanged", f"not idempotent: {again.status}: {again.reason}"
    losses = deny_losses(
        before.document,
        chosen.document,
        needed=needed_regions(
            before, profiles, source_region=source_region, full_access=options.get("full_access", True)
        ),
        patterns=stated_patterns(profiles),
        carved=carved_actions(broad=options.get("broad", False)),
    )
    assert not losses, losses
    return new_policy


# --- the tables ------------------------------------------------------------------------------------


def test_there_is_one_table_per_strategy() -> None:
    assert set(tables()) == set(STRATEGY_NAMES)


@pytest.mark.parametrize("strategy", ["regions", "notaction", "profile-arn"])
def test_problem_statement_cases_in_every_strategy_table(strategy: str) -> None:
    """The two cases of the problem statement, fixed by every strategy: JP Sonnet 4.5 from Tokyo, and
    the global profile."""
    fixed = {
        tuple(case["profiles"])
        for case in tables()[strategy].values()
        if case["before"] == "tokyo-only.json"
        and case.get("source_region") == "ap-northeast-1"
        and not case.get("options")
        and "after" in case["expected"]
    }
    assert {(JP_SONNET,), (GLOBAL_SONNET,)} <= fixed


@pytest.mark.parametrize(("strategy", "name", "case"), _params())
def test_case(strategy: str, name: str, case: dict[str, Any]) -> None:
    assert set(case) <= _CASE_KEYS, f"unknown case keys {set(case) - _CASE_KEYS}"
    expected = case["expected"]
    assert set(expected) <= _EXPECTED_KEYS, (
        f"unknown expected keys {set(expected) - _EXPECTED_KEYS}"
    )
    options = case.get("options") or {}
    assert set(options) <= _OPTION_KEYS
    policy = policy_of(case["before"])
    profiles = profiles_of(case["profiles"])
    source_region = case.get("source_region")
    proposal = propose(
        policy,
        profiles,
        source_region=source_region,
        strategy=strategy,
        newly_allowed=True,
        **options,
    )

    if expected.get("unchanged"):
        assert proposal.status == "unchanged", proposal.reason
        assert proposal.chosen is None
        assert not check(
            policy, profiles, source_region=source_region, full_access=options.get("full_access", True),
            actions=checked_actions(batch=options.get("batch", False)), batch_role=options.get("batch_role"),
        ).blocked
        return
    if "unsafe" in expected:
        assert proposal.status == "unsafe", f"{proposal.status}: {proposal.reason}"
        assert proposal.chosen is None
        assert expected["unsafe"] in proposal.reason
        if "control_tower" in expected:
            assert proposal.control_tower is not None
            parameters = {p["key"]: p["value"] for p in proposal.control_tower.parameters}
            assert parameters == expected["control_tower"]
        else:
            assert proposal.control_tower is None
        return

    chosen = proposal.chosen
    assert proposal.status == "changed", f"{proposal.status}: {proposal.reason}"
    assert chosen is not None
    assert chosen.strategy == expected.get("strategy", strategy)
    assert chosen.document == expected["after"]
    assert chosen.size is not None and chosen.size.fits
    assert_fixed(
        proposal, profiles, source_region=source_region, options=options, strategy=strategy
    )
    _assert_newly_allowed(chosen.delta.newly_allowed, expected.get("newly_allowed"))
    notes = chosen.fix.notes + chosen.notes
    for wanted in expected.get("notes", ()):
        assert any(wanted in note for note in notes), (wanted, notes)
    if not expected.get("notes"):
        assert not notes, notes
    for alternative, want in (expected.get("alternatives") or {}).items():
        candidate = next(c for c in proposal.candidates if c.strategy == alternative)
        if want == "verified":
            assert candidate.verified, candidate.rejected
        else:
            assert not candidate.verified and want in candidate.rejected
    if strategy == "auto":
        # auto keeps the verified candidate that opens the least
        weights = [c.delta.weight for c in proposal.candidates if c.verified]
        assert chosen.delta.weight == min(weights)


def _assert_newly_allowed(grants: Sequence[Any], rows: Sequence[Mapping[str, Any]] | None) -> None:
    from rewriter.regions_data import ALL_COMMERCIAL

    assert rows is not None, "a changed case states what it newly allows"
    assert len(grants) == len(rows), [g.summary for g in grants]
    for grant, row in zip(grants, rows):
        assert set(row) <= _ROW_KEYS, f"unknown newly_allowed keys {set(row) - _ROW_KEYS}"
        if "regions" in row:
            assert set(grant.regions) == set(row["regions"]), grant.summary
        else:
            every = {*ALL_COMMERCIAL, "unspecified"}
            assert set(grant.regions) == every - set(row["regions_except"]), grant.summary
        assert (grant.condition is None) == row["direct"], grant.summary
        if "condition" in row:
            assert grant.condition is not None and row["condition"] in grant.condition
        if "actions" in row:
            assert set(grant.actions) == set(row["actions"]) and grant.action_count == len(
                row["actions"]
            )
        assert (
            row.get("min_actions", 0)
            <= grant.action_count
            <= row.get("max_actions", grant.action_count)
        )
