"""What a change newly allows, computed with the evaluator rather than by hand-written rules.

The grid is every IAM action x every Region of the policy's partitions (commercial, GovCloud, China,
EUSC) plus ``unspecified`` x every way of calling the policies tell apart:

- how the call is made: directly (no ``bedrock:InferenceProfileArn``), through each named profile,
  through a profile each of the policies' own profile patterns names, through another profile of the
  named geographies, an application profile, or a profile no pattern names;
- who calls, and under which other conditions: for every other key a statement's conditions read (the
  caller's ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalOrgID``, ``aws:PrincipalTag/*``,
  ``aws:PrincipalType``, or any other key), one value per class of values that every clause on that key
  treats alike: the values the policies name, "anyone else", and "the key is absent" where a request
  may lack it.

Actions that every statement of the policies treats alike form one class, so one representative per
class is evaluated: the answer is the same for all. Regions and key values likewise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from rewriter.conditions import compile_condition, glob_regex
from rewriter.evaluate import REGION_KEY, Evaluator, action_matches
from rewriter.grid import Grid
from rewriter.i18n import Text, join
from rewriter.model import ConditionClause, Policy

if TYPE_CHECKING:
    from rewriter.catalog import Profile
    from rewriter.iam_actions import ActionCatalogue

__all__ = ["Delta", "Grant", "compare_many", "compare_policies", "PRINCIPAL_KEYS"]

PROFILE_KEY = "bedrock:InferenceProfileArn"
UNSPECIFIED = "unspecified"
ACCOUNT = "111122223333"  # the documented example account, as in cris

# The keys that say who calls (lower-case; aws:PrincipalTag/<tag> by its prefix).
PRINCIPAL_KEYS = frozenset({
    "aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
    "aws:principaltype", "aws:userid", "aws:username", "aws:principalisawsservice", "aws:principalservicename",
})
# Keys every request of an SCP-governed account carries: no "absent" class for them.
_ALWAYS_PRESENT = frozenset({
    "aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principaltype", "aws:userid",
    "aws:principalisawsservice",
})
_FILLER = "scp-fix"
# A class's resource form (the second item of its signature): True for Bedrock's model actions, False
# for other services' ("*"), and this for bedrock:ApplyGuardrail, asked on a guardrail-profile ARN.
GUARDRAIL_FORM = "guardrail-profile"
# With a named guardrail profile, its ApplyGuardrail class is asked a second time, on a guardrail no
# policy names: where a change opens the profile alone, its grant says so (``Grant.resources``).
_ELSEWHERE = "elsewhere"
_ONLY_THE_PROFILE = "guardrail-profile only"  # the second item of the signature of such cells
_APPLY_GUARDRAIL = "bedrock:applyguardrail"
_MAX_PAIRS = 30  # values of one key beyond which pairs of patterns are not merged (a cost of n squared)


def is_principal_key(key: str) -> bool:
    key = key.lower()
    return key in PRINCIPAL_KEYS or key.startswith("aws:principaltag/")


@dataclass(frozen=True, slots=True)
class Grant:
    """One row of "newly allowed": these actions, in these Regions, for these callers and calls.

    ``principals`` None: every caller; else the ARN patterns or accounts it applies to, or
    ``{"except": [...]}``; for another caller key, or several: ``{key: those values}``.
    ``through_profiles`` None: direct calls too; else the profile ARN patterns.
    ``other_conditions``: key -> the classes assumed, in the same form (a None value: the key is
    absent). ``effective_regions``: where the named profiles actually route from the source Regions
    the changed policy allows, within ``regions`` (what the policy accepts in principle).
    """

    actions: tuple[str, ...]  # listed in full when few; see ``summary`` for the words
    action_count: int
    regions: tuple[str, ...]
    condition: str | None  # None: for any caller, direct calls included
    summary: str
    # JSON values (lists, dicts): left out of the hash, which the other fields decide
    principals: Any = field(default=None, hash=False)
    through_profiles: Any = field(default=None, hash=False)
    other_conditions: Any = field(default=None, hash=False)
    effective_regions: tuple[str, ...] = ()
    # None: on any resource; else the only resources (ARN patterns) the actions are opened on
    resources: tuple[str, ...] | None = None
    # the actions as ranges of positions in the IAM action catalogue (``has_action`` reads them)
    ranges: tuple[tuple[int, int], ...] = field(default=(), hash=False, compare=False, repr=False)

    @property
    def weight(self) -> int:
        return self.action_count * len(self.regions)

    def has_action(self, action: str) -> bool:
        """Is ``action`` (any case) among the grant's actions, listed or not?"""
        import bisect

        from rewriter.iam_actions import action_catalogue

        catalogue = action_catalogue()
        folded = action.lower()
        for start, stop in catalogue.runs_of.get(folded.partition(":")[0], ()):
            position = bisect.bisect_left(catalogue.actions, folded, start, stop, key=str.lower)
            if position < stop and catalogue.actions[position].lower() == folded:
                return any(first <= position < last for first, last in self.ranges)
        return False

    def to_json(self) -> dict:
        return {
            "actions": list(self.actions),
            "action_count": self.action_count,
            "regions": list(self.regions),
            "effective_regions": list(self.effective_regions),
            "condition": self.condition,
            "principals": self.principals,
            "through_profiles": self.through_profiles,
            "other_conditions": self.other_conditions,
            "resources": None if self.resources is None else list(self.resources),
            "summary": self.summary,
        }


class Delta(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    newly_allowed: tuple[Grant, ...]
    newly_denied: tuple[Grant, ...]
    evaluations: int  # evaluator calls made
    # requests of the whole grid newly allowed: action x Region x way of calling x caller x other
    # key classes, each class counted once (a class of keys is one caller, however many it holds)
    cells: int = 0
    callers: int = 1  # classes of callers and other key values the grid told apart

    @property
    def weight(self) -> int:
        """How much the change opens, over every class of the grid: the measure ``auto`` minimises."""
        return self.cells


class _Context(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """One way a request is made: directly (no ARN) or through a profile, and how a grant says so."""

    profile_arn: str | None
    condition: str | None
    pattern: str | None  # the profile ARN pattern a grant names for it (None: direct)
    profile: Profile | None = None  # a named profile


def _contexts(
    profiles: Sequence[Profile], clauses: Sequence[ConditionClause], partition: str,
    profile_arns: Mapping[str, str],
) -> list[_Context]:
    """The ways of calling: directly, through each named profile, through a profile each of the
    policies' own patterns names, another profile of each named geography, an application profile,
    and a profile no pattern names."""
    patterns = list(dict.fromkeys(v for clause in clauses for v in clause.values.items))
    predicates = [compile_condition(c.operator, c.values.items) for c in clauses]
    contexts = [_Context(None, None, None)]
    geographies: dict[str, str] = {}
    for profile in profiles:
        source = profile.sources[0] if profile.sources else "us-east-1"
        arn = (profile_arns.get(profile.id) or profile.arn
               or f"arn:{partition}:bedrock:{source}:{ACCOUNT}:inference-profile/{profile.id}")
        pattern = profile.arn or f"arn:{partition}:bedrock:*:*:inference-profile/{profile.id}"
        contexts.append(_Context(arn, Text("only through inference profile {profile}", profile=profile.id), pattern, profile))
        if not profile.arn:
            geographies.setdefault(profile.geography, profile.id)
    for geography in geographies:
        other = f"{geography}.scp-fix.another-model-v1:0"
        contexts.append(
            _Context(
                f"arn:{partition}:bedrock:us-east-1:{ACCOUNT}:inference-profile/{other}",
                Text("through any other {geography}. inference profile", geography=geography),
                f"arn:{partition}:bedrock:*:*:inference-profile/{geography}.*",
            )
        )
    contexts.append(
        _Context(
            f"arn:{partition}:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/scp-fix-other",
            Text("through any application inference profile"),
            f"arn:{partition}:bedrock:*:*:application-inference-profile/*",
        )
    )
    contexts.append(
        _Context(
            f"arn:{partition}:bedrock:us-east-1:{ACCOUNT}:inference-profile/scp-fix.unnamed-model-v1:0",
            Text("through any inference profile"),
            f"arn:{partition}:bedrock:*:*:inference-profile/*",
        )
    )

    def behaviour(arn: str | None) -> tuple[bool, ...]:
        return tuple(predicate(None if arn is None else (arn,)) for predicate in predicates)

    # A profile the policies' own patterns name, when no context above stands for it already (a fix's
    # pattern for a named profile says nothing more)
    seen = {behaviour(c.profile_arn) for c in contexts}
    for pattern in patterns:
        arn = _instance(pattern)
        if behaviour(arn) not in seen:
            seen.add(behaviour(arn))
            contexts.append(_Context(arn, Text("through an inference profile matching {pattern}", pattern=pattern), pattern))
    return contexts


def _instance(pattern: str, filler: str = _FILLER) -> str:
    """A value a pattern matches: each ``*`` one filler, each ``?`` one letter."""
    return pattern.replace("*", filler).replace("?", "x")


class _Class(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """One class of a condition key's values: its representative, and the policies' values it matches."""

    value: str | None  # None: the key is absent
    matches: tuple[str, ...]  # the named values that fall in the class
    anyone: bool = False  # a value nobody names falls in it ("anyone else")
    absent: bool = False  # so does a request without the key


class _Dimension(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    key: str  # as a policy first writes it
    classes: tuple[_Class, ...]

    @property
    def principal(self) -> bool:
        return is_principal_key(self.key)


def _clauses_by_key(policies: Sequence[Policy]) -> dict[str, tuple[str, list[ConditionClause]]]:
    found: dict[str, tuple[str, list[ConditionClause]]] = {}
    for policy in policies:
        for statement in policy.statements:
            for clause in statement.conditions:
                found.setdefault(clause.key.lower(), (clause.key, []))[1].append(clause)
    return found


def _dimensions(clauses: Mapping[str, tuple[str, list[ConditionClause]]]) -> list[_Dimension]:
    """A dimension per condition key other than the Region and the profile ARN, in the order the policies
    name them: the classes of values every clause on the key treats alike."""
    dimensions = []
    for lower, (key, listed) in clauses.items():
        if lower in (REGION_KEY, PROFILE_KEY.lower()):
            continue
        named = list(dict.fromkeys(v for clause in listed for v in clause.values.items))
        predicates = [compile_condition(c.operator, c.values.items) for c in listed]
        behaviours: dict[tuple[bool, ...], list[str | None]] = {}
        candidates = _candidates(lower, named, listed)
        for value in candidates:
            request = None if value is None else (value,)
            behaviours.setdefault(tuple(p(request) for p in predicates), []).append(value)
        if len(behaviours) < 2:
            continue  # every value is treated alike: the key splits nothing
        anyone = candidates[0]
        classes = tuple(
            _Class(
                values[0],
                tuple(dict.fromkeys(m for v in values if v is not None for m in _matched(v, named))),
                anyone in values,
                None in values,
            )
            for values in behaviours.values()
        )
        dimensions.append(_Dimension(key, classes))
    return dimensions


def _candidates(key: str, named: list[str], clauses: list[ConditionClause]) -> list[str | None]:
    """Values to sort into classes: "anyone else" and "absent" first (so a class a named value shares
    with them is theirs), then each named value as written and with its wildcards filled, values just
    around named numbers, and, for ARNs, pairs of patterns merged segment by segment (the callers both
    match: ``arn:aws:iam::123456789012:role/*`` with ``arn:aws:iam::*:role/Platform``)."""
    arns = key.endswith("arn") or any(v.startswith("arn:") for v in named)
    out: list[str | None] = ["arn:aws:iam::999999999999:role/scp-fix-anyone-else" if arns else "scp-fix-anyone-else"]
    if key not in _ALWAYS_PRESENT:
        out.append(None)
    families = {c.operator.base for c in clauses}
    if families & {"Bool"}:
        out += ["true", "false"]
    if any(f.startswith("Date") for f in families):
        out += ["1970-01-01T00:00:00Z", "2999-12-31T23:59:59Z"]
    if families & {"IpAddress", "NotIpAddress"}:
        out.append("192.0.2.255")
    for value in named:
        out += [value, _instance(value), _instance(value, "")]
        if "/" in value and families & {"IpAddress", "NotIpAddress"}:
            out.append(value.split("/", 1)[0])
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            out += [repr(number - 1), repr(number + 1)]
    if arns and len(named) <= _MAX_PAIRS:
        for first, second in itertools.combinations(named, 2):
            a, b = first.split(":"), second.split(":")
            if len(a) == len(b):
                merged = ":".join(x if ("*" not in x and "?" not in x) or ("*" in y or "?" in y) else y for x, y in zip(a, b))
                out.append(_instance(merged))
    return out


def _matched(value: str, named: Sequence[str]) -> tuple[str, ...]:
    """The named values (patterns) ``value`` matches: how a grant names the class."""
    return tuple(v for v in named if v == value or glob_regex(v).fullmatch(value) is not None)


def _partitions(policies: Sequence[Policy], profiles: Sequence[Profile]) -> list[str]:
    """The partitions whose Regions the grid covers: those of the profiles' Regions and of the Regions
    the policies name; the commercial one when neither says."""
    from rewriter.regions_data import is_region_code, partition_of

    found: dict[str, None] = {}
    for profile in profiles:
        for source in profile.sources:
            found.setdefault(partition_of(source))
    for lower, (_, clauses) in _clauses_by_key(policies).items():
        if lower == REGION_KEY:
            for clause in clauses:
                for value in clause.values.items:
                    if is_region_code(value):
                        found.setdefault(partition_of(value))
    return list(found) or ["aws"]


def _grid_regions(partitions: Sequence[str]) -> list[str]:
    from rewriter.regions_data import CHINA, COMMERCIAL, EUSC, GOVCLOUD

    by_partition = {"aws": COMMERCIAL, "aws-us-gov": GOVCLOUD, "aws-cn": CHINA, "aws-eusc": EUSC}
    return [r for partition in ("aws", "aws-us-gov", "aws-cn", "aws-eusc") if partition in partitions
            for r in by_partition[partition]] + [UNSPECIFIED]


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
        # PERF: a pattern without a wildcard names one action, found by its name rather than tested
        # against each action of the service (the Control Tower SCP names 17 of S3's 200 actions so)
        exact: dict[str, set[int]] = {}
        wild: list[tuple[str, tuple[int, ...]]] = []
        for pattern, owners in tested:
            if "*" in pattern or "?" in pattern or not pattern.isascii():
                wild.append((pattern, owners))
            else:
                exact.setdefault(pattern, set()).update(owners)  # patterns are lower-case
        plain = (False, is_bedrock, *sorted(named))  # an action no pattern of its own names
        for start, stop in runs:
            for position in range(start, stop):
                action = actions[position]
                folded = action.lower()
                if not action.isascii():  # outside ASCII, case-blind matching decides (action_matches)
                    owners = named.union(*(o for pattern, o in tested if action_matches(pattern, action)))
                elif wild or folded in exact or position in keyed or folded == _APPLY_GUARDRAIL:
                    owners = named.union(
                        exact.get(folded, ()), *(o for pattern, o in wild if action_matches(pattern, action))
                    )
                else:  # most of a service's actions, when its patterns name a few of them by name
                    owners = None
                form = GUARDRAIL_FORM if is_bedrock and folded == _APPLY_GUARDRAIL else is_bedrock
                signature = plain if owners is None else (position in keyed, form, *sorted(owners))
                members = classes.setdefault(signature, [])
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
    source_region: str | None = None,
    guardrail: Profile | None = None,
) -> Delta:
    """Every request of the grid that ``after`` allows and ``before`` denies (and the reverse)."""
    (delta,) = compare_many(before, (after,), profiles, full_access=full_access, regions=regions,
                            profile_arns=profile_arns, evaluator=evaluator, source_region=source_region,
                            guardrail=guardrail)
    return delta


class _Space(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """The grid's ways of calling: profile contexts (outermost) x the classes of each key dimension."""

    contexts: tuple[_Context, ...]
    dimensions: tuple[_Dimension, ...]
    combinations: tuple[tuple[int, ...], ...]  # each key combination's class per dimension

    @property
    def per_context(self) -> int:
        return len(self.combinations)

    def keys(self) -> list[dict[str, Any]]:
        """The context keys of every cell column: profile contexts outermost, then key combinations."""
        out = []
        for context in self.contexts:
            for combination in self.combinations:
                keys: dict[str, Any] = {PROFILE_KEY: context.profile_arn} if context.profile_arn else {}
                for dimension, number in zip(self.dimensions, combination):
                    value = dimension.classes[number].value
                    if value is not None:
                        keys[dimension.key.lower()] = value
                out.append(keys)
        return out


def compare_many(
    before: Policy,
    afters: Sequence[Policy],
    profiles: Sequence[Profile],
    *,
    full_access: bool = True,
    regions: Sequence[str] | None = None,
    profile_arns: Mapping[str, str] | None = None,
    evaluator: Evaluator | None = None,
    source_region: str | None = None,
    guardrail: Profile | None = None,
) -> tuple[Delta, ...]:
    """``compare_policies`` of ``before`` with each of ``afters``, sharing the work they have in common:
    the classes of actions, Regions and key values (of all the policies at once: a finer split changes
    no answer) and the answers ``before`` gives. ``profile_arns``: profile id -> the ARN callers call it
    by (an identity policy names its account and source Region; an SCP pattern matches any, so a sample
    ARN does). ``source_region``: the one Region callers call from, for ``effective_regions`` (default:
    every source Region each changed policy lets callers use). ``guardrail``: the guardrail profile whose
    ARN bedrock:ApplyGuardrail is asked on (by default one no policy names)."""
    from rewriter.iam_actions import action_catalogue
    from rewriter.regions_data import partition_of

    evaluator = evaluator or Evaluator()
    policies = (before, *afters)
    catalogue = action_catalogue()
    partitions = _partitions(policies, profiles)
    region_list = list(regions) if regions is not None else _grid_regions(partitions)
    model = profiles[0].model if profiles else "anthropic.claude-sonnet-4-5-20250929-v1:0"
    patterns = _action_patterns(policies)
    # PERF: the classes cost more than the rest of a file's grid (a test per action of every service a
    # pattern names in part); the files of one command share them through the run's evaluator.
    made_from = (catalogue.version, *sorted(patterns.items()))
    classes = evaluator.shared(("action classes", *made_from), lambda: _classes(catalogue, patterns))
    sizes = evaluator.shared(  # how many actions each class holds, which every delta weighs cells by
        ("action class sizes", *made_from),
        lambda: {signature: sum(stop - start for start, stop in members) for signature, members in classes.items()},
    )
    clauses = _clauses_by_key(policies)
    dimensions = tuple(_dimensions(clauses))
    space = _Space(
        tuple(_contexts(profiles, clauses.get(PROFILE_KEY.lower(), ('', []))[1], partitions[0], profile_arns or {})),
        dimensions,
        tuple(itertools.product(*(range(len(d.classes)) for d in dimensions))),
    )
    keys = space.keys()
    bedrock_resources = [
        f"arn:{partitions[0]}:bedrock:::foundation-model/{model}" if region == UNSPECIFIED
        else f"arn:{partition_of(region)}:bedrock:{region}::foundation-model/{model}"
        for region in region_list
    ]
    # ApplyGuardrail acts on guardrails and guardrail profiles, never on a model: a policy that scopes it
    # by resource (notaction's companion) is read on the guardrail-profile ARN the calls use.
    guardrail_id = guardrail.id if guardrail is not None else "scp-fix.guardrail.v1:0"
    guardrail_resources = [
        f"arn:{partitions[0] if region == UNSPECIFIED else partition_of(region)}:bedrock:"
        f"{'' if region == UNSPECIFIED else region}:{ACCOUNT}:guardrail-profile/{guardrail_id}"
        for region in region_list
    ]
    resources_of = {True: bedrock_resources, GUARDRAIL_FORM: guardrail_resources}
    # Each class's representative (its first action) is asked in every Region, and through every
    # profile context when it can carry the key; the classes of one resource form share the grid's
    # cells, and one pass per policy answers every form. (A class that cannot carry the key is read
    # from the first context, the direct call, alone.) A form's entries: (answer key, class).
    by_resource: dict[bool | str, list[tuple[tuple, tuple]]] = {}
    for signature in classes:
        by_resource.setdefault(signature[1], []).append((signature, signature))
    only_on = None
    if guardrail is not None and GUARDRAIL_FORM in by_resource:
        # ApplyGuardrail again, on a guardrail of the account that no policy names: what every resource
        # but the named guardrail profile gets (a fix may open that profile alone)
        resources_of[_ELSEWHERE] = [arn.replace(f"guardrail-profile/{guardrail_id}", "guardrail/scp-fix-other")
                                    for arn in guardrail_resources]
        by_resource[_ELSEWHERE] = [((_ELSEWHERE, s), s) for _, s in by_resource[GUARDRAIL_FORM]]
        partition = partition_of(guardrail.sources[0]) if guardrail.sources else partitions[0]
        only_on = (guardrail.id, f"arn:{partition}:bedrock:*:*:guardrail-profile/{guardrail.id}")
    groups = [
        ([catalogue.actions[classes[s][0][0]] for _, s in entries],
         resources_of.get(form, ["*"] * len(region_list)))
        for form, entries in by_resource.items()
    ]
    context_keys = keys if any(s[0] for s in classes) else keys[: space.per_context]
    answers: list[dict[tuple, int]] = [{} for _ in policies]  # before, then each after
    tests = [0] * len(policies)
    grid = Grid(evaluator, region_list, context_keys)
    for number, policy in enumerate(policies):
        masks, tests[number] = grid.answers(policy, groups, full_access=full_access)
        for entries, group_masks in zip(by_resource.values(), masks):
            answers[number].update(zip((key for key, _ in entries), group_masks))
    return tuple(
        _delta(classes, sizes, answers[0], answers[number], tests[0] + tests[number], catalogue, space, region_list,
               _routes(policies[number], space, evaluator, full_access, source_region), only_on)
        for number in range(1, len(policies))
    )


def _routes(
    policy: Policy, space: _Space, evaluator: Evaluator, full_access: bool, source_region: str | None
) -> dict[int, frozenset[str]]:
    """For each named profile's context: the Regions its calls are authorized in (destinations, and
    ``unspecified`` for a global profile) from the source Regions callers can use under ``policy``."""
    from rewriter.check import callable_sources

    routes: dict[int, frozenset[str]] = {}
    for number, context in enumerate(space.contexts):
        profile = context.profile
        if profile is None:
            continue
        if source_region is not None and source_region in profile.routes:
            sources: tuple[str, ...] = (source_region,)
        else:
            sources = callable_sources(policy, profile, full_access=full_access, evaluator=evaluator)
        regions = {r for s in sources for r in profile.destinations(s)}
        if profile.is_global and sources:
            regions.add(UNSPECIFIED)
        routes[number] = frozenset(regions)
    return routes


def _delta(
    classes: dict[tuple, Members],
    sizes: Mapping[tuple, int],
    was: dict[tuple, int],
    now: dict[tuple, int],
    tests: int,
    catalogue: ActionCatalogue,
    space: _Space,
    region_list: list[str],
    routes: Mapping[int, frozenset[str]],
    only_on: tuple[str, str] | None = None,
) -> Delta:
    """``only_on``: the named guardrail profile (id, ARN pattern), whose ApplyGuardrail class ``was`` and
    ``now`` also answer elsewhere (key ``(_ELSEWHERE, class)``)."""
    width = len(region_list)
    row = (1 << width) - 1
    per_context = space.per_context
    profiles = len(space.contexts)
    cells_opened = 0
    opened: dict[tuple, dict[tuple[int, int], int]] = {}  # class -> (profile context, key combination) -> Regions
    closed: dict[tuple, dict[tuple[int, int], int]] = {}
    grant_classes = classes
    for signature in classes:
        before, after = was[signature], now[signature]
        size = sizes[signature]
        columns = profiles * per_context if signature[0] else per_context
        changes = [(opened, signature, after & ~before), (closed, signature, before & ~after)]
        elsewhere = (_ELSEWHERE, signature)
        if elsewhere in now:
            # Cells that change on every resource are the class's; those that change on the guardrail
            # profile alone are a class of their own, whose grants name it (a cell that changes elsewhere
            # only is counted as every resource's: it may overstate, never understate).
            only = (signature[0], _ONLY_THE_PROFILE, *signature[2:])
            grant_classes = {**grant_classes, only: classes[signature]}
            gained, lost = now[elsewhere] & ~was[elsewhere], was[elsewhere] & ~now[elsewhere]
            changes = [(opened, signature, gained), (opened, only, after & ~before & ~gained),
                       (closed, signature, lost), (closed, only, before & ~after & ~lost)]
        for cells, kind, bits in changes:
            bits &= (1 << (columns * width)) - 1
            if not bits:
                continue
            if cells is opened:  # a class that cannot carry the key is called alike through any profile
                cells_opened += bits.bit_count() * size * (1 if signature[0] else profiles)
            table = cells.setdefault(kind, {})
            for column in range(columns):
                regions = (bits >> (column * width)) & row
                if regions:
                    table[divmod(column, per_context)] = regions
    # A request through a profile that is newly allowed anyway as a direct call says nothing more.
    for cells in (opened, closed):
        for table in cells.values():
            for (p, k), regions in list(table.items()):
                if p:
                    kept = regions & ~table.get((0, k), 0)
                    if kept:
                        table[(p, k)] = kept
                    else:
                        del table[(p, k)]
    return Delta(
        newly_allowed=_grants(opened, grant_classes, catalogue, space, region_list, routes, only_on),
        newly_denied=_grants(closed, grant_classes, catalogue, space, region_list, routes, only_on),
        evaluations=tests,
        cells=cells_opened,
        callers=per_context,
    )


def _rectangles(points: set[tuple[int, ...]]) -> list[tuple[frozenset[int], ...]]:
    """A set of grid points (a coordinate per dimension) as a union of products of coordinate sets:
    the whole set when it is one product, else split on the first coordinate, whose values that come
    with the same rest stay together."""
    first = next(iter(points))
    projections = tuple(frozenset(p[i] for p in points) for i in range(len(first)))
    if math.prod(map(len, projections)) == len(points) or len(first) == 1:
        return [projections]
    rest_of: dict[int, set[tuple[int, ...]]] = {}
    for point in points:
        rest_of.setdefault(point[0], set()).add(point[1:])
    together: dict[frozenset, list[int]] = {}
    for value, rest in sorted(rest_of.items()):
        together.setdefault(frozenset(rest), []).append(value)
    return [
        (frozenset(values), *rectangle)
        for rest, values in together.items()
        for rectangle in _rectangles(set(rest))
    ]


def _grants(
    cells: dict[tuple, dict[tuple[int, int], int]],
    classes: dict[tuple, Members],
    catalogue: ActionCatalogue,
    space: _Space,
    region_list: list[str],
    routes: Mapping[int, frozenset[str]],
    only_on: tuple[str, str] | None = None,
) -> tuple[Grant, ...]:
    # Cells of one class, through one profile context, with the same Regions form a set of callers
    # (and other key values), split into products (these callers x these values); then the classes with
    # the same context, Regions and product merge into one grant. Actions stay ranges until a grant is
    # small enough to list them: a Region opened for everything holds ~22,000.
    # (A class opened on the named guardrail profile alone merges only with its like.)
    merged: dict[tuple[int, tuple[frozenset[int], ...], bool], Members] = {}
    for signature, table in cells.items():
        by_regions: dict[tuple[int, int], set[tuple[int, ...]]] = {}
        for (p, k), regions in table.items():
            by_regions.setdefault((p, regions), set()).add((p, *space.combinations[k]))
        alone = signature[1] == _ONLY_THE_PROFILE
        for (_, regions), points in by_regions.items():
            for rectangle in _rectangles(points):
                merged.setdefault((regions, rectangle, alone), []).extend(classes[signature])
    grants = []
    for (mask, rectangle, alone), members in sorted(merged.items(), key=lambda item: _order(item[0])):
        members.sort()
        regions = tuple(region_list[r] for r in range(len(region_list)) if mask >> r & 1)
        count = sum(stop - start for start, stop in members)
        names = sorted(catalogue.actions[p] for start, stop in members for p in range(start, stop)) if count <= 20 else []
        contexts, *chosen = rectangle
        through = None if 0 in contexts else sorted({space.contexts[p].pattern for p in contexts})
        principals: dict[str, Any] = {}
        others: dict[str, Any] = {}
        for dimension, numbers in zip(space.dimensions, chosen):
            if len(numbers) < len(dimension.classes):
                (principals if dimension.principal else others)[dimension.key] = _classes_described(dimension, numbers)
        principal_field = _principal_field(principals)
        effective = regions
        named = [routes[p] for p in contexts if p in routes]
        if through is not None and len(named) == len(contexts):
            reach = frozenset().union(*named)
            effective = tuple(r for r in regions if r in reach)
        condition = _condition(through, [space.contexts[p] for p in sorted(contexts)], principal_field, others)
        grants.append(
            Grant(
                actions=tuple(names),
                action_count=count,
                regions=regions,
                condition=condition,
                summary=_summary(members, count, names, catalogue, regions, effective, through, space, contexts,
                                 condition, only_on[0] if alone and only_on else None),
                principals=principal_field,
                through_profiles=through,
                other_conditions=others or None,
                effective_regions=effective,
                resources=(only_on[1],) if alone and only_on else None,
                ranges=tuple(members),
            )
        )
    return tuple(grants)


def _principal_field(principals: Mapping[str, Any]) -> Any:
    """None: every caller. One restriction on the caller's ARN or account: its values (an ARN and an
    account tell themselves apart). Any other, or several: key -> values."""
    if not principals:
        return None
    if len(principals) == 1:
        ((key, described),) = principals.items()
        if key.lower() in ("aws:principalarn", "aws:principalaccount"):
            return described
    return dict(principals)


def _order(key: tuple[int, tuple[frozenset[int], ...], bool]) -> tuple:
    mask, rectangle, alone = key
    return (min(rectangle[0]), *(sorted(s) for s in rectangle[1:]), mask, alone)


def _classes_described(dimension: _Dimension, numbers: frozenset[int]) -> Any:
    """The classes of a key a grant holds: the values they match, or ``{"except": [...]}`` the values of
    those it does not when "anyone else" is among them. None in a list: the key is absent."""
    chosen = [dimension.classes[n] for n in sorted(numbers)]
    if any(c.anyone for c in chosen):
        included = {v for c in chosen for v in c.matches}
        excluded = [c for n, c in enumerate(dimension.classes) if n not in numbers]
        values: list[str | None] = sorted({v for c in excluded for v in c.matches} - included)
        if any(c.absent for c in excluded):
            values.append(None)
        return {"except": values}
    values = sorted({v for c in chosen for v in c.matches})
    if any(c.absent for c in chosen):
        values.append(None)
    return values


def _listed(values: Sequence[str | None]) -> str:
    return join(", ", [Text("(key absent)") if v is None else v for v in values])


def _restriction(key: str | None, described: Any) -> str:
    """One key's classes in words: "only for callers matching ...", "only where K is not ..."."""
    if isinstance(described, dict):
        if key is None:
            return Text("for every caller except {values}", values=_listed(described["except"]))
        return Text("only where {key} is not {values}", key=key, values=_listed(described["except"]))
    if key is None:
        return Text("only for callers matching {values}", values=_listed(described))
    return Text("only where {key} is {values}", key=key, values=_listed(described))


def _condition(through: Any, contexts: list[_Context], principals: Any, others: Mapping[str, Any]) -> str | None:
    parts = []
    if through is not None:
        parts.extend(c.condition for c in contexts if c.condition)
    if isinstance(principals, list) or (isinstance(principals, dict) and "except" in principals):
        parts.append(_restriction(None, principals))
    elif principals is not None:
        parts.extend(_restriction(key, described) for key, described in principals.items())
    parts.extend(_restriction(key, described) for key, described in others.items())
    return join(", ", parts) if parts else None


def _summary(
    members: Members,
    count: int,
    names: list[str],
    catalogue: ActionCatalogue,
    regions: tuple[str, ...],
    effective: tuple[str, ...],
    through: Any,
    space: _Space,
    contexts: frozenset[int],
    condition: str | None,
    guardrail_profile: str | None = None,
) -> str:
    """The grant in words: what, on what (``guardrail_profile``: on that guardrail profile alone), where,
    for whom; led by where it is in practice when the named profiles route to fewer Regions than the
    policy accepts."""
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
    direct_bedrock = through is None and any(
        start < b_stop and b_start < stop for b_start, b_stop in catalogue.runs_of.get("bedrock", ()) for start, stop in members
    )
    if guardrail_profile is not None:
        what = Text("{what} on guardrail profile {profile} only,", what=what, profile=guardrail_profile)
        direct_bedrock = False  # ApplyGuardrail never goes through an inference profile
    how = Text(", {condition}", condition=condition) if condition else Text(", for direct calls too") if direct_bedrock else ""
    principle = Text("{what} {where}{how}", what=what, where=_where(regions), how=how)
    if through is None or effective == regions:
        return principle
    via = ", ".join(space.contexts[p].profile.id for p in sorted(contexts))  # type: ignore[union-attr]
    if not effective:
        return Text("in practice: nowhere (no source Region the policy allows routes there); in principle: {principle}",
                    principle=principle)
    return Text("in practice: {regions}, only through {profiles}; in principle: {principle}",
                regions=", ".join(effective), profiles=via, principle=principle)


def _where(regions: tuple[str, ...]) -> str:
    named = [r for r in regions if r != UNSPECIFIED]
    where: str = ""
    if len(named) > 6:
        where = Text("in {count} Regions", count=len(named))
    elif named:
        where = Text("in {regions}", regions=", ".join(named))
    if UNSPECIFIED in regions:
        where = Text("{where} and unspecified", where=where) if where else Text("with aws:RequestedRegion unspecified")
    return where
