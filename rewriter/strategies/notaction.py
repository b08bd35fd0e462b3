"""Strategy ``notaction``: exempt the Bedrock inference actions, and re-deny them Bedrock-only.

What it does: adds ``bedrock:InvokeModel`` and ``bedrock:InvokeModelWithResponseStream`` (and
``bedrock:CreateModelInvocationJob`` with ``--batch``) to the region-deny statement's NotAction (a
statement written with ``Action "*"`` becomes the equivalent NotAction form), and appends a companion
Deny for exactly those actions with the statement's own conditions plus
``ArnNotLike bedrock:InferenceProfileArn [the profiles]``. With ``--broad``: ``NotAction "bedrock:*"``
and no companion.

Why: the aws-samples "Region deny with Bedrock CRIS" policy and the AWS ML blog "Securing Amazon Bedrock
cross-Region inference" (two statements).

Example: NotAction ``[..., "wafv2:*"]`` gains the two actions, and a statement
``DenyBedrockInferenceOutsideAllowedRegions`` re-denies them outside the allowed Regions unless the call
comes through ``jp.anthropic.claude-sonnet-4-5-20250929-v1:0``.

Fix safety: the companion keeps direct calls denied, so only calls through the profiles are let through;
``--broad`` opens all of Bedrock in every Region and is unsafe.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from itertools import chain, count
from typing import Any

from rewriter.i18n import Text
from rewriter.cris import INFERENCE_PROFILE_KEY
from rewriter.fixes import Applicability, Edit, Fix, NotApplicable
from rewriter.model import Statement
from rewriter.strategies.base import Problem, append_statements, append_values, profile_patterns
from rewriter.templating import fill_json_template

NAME = "notaction"
COMPANION_SID = "DenyBedrockInferenceOutsideAllowedRegions"


def plan(problem: Problem) -> Fix:
    if not problem.options.broad:
        problem.require_source_allowed(Text("the companion deny would still deny it"))
    restrictions = problem.denying_restrictions(problem.denied)
    options = problem.options
    carved = ("bedrock:*",) if options.broad else options.actions
    document = problem.policy.document
    raw_statements = document["Statement"] if problem.policy.statement_is_list else [document["Statement"]]
    sids = _free_sids({s.sid for s in problem.policy.statements if s.sid})
    edits: list[Edit] = []
    companions: list[dict[str, Any]] = []
    for index, restriction in sorted(restrictions.items()):
        statement = restriction.statement
        edits.extend(_carve(problem, statement, carved))
        if not options.broad:
            raw = raw_statements[index]
            # the profiles this statement denies: one it lets through needs no exemption here
            patterns = profile_patterns(problem.profiles_denied_by(index), prefix=options.prefix)
            companions.append(_companion(raw, next(sids), options.actions, patterns))
    edits = append_statements(problem.policy, edits, companions)
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
        if options.batch:
            notes += (Text(
                "bedrock:CreateModelInvocationJob is carved out as the aws-samples policy does. How a batch "
                "job is authorized in destination Regions is not documented, so scp-fix checked only the "
                "InvokeModel authorizations; the companion deny keeps direct batch calls outside the "
                "allowed Regions denied unless they come through the profiles."
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


def _free_sids(taken: set[str]) -> Iterator[str]:
    """The companion Sids no statement has, in order: COMPANION_SID, then COMPANION_SID2, 3, ..."""
    # PERF: one search for all the companions: a search from the start for each was quadratic
    names = chain((COMPANION_SID,), (f"{COMPANION_SID}{n}" for n in count(2)))
    yield from (sid for sid in names if sid not in taken)


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
