"""jsontext.scan reads a document in two steps (json.loads, then spans when first asked for) and hands
whatever that refuses to the careful reader: these tests hold the two to the same results and errors,
and the span table to the behaviour of a plain dict."""

from __future__ import annotations

import copy
import json
import os
import pickle
from dataclasses import asdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.errors import PolicyParseError
from rewriter.jsontext import MAX_DEPTH, _careful_scan, scan

if "HYPOTHESIS_PROFILE" not in os.environ:
    settings.register_profile(
        "jsontext", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("jsontext")

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


def outcome(read: Any, text: str) -> tuple[Any, ...]:
    try:
        value, source = read(text, path="p.json")
    except PolicyParseError as error:
        return ("error", str(error), error.line, error.column, error.pointer)
    # json.dumps tells 1, 1.0 and true apart, which == does not
    return ("value", json.dumps(value), list(source.spans.items()))


@given(json_texts())
def test_valid_text_reads_as_the_careful_reader_reads_it(text: str) -> None:
    assert outcome(scan, text) == outcome(_careful_scan, text)


@given(st.one_of(near_misses(), st.text(alphabet='{}[]",:0-9.eE \n\\utrfalsn\ufeff', max_size=30)))
def test_near_misses_fail_or_read_as_the_careful_reader_says(text: str) -> None:
    assert outcome(scan, text) == outcome(_careful_scan, text)


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
    assert outcome(scan, text) == outcome(_careful_scan, text)


def test_depth_limit_counts_containers_not_brackets_in_strings() -> None:
    deepest = nested(MAX_DEPTH)
    assert scan(deepest)[0] == json.loads(deepest)
    brackets = '{"a": "' + "[{" * MAX_DEPTH + '", "b": [[1]]}'
    value, source = scan(brackets)
    assert value["b"] == [[1]]
    assert source.spans["/b/0/0"].start == brackets.index("1]]")


TEXT = '{"a": [1, {"b/~": "x\\"y"}], "c": null}'


def test_span_table_answers_before_it_is_complete() -> None:
    careful = _careful_scan(TEXT, "p.json")[1].spans
    spans = scan(TEXT)[1].spans
    assert spans.get("/a/1/b~1~0") == careful["/a/1/b~1~0"]
    assert spans.get("/nowhere") is None and spans.get("/nowhere", 0) == 0
    assert "/c" in spans and "/nowhere" not in spans
    assert len(spans) == len(careful) and spans
    with pytest.raises(KeyError):
        spans["/nowhere"]
    assert list(spans) == list(careful)  # document order, whatever was looked up first
    assert spans == careful and careful == spans
    assert list(spans.items()) == list(careful.items())


def test_span_table_keeps_spans_already_handed_out() -> None:
    spans = scan(TEXT)[1].spans
    first = spans["/a/0"]
    assert spans.get("/a/0") is first
    assert list(spans.values())[list(spans).index("/a/0")] is first


def test_span_table_is_a_dict_to_change_and_copy() -> None:
    careful = _careful_scan(TEXT, "p.json")[1].spans
    copies = (copy.copy, copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t)), dict, lambda t: {**t}, type)
    for made in copies:
        spans = scan(TEXT)[1].spans
        copied = made(spans) if made is not type else type(spans)(spans.items())
        assert copied == careful and list(copied) == list(careful)
    spans = scan(TEXT)[1].spans
    span = spans.pop("/c")
    assert "/c" not in spans and spans.get("/c") is None and len(spans) == len(careful) - 1
    with pytest.raises(KeyError):
        spans["/c"]
    spans["/c"] = span
    assert spans == careful


def test_source_converts_as_a_dataclass() -> None:
    source = scan(TEXT)[1]
    assert asdict(source)["spans"] == asdict(_careful_scan(TEXT, "<policy>")[1])["spans"]
