"""Strategy ``regions``: allow the destination Regions the profiles need.

What it does: adds each missing destination Region (and ``unspecified`` for a global profile) to the
Region list of every statement that denies one of the profiles' authorizations; in a deny-list policy
(``StringEquals aws:RequestedRegion [denied…]``) it removes the Region instead.

Why: this is the fix the Bedrock user guide states first ("allow access to all destination Regions").

Example: ``"aws:RequestedRegion": ["ap-northeast-1"]`` becomes ``["ap-northeast-1", "ap-northeast-3"]``
for ``jp.anthropic.claude-sonnet-4-5-20250929-v1:0``.

Fix safety: unsafe. The Region opens for every service the statement does not exempt, not only for
Bedrock; the proposal's "newly allowed" says exactly what.
"""

from __future__ import annotations

from rewriter.i18n import Text
from rewriter.cris import UNSPECIFIED
from rewriter.fixes import Applicability, Edit, Fix, NotApplicable
from rewriter.regions import RegionRestriction, find_region_restrictions, region_listed
from rewriter.strategies.base import Problem, append_values
from rewriter.vocabulary import Outcome

NAME = "regions"


def plan(problem: Problem) -> Fix:
    implicit = [r for r in problem.denied if r.decision.outcome == Outcome.IMPLICIT_DENY]
    denied = [r for r in problem.denied if r.decision.outcome != Outcome.IMPLICIT_DENY]
    restrictions = problem.denying_restrictions(denied)
    additions: dict[int, list[str]] = {}
    removals: dict[int, set[int]] = {}
    for result in implicit:
        # An Allow that names its Regions: the request would match it in one of those Regions.
        restriction = _allow_statement_for(problem, result.request)
        restrictions[restriction.statement.index] = restriction
        pending = additions.setdefault(restriction.statement.index, [])
        if result.request.region not in pending:
            pending.append(result.request.region)
    for result in denied:
        region = result.request.region
        for ref in result.decision.statements:
            restriction = restrictions[ref.index]
            clause = restriction.clause
            if restriction.kind == "allow-list":
                if region_listed(clause, region):
                    continue  # already allowed here; the deny comes from another clause
                pending = additions.setdefault(ref.index, [])
                if region not in pending:
                    pending.append(region)
            else:
                exact = [
                    i for i, value in enumerate(clause.values.items)
                    if region_listed(clause, region, values=(value,)) and "*" not in value and "?" not in value
                ]
                if not exact:
                    raise NotApplicable(Text(
                        "{statement} denies {region} through a pattern; removing the pattern would open more "
                        "Regions than the profiles need", statement=restriction.statement.label, region=region,
                    )
                    )
                removals.setdefault(ref.index, set()).update(exact)
    edits: list[Edit] = []
    for index, regions in additions.items():
        edits.extend(append_values(restrictions[index].clause.values, regions))
    for index, positions in removals.items():
        values = restrictions[index].clause.values
        if len(positions) == len(values.items):
            raise NotApplicable(Text(
                "removing {regions} would leave {statement} without a Region",
                regions=", ".join(values.items[i] for i in sorted(positions)),
                statement=restrictions[index].statement.label,
            )
            )
        if values.is_list:
            # Highest index first, so every path stays valid while the patch is applied in order.
            edits.extend(Edit("remove", f"{values.pointer}/{i}") for i in sorted(positions, reverse=True))
        else:  # pragma: no cover - a scalar is a single value, caught by the check above
            raise NotApplicable(Text("cannot remove the only Region"))
    if not edits:
        raise NotApplicable(Text("no Region list denies the profiles' requests"))
    added = sorted({r for regions in additions.values() for r in regions})
    removed = sorted(
        {restrictions[i].clause.values.items[p] for i, ps in removals.items() for p in ps}
    )
    if added and removed:
        title = Text("Allow {added} and stop denying {removed}", added=", ".join(added), removed=", ".join(removed))
    elif added:
        title = Text("Allow {added}", added=", ".join(added))
    else:
        title = Text("Stop denying {removed}", removed=", ".join(removed))
    return Fix(
        strategy=NAME,
        title=title,
        rationale=Text(
            "Cross-Region inference authorizes the call in every destination Region of the source "
            "Region; each one the SCP blocks fails the whole call. This adds the missing Regions to the "
            "Region condition, for every service the statement does not exempt."
        ),
        edits=tuple(edits),
        applicability=Applicability.UNSAFE,
        notes=(
            Text(
                "Usable in {regions} for every service the Region restriction does not exempt, not only for "
                "Bedrock.", regions=", ".join(sorted({*added, *removed})),
            ),
        ) + (
            (
                Text("'unspecified' is the Region Bedrock global cross-Region inference reports for its "
                "Region-less model ARN; AWS states no other service's calls carry it, but the policy text "
                "now allows it for every action it does not exempt."),
            )
            if UNSPECIFIED in added or UNSPECIFIED in removed else ()
        ),
    )


def _allow_statement_for(problem: Problem, request) -> RegionRestriction:
    from dataclasses import replace

    for restriction in find_region_restrictions(problem.policy):
        if restriction.kind != "allow-statement":
            continue
        literal = next((v for v in restriction.regions if "*" not in v and "?" not in v), None)
        if literal is not None and problem.evaluator.matches(restriction.statement, replace(request, region=literal)):
            return restriction
    raise NotApplicable(Text(
        "{action} in {region} is denied because no Allow statement matches, and no Allow statement that "
        "names its Regions would match it in another Region", action=request.action, region=request.region,
    )
    )
