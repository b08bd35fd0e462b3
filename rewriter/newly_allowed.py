"""What a change newly allows, computed with the evaluator rather than by hand-written rules.

The grid is every IAM action x every Region plus ``unspecified`` x (no inference profile, each named
profile, another profile of the same geography). Actions that every statement of both policies treats
alike form one class, so one representative per class is evaluated: the answer is the same for all.
Regions likewise: those that every resource test and Region condition treat alike share answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rewriter.evaluate import Evaluator, action_matches
from rewriter.i18n import Text
from rewriter.grid import Grid
from rewriter.model import Policy

if TYPE_CHECKING:
    from rewriter.catalog import Profile
    from rewriter.iam_actions import ActionCatalogue

__all__ = ["Delta", "Grant", "compare_many", "compare_policies"]

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
    """One way a request is made: directly (no ARN) or through a profile, and how a grant says so."""

    profile_arn: str | None
    condition: str | None


def _contexts(profiles: Sequence[Profile], profile_arns: Mapping[str, str]) -> list[_Context]:
    contexts = [_Context(None, None)]
    geographies: dict[str, str] = {}
    for profile in profiles:
        arn = profile_arns.get(profile.id) or profile.arn or f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/{profile.id}"
        contexts.append(_Context(arn, Text("only through inference profile {profile}", profile=profile.id)))
        if not profile.arn:
            geographies.setdefault(profile.geography, profile.id)
    for geography in geographies:
        other = f"{geography}.scp-fix.another-model-v1:0"
        contexts.append(
            _Context(
                f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/{other}",
                Text("through any other {geography}. inference profile", geography=geography),
            )
        )
    contexts.append(
        _Context(
            "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/scp-fix-other",
            Text("through any application inference profile"),
        )
    )
    return contexts


def _action_patterns(policies: Sequence[Policy]) -> dict[str, tuple[int, ...]]:
    """Each Action/NotAction pattern (lower-case) -> the statements that list it, numbered across the
    policies. An action's answer from a statement's action test is whether any of that statement's
    patterns match it, so actions matched by patterns of the same statements behave alike."""
    # The policies compared are mostly one policy and its fixes: a list they share is read once.
    lists: dict[tuple[str, ...], list[int]] = {}
    number = 0
    for policy in policies:
        for statement in policy.statements:
            for values in (statement.action, statement.not_action):
                if values is not None:
                    lists.setdefault(values.items, []).append(number)
            number += 1
    # A statement lists its patterns in one list, so no two lists share a statement: their numbers add
    # up. The patterns are kept in groups by who lists them, so that a list read next splits the groups
    # with set operations, not a step per pattern (a fix's list repeats the original's ~90).
    groups: dict[tuple[int, ...], set[str]] = {}
    for items, numbers in lists.items():
        listing = tuple(numbers)
        fresh = set(map(str.lower, items))  # listed twice in one list, counted once
        for owners, members in list(groups.items()):
            shared = members & fresh
            if shared:
                fresh -= shared
                members -= shared
                if not members:
                    del groups[owners]
                groups[owners + listing] = shared
        if fresh:
            groups[listing] = fresh
    return {pattern: owners for owners, members in groups.items() for pattern in members}


Members = list[tuple[int, int]]  # a class's actions: ascending (start, stop) ranges of catalogue positions


def _classes(catalogue: ActionCatalogue, patterns: Mapping[str, tuple[int, ...]]) -> dict[tuple, Members]:
    """Group the actions that every statement's action test treats alike (and that agree on carrying
    the profile key and on being Bedrock's), in catalogue order of each class's first action.

    ``patterns`` maps each lower-case pattern to the statements listing it. A signature is (carries the
    key, is Bedrock, the statements with a pattern that matches). Service by service: a service that no
    pattern names in part (only whole, as ``iam:*``, or not at all) is one class as a whole; the actions
    of the others are tested one by one against the patterns that can match them.
    """
    universal = set(patterns.get("*", ()))  # statements whose "*" matches every action
    whole: dict[str, set[int]] = {}  # service -> the statements naming it whole
    partial: dict[str, list[tuple[str, tuple[int, ...]]]] = {}  # service -> its other patterns
    anywhere: list[tuple[str, tuple[int, ...]]] = []  # patterns whose service part is not one plain name
    for pattern, owners in patterns.items():
        if pattern == "*":
            continue
        service, _, name = pattern.partition(":")
        if "*" in service or "?" in service or "$" in service or not pattern.isascii():
            anywhere.append((pattern, owners))
        elif name == "*":
            whole.setdefault(service, set()).update(owners)
        else:
            partial.setdefault(service, []).append((pattern, owners))
    keyed = {position for positions in catalogue.keyed.values() for position in positions}
    actions = catalogue.actions
    classes: dict[tuple, Members] = {}
    for service, runs in catalogue.runs_of.items():
        named = universal | whole.get(service, set())
        is_bedrock = service == "bedrock"
        tested = partial.get(service, []) + anywhere
        if not tested and service not in catalogue.keyed:
            classes.setdefault((False, is_bedrock, *sorted(named)), []).extend(runs)
            continue
        for start, stop in runs:
            for position in range(start, stop):
                action = actions[position]
                owners = named.union(*(o for pattern, o in tested if action_matches(pattern, action)))
                members = classes.setdefault((position in keyed, is_bedrock, *sorted(owners)), [])
                if members and members[-1][1] == position:
                    members[-1] = (members[-1][0], position + 1)
                else:
                    members.append((position, position + 1))
    for members in classes.values():
        members.sort()
    return dict(sorted(classes.items(), key=lambda item: item[1][0][0]))


def compare_policies(
    before: Policy,
    after: Policy,
    profiles: Sequence[Profile],
    *,
    full_access: bool = True,
    regions: Sequence[str] | None = None,
    profile_arns: Mapping[str, str] | None = None,
    evaluator: Evaluator | None = None,
) -> Delta:
    """Every request of the grid that ``after`` allows and ``before`` denies (and the reverse)."""
    (delta,) = compare_many(before, (after,), profiles, full_access=full_access, regions=regions,
                            profile_arns=profile_arns, evaluator=evaluator)
    return delta


def compare_many(
    before: Policy,
    afters: Sequence[Policy],
    profiles: Sequence[Profile],
    *,
    full_access: bool = True,
    regions: Sequence[str] | None = None,
    profile_arns: Mapping[str, str] | None = None,
    evaluator: Evaluator | None = None,
) -> tuple[Delta, ...]:
    """``compare_policies`` of ``before`` with each of ``afters``, sharing the work they have in common:
    the classes of actions (of all the policies at once: a finer split changes no answer) and the
    answers ``before`` gives. ``profile_arns``: profile id -> the ARN callers call it by (an identity
    policy names its account and source Region; an SCP pattern matches any, so a sample ARN does)."""
    from rewriter.iam_actions import action_catalogue
    from rewriter.regions_data import ALL_COMMERCIAL

    catalogue = action_catalogue()
    region_list = list(regions) if regions is not None else [*ALL_COMMERCIAL, UNSPECIFIED]
    model = profiles[0].model if profiles else "anthropic.claude-sonnet-4-5-20250929-v1:0"
    classes = _classes(catalogue, _action_patterns((before, *afters)))
    contexts = _contexts(profiles, profile_arns or {})
    keys = [{PROFILE_KEY: c.profile_arn} if c.profile_arn else {} for c in contexts]
    bedrock_resources = [
        f"arn:aws:bedrock:{'' if region == UNSPECIFIED else region}::foundation-model/{model}" for region in region_list
    ]
    # Each class's representative (its first action) is asked in every Region, and through every
    # profile context when it can carry the key; the classes of one resource form share the grid's
    # cells, and one pass per policy answers both forms. (A class that cannot carry the key is read
    # from the first context, the direct call, alone.)
    by_resource: dict[bool, list[tuple]] = {}
    for signature in classes:
        by_resource.setdefault(signature[1], []).append(signature)
    groups = [
        ([catalogue.actions[classes[s][0][0]] for s in signatures],
         bedrock_resources if is_bedrock else ["*"] * len(region_list))
        for is_bedrock, signatures in by_resource.items()
    ]
    context_keys = keys if any(s[0] for s in classes) else keys[:1]
    answers: list[dict[tuple, int]] = [{} for _ in range(len(afters) + 1)]  # before, then each after
    tests = [0] * (len(afters) + 1)
    grid = Grid(evaluator or Evaluator(), region_list, context_keys)
    for number, policy in enumerate((before, *afters)):
        masks, tests[number] = grid.answers(policy, groups, full_access=full_access)
        for signatures, group_masks in zip(by_resource.values(), masks):
            answers[number].update(zip(signatures, group_masks))
    return tuple(
        _delta(classes, answers[0], answers[number], tests[0] + tests[number], catalogue, contexts, region_list)
        for number in range(1, len(afters) + 1)
    )


def _delta(
    classes: dict[tuple, Members],
    was: dict[tuple, int],
    now: dict[tuple, int],
    tests: int,
    catalogue: ActionCatalogue,
    contexts: list[_Context],
    region_list: list[str],
) -> Delta:
    width = len(region_list)
    row = (1 << width) - 1
    opened: dict[tuple[int, tuple], list[str]] = {}  # (context, class) -> regions
    closed: dict[tuple[int, tuple], list[str]] = {}
    for signature in classes:
        before, after = was[signature], now[signature]
        for c_index in range(len(contexts) if signature[0] else 1):
            for cells, bits in ((opened, after & ~before), (closed, before & ~after)):
                bits = (bits >> (c_index * width)) & row
                if bits:
                    cells[(c_index, signature)] = [region_list[r] for r in range(width) if bits >> r & 1]
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
        newly_allowed=_grants(opened, classes, catalogue, contexts, region_list),
        newly_denied=_grants(closed, classes, catalogue, contexts, region_list),
        evaluations=tests,
    )


def _grants(
    cells: dict[tuple[int, tuple], list[str]],
    classes: dict[tuple, Members],
    catalogue: ActionCatalogue,
    contexts: list[_Context],
    region_list: list[str],
) -> tuple[Grant, ...]:
    # Rows with the same context and the same Regions merge into one grant. Actions stay ranges
    # until a grant is small enough to list them: a Region opened for everything holds ~22,000.
    merged: dict[tuple[int, tuple[str, ...]], Members] = {}
    for (c_index, signature), regions in cells.items():
        merged.setdefault((c_index, tuple(regions)), []).extend(classes[signature])
    grants = []
    for (c_index, regions), members in sorted(merged.items(), key=lambda item: item[0][0]):
        count = sum(stop - start for start, stop in members)
        names = sorted(catalogue.actions[p] for start, stop in members for p in range(start, stop)) if count <= 20 else []
        condition = contexts[c_index].condition
        grants.append(
            Grant(
                actions=tuple(names),
                action_count=count,
                regions=regions,
                condition=condition,
                summary=_summary(members, count, names, catalogue, regions, region_list, condition),
            )
        )
    return tuple(grants)


def _summary(
    members: Members,
    count: int,
    names: list[str],
    catalogue: ActionCatalogue,
    regions: tuple[str, ...],
    region_list: list[str],
    condition: str | None,
) -> str:
    total = len(catalogue.actions)
    if count <= 4:
        what = ", ".join(names)
    elif count == total:
        what = Text("every IAM action ({total})", total=total)
    elif count > total / 2:
        what = Text("{count} of the {total} IAM actions (all but the ones already allowed there)", count=count, total=total)
    else:
        runs = catalogue.runs  # a range may span several services' runs
        services = {
            runs[r][0] for start, stop in members for r in range(catalogue.run_at(start), catalogue.run_at(stop - 1) + 1)
        }
        if len(services) == 1:
            from rewriter.iam_actions import service_name

            (service,) = services
            name = service_name(service)
            size = sum(stop - start for start, stop in catalogue.runs_of[service])
            what = (
                Text("every {service} action ({count})", service=name, count=count) if count == size
                else Text("{count} {service} actions", service=name, count=count)
            )
        else:
            what = Text("{count} actions in {services} services", count=count, services=len(services))
    named = [r for r in regions if r != UNSPECIFIED]
    where: str = ""
    if len(named) > 6:
        where = Text("in {count} Regions", count=len(named))
    elif named:
        where = Text("in {regions}", regions=", ".join(named))
    if UNSPECIFIED in regions:
        where = Text("{where} and unspecified", where=where) if where else Text("with aws:RequestedRegion unspecified")
    direct_bedrock = not condition and any(
        start < b_stop and b_start < stop for b_start, b_stop in catalogue.runs_of.get("bedrock", ()) for start, stop in members
    )
    how = Text(", {condition}", condition=condition) if condition else Text(", for direct calls too") if direct_bedrock else ""
    return Text("{what} {where}{how}", what=what, where=where, how=how)
