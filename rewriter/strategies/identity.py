"""Strategies for identity-based (IAM) policies: grant what a call through the profiles needs.

What they do: for every authorization the policy does not allow, they grant it the way the Bedrock
user guide does: the profile ARN in the source Region (the originating call), and the model ARN in each
destination Region only through that profile (``StringEquals bedrock:InferenceProfileArn``); for a
global profile also the Region-less model ARN with ``aws:RequestedRegion = unspecified``.

- ``grant-through-profile`` adds those Allow statements (reference §2.3, §3.5).
- ``extend-grant`` puts the ARNs into an existing Allow statement that already grants the same actions
  the same way (its Resource list, and its ``bedrock:InferenceProfileArn`` values), which is smaller;
  what no statement can take gets a new statement as above.

Why: an identity policy allows only what an Allow names, so a profile call needs each of its
authorizations granted; the condition keeps the model closed to direct calls in those Regions.

Example: ``Resource: arn:aws:bedrock:us-east-1::foundation-model/M`` gains a statement granting
``inference-profile/us.M`` in us-east-1 and a statement granting ``foundation-model/M`` in us-east-2 and
us-west-2 when ``bedrock:InferenceProfileArn`` is that profile's ARN.

Fix safety: safe. The granted actions are those the policy already grants on the model (never one it
does not), the model opens to direct calls in no new Region, and no other model is named. An explicit
Deny is a deliberate control: neither strategy plans around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rewriter.check import RequestResult
from rewriter.cris import INFERENCE_PROFILE_KEY, UNSPECIFIED
from rewriter.evaluate import EXPLICIT_DENY, action_matches
from rewriter.fixes import Applicability, Edit, Fix, NotApplicable
from rewriter.model import Statement, Values
from rewriter.regions import INFERENCE_PROFILE_ARN
from rewriter.strategies.base import Problem, append_statements, append_values

GRANT = "grant-through-profile"
EXTEND = "extend-grant"

# Positive tests on the profile key: a request without the key (a direct call) never matches them.
_THROUGH_PROFILE = frozenset({"StringEquals", "StringLike", "ArnEquals", "ArnLike"})
_RATIONALE = (
    "An identity policy allows only what an Allow statement names. A call through an inference profile "
    "is authorized on the profile ARN in the source Region and on the model in every destination Region "
    "(the Region-less model ARN too, for a global profile); the model ARNs are granted only when "
    "bedrock:InferenceProfileArn is the profile's ARN, so direct calls stay as the policy had them."
)


@dataclass(frozen=True, slots=True)
class _Need:
    """What one group of denied authorizations needs granted: these actions on these resources."""

    role: str  # "profile" | "destination" | "global-model"
    profile_arn: str  # the profile (its ARN in the source Region)
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    results: tuple[RequestResult, ...]
    route: frozenset[str] = frozenset()  # every Region the profile's calls reach in this role, allowed or not


def _needs(problem: Problem) -> list[_Need]:
    for result in problem.denied:
        if result.decision.outcome == EXPLICIT_DENY:
            labels = ", ".join(problem.policy.statements[ref.index].label for ref in result.decision.statements)
            raise NotApplicable(
                f"{labels} denies {result.request.action} on {result.request.resource}: an explicit Deny in an "
                "identity policy is a deliberate control; scp-fix only adds grants to one, and no grant gets "
                "past a Deny"
            )
    groups: dict[tuple[str, str], list[RequestResult]] = {}
    routes: dict[tuple[str, str], set[str]] = {}
    for check in problem.result.checks:
        for result in check.results:
            arn = result.authorization.inference_profile_arn or result.request.resource
            routes.setdefault((result.authorization.role, arn), set()).add(result.request.region)
            if not result.decision.allowed:
                groups.setdefault((result.authorization.role, arn), []).append(result)
    needs = []
    for (role, arn), results in groups.items():
        needs.append(_Need(
            role, arn,
            tuple(dict.fromkeys(r.request.action for r in results)),
            tuple(dict.fromkeys(r.request.resource for r in results)),
            tuple(results),
            frozenset(routes[(role, arn)]),
        ))
    return needs


def _exact(problem: Problem) -> bool:
    """Whether the profile ARNs' account is the callers' (named by the user or the policy), or only
    the example account the check uses when neither names one; then the fix writes ``*`` for it."""
    return problem.options.account is not None


def _generic(arn: str) -> str:
    """The profile ARN with any account: ``arn:aws:bedrock:us-east-1:*:inference-profile/…``."""
    parts = arn.split(":", 5)
    parts[4] = "*"
    return ":".join(parts)


def _writes_lists(policy) -> bool:
    """Whether the policy writes even one action or condition value as a list (``["x"]``), as an
    ``aws_iam_policy_document`` always does: the statements a fix adds follow it."""
    elements = [s.action for s in policy.statements if s.action is not None]
    elements += [c.values for s in policy.statements for c in s.conditions]
    return bool(elements) and all(e.is_list for e in elements)


def _values(items: Sequence[str], lists: bool) -> str | list[str]:
    return items[0] if len(items) == 1 and not lists else list(items)


def _every_region(need: _Need) -> list[str]:
    """The model ARNs, or one ARN with ``*`` for the Region when the profile's calls reach every
    commercial Region (a global profile's routed calls): the condition keeps it to calls through the
    profile all the same, and the Regions it already granted gain nothing."""
    from rewriter.regions_data import ALL_COMMERCIAL

    models = {arn.split(":", 5)[5] for arn in need.resources}
    if len(models) == 1 and set(ALL_COMMERCIAL) <= need.route and need.resources[0].startswith("arn:aws:"):
        return [f"arn:aws:bedrock:*::{models.pop()}"]
    return list(need.resources)


def _unique_sid(base: str, taken: set[str]) -> str:
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}{n}", n + 1
    taken.add(sid)
    return sid


def _new_statements(problem: Problem, needs: Sequence[_Need]) -> list[dict[str, Any]]:
    """AWS's statements for these needs: the profiles in one statement per set of actions, the models
    in one statement per profile (and one more for a global profile's Region-less model)."""
    taken = {s.sid for s in problem.policy.statements if s.sid}
    lists = _writes_lists(problem.policy)
    statements: list[dict[str, Any]] = []
    profiles: dict[tuple[str, ...], list[str]] = {}
    for need in needs:
        if need.role == "profile":
            exact = _exact(problem)
            resources = need.resources if exact else tuple(_generic(r) for r in need.resources)
            profiles.setdefault(need.actions, []).extend(r for r in resources if r not in profiles.get(need.actions, ()))
    for actions, resources in profiles.items():
        statements.append({
            "Sid": _unique_sid("AllowInferenceProfile", taken),
            "Effect": "Allow",
            "Action": _values(actions, lists),
            "Resource": list(resources),
        })
    for need in needs:
        if need.role == "profile":
            continue
        exact = _exact(problem)
        arn = need.profile_arn if exact else _generic(need.profile_arn)
        value = _values((arn,), lists)
        through = {"StringEquals": {INFERENCE_PROFILE_KEY: value}} if exact else {"ArnLike": {INFERENCE_PROFILE_KEY: value}}
        if need.role == "global-model":
            condition: dict[str, Any] = {"StringEquals": {"aws:RequestedRegion": _values((UNSPECIFIED,), lists)}}
            for operator, keys in through.items():
                condition.setdefault(operator, {}).update(keys)
            sid = "AllowGlobalModelThroughInferenceProfile"
        else:
            condition = through
            sid = "AllowModelThroughInferenceProfile"
        statements.append({
            "Sid": _unique_sid(sid, taken),
            "Effect": "Allow",
            "Action": _values(need.actions, lists),
            "Resource": _every_region(need),
            "Condition": condition,
        })
    return statements


def _fix(name: str, title: str, edits: list[Edit], problem: Problem) -> Fix:
    notes: tuple[str, ...] = ()
    if problem.options.account is None:
        notes = (
            "Neither the policy nor --account names the callers' account, so the profile ARNs are written "
            "with * for it; pass --account to pin them.",
        )
    return Fix(
        strategy=name,
        title=title + " " + ", ".join(p.id for p in problem.profiles),
        rationale=_RATIONALE,
        edits=tuple(edits),
        applicability=Applicability.SAFE,
        notes=notes,
    )


def plan_grant(problem: Problem) -> Fix:
    needs = _needs(problem)
    if not needs:
        raise NotApplicable("nothing is denied")
    return _fix(GRANT, "Grant the calls through", append_statements(problem.policy, [], _new_statements(problem, needs)), problem)


# --- extending an existing statement ----------------------------------------------------------------


def _inference_only(statement: Statement) -> bool:
    """The statement's Action names only actions that carry the profile key (bedrock:InvokeModel and
    bedrock:InvokeModelWithResponseStream): a resource added to it gets those and nothing else."""
    if statement.action is None:
        return False
    from rewriter.iam_actions import action_catalogue

    catalogue = action_catalogue()
    keyed = catalogue.profile_key_actions
    for pattern in statement.action.items:
        service = pattern.partition(":")[0].lower()
        if "*" in service or "?" in service or not keyed:
            return False
        for start, stop in catalogue.runs_of.get(service, ()):
            if any(action_matches(pattern, a) and a not in keyed for a in catalogue.actions[start:stop]):
                return False
    return True


def _profile_clause(statement: Statement):
    """The statement's positive test on bedrock:InferenceProfileArn, or None."""
    return next(
        (c for c in statement.conditions
         if c.key.lower() == INFERENCE_PROFILE_ARN and c.operator.base in _THROUGH_PROFILE
         and not c.operator.if_exists and c.operator.qualifier is None),
        None,
    )


def _absorb(problem: Problem, statement: Statement, need: _Need) -> list[Edit] | None:
    """Edits that make ``statement`` grant the need, or None when it cannot take it as it grants."""
    if statement.effect != "Allow" or statement.resource is None or not _inference_only(statement):
        return None
    clause = _profile_clause(statement)
    if need.role == "profile":
        # The originating call carries no profile key: a statement that tests it never matches.
        if any(c.key.lower() == INFERENCE_PROFILE_ARN for c in statement.conditions):
            return None
        exact = _exact(problem)
        wanted = need.resources if exact else tuple(_generic(r) for r in need.resources)
        resources = statement.resource.items + tuple(r for r in wanted if r not in statement.resource.items)
        edits = append_values(statement.resource, [r for r in wanted if r not in statement.resource.items])
        changed = replace(statement, resource=Values(resources, True, statement.resource.pointer))
    else:
        if clause is None:
            return None  # a model ARN added there would be open to direct calls
        resources = statement.resource.items + tuple(r for r in need.resources if r not in statement.resource.items)
        edits = append_values(statement.resource, [r for r in need.resources if r not in statement.resource.items])
        conditions = statement.conditions
        probe = need.results[0].request
        if not problem.evaluator.matches(replace(statement, conditions=(clause,), resource=None), probe):
            # The profile is not among those the statement names: name it there too.
            value = need.profile_arn if _exact(problem) else _generic(need.profile_arn)
            if value in clause.values.items:
                return None
            edits += append_values(clause.values, [value])
            conditions = tuple(
                replace(c, values=Values(c.values.items + (value,), True, c.values.pointer)) if c is clause else c
                for c in statement.conditions
            )
        changed = replace(statement, resource=Values(resources, True, statement.resource.pointer), conditions=conditions)
    if not all(problem.evaluator.matches(changed, r.request) for r in need.results):
        return None  # another condition (a Region, a tag) keeps it from granting these
    return edits


def plan_extend(problem: Problem) -> Fix:
    needs = _needs(problem)
    edits: list[Edit] = []
    rest: list[_Need] = []
    touched: set[int] = set()  # one need per statement: two edits of one list would not compose
    for need in needs:
        for statement in problem.policy.statements:
            if statement.index in touched:
                continue
            found = _absorb(problem, statement, need)
            if found:
                edits.extend(found)
                touched.add(statement.index)
                break
        else:
            rest.append(need)
    if not edits:
        raise NotApplicable("no Allow statement grants these actions the same way, to be extended")
    return _fix(EXTEND, "Extend the grants for", append_statements(problem.policy, edits, _new_statements(problem, rest)), problem)
