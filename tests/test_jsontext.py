"""jsontext.scan: what it reads is what json reads, every span holds its value, and what scp-fix
refuses (duplicate keys, NaN, too deep) is a located error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.errors import PolicyParseError
from rewriter.jsontext import MAX_DEPTH, scan
from rewriter.model import escape_pointer_token, pointer_tokens

# half as many examples again as the profile's (each is cheap: 150 in CI); a decorator on each
# test, not a loaded profile, so no other module's tests change with this one's
EXAMPLES = settings(max_examples=settings().max_examples * 3 // 2, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# keys and strings that need escapes or pointer escapes, or look like JSON
awkward_text = st.text(alphabet=st.sampled_from('ab"\\/~\n\t\x00é😀[]{}:,'), max_size=6)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | awkward_text,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(awkward_text, children, max_size=5),
    max_leaves=30,
)


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    text = json.dumps(
        draw(json_values),
        indent=draw(st.sampled_from([None, 0, 2, "\t"])),
        separators=draw(st.sampled_from([None, (",", ":"), (" , ", " : ")])),
        ensure_ascii=draw(st.booleans()),
    )
    text = draw(st.sampled_from(["", " \r\n"])) + text + draw(st.sampled_from(["", "\n"]))
    return "\ufeff" + text if draw(st.booleans()) else text


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    text = draw(json_texts())
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.sampled_from(list('{}[]",:\\ -0.eE\x00\n\ufeff') + ["NaN", "Infinity", '"a":1,']))
        cut = draw(st.integers(0, 2))
        text = text[:at] + piece + text[at + cut :]
    return text


def values_at(value: Any, pointer: str = "") -> list[tuple[str, Any]]:
    """Every (pointer, value) of a decoded document, parents first."""
    found = [(pointer, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += values_at(item, f"{pointer}/{escape_pointer_token(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += values_at(item, f"{pointer}/{index}")
    return found


@EXAMPLES
@given(json_texts())
def test_valid_text_reads_as_json_reads_it_and_every_span_holds_its_value(text: str) -> None:
    value, source = scan(text, path="p.json")
    # json.dumps tells 1, 1.0 and true apart, which == does not
    assert json.dumps(value) == json.dumps(json.loads(text.lstrip("\ufeff")))
    expected = values_at(value)
    assert sorted(source.spans) == sorted(pointer for pointer, _ in expected)
    for pointer, item in expected:
        span = source.spans[pointer]
        assert json.dumps(json.loads(text[span.start : span.end])) == json.dumps(item), pointer
        if span.key_start is not None:  # an object member: its key as written
            assert json.loads(text[span.key_start : span.key_end]) == pointer_tokens(pointer)[-1]


@EXAMPLES
@given(st.one_of(near_misses(), st.text(alphabet='{}[]",:0-9.eE \n\\utrfalsn\ufeff', max_size=30)))
def test_near_misses_are_refused_with_a_located_error_or_read_as_json_reads_them(text: str) -> None:
    try:
        value, _ = scan(text, path="p.json")
    except PolicyParseError as error:
        assert error.path == "p.json" and error.line >= 1 and error.column >= 1
        return
    assert json.dumps(value) == json.dumps(json.loads(text[1:] if text.startswith("\ufeff") else text))


def nested(depth: int) -> str:
    return '{"k": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("text", "message", "pointer"),
    [
        # json.loads takes each of these; scp-fix does not
        ('{"a": 1, "b": {"c": 2, "c": 3}}', 'duplicate key "c"', "/b/c"),
        ('{"a": [NaN]}', "expected a JSON value, found 'NaN'", "/a/0"),
        ('{"a": -Infinity}', "invalid number", "/a"),
        (nested(MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels", "/k" * MAX_DEPTH),
        ("\ufeff\ufeff{}", "expected a JSON value, found '\\ufeff'", ""),
    ],
)
def test_what_json_loads_takes_but_scp_fix_refuses(text: str, message: str, pointer: str) -> None:
    with pytest.raises(PolicyParseError) as caught:
        scan(text)
    assert caught.value.message.startswith(message)
    assert caught.value.pointer == pointer


def test_depth_limit_counts_containers_not_brackets_in_strings() -> None:
    deepest = nested(MAX_DEPTH)
    assert scan(deepest)[0] == json.loads(deepest)
    brackets = '{"a": "' + "[{" * MAX_DEPTH + '", "b": [[1]]}'
    value, source = scan(brackets)
    assert value["b"] == [[1]]
    assert source.spans["/b/0/0"].start == brackets.index("1]]")
