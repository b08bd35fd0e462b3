"""Strategy ``notaction``: exempt the Bedrock inference actions, and re-deny them Bedrock-only.

What it does: adds ``bedrock:InvokeModel`` and ``bedrock:InvokeModelWithResponseStream`` to the
region-deny statement's NotAction (with ``--batch`` too: a batch job's hops are InvokeModel calls) (a
statement written with ``Action "*"`` becomes the equivalent NotAction form), and appends a companion
Deny for exactly those actions with the statement's own conditions plus
``ArnNotLike bedrock:InferenceProfileArn [the profiles]``. With ``--broad``: ``NotAction "bedrock:*"``
and no companion.

Why: the aws-samples "Region deny with Bedrock CRIS" policy and the AWS ML blog "Securing Amazon Bedrock
cross-Region inference" (two statements).

Example: NotAction ``[..., "wafv2:*"]`` gains the two actions, and a statement
``DenyBedrockInferenceOutsideAllowedRegions`` re-denies them outside the allowed Regions unless the call
comes through ``jp.anthropic.claude-sonnet-4-5-20250929-v1:0``.

With ``--guardrail``, when the guardrail profile's Regions are denied: ``bedrock:ApplyGuardrail`` leaves
the NotAction too, and a second companion re-denies it outside the allowed Regions on every resource but
that guardrail profile (``NotResource``): ApplyGuardrail has no condition keys, so the profile-ARN
condition of the first companion would deny it again.

Fix safety: the companion keeps direct calls denied, so only calls through the profiles are let through;
``--broad`` opens all of Bedrock in every Region and is unsafe.
"""

from __future__ import annotations

import copy
from typing import Any

from rewriter.i18n import Text
from rewriter.cris import APPLY_GUARDRAIL, INFERENCE_PROFILE_KEY
from rewriter.fixes import Applicability, Edit, Fix, NotApplicable
from rewriter.model import Statement
from rewriter.regions_data import partition_of
from rewriter.strategies.base import Problem, append_statements, append_values, profile_patterns
from rewriter.templating import fill_json_template
from rewriter.vocabulary import Role

NAME = "notaction"
COMPANION_SID = "DenyBedrockInferenceOutsideAllowedRegions"
GUARDRAIL_SID = "DenyApplyGuardrailOutsideAllowedRegions"


def plan(problem: Problem) -> Fix:
    if not problem.options.broad:
        problem.require_source_allowed(Text("the companion deny would still deny it"))
    restrictions = problem.denying_restrictions(problem.denied)
    options = problem.options
    carved = ("bedrock:*",) if options.broad else options.actions
    document = problem.policy.document
    raw_statements = document["Statement"] if problem.policy.statement_is_list else [document["Statement"]]
    sids = {s.sid for s in problem.policy.statements if s.sid}
    edits: list[Edit] = []
    companions: list[dict[str, Any]] = []
    guarded = {ref.index for r in problem.guardrail_denied for ref in r.decision.statements}
    guardrail = problem.result.guardrail
    for index, restriction in sorted(restrictions.items()):
        statement = restriction.statement
        if options.broad:
            edits.extend(_carve(problem, statement, carved))
            continue
        raw = raw_statements[index]
        # the profiles this statement denies: one it lets through needs no exemption here
        denied_profiles = problem.profiles_denied_by(index, roles=_INFERENCE_ROLES)
        actions = (options.actions if denied_profiles else ()) + ((APPLY_GUARDRAIL,) if index in guarded else ())
        edits.extend(_carve(problem, statement, actions))
        if denied_profiles:
            patterns = profile_patterns(denied_profiles, prefix=options.prefix)
            companions.append(_companion(raw, _unique_sid(sids), options.actions, patterns))
        if index in guarded and guardrail is not None:
            companions.append(_guardrail_companion(raw, statement, _unique_sid(sids, GUARDRAIL_SID), guardrail))
    edits = append_statements(problem.policy, edits, companions)
    if guarded and not options.broad:
        carved = (*carved, APPLY_GUARDRAIL)
    names = ", ".join(carved)
    if options.broad:
        notes = (Text(
            "NotAction \"bedrock:*\" takes every Amazon Bedrock action, direct calls included, out of the "
            "Region restriction: Bedrock becomes usable in every Region, not only through the named profiles."
        ),)
    else:
        notes = (
            (Text(
                "With --prefix, every {geographies} inference profile is exempted, not only the named ones.",
                geographies=", ".join(sorted({p.geography for p in problem.profiles})),
            ),)
            if options.prefix else ()
        )
        if guarded and guardrail is not None:
            notes += (Text(
                "bedrock:ApplyGuardrail is carved out too, for guardrail profile {guardrail}: it has no condition "
                "keys, so a second companion re-denies it outside the allowed Regions on every resource but that "
                "guardrail profile.", guardrail=guardrail.id,
            ),)
        if options.batch:
            notes += (Text(
                "A batch job's cross-Region hops are bedrock:InvokeModel calls by its batch service role, "
                "through the profile, so the same exemption lets them through; "
                "bedrock:CreateModelInvocationJob is made in the source Region only and is not carved out. "
                "The role's call on the profile in the source Region carries no profile ARN: where an "
                "exemption by principal lets the caller into that Region, it must name the batch service "
                "role too."
            ),)
    return Fix(
        strategy=NAME,
        title=(
            Text("Exempt {actions} from the Region deny", actions=names) if options.broad
            else Text("Exempt {actions} from the Region deny, re-denied Bedrock-only", actions=names)
        ),
        rationale=Text(
            "The inference actions leave the broad Region deny, and a Bedrock-only companion statement "
            "denies them again outside the allowed Regions unless the call comes through the named "
            "inference profiles (the aws-samples CRIS pattern)."
        ) if not options.broad else Text("The blanket NotAction \"bedrock:*\" exempts all of Bedrock from the Region deny."),
        edits=tuple(edits),
        applicability=Applicability.UNSAFE if options.broad or options.prefix else Applicability.SAFE,
        notes=notes,
    )


def _carve(problem: Problem, statement: Statement, actions: tuple[str, ...]) -> list[Edit]:
    if statement.not_action is not None:
        missing = [a for a in actions if not problem.evaluator.action_listed(statement, a)]
        return append_values(statement.not_action, missing)
    if statement.action is not None and all(a == "*" for a in statement.action.items):
        return [
            Edit("remove", statement.action.pointer),
            Edit("add", f"{statement.pointer}/NotAction", list(actions)),
        ]
    raise NotApplicable(Text(
        "{statement} names its actions in Action, so the inference actions cannot be carved out with NotAction",
        statement=statement.label,
    )
    )


def _unique_sid(taken: set[str], base: str = COMPANION_SID) -> str:
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base}{n}", n + 1
    taken.add(sid)
    return sid


_INFERENCE_ROLES = frozenset({Role.PROFILE, Role.DESTINATION, Role.GLOBAL_MODEL})


def _guardrail_companion(raw: dict[str, Any], statement: Statement, sid: str, guardrail: Any) -> dict[str, Any]:
    """Deny ApplyGuardrail under the statement's own conditions on every resource but the guardrail
    profile: scoped by resource, since ApplyGuardrail carries no key to scope it by."""
    if "NotResource" in raw or raw.get("Resource", "*") not in ("*", ["*"]):
        raise NotApplicable(Text(
            "{statement} names its resources, so bedrock:ApplyGuardrail cannot be re-denied on every resource but "
            "the guardrail profile", statement=statement.label,
        ))
    partition = partition_of(guardrail.sources[0]) if guardrail.sources else "aws"
    companion = fill_json_template(
        "companion-deny.json",
        {"sid": sid, "actions": [APPLY_GUARDRAIL], "resource": "*", "condition": copy.deepcopy(raw.get("Condition", {}))},
    )
    pattern = f"arn:{partition}:bedrock:*:*:guardrail-profile/{guardrail.id}"
    return {("NotResource" if k == "Resource" else k): ([pattern] if k == "Resource" else v) for k, v in companion.items()}


def _companion(raw: dict[str, Any], sid: str, actions: tuple[str, ...], patterns: tuple[str, ...]) -> dict[str, Any]:
    condition = copy.deepcopy(raw.get("Condition", {}))
    block = condition.setdefault("ArnNotLike", {})
    existing = block.get(INFERENCE_PROFILE_KEY)
    if existing is None:
        block[INFERENCE_PROFILE_KEY] = list(patterns)
    else:
        current = [existing] if isinstance(existing, str) else list(existing)
        block[INFERENCE_PROFILE_KEY] = current + [p for p in patterns if p not in current]
    statement = fill_json_template(
        "companion-deny.json",
        {"sid": sid, "actions": list(actions), "resource": raw.get("Resource", "*"), "condition": condition},
    )
    if "NotResource" in raw:  # keep the original's resource scope, whichever element it used
        statement = {("NotResource" if k == "Resource" else k): (copy.deepcopy(raw["NotResource"]) if k == "Resource" else v)
                     for k, v in statement.items()}
    return statement
