"""``apply_patch``: what jsonpatch gives for add, remove and replace, without changing its inputs.

Runs a quick profile (200 examples) unless HYPOTHESIS_PROFILE names another one.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import jsonpatch
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.codec import minified_size, minified_size_after
from rewriter.fixes import additions, apply_patch
from rewriter.model import escape_pointer_token

if "HYPOTHESIS_PROFILE" not in os.environ:
    settings.register_profile(
        "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("ci")

keys = st.sampled_from(["a", "b", "Statement", "a/b", "m~n", "~1", "", "0"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["x", "*", "bedrock:*"]))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def pointers(draw: st.DrawFn, document: Any) -> str:
    """A path into ``document``: mostly one that exists, or one step past it, sometimes a broken one."""
    tokens: list[str] = []
    node = document
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        if isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node)))
            tokens.append(escape_pointer_token(key))
            node = node[key]
        else:
            index = draw(st.integers(0, len(node) - 1))
            tokens.append(str(index))
            node = node[index]
    if draw(st.booleans()):  # one step further: a new key, the end of a list, or past it
        if isinstance(node, list):
            tokens.append(draw(st.sampled_from(["-", str(len(node)), str(len(node) + 1), "01", "x"])))
        else:
            tokens.append(escape_pointer_token(draw(keys)))
    if draw(st.integers(0, 9)) == 0:
        tokens.append(draw(st.sampled_from(["~2", "~", "z"])))
    return "".join("/" + token for token in tokens)


@st.composite
def patches(draw: st.DrawFn) -> tuple[Any, list[dict[str, Any]]]:
    document = draw(st.dictionaries(keys, json_values, max_size=4))
    operations = []
    current: Any = document
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["add", "remove", "replace"]))
        operation: dict[str, Any] = {"op": op, "path": draw(pointers(current))}
        if op != "remove":
            operation["value"] = draw(json_values)
        operations.append(operation)
        try:  # later operations are drawn against the document as the earlier ones left it
            current = jsonpatch.apply_patch(current, [operation])
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            pass
    return document, operations


@given(patches())
def test_apply_patch_gives_what_jsonpatch_gives_and_changes_neither_input(case: tuple[Any, list[dict[str, Any]]]) -> None:
    document, operations = case
    document_before, operations_before = copy.deepcopy(document), copy.deepcopy(operations)
    try:
        expected = jsonpatch.apply_patch(document, operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
        with pytest.raises(ValueError):
            apply_patch(document, operations)
    else:
        assert apply_patch(document, operations) == expected
    assert document == document_before
    assert operations == operations_before


def test_an_edit_inside_a_value_added_before_leaves_the_operations_value_as_it_was() -> None:
    statement = {"Effect": "Deny", "Action": ["bedrock:InvokeModel"]}
    operations = [
        {"op": "add", "path": "/Statement/-", "value": statement},
        {"op": "add", "path": "/Statement/1/Action/-", "value": "bedrock:Converse"},
    ]
    result = apply_patch({"Statement": [{"Effect": "Allow"}]}, operations)
    assert result["Statement"][1]["Action"] == ["bedrock:InvokeModel", "bedrock:Converse"]
    assert statement == {"Effect": "Deny", "Action": ["bedrock:InvokeModel"]}


def test_add_at_an_index_inserts_before_the_item_there() -> None:
    operations = [{"op": "add", "path": "/NotAction/1", "value": "bedrock:*"}]
    document = {"NotAction": ["iam:*", "sts:*"]}
    assert apply_patch(document, operations) == jsonpatch.apply_patch(document, operations)
    assert apply_patch(document, operations)["NotAction"] == ["iam:*", "bedrock:*", "sts:*"]


def test_what_no_operation_reaches_is_shared_not_copied() -> None:
    document = {"Statement": [{"NotAction": ["iam:*"], "Condition": {"StringNotEquals": {"k": ["a"]}}}]}
    result = apply_patch(document, [{"op": "add", "path": "/Statement/0/NotAction/-", "value": "bedrock:*"}])
    assert result["Statement"][0]["Condition"] is document["Statement"][0]["Condition"]
    assert document["Statement"][0]["NotAction"] == ["iam:*"]


@pytest.mark.parametrize(
    ("operation", "words"),
    [
        ({"op": "move", "from": "/a", "path": "/b"}, "unsupported operation 'move'"),
        ({"op": "add", "path": "a", "value": 1}, "must be a JSON Pointer"),
        ({"op": "add", "path": "/a~2", "value": 1}, "must be a JSON Pointer"),
        ({"op": "replace", "path": "/a"}, "has no value"),
        ({"op": "remove", "path": "/missing"}, "no member 'missing'"),
        ({"op": "add", "path": "/list/3", "value": 1}, "past the end of the list (1 items)"),
        ({"op": "remove", "path": "/list/-"}, "'-' is not an index"),
        ({"op": "add", "path": "/a/b", "value": 1}, "neither an object nor a list"),
        ({"op": "remove", "path": ""}, "cannot be removed"),
    ],
)
def test_an_operation_that_cannot_be_applied_is_named(operation: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=None) as raised:
        apply_patch({"a": 1, "list": [0]}, [operation])
    assert words in str(raised.value)


@st.composite
def added_to(draw: st.DrawFn) -> tuple[Any, list[dict[str, Any]]]:
    """A document and operations that mostly add after the last item or a new member, sometimes not."""
    document = draw(st.dictionaries(keys, json_values, min_size=1, max_size=4))
    containers = [(p, v) for p, v in _containers(document, "")]
    operations = []
    appended: dict[str, int] = {}
    pointer, node = containers[0]
    for _ in range(draw(st.integers(1, 4))):
        if not operations or draw(st.booleans()):  # else the same container again
            pointer, node = draw(st.sampled_from(containers))
        if isinstance(node, list):
            size = len(node) + appended.get(pointer, 0)
            where = draw(st.sampled_from(["-", str(size), str(len(node)), "0"]))
            appended[pointer] = appended.get(pointer, 0) + 1
        else:
            where = escape_pointer_token(draw(keys))
        op = draw(st.sampled_from(["add", "add", "add", "replace"]))
        operations.append({"op": op, "path": f"{pointer}/{where}", "value": draw(json_values)})
    return document, operations


def _containers(value: Any, pointer: str) -> list[tuple[str, Any]]:
    found = [(pointer, value)] if isinstance(value, (dict, list)) else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found += _containers(item, f"{pointer}/{escape_pointer_token(str(key))}")
    return found


@given(added_to())
def test_additions_say_what_the_patch_adds_and_the_size_it_makes(case: tuple[Any, list[dict[str, Any]]]) -> None:
    document, operations = case
    try:
        patched = jsonpatch.apply_patch(document, operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
        assert additions(document, operations) is None
        return
    added = additions(document, operations)
    if added is None:
        assert minified_size_after(document, minified_size(document), operations) is None
        return
    # the same document again, from the additions alone: each item after the last, each member new
    expected = copy.deepcopy(document)
    targets = [(jsonpatch.JsonPointer(pointer).resolve(expected), node, new) for pointer, (node, new) in added.items()]
    for target, node, new in targets:
        assert target == node and node
    for target, _, new in targets:
        for key, value in new:
            if key is None:
                target.append(value)
            else:
                assert key not in target
                target[key] = value
    assert expected == patched
    assert minified_size_after(document, minified_size(document), operations) == minified_size(patched)


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "/list/0", "value": 1},  # before an item
        {"op": "add", "path": "/object/a", "value": 1},  # a member replaced
        {"op": "add", "path": "/empty/-", "value": 1},  # nothing to follow
        {"op": "replace", "path": "/list/0", "value": 1},
        {"op": "remove", "path": "/list/0"},
        {"op": "add", "path": "/missing/-", "value": 1},
    ],
)
def test_anything_but_an_addition_after_what_is_there_has_no_additions(operation: dict[str, Any]) -> None:
    assert additions({"list": [0], "object": {"a": 0}, "empty": []}, [operation]) is None


def test_an_index_counts_the_items_added_before_it() -> None:
    first = {"op": "add", "path": "/x/-", "value": "A"}
    # /x/2 after one item was added goes before it (jsonpatch: [1, 2, "B", "A"]): not after the last
    assert additions({"x": [1, 2]}, [first, {"op": "add", "path": "/x/2", "value": "B"}]) is None
    added = additions({"x": [1, 2]}, [first, {"op": "add", "path": "/x/3", "value": "B"}])
    assert added is not None and added["/x"][1] == [(None, "A"), (None, "B")]
