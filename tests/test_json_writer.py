"""The JSON writer (``sources.rewrite_json``): the new text means the patched document and changes
nothing else; new values are written as the document writes its own."""

from __future__ import annotations

import copy
import difflib
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.diff import split_lines, unified_diff
from rewriter.errors import ScpFixError
from rewriter.jsontext import scan
from rewriter.model import escape_pointer_token
from rewriter.sources import rewrite_json

from diffnoise import diff_noise

SAMPLES = sorted((Path(__file__).parent.parent / "samples").glob("*.json"))
NEW_STATEMENT = {
    "Sid": "DenyBedrockOutsideProfileRegions",
    "Effect": "Deny",
    "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}},
}


def read(path: Path) -> str:
    return path.open(encoding="utf-8", newline="").read()  # newline="": CRLF stays CRLF




def touched_lines(text: str, op: dict) -> set[int]:
    """The 0-based lines of ``text`` that one edit, its path read in ``text``, may change.

    The lines the target value (and its key) stands on, for an insertion the lines between its
    neighbours, and the line where the item before it ends (where a comma goes or goes away).
    """
    document, source = scan(text)
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in op["path"].split("/")[1:]]
    parent_pointer = "/".join(op["path"].split("/")[:-1])
    parent = jsonpatch.JsonPointer(parent_pointer).resolve(document) if tokens else None
    span = source.spans.get(op["path"])
    if span is not None and not (op["op"] == "add" and isinstance(parent, list)):
        start = span.key_start if span.key_start is not None else span.start
        end = span.end
    else:  # an insertion: from the end of the item before to the start of the item after
        outer = source.spans[parent_pointer]
        keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
        index = len(keys) if tokens[-1] == "-" or isinstance(parent, dict) else int(tokens[-1])
        children = [source.spans[f"{parent_pointer}/{escape_pointer_token(k)}"] for k in keys]
        start = children[index - 1].end if index else outer.start
        after = children[index] if index < len(children) else None
        end = (after.key_start if after and after.key_start is not None else after.start) if after else outer.end
    if op["op"] == "remove" and len(parent) == 1:  # the container is left empty: "[]"
        start, end = source.spans[parent_pointer].start, source.spans[parent_pointer].end
    elif span is not None and parent is not None and len(parent) > 0:
        outer = source.spans[parent_pointer]
        start = min(start, text.rfind(",", outer.start, start) + 1 or start)
        comma = text.find(",", end, outer.end)
        end = max(end, comma + 1 if comma != -1 and not text[end:comma].strip() else end)
    first = text.count("\n", 0, start)
    return set(range(first, text.count("\n", 0, end) + 1))


def check(text: str, operations: list[dict], *, tmp_path: Path | None = None, noise: bool = True) -> str:
    """Render, and assert everything the issue asks of a rendering. Returns the new text."""
    document, _ = scan(text)
    new = rewrite_json(text, operations)
    expected = jsonpatch.apply_patch(document, operations)
    assert scan(new)[0] == expected
    assert json.dumps(scan(new)[0], sort_keys=True) == json.dumps(expected, sort_keys=True)
    if noise:
        assert diff_noise(text, new, document, operations) == []
    assert new.startswith("\ufeff") == text.startswith("\ufeff")
    assert new.endswith("\n") == text.endswith("\n")
    if "\n" in text and text.count("\n") == text.count("\r\n"):  # a CRLF document stays CRLF
        assert new.count("\n") == new.count("\r\n")
    if tmp_path is not None:
        git_apply_check(tmp_path, text, new)
    return new


def git_apply_check(tmp_path: Path, old: str, new: str, name: str = "policies/scp.json") -> None:
    repo = tmp_path / "repo"
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    target.write_bytes(old.encode("utf-8"))
    patch = repo / "change.diff"
    patch.write_bytes(unified_diff(old, new, path=name).encode("utf-8"))
    git = ["git", "-c", "core.autocrlf=false", "-C", str(repo)]
    result = subprocess.run([*git, "apply", "--check", "change.diff"], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    subprocess.run([*git, "apply", "change.diff"], check=True)
    assert target.read_bytes() == new.encode("utf-8")


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(split_lines(old), split_lines(new)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


# --- per-sample operations, as the strategies make them ---------------------------------------------
def region_lists(document: dict) -> list[tuple[str, Any]]:
    statements = document["Statement"]
    pairs = [("/Statement", statements)] if isinstance(statements, dict) else [
        (f"/Statement/{i}", s) for i, s in enumerate(statements)
    ]
    found = []
    for pointer, statement in pairs:
        for operator, clause in statement.get("Condition", {}).items():
            for key, value in clause.items():
                if key.lower() == "aws:requestedregion":
                    path = f"{pointer}/Condition/{escape_pointer_token(operator)}/{escape_pointer_token(key)}"
                    found.append((path, value))
    return found


def sample_cases(document: dict) -> dict[str, list[dict]]:
    cases: dict[str, list[dict]] = {}
    statements = document["Statement"]
    first = "/Statement" if isinstance(statements, dict) else "/Statement/0"
    lists = region_lists(document)
    if lists:
        path, value = lists[-1]
        if isinstance(value, list):
            cases["append region"] = [{"op": "add", "path": f"{path}/-", "value": "ap-northeast-3"}]
            cases["append two regions"] = [
                {"op": "add", "path": f"{path}/-", "value": "ap-northeast-3"},
                {"op": "add", "path": f"{path}/-", "value": "ap-southeast-4"},
            ]
            cases["replace list, longer"] = [
                {"op": "replace", "path": path, "value": [*value, "eu-west-3"]}
            ]
            if len(value) >= 2:
                cases["remove region"] = [{"op": "remove", "path": f"{path}/1"}]
                cases["remove last region"] = [{"op": "remove", "path": f"{path}/{len(value) - 1}"}]
        else:
            cases["scalar to list"] = [
                {"op": "replace", "path": path, "value": [value, "ap-northeast-3"]}
            ]
        condition = path.rsplit("/", 2)[0]
        cases["new operator"] = [
            {
                "op": "add",
                "path": f"{condition}/ArnNotLike",
                "value": {"bedrock:InferenceProfileArn": ["arn:aws:bedrock:*:*:inference-profile/apac.*"]},
            }
        ]
    statement = jsonpatch.JsonPointer(first).resolve(document)
    if "Action" in statement:
        cases["Action to NotAction"] = [
            {"op": "remove", "path": f"{first}/Action"},
            {"op": "add", "path": f"{first}/NotAction", "value": ["bedrock:*", "iam:*"]},
        ]
    if isinstance(statements, list):
        cases["new statement"] = [{"op": "add", "path": "/Statement/-", "value": NEW_STATEMENT}]
        if len(statements) > 1:
            cases["remove statement"] = [{"op": "remove", "path": "/Statement/0"}]
    else:
        cases["statement to list"] = [
            {"op": "replace", "path": "/Statement", "value": [statements, NEW_STATEMENT]}
        ]
    cases["new key in statement"] = [{"op": "add", "path": f"{first}/NotResource", "value": ["arn:aws:s3:::x"]}]
    together = [
        *cases.get("append region", cases.get("scalar to list", [])),
        *cases.get("new operator", []),
        *cases.get("Action to NotAction", []),
    ]
    if "new statement" in cases:
        cases["everything at once"] = [*together, *cases["new statement"]]
    else:  # the list first: every later path then goes through /Statement/0
        rebased = [{**op, "path": op["path"].replace("/Statement/", "/Statement/0/", 1)} for op in together]
        cases["everything at once"] = [*cases["statement to list"], *rebased]
    return cases


SAMPLE_CASES = [
    pytest.param(sample, name, ops, id=f"{sample.stem}-{name}")
    for sample in SAMPLES
    for name, ops in sample_cases(scan(read(sample))[0]).items()
]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_no_edits_gives_the_text_back_byte_for_byte(sample: Path) -> None:
    text = read(sample)
    assert rewrite_json(text, []) == text
    # Also when an edit changes nothing.
    document, _ = scan(text)
    assert rewrite_json(text, [{"op": "replace", "path": "/Statement", "value": document["Statement"]}]) == text


@pytest.mark.parametrize(("sample", "name", "ops"), SAMPLE_CASES)
def test_every_sample_and_edit(sample: Path, name: str, ops: list[dict], tmp_path: Path) -> None:
    text = read(sample)
    check(text, ops, tmp_path=tmp_path)


# --- exact diffs for the cases the issue names ----------------------------------------------------
LINES = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Deny",\n      "Action": "*",\n      "Resource": "*",\n      "Condition": {\n        "StringNotEquals": {\n          "aws:RequestedRegion": [\n            "us-east-1",\n            "us-west-2"\n          ]\n        }\n      }\n    }\n  ]\n}\n'
REGIONS = "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion"


def test_append_to_a_list_one_item_a_line_adds_one_line_and_a_comma() -> None:
    new = check(LINES, [{"op": "add", "path": f"{REGIONS}/-", "value": "ap-northeast-3"}])
    removed, added = changed_lines(LINES, new)
    assert removed == ['            "us-west-2"\n']
    assert added == ['            "us-west-2",\n', '            "ap-northeast-3"\n']


def test_append_to_an_inline_list_changes_that_line() -> None:
    text = LINES.replace('[\n            "us-east-1",\n            "us-west-2"\n          ]', '["us-east-1", "us-west-2"]')
    new = check(text, [{"op": "add", "path": f"{REGIONS}/-", "value": "ap-northeast-3"}])
    removed, added = changed_lines(text, new)
    assert removed == ['          "aws:RequestedRegion": ["us-east-1", "us-west-2"]\n']
    assert added == ['          "aws:RequestedRegion": ["us-east-1", "us-west-2", "ap-northeast-3"]\n']


def test_scalar_to_list_changes_only_that_value() -> None:
    text = LINES.replace('[\n            "us-east-1",\n            "us-west-2"\n          ]', '"us-east-1"')
    op = {"op": "replace", "path": REGIONS, "value": ["us-east-1", "ap-northeast-3"]}
    new = check(text, [op])
    removed, added = changed_lines(text, new)
    assert removed == ['          "aws:RequestedRegion": "us-east-1"\n']
    # No list to follow but the statement list: one item a line, at the document's 2-space unit.
    assert added == [
        '          "aws:RequestedRegion": [\n',
        '            "us-east-1",\n',
        '            "ap-northeast-3"\n',
        "          ]\n",
    ]


def test_scalar_to_list_follows_an_inline_sibling_list() -> None:
    text = '{\n    "Statement": {\n        "Effect": "Deny",\n        "NotAction": ["iam:*", "sts:*"],\n        "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}\n    }\n}'
    op = {"op": "replace", "path": "/Statement/Condition/StringNotEquals/aws:RequestedRegion", "value": ["eu-west-1", "eu-west-3"]}
    new = check(text, [op])
    assert new == text.replace('"eu-west-1"}', '["eu-west-1", "eu-west-3"]}')


def test_remove_an_item_in_the_middle_and_at_the_end() -> None:
    text = LINES.replace('"us-west-2"\n', '"us-west-2",\n            "eu-west-1"\n')
    new = check(text, [{"op": "remove", "path": f"{REGIONS}/1"}])
    assert changed_lines(text, new) == (['            "us-west-2",\n'], [])
    new = check(text, [{"op": "remove", "path": f"{REGIONS}/2"}])
    assert changed_lines(text, new) == (
        ['            "us-west-2",\n', '            "eu-west-1"\n'],
        ['            "us-west-2"\n'],
    )
    new = check(text, [{"op": "remove", "path": f"{REGIONS}/2"}, {"op": "remove", "path": f"{REGIONS}/0"}])
    assert '[\n            "us-west-2"\n          ]' in new


def test_removed_key_is_replaced_in_place() -> None:
    # as the notaction fix writes it: the remove, then the add of the other key
    ops = [
        {"op": "remove", "path": "/Statement/0/Action"},
        {"op": "add", "path": "/Statement/0/NotAction", "value": ["bedrock:*", "iam:*"]},
    ]
    new = check(LINES, ops)
    removed, added = changed_lines(LINES, new)
    assert removed == ['      "Action": "*",\n']
    assert added == ['      "NotAction": [\n', '        "bedrock:*",\n', '        "iam:*"\n', "      ],\n"]


def test_new_key_and_new_statement_follow_their_siblings() -> None:
    ops = [
        {"op": "add", "path": "/Statement/0/Condition/ArnNotLike", "value": {"bedrock:InferenceProfileArn": ["arn:a"]}},
        {"op": "add", "path": "/Statement/-", "value": {"Effect": "Deny", "Action": "*"}},
    ]
    new = check(LINES, ops)
    assert new == LINES.replace(
        '          ]\n        }\n      }\n    }\n  ]',
        '          ]\n        },\n        "ArnNotLike": {\n          "bedrock:InferenceProfileArn": [\n'
        '            "arn:a"\n          ]\n        }\n      }\n    },\n'
        '    {\n      "Effect": "Deny",\n      "Action": "*"\n    }\n  ]',
    )


def test_single_statement_object_is_wrapped_keeping_its_lines() -> None:
    text = '{\r\n  "Statement": {\r\n    "Effect": "Deny",\r\n    "Action": "*"\r\n  }\r\n}'
    statement = scan(text)[0]["Statement"]
    op = {"op": "replace", "path": "/Statement", "value": [statement, {"Effect": "Allow", "Action": "*"}]}
    new = check(text, [op])
    assert new == (
        '{\r\n  "Statement": [{\r\n    "Effect": "Deny",\r\n    "Action": "*"\r\n'
        '  }, {\r\n    "Effect": "Allow",\r\n    "Action": "*"\r\n  }]\r\n}'
    )


@pytest.mark.parametrize(
    ("unit", "newline"),
    [("  ", "\n"), ("    ", "\n"), ("\t", "\n"), ("", "\n"), ("  ", "\r\n"), ("\t", "\r\n")],
    ids=["2", "4", "tab", "flush-left", "2-crlf", "tab-crlf"],
)
def test_new_values_use_the_document_indent_and_line_end(unit: str, newline: str) -> None:
    document = {"Statement": [{"Effect": "Deny", "NotAction": ["iam:*"], "Condition": {}}]}
    text = "\ufeff" + json.dumps(document, indent=4).replace("    ", unit).replace("\n", newline)
    ops = [
        {"op": "add", "path": "/Statement/0/Condition/StringNotEquals", "value": {"aws:RequestedRegion": ["a", "b"]}},
        {"op": "add", "path": "/Statement/-", "value": {"Effect": "Deny", "NotAction": ["x"]}},
    ]
    new = check(text, ops)
    expected = copy.deepcopy(document)
    expected["Statement"][0]["Condition"] = {"StringNotEquals": {"aws:RequestedRegion": ["a", "b"]}}
    expected["Statement"].append({"Effect": "Deny", "NotAction": ["x"]})
    # An empty {} written by json.dumps is the one place the author's text gives no layout of its own.
    assert new == "\ufeff" + json.dumps(expected, indent=4).replace("    ", unit).replace("\n", newline)


def test_minified_stays_minified() -> None:
    text = '{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}'
    ops = [
        {"op": "add", "path": "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion/-", "value": "eu-west-3"},
        {"op": "add", "path": "/Statement/0/Condition/ArnNotLike", "value": {"k": ["v"]}},
        {"op": "add", "path": "/Statement/-", "value": NEW_STATEMENT},
    ]
    new = check(text, ops)
    assert new == json.dumps(jsonpatch.apply_patch(scan(text)[0], ops), separators=(",", ":"))


def test_stray_whitespace_is_kept() -> None:
    text = '{ "Statement" :[ {"Effect":"Deny" ,  "Action":  [ "a" ,"b" ] }\t]  }  \n\n'
    new = check(text, [{"op": "add", "path": "/Statement/0/Action/-", "value": "c"}])
    assert new == '{ "Statement" :[ {"Effect":"Deny" ,  "Action":  [ "a" ,"b" ,"c" ] }\t]  }  \n\n'


def test_edits_inside_a_new_value_and_removing_it_again() -> None:
    ops = [
        {"op": "add", "path": "/Statement/-", "value": {"Effect": "Deny", "Action": ["a"]}},
        {"op": "add", "path": "/Statement/1/Action/-", "value": "b"},
        {"op": "replace", "path": "/Statement/1/Effect", "value": "Allow"},
    ]
    new = check(LINES, ops)
    assert scan(new)[0]["Statement"][1] == {"Effect": "Allow", "Action": ["a", "b"]}
    assert check(LINES, [*ops, {"op": "remove", "path": "/Statement/1"}]) == LINES


@pytest.mark.parametrize(
    "op",
    [
        {"op": "add", "path": "/Statement/5/Condition/X", "value": 1},
        {"op": "add", "path": "/Statement/0/Nope/X", "value": 1},
        {"op": "remove", "path": "/Statement/0/Nope"},
        {"op": "replace", "path": "/Statement/3", "value": 1},
        {"op": "add", "path": "/Statement/01", "value": 1},
        {"op": "add", "path": "/Version/x", "value": 1},
        {"op": "remove", "path": ""},
        {"op": "move", "path": "/Version", "from": "/Statement"},
        {"op": "add", "path": "Statement"},
        {"op": "test", "path": "/Version", "value": "2008-10-17"},
        {"op": "add", "path": "/Statement/0", "value": {}},  # an insertion inside a list
    ],
    ids=lambda op: f"{op['op']} {op['path']}",
)
def test_an_edit_the_writer_cannot_make_is_an_error_naming_the_file(op: dict) -> None:
    with pytest.raises(ScpFixError) as caught:
        rewrite_json(LINES, [op], path="scp.json")
    assert caught.value.path == "scp.json"


# --- generated documents, formatting and edits ----------------------------------------------------
KEYS = st.sampled_from(["Effect", "Action", "NotAction", "Condition", "aws:RequestedRegion", "k/~", "é", "a\"b"])
SCALARS = st.one_of(
    st.sampled_from(["us-east-1", "*", "", "ap-northeast-3", "ü\u2028"]),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=12,
)


def format_json(value: Any, data: st.DataObject, *, unit: str, newline: str, colon: str, level: int = 0) -> str:
    """JSON written in the styles authors use, each container choosing its own layout."""
    if not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    parts = []
    for key, item in items:
        text = format_json(item, data, unit=unit, newline=newline, colon=colon, level=level + 1)
        parts.append(text if key is None else json.dumps(key) + colon + text)
    brackets = "{}" if isinstance(value, dict) else "[]"
    layout = data.draw(st.sampled_from(["lines", "inline", "stray"]), label="layout")
    if layout == "lines" and newline:
        inner = newline + unit * (level + 1)
        return brackets[0] + inner + ("," + inner).join(parts) + newline + unit * level + brackets[1]
    if layout == "stray":
        return brackets[0] + " " + " , ".join(parts) + "\t" + brackets[1]
    return brackets[0] + (", " if colon.endswith(" ") else ",").join(parts) + brackets[1]


def pointers(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = [(prefix, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += pointers(item, f"{prefix}/{escape_pointer_token(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += pointers(item, f"{prefix}/{index}")
    return found


def draw_operation(data: st.DataObject, document: Any) -> dict:
    """An operation of the kinds the writer makes: append, add or replace a member, remove, replace
    (a list by a longer one, a value by a list that starts with it, anything by anything)."""
    targets = pointers(document)[1:]  # the writer edits inside the document, not the whole of it
    if not targets:
        return {"op": "add", "path": "/" + escape_pointer_token(data.draw(KEYS, label="key")), "value": data.draw(VALUES, label="new")}
    pointer, value = data.draw(st.sampled_from(targets), label="target")
    containers = [(p, v) for p, v in pointers(document) if isinstance(v, (dict, list))]
    kind = data.draw(st.sampled_from(["add", "remove", "replace", "wrap", "grow"]), label="kind")
    if kind == "add" and containers:
        pointer, value = data.draw(st.sampled_from(containers), label="container")
        if isinstance(value, list):
            where = data.draw(st.sampled_from(["-", str(len(value))]), label="index")
            return {"op": "add", "path": f"{pointer}/{where}", "value": data.draw(VALUES, label="new")}
        key = data.draw(KEYS, label="key")
        return {"op": "add", "path": f"{pointer}/{escape_pointer_token(key)}", "value": data.draw(VALUES, label="new")}
    if kind == "remove" and pointer:
        return {"op": "remove", "path": pointer}
    if kind == "wrap":
        return {"op": "replace", "path": pointer, "value": [value, data.draw(VALUES, label="new")]}
    if kind == "grow" and isinstance(value, list):
        return {"op": "replace", "path": pointer, "value": [*value, data.draw(VALUES, label="new")]}
    return {"op": "replace", "path": pointer, "value": data.draw(VALUES, label="new")}


@pytest.mark.slow  # a property test at full size
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=st.dictionaries(KEYS, VALUES, min_size=1, max_size=4),
    unit=st.sampled_from(["  ", "    ", "\t", ""]),
    newline=st.sampled_from(["\n", "\r\n", ""]),
    bom=st.booleans(),
    end=st.sampled_from(["", "\n", "\r\n", "  \n\n"]),
    data=st.data(),
)
def test_generated_documents_and_edits(
    document: dict, unit: str, newline: str, bom: bool, end: str, data: st.DataObject
) -> None:
    colon = ":" if not newline and data.draw(st.booleans(), label="minified") else ": "
    text = ("\ufeff" if bom else "") + format_json(document, data, unit=unit, newline=newline, colon=colon) + end
    assert scan(text)[0] == document
    assert rewrite_json(text, []) == text
    operations: list[dict] = []
    current = document
    for _ in range(data.draw(st.integers(1, 4), label="count")):
        op = draw_operation(data, current)
        operations.append(op)
        current = jsonpatch.apply_patch(current, [op])
    new = check(text, operations, noise=False)
    assert text.startswith(new[: len(text) - len(text.lstrip("\ufeff \t\r\n"))])
    assert new.endswith(end)
    # The first edit alone changes no line outside the lines it touches.
    new = check(text, operations[:1], noise=False)
    allowed = touched_lines(text, operations[0])
    old_lines, new_lines = split_lines(text), split_lines(new)
    # The lines touched are one stretch: those before and after it are kept. (Compared as prefix and
    # suffix, not by a diff, which may put a change on either of two equal neighbouring lines.)
    first, last = min(allowed), max(allowed)
    after = len(old_lines) - last - 1
    assert new_lines[:first] == old_lines[:first], (first, sorted(allowed))
    assert len(new_lines) >= first + after and new_lines[len(new_lines) - after :] == old_lines[last + 1 :], (last, sorted(allowed))


def _irregular_json(value: Any, data: st.DataObject, *, unit: str, newline: str, level: int = 0) -> str:
    """JSON one item a line, as people write it by hand: commas first or last, items indented unevenly,
    spaces before a comma; or a container inline."""
    if not isinstance(value, (dict, list)) or not value:
        return json.dumps(value)
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    parts = [
        (text if key is None else json.dumps(key) + data.draw(st.sampled_from([": ", ":", " : "]), label="colon") + text)
        for key, item in items
        for text in [_irregular_json(item, data, unit=unit, newline=newline, level=level + 1)]
    ]
    brackets = "{}" if isinstance(value, dict) else "[]"
    layout = data.draw(st.sampled_from(["lines", "comma first", "inline"]), label="layout")
    if layout == "inline":
        return brackets[0] + ", ".join(parts) + brackets[1]
    lines = [unit * (level + 1) + data.draw(st.sampled_from(["", " ", unit]), label="extra") for _ in parts]
    if layout == "comma first":
        body = lines[0] + parts[0] + "".join(newline + line + ", " + part for line, part in zip(lines[1:], parts[1:]))
    else:
        commas = [data.draw(st.sampled_from([",", " ,"]), label="comma") for _ in parts[1:]]
        body = "".join(line + part + (comma + newline) for line, part, comma in zip(lines, parts, commas))
        body += lines[-1] + parts[-1]
    return brackets[0] + newline + body + newline + unit * level + brackets[1]


# --- edits in an otherwise untouched document -----------------------------------------------------
def test_an_edit_deep_in_a_long_document_changes_only_its_own_place() -> None:
    sample = next(path for path in SAMPLES if path.stem == "control-tower-region-deny")
    text = read(sample)
    op = {"op": "add", "path": "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion/-", "value": "ap-northeast-3"}
    new = rewrite_json(text, [op])
    indent = " " * 24
    assert new == text.replace(f'{indent}"ap-northeast-1"\n', f'{indent}"ap-northeast-1",\n{indent}"ap-northeast-3"\n', 1)


@pytest.mark.parametrize("layout", ["lines", "inline"])
def test_edits_here_and_there_in_a_long_list_keep_every_item_between(layout: str) -> None:
    def written(items: list[str]) -> str:
        if layout == "inline":
            return '{\n  "NotAction": [' + ", ".join(json.dumps(item) for item in items) + "]\n}\n"
        return '{\n  "NotAction": [\n' + ",\n".join(f"    {json.dumps(item)}" for item in items) + "\n  ]\n}\n"

    items = [f"service{i}:*" for i in range(40)]
    ops = [
        {"op": "remove", "path": "/NotAction/3"},
        {"op": "replace", "path": "/NotAction/30", "value": "other:*"},
        {"op": "add", "path": "/NotAction/-", "value": "last:*"},
    ]
    expected = jsonpatch.apply_patch({"NotAction": items}, ops)["NotAction"]
    assert check(written(items), ops) == written(expected)


def test_each_source_keeps_its_own_style_when_rendered_in_turn() -> None:
    # The same document written twice: what a new value looks like comes from each text.
    document = {"Statement": [{"Effect": "Deny", "NotAction": ["iam:*"]}]}
    texts = {indent: json.dumps(document, indent=indent) for indent in (2, "\t")}
    op = {"op": "add", "path": "/Statement/-", "value": {"Effect": "Deny", "Action": ["bedrock:*"]}}
    expected = jsonpatch.apply_patch(document, [op])
    for indent in (2, "\t", 2, "\t"):
        new = rewrite_json(texts[indent], [op])
        assert new == json.dumps(expected, indent=indent)


def test_the_operations_are_only_read() -> None:
    ops = [
        {"op": "add", "path": "/Statement/-", "value": {"Effect": "Deny", "Action": ["a"]}},
        {"op": "add", "path": "/Statement/1/Action/-", "value": "b"},
        {"op": "replace", "path": "/Statement/1/Effect", "value": "Allow"},
    ]
    before = copy.deepcopy(ops)
    check(LINES, ops)
    assert ops == before


def test_a_new_key_takes_the_most_common_colon_and_a_tie_goes_to_the_outer_objects() -> None:
    # ": " and " : " are as common; the document's own members come before the nested ones.
    text = '{"p":{"q" : 1, "q2" : 2}, "r": 3, "s": 4}'
    new = check(text, [{"op": "add", "path": "/t", "value": 5}])
    assert new == '{"p":{"q" : 1, "q2" : 2}, "r": 3, "s": 4, "t": 5}'


def test_a_new_value_in_a_document_written_one_item_a_line_follows_its_colon_indent_and_line_ends() -> None:
    text = '{\r\n\t"Statement" : [\r\n\t\t{\r\n\t\t\t"Effect" : "Deny"\r\n\t\t}\r\n\t]\r\n}\r\n'
    op = {"op": "add", "path": "/Statement/-", "value": {"Effect": "Allow", "Action": ["s3:GetObject"], "Condition": {}}}
    assert rewrite_json(text, [op]) == (
        '{\r\n\t"Statement" : [\r\n\t\t{\r\n\t\t\t"Effect" : "Deny"\r\n\t\t},\r\n'
        '\t\t{\r\n\t\t\t"Effect" : "Allow",\r\n\t\t\t"Action" : [\r\n\t\t\t\t"s3:GetObject"\r\n\t\t\t],\r\n'
        '\t\t\t"Condition" : {}\r\n\t\t}\r\n\t]\r\n}\r\n'
    )
