"""parse_policy: the model keeps pointers, shapes, order and positions; errors are typed and located."""

from __future__ import annotations

import json

import pytest

from rewriter.errors import PolicyParseError, PolicyShapeError, ScpFixError
from rewriter.jsontext import scan
from rewriter.parse import parse_policy

POLICY = """{
  "Version": "2012-10-17",
  "Id": "region-lock",
  "Statement": [
    {
      "Sid": "DenyOutsideEU",
      "Effect": "Deny",
      "NotAction": ["iam:*", "sts:*"],
      "Resource": "*",
      "Condition": {
        "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
        "ForAnyValue:StringLikeIfExists": {"aws:PrincipalTag/Team": "ml-*"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": 3.60e3},
        "Bool": {"aws:SecureTransport": false}
      }
    },
    {
      "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
      "Action": "s3:DeleteObject",
      "Effect": "Allow"
    }
  ]
}
"""


@pytest.fixture(scope="module")
def policy():
    return parse_policy(POLICY, path="eu.json")


def test_document_is_the_json(policy) -> None:
    assert policy.document == json.loads(POLICY)
    assert (policy.version, policy.id, policy.path) == ("2012-10-17", "region-lock", "eu.json")
    assert policy.statement_is_list


def test_statements_keep_pointers_and_key_order(policy) -> None:
    first, second = policy.statements
    assert (first.index, first.pointer, first.sid, first.effect) == (0, "/Statement/0", "DenyOutsideEU", "Deny")
    assert first.keys == ("Sid", "Effect", "NotAction", "Resource", "Condition")
    assert second.keys == ("Resource", "Action", "Effect")  # written order, not canonical order
    assert (second.sid, second.effect, second.pointer) == (None, "Allow", "/Statement/1")


def test_values_remember_scalar_or_list(policy) -> None:
    first, second = policy.statements
    assert first.action is None and first.not_action.items == ("iam:*", "sts:*")
    assert first.not_action.is_list and first.not_action.pointer == "/Statement/0/NotAction"
    assert first.resource.items == ("*",) and not first.resource.is_list
    assert second.action.items == ("s3:DeleteObject",) and not second.action.is_list
    assert second.resource.is_list and len(second.resource) == 2


def test_conditions_in_written_order_with_operator_parts(policy) -> None:
    clauses = policy.statements[0].conditions
    assert [(c.operator.name, c.key) for c in clauses] == [
        ("StringNotEquals", "aws:RequestedRegion"),
        ("ForAnyValue:StringLikeIfExists", "aws:PrincipalTag/Team"),
        ("NumericLessThan", "aws:MultiFactorAuthAge"),
        ("Bool", "aws:SecureTransport"),
    ]
    assert policy.statements[0].condition_operators == (
        "StringNotEquals", "ForAnyValue:StringLikeIfExists", "NumericLessThan", "Bool"
    )
    qualified = clauses[1].operator
    assert (qualified.base, qualified.qualifier, qualified.if_exists) == ("StringLike", "ForAnyValue", True)
    assert clauses[0].operator.negated and not qualified.negated
    assert clauses[0].pointer == "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion"
    assert clauses[0].values.is_list and not clauses[1].values.is_list


def test_condition_numbers_and_booleans_as_written(policy) -> None:
    clauses = policy.statements[0].conditions
    assert clauses[2].values.items == ("3.60e3",)  # not "3600.0"
    assert clauses[3].values.items == ("false",)


def test_positions_of_values_and_keys(policy) -> None:
    source = policy.source
    assert source.locate("/Statement/0/Effect") == (7, 17)
    assert source.locate("/Statement/0/Effect", key=True) == (7, 7)
    assert source.locate("/Statement/1/Action/0") is None  # a scalar has no item /0
    assert source.locate("/Statement/1/Resource/1") == (18, 41)
    assert source.locate("/Statement") == (4, 16)
    assert source.locate("") == (1, 1)


def test_single_statement_object() -> None:
    policy = parse_policy('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}')
    assert not policy.statement_is_list
    (statement,) = policy.statements
    assert (statement.index, statement.pointer, statement.action.pointer) == (0, "/Statement", "/Statement/Action")
    assert policy.version is None


def test_pointer_tokens_are_escaped() -> None:
    text = (
        '{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*",'
        ' "Condition": {"StringEquals": {"aws:PrincipalTag/cost~center": "x"}}}}'
    )
    clause = parse_policy(text).statements[0].conditions[0]
    assert clause.pointer == "/Statement/Condition/StringEquals/aws:PrincipalTag~1cost~0center"
    assert parse_policy(text).source.locate(clause.pointer) is not None


def test_bytes_and_bom() -> None:
    text = '{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}'
    policy = parse_policy(b"\xef\xbb\xbf" + text.encode(), path="bom.json")
    assert policy.source.has_bom and policy.source.text == "\ufeff" + text  # kept for a faithful rewrite
    assert policy.document == json.loads(text)
    assert policy.source.locate("/Statement/Effect") == (1, 26)  # the BOM is not a column


def test_crlf_line_numbers() -> None:
    text = '{\r\n  "Statement": {\r\n    "Effect": "Deny", "Action": "*", "Resource": "*"\r\n  }\r\n}\r\n'
    assert parse_policy(text).source.locate("/Statement/Effect") == (3, 15)


@pytest.mark.parametrize(
    ("text", "kind", "where", "pointer"),
    [
        ('{"Statement": [}', PolicyParseError, (1, 16), "/Statement/0"),
        ('{"a": 1, "a": 2}', PolicyParseError, (1, 10), "/a"),
        ('{"Statement": []}', PolicyShapeError, (1, 15), "/Statement"),
        ('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Sid": 7}}', PolicyShapeError,
         (1, 73), "/Statement/Sid"),
        ('{"Id": [], "Statement": {}}', PolicyShapeError, (1, 8), "/Id"),
        ('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": []}}',
         PolicyShapeError, (1, 79), "/Statement/Condition"),
        ('{"Statement": {"Effect": "Deny", "Action": "", "Resource": "*"}}', PolicyShapeError,
         (1, 44), "/Statement/Action"),
        ('{"Statement": {"Effect": "Deny", "Action": [], "Resource": "*"}}', PolicyShapeError,
         (1, 44), "/Statement/Action"),
        ('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", '
         '"Condition": {"Bool": {"aws:SecureTransport": []}}}}', PolicyShapeError, (1, 112),
         "/Statement/Condition/Bool/aws:SecureTransport"),
        ('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", '
         '"Condition": {"NullIfExists": {"k": "true"}}}}', PolicyShapeError, (1, 80),
         "/Statement/Condition/NullIfExists"),
    ],
)
def test_errors_are_typed_and_located(text, kind, where, pointer) -> None:
    with pytest.raises(kind) as caught:
        parse_policy(text, path="p.json")
    error = caught.value
    assert isinstance(error, ScpFixError)
    assert (error.path, (error.line, error.column), error.pointer) == ("p.json", where, pointer)
    assert str(error).startswith(f"p.json:{where[0]}:{where[1]}: ")


def test_not_utf8_names_line_and_column() -> None:
    with pytest.raises(PolicyParseError) as caught:
        parse_policy(b'{\n  "Sid": "caf\xe9"\n}', path="l1.json")
    assert (caught.value.line, caught.value.column) == (2, 14)


def test_duplicate_key_is_never_last_wins() -> None:
    # json.loads would silently keep "Allow"
    text = '{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Effect": "Allow"}}'
    assert json.loads(text)["Statement"]["Effect"] == "Allow"
    with pytest.raises(PolicyParseError, match="duplicate key"):
        parse_policy(text)


def test_scan_spans_cover_values_and_keys() -> None:
    text = '{"a": [1, {"b": "x\\"y"}], "c": null}'
    value, source = scan(text)
    assert value == {"a": [1, {"b": 'x"y'}], "c": None}
    span = source.spans["/a/1/b"]
    assert text[span.start : span.end] == '"x\\"y"'
    assert text[span.key_start : span.key_end] == '"b"'
    assert text[source.spans[""].start : source.spans[""].end] == text


@pytest.mark.parametrize(
    ("text", "column", "says"),
    [
        ('{"Sid": "a\\qb"}', 11, "invalid escape '\\\\q'"),
        ('{"Sid": "a\\u00g1"}', 11, "\\u escape"),
        ('{"Sid": "a\tb"}', 11, "control character '\\t'"),
        ('{"Sid": "ab\\"}', 9, "unterminated string"),
        ('{"Sid": "ab\n"}', 9, "unterminated string"),
    ],
)
def test_bad_strings_point_at_the_culprit(text: str, column: int, says: str) -> None:
    with pytest.raises(PolicyParseError) as caught:
        scan(text)
    assert (caught.value.line, caught.value.column) == (1, column)
    assert says in caught.value.message
