"""Properties: parse -> model -> JSON gives back ``json.loads`` of the text, whatever the formatting;
every JSON Pointer has a span holding exactly its value; the scanner agrees with ``json.loads`` and
fails only with ``PolicyParseError``.

Twice the examples of the hypothesis profile (200 in CI; see tests/conftest.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.errors import PolicyParseError, ScpFixError
from rewriter.jsontext import scan
from rewriter.model import Policy, escape_pointer_token
from rewriter.parse import parse_policy

pytestmark = pytest.mark.slow  # property tests at full size

# twice the profile's examples (each is cheap: 200 in CI); a decorator on each test, not a loaded
# profile, so no other module's tests change with this one's
EXAMPLES = settings(max_examples=settings().max_examples * 2, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------
# Generated policies

# text that exercises JSON escapes: quotes, backslashes, slashes, control characters, non-ASCII
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\/\b\f\n\r\t\x00\x1f~ *?:${}é中😀'),
        st.characters(blacklist_categories=("Cs",)),
    ),
    min_size=1,
    max_size=12,
)
actions = st.one_of(
    st.sampled_from(["*", "bedrock:*", "bedrock:InvokeModel", "iam:*", "s3:Get*", "ec2:Describe?egions"]),
    tricky_text,
)
resources = st.one_of(
    st.sampled_from(["*", "arn:aws:bedrock:*::foundation-model/*", "arn:aws:s3:::logs/*"]), tricky_text
)
operators = st.sampled_from(
    [
        "StringEquals",
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringLikeIfExists",
        "ForAnyValue:StringLike",
        "ForAllValues:StringNotEquals",
        "ArnNotLike",
        "Bool",
        "NumericLessThan",
        "DateGreaterThan",
        "IpAddress",
        "Null",
    ]
)
condition_scalars = st.one_of(
    tricky_text,
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
)


def scalar_or_list(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(items, st.lists(items, min_size=1, max_size=4))


def _block(operator: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(
        st.one_of(st.sampled_from(["aws:RequestedRegion", "aws:PrincipalARN"]), tricky_text),
        # Null takes only true or false: anything else is refused as bad input
        scalar_or_list(st.booleans() if operator == "Null" else condition_scalars),
        min_size=1,
        max_size=3,
    )


conditions = st.lists(operators, min_size=1, max_size=3, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: _block(name) for name in names})
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    members: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(scalar_or_list(actions)),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(scalar_or_list(resources)),
    }
    if draw(st.booleans()):
        members["Sid"] = draw(tricky_text)
    if draw(st.booleans()):
        members["Condition"] = draw(conditions)
    order = draw(st.permutations(list(members)))  # written order must survive
    return {key: members[key] for key in order}


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    members: dict[str, Any] = {}
    if draw(st.booleans()):
        members["Version"] = draw(st.sampled_from(["2012-10-17", "2008-10-17"]))
    if draw(st.booleans()):
        members["Id"] = draw(tricky_text)
    members["Statement"] = draw(st.one_of(statements(), st.lists(statements(), min_size=1, max_size=3)))
    order = draw(st.permutations(list(members)))
    return {key: members[key] for key in order}


@st.composite
def formatted(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> tuple[Any, str]:
    """A value and one of many ways to write it."""
    value = draw(values)
    text = json.dumps(
        value,
        indent=draw(st.sampled_from([None, 0, 2, 4, "\t"])),
        separators=draw(st.sampled_from([None, (",", ":"), (", ", ": "), (" , ", " : ")])),
        ensure_ascii=draw(st.booleans()),
    )
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")  # a raw newline is only ever formatting
    text = draw(st.sampled_from(["", " ", "\n", "\t\r\n"])) + text + draw(st.sampled_from(["", "\n", " \r\n"]))
    if draw(st.integers(0, 5)) == 0:
        text = "\ufeff" + text
    return value, text


# ---------------------------------------------------------------------------------------------
# Helpers


def pointers(value: Any, pointer: str = "") -> list[tuple[str, Any]]:
    """Every (pointer, value) in a document, the root included."""
    found = [(pointer, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += pointers(child, f"{pointer}/{escape_pointer_token(key)}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += pointers(child, f"{pointer}/{index}")
    return found


def check_spans(text: str, value: Any, source) -> None:
    for pointer, expected in pointers(value):
        span = source.spans[pointer]
        assert json.loads(text[span.start : span.end]) == expected, pointer
        if pointer:
            if span.key_start is not None:
                key = pointer.rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
                assert json.loads(text[span.key_start : span.key_end]) == key, pointer
            else:  # only list items have no key
                assert pointer.rsplit("/", 1)[1].isdigit()
        line, column = source.position(span.start)
        before = text[: span.start]
        assert line == before.count("\n") + 1
        bom = 1 if text.startswith("\ufeff") and "\n" not in before and span.start > 0 else 0
        assert column == span.start - (before.rfind("\n") + 1) + 1 - bom


def model_to_json(policy: Policy) -> dict[str, Any]:
    """Rebuild the document from the model alone (top-level members from the Policy fields)."""
    built = []
    for statement in policy.statements:
        members: dict[str, Any] = {}
        for key in statement.keys:
            if key == "Sid":
                members[key] = statement.sid
            elif key == "Effect":
                members[key] = statement.effect
            elif key == "Condition":
                block: dict[str, dict[str, Any]] = {name: {} for name in statement.condition_operators}
                for clause in statement.conditions:
                    values = clause.values
                    block[clause.operator.name][clause.key] = list(values.items) if values.is_list else values.items[0]
                members[key] = block
            else:
                values = getattr(statement, {"Action": "action", "NotAction": "not_action",
                                             "Resource": "resource", "NotResource": "not_resource"}[key])
                members[key] = list(values.items) if values.is_list else values.items[0]
        built.append(members)
    document: dict[str, Any] = {}
    for key in policy.document:  # top-level order; the values come from the model
        if key == "Version":
            document[key] = policy.version
        elif key == "Id":
            document[key] = policy.id
        else:
            document[key] = built if policy.statement_is_list else built[0]
    return document


def condition_values_as_text(text: str, document: Any, source) -> Any:
    """The document with condition values as the model keeps them: strings, booleans as
    "true"/"false", numbers as written."""
    for pointer, value in pointers(document):
        parts = pointer.split("/")
        if "Condition" in parts and len(parts) - parts.index("Condition") in (3, 4):
            if isinstance(value, bool):
                _set(document, parts, "true" if value else "false")
            elif isinstance(value, (int, float)):
                span = source.spans[pointer]
                _set(document, parts, text[span.start : span.end])
    return document


def _set(document: Any, parts: list[str], value: Any) -> None:
    for token in parts[1:-1]:
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    last = parts[-1].replace("~1", "/").replace("~0", "~")
    document[int(last) if isinstance(document, list) else last] = value


# ---------------------------------------------------------------------------------------------
# Properties


@EXAMPLES
@given(formatted(documents()))
def test_parse_round_trips_generated_policies(case: tuple[dict[str, Any], str]) -> None:
    document, text = case
    policy = parse_policy(text)
    loaded = json.loads(text.removeprefix("\ufeff"))
    assert loaded == document  # the generator wrote what it meant to
    assert policy.document == loaded
    assert json.dumps(policy.document) == json.dumps(loaded)  # key order too
    check_spans(text, loaded, policy.source)
    assert policy.source.has_bom == text.startswith("\ufeff")

    rebuilt = model_to_json(policy)
    expected = condition_values_as_text(text, json.loads(text.removeprefix("\ufeff")), policy.source)
    assert rebuilt == expected
    assert json.dumps(rebuilt) == json.dumps(expected)  # the model keeps the written order


@EXAMPLES
@given(formatted(documents()))
def test_parse_accepts_utf8_bytes(case: tuple[dict[str, Any], str]) -> None:
    _, text = case
    assert parse_policy(text.encode("utf-8")).document == parse_policy(text).document


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


@EXAMPLES
@given(formatted(json_values))
def test_scan_agrees_with_json_loads(case: tuple[Any, str]) -> None:
    value, text = case
    scanned, source = scan(text)
    assert scanned == json.loads(text.removeprefix("\ufeff")) == value
    check_spans(text, scanned, source)


def _mutations() -> st.SearchStrategy[str]:
    """Valid JSON with one character inserted, deleted or replaced: near misses."""

    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        _, text = draw(formatted(json_values))
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(list('{}[]",:\\ -0.eE\x00\nuntf')))
        if how == "insert":
            return text[:at] + char + text[at:]
        if how == "delete":
            return text[:at] + text[at + 1 :]
        return text[:at] + char + text[at + 1 :]

    return mutate()


json_alphabet = st.text(alphabet='{}[]",:0123456789.eE+- \n\t\\/ubfnrtalsen\ufeffé', max_size=40)


@EXAMPLES
@given(st.one_of(st.text(), json_alphabet, _mutations()))
def test_scan_fails_only_with_parse_error(text: str) -> None:
    try:
        value, _ = scan(text)
    except PolicyParseError as error:
        assert error.line is not None and error.column is not None
        assert error.line >= 1 and error.column >= 1
        return
    # what the scanner accepts, json.loads accepts with the same meaning
    assert value == json.loads(text.removeprefix("\ufeff"))


@EXAMPLES
@given(st.binary(max_size=60))
def test_parse_policy_on_arbitrary_bytes_raises_only_scp_fix_errors(data: bytes) -> None:
    try:
        parse_policy(data)
    except ScpFixError as error:
        assert "\n" not in error.message
        assert error.line is not None and error.column is not None
