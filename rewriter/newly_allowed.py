"""What a change newly allows, computed with the evaluator rather than by hand-written rules.

The grid is every IAM action x every Region plus ``unspecified`` x (no inference profile, each named
profile, another profile of the same geography). Actions that every statement of both policies treats
alike form one class, so one representative per class is evaluated: the answer is the same for all.
Regions likewise: those that every resource test and Region condition treat alike share answers.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rewriter.evaluate import Request, action_matches, allowed_test, region_signature
from rewriter.model import Policy

if TYPE_CHECKING:
    from rewriter.iam_actions import ActionCatalogue
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


@dataclass(slots=True)
class _Index:
    """The catalogue arranged for grouping: built once per process, then each pattern's matches are
    kept, because every strategy's comparison asks about the same patterns of the original policy."""

    actions: tuple[str, ...]
    services: list[str]  # position -> lower-case service
    keyed: frozenset[str]
    by_service: dict[str, tuple[int, ...]]  # lower-case service -> positions
    groups: dict[tuple[bool, bool], list[int]]  # (can carry the profile key, is bedrock) -> positions
    matches: dict[str, tuple[int, ...] | None]  # pattern -> positions; None: every action

    def base(self, position: int) -> tuple[bool, bool]:
        return (self.actions[position] in self.keyed, self.services[position] == "bedrock")


@functools.lru_cache(maxsize=2)
def _index(catalogue: ActionCatalogue) -> _Index:
    # The catalogue lists each service's actions together: a few hundred runs of positions, extended
    # as ranges, rather than one Python step per action.
    actions, keyed = catalogue.actions, catalogue.profile_key_actions
    runs = catalogue.service_runs
    if sum(count for _, count in runs) != len(actions):  # a catalogue built without runs: derive them
        runs = tuple((s, len(list(g))) for s, g in itertools.groupby(a.partition(":")[0].lower() for a in actions))
    services: list[str] = []
    lists: dict[str, list[int]] = {}
    start = 0
    for service, count in runs:
        services.extend([service] * count)
        lists.setdefault(service, []).extend(range(start, start + count))
        start += count
    by_service = {service: tuple(positions) for service, positions in lists.items()}
    special = set(by_service.get("bedrock", ()))
    for action in keyed:
        special.update(p for p in by_service.get(action.partition(":")[0].lower(), ()) if actions[p] == action)
    index = _Index(actions, services, keyed, by_service, {}, {})
    for position in sorted(special):
        index.groups.setdefault(index.base(position), []).append(position)
    plain = sorted(set(range(len(actions))) - special) if special else list(range(len(actions)))
    if plain:
        index.groups[(False, False)] = plain
    return index


def _positions(index: _Index, pattern: str) -> tuple[int, ...] | None:
    """The positions of the actions ``pattern`` (lower-case) matches; None when it matches all. A
    pattern whose service part has no wildcard is tried only on that service's actions, which keeps
    this linear in the catalogue's size."""
    if pattern in index.matches:
        return index.matches[pattern]
    actions = index.actions
    service, _, name = pattern.partition(":")
    every_service = "*" in service or "?" in service
    candidates: Sequence[int] = range(len(actions)) if every_service else index.by_service.get(service, ())
    if name == "*" and not every_service and all(actions[p].isascii() for p in candidates):
        found = tuple(candidates)  # "service:*": the whole service, no pattern to run
    else:
        found = tuple(p for p in candidates if action_matches(pattern, actions[p]))
    result = None if len(found) == len(actions) else found
    index.matches[pattern] = result
    return result


def _classes(index: _Index, patterns: tuple[str, ...]) -> dict[tuple, list[int]]:
    """Group actions (by position) that every pattern treats alike, in catalogue order of each class's
    first action. A pattern that matches every action cannot tell two apart, so it is left out."""
    matched: dict[int, list[int]] = {}
    for number, pattern in enumerate(patterns):
        positions = _positions(index, pattern)
        if positions is not None:
            for position in positions:
                matched.setdefault(position, []).append(number)
    entries: list[tuple[int, tuple, list[int]]] = []
    for group, positions in index.groups.items():
        members = [p for p in positions if p not in matched] if matched else positions
        if members:
            entries.append((members[0], group, members))
    by_signature: dict[tuple, list[int]] = {}
    for position in sorted(matched):
        by_signature.setdefault((*index.base(position), *matched[position]), []).append(position)
    entries.extend((members[0], signature, members) for signature, members in by_signature.items())
    entries.sort(key=lambda entry: entry[0])
    return {signature: members for _, signature, members in entries}


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
    index = _index(catalogue)
    classes = _classes(index, _action_patterns((before, after)))
    opened: dict[tuple[int, tuple], list[str]] = {}  # (context, class) -> regions
    closed: dict[tuple[int, tuple], list[str]] = {}
    calls = 0
    contexts = _contexts(profiles)
    allowed_before = allowed_test(before, full_access=full_access)
    allowed_after = allowed_test(after, full_access=full_access)
    # Regions that every statement's resource test and Region condition treat alike get the same
    # answers: evaluate the first of each such class and give its answers to the others.
    cells: dict[bool, list[tuple[str, str, tuple]]] = {}  # is bedrock -> (region, resource, class)
    for is_bedrock in (False, True):
        row = []
        for region in region_list:
            if is_bedrock:
                where = "" if region == UNSPECIFIED else region
                resource = f"arn:aws:bedrock:{where}::foundation-model/{model}"
            else:
                resource = "*"
            row.append((region, resource, region_signature((before, after), region, resource)))
        cells[is_bedrock] = row
    for signature, members in classes.items():
        representative = catalogue.actions[members[0]]
        keyed, is_bedrock = signature[0], signature[1]
        for c_index, context in enumerate(contexts):
            if context.profile_arn is not None and not keyed:
                continue  # only requests that can carry the key are made through a profile
            answers: dict[tuple, tuple[bool, bool]] = {}
            for region, resource, region_class in cells[is_bedrock]:
                answer = answers.get(region_class)
                if answer is None:
                    request = Request(
                        action=representative,
                        resource=resource,
                        region=region,
                        context={PROFILE_KEY: context.profile_arn} if context.profile_arn else {},
                    )
                    answer = answers[region_class] = (allowed_before(request), allowed_after(request))
                    calls += 2
                was, now = answer
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
    return Delta(
        newly_allowed=_grants(opened, classes, index, contexts, region_list),
        newly_denied=_grants(closed, classes, index, contexts, region_list),
        evaluations=calls,
    )


def _grants(
    cells: dict[tuple[int, tuple], list[str]],
    classes: dict[tuple, list[int]],
    index: _Index,
    contexts: list[_Context],
    region_list: list[str],
) -> tuple[Grant, ...]:
    # Rows with the same context and the same Regions merge into one grant. Actions stay positions
    # until a grant is small enough to list them: a Region opened for everything holds ~22,000.
    merged: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for (c_index, signature), regions in cells.items():
        merged.setdefault((c_index, tuple(regions)), []).extend(classes[signature])
    grants = []
    for (c_index, regions), positions in sorted(merged.items(), key=lambda item: item[0][0]):
        names = sorted(index.actions[p] for p in positions) if len(positions) <= 20 else []
        condition = contexts[c_index].condition
        grants.append(
            Grant(
                actions=tuple(names),
                action_count=len(positions),
                regions=regions,
                condition=condition,
                summary=_summary(positions, names, index, regions, region_list, condition),
            )
        )
    return tuple(grants)


def _summary(
    positions: list[int],
    names: list[str],
    index: _Index,
    regions: tuple[str, ...],
    region_list: list[str],
    condition: str | None,
) -> str:
    count, total = len(positions), len(index.actions)
    if count <= 4:
        what = ", ".join(names)
    elif count == total:
        what = f"every IAM action ({total})"
    elif count > total / 2:
        what = f"{count} of the {total} IAM actions (all but the ones already allowed there)"
    else:
        services = {index.services[p] for p in positions}
        what = f"{count} actions in {len(services)} service{'s' if len(services) != 1 else ''}"
    named = [r for r in regions if r != UNSPECIFIED]
    if len(named) > 6:
        where = f"in {len(named)} Regions"
    else:
        where = "in " + ", ".join(named) if named else ""
    if UNSPECIFIED in regions:
        where = f"{where} and unspecified" if where else "with aws:RequestedRegion unspecified"
    bedrock = index.by_service.get("bedrock", ())
    direct_bedrock = bool(bedrock) and not set(bedrock).isdisjoint(positions)
    how = f", {condition}" if condition else ", for direct calls too" if direct_bedrock else ""
    return f"{what} {where}{how}"
