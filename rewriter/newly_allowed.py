"""What a change newly allows, computed with the evaluator rather than by hand-written rules.

The grid is every IAM action x every Region plus ``unspecified`` x (no inference profile, each named
profile, another profile of the same geography). Actions that every statement of both policies treats
alike form one class, so one representative per class is evaluated: the answer is the same for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rewriter.evaluate import Request, action_matches, evaluate
from rewriter.model import Policy

if TYPE_CHECKING:
    from rewriter.catalog import Profile

__all__ = ["Grant", "Delta", "compare_policies"]

PROFILE_KEY = "bedrock:InferenceProfileArn"
UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class Grant:
    """One row of "newly allowed": these actions, in these Regions, under this condition."""

    actions: tuple[str, ...]  # listed in full when few; see ``summary`` for the words
    action_count: int
    regions: tuple[str, ...]
    condition: str | None  # None: for any caller, direct calls included
    summary: str

    @property
    def weight(self) -> int:
        return self.action_count * len(self.regions)

    def to_json(self) -> dict:
        return {
            "actions": list(self.actions),
            "action_count": self.action_count,
            "regions": list(self.regions),
            "condition": self.condition,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class Delta:
    newly_allowed: tuple[Grant, ...]
    newly_denied: tuple[Grant, ...]
    evaluations: int  # evaluator calls made

    @property
    def weight(self) -> int:
        """How much the change opens: action x Region cells, the measure ``auto`` minimises."""
        return sum(g.weight for g in self.newly_allowed)


@dataclass(frozen=True, slots=True)
class _Context:
    profile_arn: str | None
    condition: str | None


def _contexts(profiles: Sequence[Profile]) -> list[_Context]:
    contexts = [_Context(None, None)]
    geographies: dict[str, str] = {}
    for profile in profiles:
        arn = profile.arn or f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/{profile.id}"
        contexts.append(_Context(arn, f"only through inference profile {profile.id}"))
        if not profile.arn:
            geographies.setdefault(profile.geography, profile.id)
    for geography in geographies:
        other = f"{geography}.scp-fix.another-model-v1:0"
        contexts.append(
            _Context(
                f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/{other}",
                f"through any other {geography}. inference profile",
            )
        )
    contexts.append(
        _Context(
            "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/scp-fix-other",
            "through any application inference profile",
        )
    )
    return contexts


def _action_patterns(policies: Sequence[Policy]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for policy in policies:
        for statement in policy.statements:
            for values in (statement.action, statement.not_action):
                if values is not None:
                    for pattern in values.items:
                        seen.setdefault(pattern.lower())
    return tuple(seen)


def _classes(actions: Sequence[str], patterns: tuple[str, ...], keyed: frozenset[str]) -> dict[tuple, list[str]]:
    """Group actions that every pattern treats alike. A pattern whose service part has no wildcard
    is tried only on that service's actions, which keeps this linear in the catalogue's size."""
    by_service: dict[str, list[int]] = {}
    for position, action in enumerate(actions):
        by_service.setdefault(action.split(":", 1)[0].lower(), []).append(position)
    matched: list[list[int]] = [[] for _ in actions]
    for index, pattern in enumerate(patterns):
        service = pattern.split(":", 1)[0]
        if "*" in service or "?" in service:
            positions: Sequence[int] = range(len(actions))
        else:
            positions = by_service.get(service, ())
        for position in positions:
            if action_matches(pattern, actions[position]):
                matched[position].append(index)
    classes: dict[tuple, list[str]] = {}
    for position, action in enumerate(actions):
        signature = (action in keyed, action.split(":", 1)[0].lower() == "bedrock", *matched[position])
        classes.setdefault(signature, []).append(action)
    return classes


def compare_policies(
    before: Policy,
    after: Policy,
    profiles: Sequence[Profile],
    *,
    full_access: bool = True,
    regions: Sequence[str] | None = None,
) -> Delta:
    """Every request of the grid that ``after`` allows and ``before`` denies (and the reverse)."""
    from rewriter.iam_actions import action_catalogue
    from rewriter.regions_data import ALL_COMMERCIAL

    catalogue = action_catalogue()
    region_list = list(regions) if regions is not None else [*ALL_COMMERCIAL, UNSPECIFIED]
    model = profiles[0].model if profiles else "anthropic.claude-sonnet-4-5-20250929-v1:0"
    classes = _classes(catalogue.actions, _action_patterns((before, after)), catalogue.profile_key_actions)
    opened: dict[tuple[int, tuple], list[str]] = {}  # (context, class) -> regions
    closed: dict[tuple[int, tuple], list[str]] = {}
    calls = 0
    contexts = _contexts(profiles)
    for signature, members in classes.items():
        representative = members[0]
        keyed, is_bedrock = signature[0], signature[1]
        for c_index, context in enumerate(contexts):
            if context.profile_arn is not None and not keyed:
                continue  # only requests that can carry the key are made through a profile
            for region in region_list:
                if is_bedrock:
                    where = "" if region == UNSPECIFIED else region
                    resource = f"arn:aws:bedrock:{where}::foundation-model/{model}"
                else:
                    resource = "*"
                request = Request(
                    action=representative,
                    resource=resource,
                    region=region,
                    context={PROFILE_KEY: context.profile_arn} if context.profile_arn else {},
                )
                was = evaluate(before, request, full_access=full_access).allowed
                now = evaluate(after, request, full_access=full_access).allowed
                calls += 2
                if now and not was:
                    opened.setdefault((c_index, signature), []).append(region)
                elif was and not now:
                    closed.setdefault((c_index, signature), []).append(region)
    # A request through a profile that is newly allowed anyway as a direct call says nothing more.
    for cells in (opened, closed):
        for (c_index, signature), regions in list(cells.items()):
            if c_index:
                direct = set(cells.get((0, signature), ()))
                kept = [r for r in regions if r not in direct]
                if kept:
                    cells[(c_index, signature)] = kept
                else:
                    del cells[(c_index, signature)]
    total = len(catalogue.actions)
    return Delta(
        newly_allowed=_grants(opened, classes, contexts, total, region_list),
        newly_denied=_grants(closed, classes, contexts, total, region_list),
        evaluations=calls,
    )


def _grants(
    cells: dict[tuple[int, tuple], list[str]],
    classes: dict[tuple, list[str]],
    contexts: list[_Context],
    total: int,
    region_list: list[str],
) -> tuple[Grant, ...]:
    # Rows with the same context and the same Regions merge into one grant.
    merged: dict[tuple[int, tuple[str, ...]], list[str]] = {}
    for (c_index, signature), regions in cells.items():
        merged.setdefault((c_index, tuple(regions)), []).extend(classes[signature])
    grants = []
    for (c_index, regions), actions in sorted(merged.items(), key=lambda item: item[0][0]):
        actions = sorted(actions)
        condition = contexts[c_index].condition
        grants.append(
            Grant(
                actions=tuple(actions) if len(actions) <= 20 else (),
                action_count=len(actions),
                regions=regions,
                condition=condition,
                summary=_summary(actions, total, regions, region_list, condition),
            )
        )
    return tuple(grants)


def _summary(actions: list[str], total: int, regions: tuple[str, ...], region_list: list[str], condition: str | None) -> str:
    services = {a.split(":", 1)[0] for a in actions}
    if len(actions) <= 4:
        what = ", ".join(actions)
    elif len(actions) == total:
        what = f"every IAM action ({total})"
    elif len(actions) > total / 2:
        what = f"{len(actions)} of the {total} IAM actions (all but the ones the statement exempts)"
    else:
        what = f"{len(actions)} actions in {len(services)} service{'s' if len(services) != 1 else ''}"
    named = [r for r in regions if r != UNSPECIFIED]
    if len(named) > 6:
        where = f"in {len(named)} Regions"
    else:
        where = "in " + ", ".join(named) if named else ""
    if UNSPECIFIED in regions:
        where = f"{where} and unspecified" if where else "with aws:RequestedRegion unspecified"
    how = f", {condition}" if condition else ", for direct calls too" if "bedrock" in services else ""
    return f"{what} {where}{how}"
