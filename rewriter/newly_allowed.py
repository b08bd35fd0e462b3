"""What a change newly allows, computed with the evaluator rather than by hand-written rules.

The grid is every IAM action x every Region plus ``unspecified`` x (no inference profile, each named
profile, another profile of the same geography). Actions that every statement of both policies treats
alike form one class, so one representative per class is evaluated: the answer is the same for all.
Regions likewise: those that every resource test and Region condition treat alike share answers.
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rewriter.conditions import _glob_body
from rewriter.evaluate import action_matches, allowed_grids
from rewriter.model import Policy
from rewriter.records import record

if TYPE_CHECKING:
    from rewriter.catalog import Profile
    from rewriter.iam_actions import ActionCatalogue

__all__ = ["Delta", "Grant", "compare_many", "compare_policies"]

PROFILE_KEY = "bedrock:InferenceProfileArn"
UNSPECIFIED = "unspecified"


@record
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


@record
class Delta:
    newly_allowed: tuple[Grant, ...]
    newly_denied: tuple[Grant, ...]
    evaluations: int  # evaluator calls made

    @property
    def weight(self) -> int:
        """How much the change opens: action x Region cells, the measure ``auto`` minimises."""
        return sum(g.weight for g in self.newly_allowed)


@record
class _Context:
    """One way a request is made: directly (no ARN) or through a profile, and how a grant says so."""

    profile_arn: str | None
    condition: str | None


def _contexts(profiles: Sequence[Profile], profile_arns: Mapping[str, str]) -> list[_Context]:
    contexts = [_Context(None, None)]
    geographies: dict[str, str] = {}
    for profile in profiles:
        arn = profile_arns.get(profile.id) or profile.arn or f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/{profile.id}"
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
_FIRST = operator.itemgetter(0)


def _classes(catalogue: ActionCatalogue, patterns: Mapping[str, tuple[int, ...]]) -> dict[tuple, Members]:
    """Group the actions that every statement's action test treats alike (and that agree on carrying
    the profile key and on being Bedrock's), in catalogue order of each class's first action.

    ``patterns`` maps each lower-case pattern to the statements listing it. A signature is (carries the
    key, is Bedrock, the statements with a pattern that matches).
    """
    whole_by: dict[tuple[int, ...], list[str]] = {}  # statements -> the services they name whole ("iam:*")
    partial: dict[str, list[tuple[str, tuple[int, ...]]]] = {}  # service -> its other patterns
    anywhere: list[tuple[str, tuple[int, ...]]] = []  # patterns whose service part is not one plain name
    universal = set(patterns.get("*", ()))  # statements whose "*" matches every action
    for pattern, owners in patterns.items():
        if pattern == "*":
            continue
        service, _, name = pattern.partition(":")
        if "*" in service or "?" in service or "$" in service or not pattern.isascii():
            anywhere.append((pattern, owners))
        elif name == "*":  # one pattern names a service whole, so its owners are all who do
            whole_by.setdefault(owners, []).append(service)
        else:
            partial.setdefault(service, []).append((pattern, owners))
    runs_of = catalogue.runs_of
    keyed_of = catalogue.keyed
    # Only the runs of services a pattern names in part, or whose actions can carry the key, are looked
    # at action by action (every run, if a pattern may match in any service). Each run of a service
    # named only whole is one range of its class; the stretches between all of these (the bulk of the
    # catalogue, named by no pattern) share one class.
    if anywhere:
        looked_at = runs_of.keys()
    else:
        looked_at = (partial.keys() | keyed_of.keys() | {"bedrock"}) & runs_of.keys()
    classes: dict[tuple, Members] = {}
    whole_of: dict[str, tuple[int, ...]] = {}  # of the services looked at
    for owners, services in whole_by.items():
        ranges = [r for service in services if service not in looked_at for r in runs_of.get(service, ())]
        if ranges:
            classes.setdefault((False, False, *sorted(universal.union(owners))), []).extend(ranges)
        whole_of.update(dict.fromkeys(looked_at & set(services), owners))
    for service in looked_at:
        whole = universal.union(whole_of.get(service, ()))
        is_bedrock = service == "bedrock"
        plain = (False, is_bedrock, *sorted(whole))
        keyed = keyed_of.get(service, ())
        named: dict[tuple[int, ...], list[tuple[int, int]]] = {}  # a pattern's owners -> the ranges it names
        for start, stop in runs_of[service]:
            cursor = start
            pieces = sorted(_matched_in_run(catalogue, start, stop, partial.get(service, []) + anywhere), key=_FIRST)
            if not keyed and all(a[1] <= b[0] for a, b in zip(pieces, pieces[1:])):
                # The usual case: no two patterns name the same action, so each stretch a pattern names
                # (a name, or a prefix's names) is one range of one class.
                for first, last, owners in pieces:
                    if cursor < first:
                        classes.setdefault(plain, []).append((cursor, first))
                    named.setdefault(owners, []).append((first, last))
                    cursor = last
            else:  # stretches that overlap, or actions that can carry the key: action by action
                found: dict[int, set[int]] = {position: set() for position in keyed if start <= position < stop}
                for first, last, owners in pieces:
                    for position in range(first, last):
                        found.setdefault(position, set()).update(owners)
                last_named: tuple | None = None  # the last action's (carries the key, owners), and its signature
                for position in sorted(found):
                    if cursor < position:
                        classes.setdefault(plain, []).append((cursor, position))
                    # a pattern's matches lie together (a run is in name order): most share the last signature
                    named_as = (position in keyed, found[position])
                    if last_named is None or last_named[0] != named_as:
                        last_named = named_as, (named_as[0], is_bedrock, *sorted(whole | named_as[1]))
                    classes.setdefault(last_named[1], []).append((position, position + 1))
                    cursor = position + 1
            if cursor < stop:
                classes.setdefault(plain, []).append((cursor, stop))
        for owners, ranges in named.items():
            classes.setdefault((False, is_bedrock, *sorted(whole.union(owners))), []).extend(ranges)
    # The rest: what lies between all the ranges so far.
    taken = sorted(r for members in classes.values() for r in members)
    gaps = [
        (stop, start)
        for (_, stop), (start, _) in zip([(0, 0), *taken], [*taken, (len(catalogue.actions), 0)])
        if stop < start
    ]
    if gaps:
        classes.setdefault((False, False, *sorted(universal)), []).extend(gaps)
    for members in classes.values():
        members.sort()  # (two ranges that touch are left as two: nothing counts ranges)
    return dict(sorted(classes.items(), key=lambda item: item[1][0][0]))


def _matched_in_run(
    catalogue: ActionCatalogue, start: int, stop: int, patterns: list[tuple[str, tuple[int, ...]]]
) -> list[tuple[int, int, tuple[int, ...]]]:
    """The stretches (first, last + 1) of one run that each of the ``patterns`` (lower-case) names,
    with the pattern's owners.

    A run's names are in the order of their lower-case form, so the names a pattern can match, those
    that begin with its text before the first wildcard, are found by bisection. An exact name or a
    trailing ``*`` needs nothing more and names one stretch; any other pattern is searched over those
    names at once, as one lower-cased text (a C-level scan, not a Python step per name).
    """
    pieces: list[tuple[int, int, tuple[int, ...]]] = []
    actions = catalogue.actions
    for pattern, owners in patterns:
        if not catalogue.ascii_names or not pattern.isascii() or "$" in pattern:
            # lower() and a case-blind regex differ outside ASCII (a long s), and a policy
            # variable is not a wildcard: the evaluator's own test, name by name
            pieces.extend((p, p + 1, owners) for p in range(start, stop) if action_matches(pattern, actions[p]))
            continue
        literal = pattern.split("*", 1)[0].split("?", 1)[0]  # the text before the first wildcard
        first = bisect.bisect_left(actions, literal, start, stop, key=str.lower)
        if literal == pattern:
            last = first
            while last < stop and actions[last].lower() == pattern:
                last += 1
        else:
            # the names that begin with ``literal`` end before the first that sorts after all of them
            after = literal[:-1] + chr(ord(literal[-1]) + 1) if literal else None
            last = stop if after is None else bisect.bisect_left(actions, after, first, stop, key=str.lower)
            if pattern != literal + "*":
                pieces.extend((p, p + 1, owners) for p in _searched(actions, first, last, pattern))
                continue
        if first < last:
            pieces.append((first, last, owners))
    return pieces


def _searched(actions: tuple[str, ...], start: int, stop: int, pattern: str) -> list[int]:
    """The positions in ``start:stop`` whose names a lower-case ASCII wildcard pattern matches: the names
    searched as one lower-cased text, each between line breaks (IAM action names hold none)."""
    if start >= stop:
        return []
    text = "\n" + "\n".join(actions[start:stop]).lower() + "\n"
    body = _glob_body(pattern, "[^\n]*", "[^\n]")
    positions = []
    # A name's position is the number of line breaks before the one it follows: counted in one pass.
    line, counted = start, 0
    for match in re.finditer(f"\n{body}(?=\n)", text):  # the line break after is left to begin the next name
        line += text.count("\n", counted, match.start())
        counted = match.start()
        positions.append(line)
    return positions


def compare_policies(
    before: Policy,
    after: Policy,
    profiles: Sequence[Profile],
    *,
    full_access: bool = True,
    regions: Sequence[str] | None = None,
    profile_arns: Mapping[str, str] | None = None,
) -> Delta:
    """Every request of the grid that ``after`` allows and ``before`` denies (and the reverse)."""
    (delta,) = compare_many(before, (after,), profiles, full_access=full_access, regions=regions,
                            profile_arns=profile_arns)
    return delta


def compare_many(
    before: Policy,
    afters: Sequence[Policy],
    profiles: Sequence[Profile],
    *,
    full_access: bool = True,
    regions: Sequence[str] | None = None,
    profile_arns: Mapping[str, str] | None = None,
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
    for number, policy in enumerate((before, *afters)):
        masks, tests[number] = allowed_grids(policy, groups, region_list, context_keys, full_access=full_access)
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
        what = f"every IAM action ({total})"
    elif count > total / 2:
        what = f"{count} of the {total} IAM actions (all but the ones already allowed there)"
    else:
        runs = catalogue.runs  # a range may span several services' runs
        services = {
            runs[r][0] for start, stop in members for r in range(catalogue.run_at(start), catalogue.run_at(stop - 1) + 1)
        }
        what = f"{count} actions in {len(services)} service{'s' if len(services) != 1 else ''}"
    named = [r for r in regions if r != UNSPECIFIED]
    if len(named) > 6:
        where = f"in {len(named)} Regions"
    else:
        where = "in " + ", ".join(named) if named else ""
    if UNSPECIFIED in regions:
        where = f"{where} and unspecified" if where else "with aws:RequestedRegion unspecified"
    direct_bedrock = not condition and any(
        start < b_stop and b_start < stop for b_start, b_stop in catalogue.runs_of.get("bedrock", ()) for start, stop in members
    )
    how = f", {condition}" if condition else ", for direct calls too" if direct_bedrock else ""
    return f"{what} {where}{how}"
