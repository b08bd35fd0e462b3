"""``scp-fix check --format sarif``: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDEs).

One result per blocked authorization, located at the statement that denies it (in IaC files, the
line in the template), with one rule per kind of finding (``vocabulary.Code``). The message names the
profile, the source Region and the denied Region; the fix hint is the ``scp-fix propose`` command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from rewriter.vocabulary import RULES, Code, Role

if TYPE_CHECKING:
    from rewriter.policy_files import FileCheck

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "sarif_log"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_ROLE_WORDS = {
    Role.PROFILE: "the originating call",
    Role.DESTINATION: "a destination of the profile",
    Role.GLOBAL_MODEL: "the Region-less global model",
    Role.BATCH_JOB: "the batch job's creation",
    Role.GUARDRAIL: "ApplyGuardrail on the guardrail profile",
}


def _uri(path: str) -> str:
    """A repository-relative path stays relative (code scanning resolves it against the checkout)."""
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else pure.as_posix()


def _rule(index: int) -> dict[str, Any]:
    rule = RULES[index]
    return {
        "id": rule.code.value,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.help},
        "defaultConfiguration": {"level": "error"},
    }


def _region(statement) -> dict[str, Any]:
    if statement is None or statement.line is None:
        return {"startLine": 1}
    region: dict[str, Any] = {"startLine": statement.line}
    if statement.column is not None:
        region["startColumn"] = statement.column
    return region


def _location(path: str, statement, pointer: str | None) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": _uri(path)}, "region": _region(statement)}
    }
    if pointer:
        location["logicalLocations"] = [{"fullyQualifiedName": pointer, "kind": "object"}]
    return location


def sarif_log(files: Sequence[tuple[str, FileCheck]], *, fix_command: str, version: str) -> dict[str, Any]:
    """The SARIF log of ``check`` on the files: (file path, one policy's check) pairs, in order.

    ``fix_command`` is the ``scp-fix propose ...`` command that proposes the change (the fix hint)."""
    index = {rule.code: i for i, rule in enumerate(RULES)}
    results: list[dict[str, Any]] = []
    artifacts: dict[str, None] = {}
    for path, item in files:
        artifacts.setdefault(_uri(path))
        statements = item.policy.statements if item.policy is not None else ()
        first = statements[0] if statements else None
        for check in item.result.checks:
            for result in check.results:
                if result.decision.allowed:
                    continue
                code = result.code or Code.STATEMENT_DENIES
                refs = [r for r in result.decision.statements if 0 <= r.policy_index and r.index < len(statements)]
                statement = statements[refs[0].index] if refs else first
                request = result.request
                role = _ROLE_WORDS.get(result.authorization.role, result.authorization.role)
                if result.authorization.actor == "batch-role":
                    role = f"{role}, by the batch service role {request.principal}"
                results.append({
                    "ruleId": code.value,
                    "ruleIndex": index[code],
                    "level": "error",
                    "message": {"text": (
                        f"{check.profile.id} called from {check.source_region} is blocked: {request.action} in "
                        f"{request.region} ({role}) is denied: {result.reason}. "
                        f"To see the smallest change: {fix_command}"
                    )},
                    "locations": [_location(path, statement, refs[0].pointer if refs else None)],
                    "properties": {
                        "profile": check.profile.id,
                        "sourceRegion": check.source_region,
                        "requestedRegion": request.region,
                        "action": request.action,
                        "policy": item.label,
                        "fix": fix_command,
                    },
                })
        for unreachable in item.result.unreachable:
            results.append({
                "ruleId": Code.UNREACHABLE.value,
                "ruleIndex": index[Code.UNREACHABLE],
                "level": "error",
                "message": {"text": f"{unreachable.profile.id}: {unreachable.reason}. To see a change: {fix_command}"},
                "locations": [_location(path, first, None)],
                "properties": {"profile": unreachable.profile.id, "policy": item.label, "fix": fix_command},
            })
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "scp-fix",
                "version": version,
                "semanticVersion": version,
                "rules": [_rule(i) for i in range(len(RULES))],
            }},
            "artifacts": [{"location": {"uri": uri}} for uri in artifacts],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
