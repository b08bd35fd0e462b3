"""Strategy ``profile-arn``: exempt calls that come through the named inference profiles.

What it does: adds ``ArnNotLike bedrock:InferenceProfileArn [profile ARN patterns]`` to each statement
that denies one of the profiles' destination authorizations, naming the profiles that statement denies (into its existing ``ArnNotLike`` block when
there is one: keys under one operator are ANDed, which is what an exemption needs).

Why: the multi-account pattern of the AWS ML blog "Enable Amazon Bedrock cross-Region inference in
multi-account environments". Only calls routed through the named profiles carry the key, so no other
service, and no direct Bedrock call, is let through.

Example: ``"ArnNotLike": {"aws:PrincipalARN": [...]}`` gains
``"bedrock:InferenceProfileArn": ["arn:aws:bedrock:*:*:inference-profile/jp.anthropic.claude-sonnet-4-5-20250929-v1:0"]``.

Fix safety: safe for the named profiles; with ``--prefix`` every profile of the geography is let
through. It cannot exempt the originating call, which carries no profile ARN: the source Region must
already be allowed. Nor ``bedrock:ApplyGuardrail`` (``--guardrail``), which has no condition keys at all:
when the guardrail's Regions are denied it is not offered, and says which strategies can.
"""

from __future__ import annotations

from rewriter.i18n import Text
from rewriter.cris import INFERENCE_PROFILE_KEY
from rewriter.fixes import Applicability, Edit, Fix, NotApplicable
from rewriter.model import Statement, escape_pointer_token
from rewriter.regions import INFERENCE_PROFILE_ARN
from rewriter.strategies.base import Problem, append_values, profile_patterns

NAME = "profile-arn"


def plan(problem: Problem) -> Fix:
    problem.require_source_allowed("it carries no bedrock:InferenceProfileArn to exempt")
    guardrail = problem.guardrail_denied
    if guardrail:
        raise NotApplicable(Text(
            "bedrock:ApplyGuardrail on guardrail profile {guardrail} is denied in {regions}, and no "
            "bedrock:InferenceProfileArn exemption can cover it: ApplyGuardrail has no condition keys. Allowing "
            "those Regions (regions) or carving ApplyGuardrail out of the Region deny (notaction) can",
            guardrail=problem.result.guardrail.id if problem.result.guardrail else "",
            regions=", ".join(sorted({r.request.region for r in guardrail})),
        ))
    lifted: dict[int, Statement] = {}  # deliberate controls --override lets this exempt the profiles from
    restrictions = problem.denying_restrictions(problem.denied, lifted=lifted)
    edits: list[Edit] = []
    statements = {i: r.statement for i, r in restrictions.items()} | lifted
    for index, statement in sorted(statements.items()):
        # the profiles this statement denies: one it lets through needs no exemption here
        patterns = profile_patterns(problem.profiles_denied_by(index), prefix=problem.options.prefix)
        existing = next(
            (
                c for c in statement.conditions
                if c.key.lower() == INFERENCE_PROFILE_ARN
                and c.operator.base == "ArnNotLike"
                and not c.operator.qualifier
                and not c.operator.if_exists
            ),
            None,
        )
        if existing is not None:
            missing = [p for p in patterns if p not in existing.values.items]
            edits.extend(append_values(existing.values, missing))
        elif "ArnNotLike" in statement.condition_operators:
            edits.append(Edit("add", f"{statement.pointer}/Condition/ArnNotLike/{escape_pointer_token(INFERENCE_PROFILE_KEY)}", list(patterns)))
        else:
            edits.append(Edit("add", f"{statement.pointer}/Condition/ArnNotLike", {INFERENCE_PROFILE_KEY: list(patterns)}))
    if not edits:
        raise NotApplicable(Text("the denying statements already exempt these profiles"))
    widened = (
        (Text(
            "With --prefix, every {geographies} inference profile is exempted, not only the named ones.",
            geographies=", ".join(sorted({p.geography for p in problem.profiles})),
        ),)
        if problem.options.prefix else ()
    )
    return Fix(
        strategy=NAME,
        title=Text("Exempt calls through {profiles}", profiles=", ".join(p.id for p in problem.profiles)),
        rationale=Text(
            "Bedrock sets bedrock:InferenceProfileArn on the destination authorizations of a call made "
            "through an inference profile. An ArnNotLike exemption on that key lets exactly those calls "
            "through the Region deny; every other request, including direct Bedrock calls, stays denied."
        ),
        edits=tuple(edits),
        applicability=Applicability.UNSAFE if problem.options.prefix else Applicability.SAFE,
        notes=widened,
    )
