"""``scp-fix simulate``: evaluate one request against a policy."""

from __future__ import annotations

import json
from typing import Optional

import typer

from rewriter.cli._common import EXIT_FINDING, EXIT_OK, TextOrJson, emit, error_boundary, read_input


def simulate(
    policy: str = typer.Argument(..., metavar="POLICY", help="Policy JSON file, or - for standard input."),
    action: str = typer.Option(..., "--action", help="The IAM action, e.g. bedrock:InvokeModel."),
    region: str = typer.Option(..., "--region", help="aws:RequestedRegion (may be 'unspecified')."),
    resource: str = typer.Option("*", "--resource", help="The resource ARN."),
    principal: Optional[str] = typer.Option(None, "--principal", help="aws:PrincipalArn of the caller."),
    context: list[str] = typer.Option([], "--context", help="Another context key, KEY=VALUE (repeatable)."),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", help="Output format."),
    no_full_access: bool = typer.Option(
        False, "--no-full-access", help="Evaluate the policy alone, not beside FullAWSAccess."
    ),
) -> None:
    """Evaluate one request. Exit 0 allowed, 1 denied, 2 bad input."""
    with error_boundary():
        from rewriter.evaluate import Request, evaluate
        from rewriter.parse import parse_policy
        from rewriter.requests import check_request_options, parse_context

        check_request_options(action=action, region=region, resource=resource)
        from rewriter.regions_data import unknown_region_note

        note = unknown_region_note(region)
        if note is not None:  # evaluated as given: an SCP sees whatever Region the call names
            typer.echo(f"scp-fix: warning: --region: {note}", err=True)
        name, data = read_input(policy)
        parsed = parse_policy(data, path=name)
        request = Request(
            action=action,
            resource=resource,
            region=region,
            principal=principal,
            context=parse_context(context),
        )
        decision = evaluate(parsed, request, full_access=not no_full_access)
    if output is TextOrJson.json:
        emit(json.dumps(decision_to_json(name, request, decision), indent=2))
    else:
        emit(describe_decision(request, decision, parsed))
    raise typer.Exit(EXIT_OK if decision.allowed else EXIT_FINDING)


def decision_to_json(name: str, request, decision) -> dict:
    return {
        "policy": name,
        "request": {
            "action": request.action,
            "resource": request.resource,
            "requested_region": request.region,
            "principal": request.principal,
            "context": {k: v for k, v in request.context.items()},
        },
        "decision": decision.outcome,
        "statements": [
            {"index": s.index, "sid": s.sid, "pointer": s.pointer, "effect": s.effect}
            for s in decision.statements
        ],
    }


def describe_decision(request, decision, policy) -> str:
    from rewriter.vocabulary import Outcome

    head = f"{decision.outcome}: {request.action} on {request.resource} in {request.region}"
    if decision.outcome == Outcome.IMPLICIT_DENY:
        return head + "\n  no Allow statement matches the request"
    lines = [head]
    for ref in decision.statements:
        label = "FullAWSAccess" if ref.policy_index < 0 else policy.statements[ref.index].label
        lines.append(f"  {ref.effect} {label} at {ref.pointer or '/'}")
    return "\n".join(lines)
