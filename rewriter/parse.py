"""Text -> ``Policy``: decode, then check the shape of an SCP, with every error located."""

from __future__ import annotations

from typing import Any

from rewriter.errors import PolicyParseError, PolicyShapeError, quoted
from rewriter.jsontext import scan
from rewriter.model import (
    ConditionClause,
    Policy,
    Source,
    Statement,
    Values,
    escape_pointer_token,
)

__all__ = ["parse_policy", "policy_from_document", "TOP_LEVEL_ELEMENTS", "STATEMENT_ELEMENTS"]

TOP_LEVEL_ELEMENTS = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_LEVEL = frozenset(TOP_LEVEL_ELEMENTS)
_STATEMENT = frozenset(STATEMENT_ELEMENTS)
_ONLY_STR = frozenset((str,))


def parse_policy(text: str | bytes, *, path: str = "<policy>") -> Policy:
    """Read a policy document from JSON text (or UTF-8 bytes)."""
    if isinstance(text, bytes):
        text = _decode(text, path)
    document, source = scan(text, path=path)
    return policy_from_document(document, source=source)


def policy_from_document(document: Any, *, source: Source) -> Policy:
    """Check the shape of an already-decoded document and build the model."""
    return _Builder(source).policy(document)


def _decode(data: bytes, path: str) -> str:
    from rewriter.files import decode_text

    return decode_text(data, path=path, error=PolicyParseError)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


class _Builder:
    __slots__ = ("source",)

    def __init__(self, source: Source) -> None:
        self.source = source

    def error(self, pointer: str, message: str, *, key: bool = False) -> PolicyShapeError:
        where = self.source.locate(pointer, key=key)
        line, column = where if where else (None, None)
        return PolicyShapeError(
            message, path=self.source.path, line=line, column=column, pointer=pointer
        )

    def unknown_key(self, pointer: str, key: str, valid: tuple[str, ...], what: str) -> PolicyShapeError:
        import difflib  # only a mistake needs it

        close = difflib.get_close_matches(key, valid, n=2, cutoff=0.6)
        close += [v for v in valid if v.lower() == key.lower() and v not in close]
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return self.error(
            pointer,
            f"{quoted(key)} is not a valid {what} element (valid: {', '.join(valid)}){hint}",
            key=True,
        )

    def policy(self, document: Any) -> Policy:
        if not isinstance(document, dict):
            raise self.error("", f"a policy must be a JSON object, not {_describe(document)}")
        for key in document:
            if key not in _TOP_LEVEL:
                raise self.unknown_key(f"/{escape_pointer_token(key)}", key, TOP_LEVEL_ELEMENTS, "policy")
        version = document.get("Version")
        if version is not None and version not in VERSIONS:
            raise self.error(
                "/Version", f"Version must be \"2012-10-17\", not {quoted(version)}"
                if isinstance(version, str) else f"Version must be a string, not {_describe(version)}"
            )
        policy_id = document.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            raise self.error("/Id", f"Id must be a string, not {_describe(policy_id)}")
        if "Statement" not in document:
            raise self.error("", "the policy has no Statement")
        raw = document["Statement"]
        if isinstance(raw, dict):
            statements = (self.statement(raw, 0, "/Statement"),)
            is_list = False
        elif isinstance(raw, list):
            if not raw:
                raise self.error("/Statement", "Statement is empty: a policy needs at least one statement")
            statements = tuple(self.statement(s, i, f"/Statement/{i}") for i, s in enumerate(raw))
            is_list = True
        else:
            raise self.error(
                "/Statement", f"Statement must be an object or a list of objects, not {_describe(raw)}"
            )
        return Policy(
            statements=statements,
            statement_is_list=is_list,
            document=document,
            source=self.source,
            version=version,
            id=policy_id,
        )

    def statement(self, raw: Any, index: int, pointer: str) -> Statement:
        if not isinstance(raw, dict):
            raise self.error(pointer, f"a statement must be a JSON object, not {_describe(raw)}")
        for key in raw:
            if key not in _STATEMENT:
                raise self.unknown_key(
                    f"{pointer}/{escape_pointer_token(key)}", key, STATEMENT_ELEMENTS, "statement"
                )
        for element in ("Principal", "NotPrincipal"):
            if element in raw:  # an SCP applies to every principal of the accounts it is attached to
                raise self.error(
                    f"{pointer}/{element}",
                    f"service control policies do not support {element}; use an aws:PrincipalArn condition",
                    key=True,
                )
        sid = raw.get("Sid")
        if sid is not None and not isinstance(sid, str):
            raise self.error(f"{pointer}/Sid", f"Sid must be a string, not {_describe(sid)}")
        if "Effect" not in raw:
            raise self.error(pointer, "the statement has no Effect (\"Allow\" or \"Deny\")")
        effect = raw["Effect"]
        if effect not in ("Allow", "Deny"):
            if isinstance(effect, str):
                # IAM compares Effect case-sensitively: "deny" is an error, not a Deny
                close = [e for e in ("Allow", "Deny") if e.lower() == effect.strip().lower()]
                found = quoted(effect) + (f"; did you mean {close[0]!r}?" if close else "")
            else:
                found = _describe(effect)
            raise self.error(f"{pointer}/Effect", f"Effect must be \"Allow\" or \"Deny\", not {found}")
        for element, negated in (("Action", "NotAction"), ("Resource", "NotResource")):
            if element in raw and negated in raw:
                raise self.error(
                    f"{pointer}/{negated}",
                    f"a statement may have {element} or {negated}, not both",
                    key=True,
                )
            if element not in raw and negated not in raw:
                raise self.error(pointer, f"the statement has neither {element} nor {negated}")
        return Statement(
            index=index,
            pointer=pointer,
            effect=effect,
            sid=sid,
            action=self.strings(raw, "Action", pointer),
            not_action=self.strings(raw, "NotAction", pointer),
            resource=self.strings(raw, "Resource", pointer),
            not_resource=self.strings(raw, "NotResource", pointer),
            principal=raw.get("Principal"),
            conditions=self.conditions(raw["Condition"], f"{pointer}/Condition")
            if "Condition" in raw
            else (),
            condition_operators=tuple(raw["Condition"]) if isinstance(raw.get("Condition"), dict) else (),
            keys=tuple(raw),
            **self.place_of(pointer, has_sid=sid is not None),
        )

    def place_of(self, pointer: str, *, has_sid: bool) -> dict[str, int]:
        """Where a reader looks for a statement: its Sid's key, else its opening brace (line, column)."""
        place = self.source.locate(f"{pointer}/Sid", key=True) if has_sid else None
        place = place or self.source.locate(pointer)
        return {"line": place[0], "column": place[1]} if place else {}

    def strings(self, raw: dict[str, Any], element: str, pointer: str) -> Values | None:
        if element not in raw:
            return None
        here = f"{pointer}/{element}"
        value = raw[element]
        if isinstance(value, str):
            if not value:
                raise self.error(here, f"{element} must not be an empty string")
            return Values((value,), False, here)
        if not isinstance(value, list):
            raise self.error(here, f"{element} must be a string or a list of strings, not {_describe(value)}")
        if not value:
            raise self.error(here, f"{element} must not be an empty list")
        if _ONLY_STR.issuperset(map(type, value)) and "" not in value:
            return Values(tuple(value), True, here)
        for i, item in enumerate(value):  # which item is wrong, and how
            if not isinstance(item, str):
                raise self.error(f"{here}/{i}", f"{element} items must be strings, not {_describe(item)}")
            if not item:
                raise self.error(f"{here}/{i}", f"{element} items must not be empty strings")
        return Values(tuple(value), True, here)

    def conditions(self, raw: Any, pointer: str) -> tuple[ConditionClause, ...]:
        from rewriter.conditions import close_operators, split_operator

        if not isinstance(raw, dict):
            raise self.error(pointer, f"Condition must be an object, not {_describe(raw)}")
        if not raw:
            # an empty Condition makes the statement unconditional: on a Deny that blocks
            # everything it names, which is almost never what the author meant
            raise self.error(
                pointer, "Condition is empty: remove it, or add the condition it was meant to hold"
            )
        clauses: list[ConditionClause] = []
        for name, block in raw.items():
            here = f"{pointer}/{escape_pointer_token(name)}"
            operator = split_operator(name)
            if operator is None:
                close = close_operators(name)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise self.error(here, f"unknown condition operator {quoted(name)}{hint}", key=True)
            if not isinstance(block, dict):
                raise self.error(
                    here, f"the {name} block must be an object of key -> values, not {_describe(block)}"
                )
            if not block:
                raise self.error(here, f"the {name} block is empty")
            for key, value in block.items():
                key_pointer = f"{here}/{escape_pointer_token(key)}"
                if not key:
                    raise self.error(key_pointer, f"the {name} block has an empty condition key", key=True)
                values = self.condition_values(value, key_pointer, key)
                if operator.base == "Null":
                    for i, item in enumerate(values.items):
                        if item not in ("true", "false"):
                            where = f"{key_pointer}/{i}" if values.is_list else key_pointer
                            raise self.error(where, f"a Null condition takes true or false, not {quoted(item)}")
                clauses.append(
                    ConditionClause(
                        operator=operator,
                        key=key,
                        values=values,
                        pointer=key_pointer,
                    )
                )
        return tuple(clauses)

    def condition_values(self, value: Any, pointer: str, key: str) -> Values:
        if isinstance(value, list):
            if not value:
                raise self.error(pointer, f"the condition on {key} has an empty list of values")
            items = tuple(self.condition_value(v, f"{pointer}/{i}", key) for i, v in enumerate(value))
            return Values(items, True, pointer)
        return Values((self.condition_value(value, pointer, key),), False, pointer)

    def condition_value(self, value: Any, pointer: str, key: str) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)):
            # the number as written (1e5, 1.50): float() would turn 1e5 into "100000.0"
            span = self.source.spans.get(pointer)
            return self.source.text[span.start : span.end] if span else repr(value)
        raise self.error(
            pointer, f"a condition value for {key} must be a string, number or boolean, not {_describe(value)}"
        )
