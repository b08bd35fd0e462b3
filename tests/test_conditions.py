"""Condition operators: every family, the missing-key rules, IfExists, Null and set qualifiers."""

from __future__ import annotations

import pytest

from rewriter.conditions import (
    KNOWN_OPERATORS,
    close_operators,
    condition_matches,
    split_operator,
)
from rewriter.model import Operator

ABSENT = None


def check(operator: str, request: tuple[str, ...] | str | None, *values: str) -> bool:
    parsed = split_operator(operator)
    assert parsed is not None, operator
    if isinstance(request, str):
        request = (request,)
    return condition_matches(parsed, request, values)


# --- the operator catalogue -------------------------------------------------------------------


def test_catalogue_has_every_family() -> None:
    expected = {
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
        "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
        "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
        "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
        "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    }  # fmt: skip
    assert KNOWN_OPERATORS == expected


@pytest.mark.parametrize(
    ("name", "base", "qualifier", "if_exists"),
    [
        ("StringEquals", "StringEquals", None, False),
        ("ArnNotLikeIfExists", "ArnNotLike", None, True),
        ("ForAllValues:StringLike", "StringLike", "ForAllValues", False),
        ("ForAnyValue:StringNotEqualsIgnoreCaseIfExists", "StringNotEqualsIgnoreCase", "ForAnyValue", True),
        ("Null", "Null", None, False),
    ],
)
def test_split_operator(name: str, base: str, qualifier: str | None, if_exists: bool) -> None:
    assert split_operator(name) == Operator(name=name, base=base, qualifier=qualifier, if_exists=if_exists)


@pytest.mark.parametrize(
    "name",
    ["StringEqual", "stringequals", "NullIfExists", "ForEveryValue:StringEquals", "IfExists", "", "Foo:Bar"],
)
def test_split_operator_rejects_unknown_names(name: str) -> None:
    assert split_operator(name) is None


def test_negated_operators_are_flagged() -> None:
    negated = {o for o in KNOWN_OPERATORS if split_operator(o).negated}  # type: ignore[union-attr]
    assert negated == {
        "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
        "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike",
    }  # fmt: skip


def test_close_operators_suggests_the_intended_name() -> None:
    assert close_operators("StringNotEqual")[0] == "StringNotEquals"
    assert close_operators("ArnNotLikeIfExist")[0] == "ArnNotLikeIfExists"
    assert close_operators("ForAnyValues:StringLike")[0] == "ForAnyValue:StringLike"


# --- string operators ---------------------------------------------------------------------------


def test_string_equals_is_exact_and_case_sensitive() -> None:
    assert check("StringEquals", "us-east-1", "us-east-1")
    assert not check("StringEquals", "US-EAST-1", "us-east-1")
    assert not check("StringEquals", "us-east-1a", "us-east-1")


def test_string_equals_several_values_or() -> None:
    assert check("StringEquals", "eu-west-1", "us-east-1", "eu-west-1")
    assert not check("StringEquals", "ap-south-1", "us-east-1", "eu-west-1")


def test_string_not_equals_several_values_nor() -> None:
    assert not check("StringNotEquals", "eu-west-1", "us-east-1", "eu-west-1")
    assert check("StringNotEquals", "ap-south-1", "us-east-1", "eu-west-1")
    assert check("StringNotEquals", "US-EAST-1", "us-east-1")  # case-sensitive, so "not equal"


def test_ignore_case_variants() -> None:
    assert check("StringEqualsIgnoreCase", "US-East-1", "us-east-1")
    assert not check("StringEqualsIgnoreCase", "us-east-2", "us-east-1")
    assert not check("StringNotEqualsIgnoreCase", "US-EAST-1", "us-east-1")
    assert check("StringNotEqualsIgnoreCase", "us-east-2", "US-EAST-1")


def test_string_like_wildcards_are_case_sensitive() -> None:
    assert check("StringLike", "jp.anthropic.claude", "jp.*")
    assert check("StringLike", "ab", "a?")
    assert not check("StringLike", "abc", "a?")
    assert not check("StringLike", "JP.anthropic", "jp.*")
    assert check("StringLike", "x-middle-y", "x*y")


def test_string_like_treats_regex_characters_literally() -> None:
    assert not check("StringLike", "axb", "a.b")
    assert check("StringLike", "a.b", "a.b")
    assert check("StringLike", "a+(b)", "a+(b)")


def test_string_like_literal_wildcard_escapes() -> None:
    assert check("StringLike", "a*b", "a${*}b")
    assert not check("StringLike", "axxb", "a${*}b")
    assert check("StringLike", "what?", "what${?}")


def test_string_not_like_is_nor_and_case_sensitive() -> None:
    assert not check("StringNotLike", "us-east-1", "eu-*", "us-*")
    assert check("StringNotLike", "ap-south-1", "eu-*", "us-*")
    assert check("StringNotLike", "US-EAST-1", "us-*")


# --- missing keys and IfExists -----------------------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    ["StringEquals", "StringLike", "ArnLike", "NumericLessThan", "DateGreaterThan", "Bool", "IpAddress",
     "BinaryEquals", "StringEqualsIgnoreCase", "ArnEquals"],
)  # fmt: skip
def test_positive_operator_on_missing_key_is_false(operator: str) -> None:
    assert not check(operator, ABSENT, "x")


@pytest.mark.parametrize(
    "operator",
    ["StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase", "ArnNotLike", "ArnNotEquals",
     "NumericNotEquals", "DateNotEquals", "NotIpAddress"],
)  # fmt: skip
def test_negated_operator_on_missing_key_is_true(operator: str) -> None:
    assert check(operator, ABSENT, "x")


@pytest.mark.parametrize("operator", ["StringEqualsIfExists", "ArnLikeIfExists", "BoolIfExists"])
def test_if_exists_on_missing_key_is_true(operator: str) -> None:
    assert check(operator, ABSENT, "x")


def test_if_exists_on_present_key_evaluates_as_written() -> None:
    assert not check("StringEqualsIfExists", "b", "a")
    assert check("StringEqualsIfExists", "a", "a")
    assert not check("StringNotEqualsIfExists", "a", "a")
    assert check("ArnNotLikeIfExists", "arn:aws:iam::1:role/x", "arn:aws:iam::*:role/y")


def test_empty_value_set_counts_as_missing() -> None:
    assert not check("StringEquals", (), "x")
    assert check("StringNotEquals", (), "x")


# --- numeric ------------------------------------------------------------------------------------


def test_numeric_compares_numbers_not_text() -> None:
    assert check("NumericLessThan", "9", "10")  # "9" > "10" as text
    assert not check("NumericGreaterThan", "9", "10")
    assert check("NumericEquals", "1.0", "1")
    assert check("NumericNotEquals", "2", "1", "3")
    assert not check("NumericNotEquals", "3", "1", "3")


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("NumericLessThan", "5", False),
        ("NumericLessThanEquals", "5", True),
        ("NumericGreaterThan", "5", False),
        ("NumericGreaterThanEquals", "5", True),
        ("NumericGreaterThan", "6", True),
        ("NumericLessThan", "-1", True),
    ],
)
def test_numeric_bounds(operator: str, value: str, expected: bool) -> None:
    assert check(operator, value, "5") is expected


def test_numeric_unreadable_values_match_nothing() -> None:
    assert not check("NumericEquals", "abc", "1")
    assert not check("NumericEquals", "1", "one")


# --- dates --------------------------------------------------------------------------------------


def test_date_accepts_iso_8601_and_epoch_seconds() -> None:
    assert check("DateEquals", "2020-01-01T00:00:00Z", "1577836800")
    assert check("DateEquals", "1577836800", "2020-01-01T00:00:00Z")
    assert check("DateEquals", "2020-01-01T09:00:00+09:00", "2020-01-01T00:00:00Z")
    assert check("DateEquals", "2020-01-01", "2020-01-01T00:00:00Z")
    assert check("DateEquals", "20200101T000000Z", "2020-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("DateLessThan", "2019-12-31T23:59:59Z", True),
        ("DateLessThan", "2020-01-01T00:00:00Z", False),
        ("DateLessThanEquals", "2020-01-01T00:00:00Z", True),
        ("DateGreaterThan", "2020-01-01T00:00:01Z", True),
        ("DateGreaterThanEquals", "2019-12-31T23:59:59.5Z", False),
        ("DateNotEquals", "2020-01-02T00:00:00Z", True),
        ("DateNotEquals", "2020-01-01T00:00:00Z", False),
    ],
)
def test_date_ordering(operator: str, value: str, expected: bool) -> None:
    assert check(operator, value, "2020-01-01T00:00:00Z") is expected


# --- Bool, Binary, IP -----------------------------------------------------------------------------


def test_bool() -> None:
    assert check("Bool", "true", "true")
    assert check("Bool", "True", "true")
    assert not check("Bool", "false", "true")
    assert check("Bool", "false", "false")


def test_binary_equals_compares_decoded_bytes() -> None:
    assert check("BinaryEquals", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=")
    assert not check("BinaryEquals", "QmluYXJ5VmFsdWF=", "QmluYXJ5VmFsdWU=")
    assert not check("BinaryEquals", "b3RoZXI=", "QmluYXJ5VmFsdWU=")


def test_ip_address_cidr() -> None:
    assert check("IpAddress", "203.0.113.7", "203.0.113.0/24")
    assert not check("IpAddress", "203.0.114.7", "203.0.113.0/24")
    assert check("IpAddress", "198.51.100.1", "203.0.113.0/24", "198.51.100.1")  # bare address = /32
    assert check("IpAddress", "2001:db8::1", "2001:db8::/32")
    assert not check("IpAddress", "203.0.113.7", "2001:db8::/32")  # other IP version
    assert not check("IpAddress", "not-an-ip", "0.0.0.0/0")


def test_not_ip_address_is_nor() -> None:
    assert check("NotIpAddress", "192.0.2.1", "203.0.113.0/24", "198.51.100.0/24")
    assert not check("NotIpAddress", "198.51.100.9", "203.0.113.0/24", "198.51.100.0/24")


# --- ARN ----------------------------------------------------------------------------------------

ROLE = "arn:aws:iam::123456789012:role/AWSControlTowerExecution"


def test_arn_like_matches_segment_by_segment() -> None:
    assert check("ArnLike", ROLE, "arn:aws:iam::*:role/AWSControlTowerExecution")
    assert check("ArnLike", ROLE, "arn:*:iam::*:role/AWSControlTower*")
    assert not check("ArnLike", ROLE, "arn:aws:iam::*:role/Other")
    # a segment wildcard does not swallow a colon: the account part cannot absorb "x:y"
    assert not check("ArnLike", "arn:aws:s3:us-east-1:x:y:bucket", "arn:aws:s3:*:*:bucket")
    # the resource part may contain colons
    assert check("ArnLike", "arn:aws:logs:us-east-1:1:log-group:g:*", "arn:aws:logs:*:*:log-group:*")


def test_arn_like_empty_segments_and_case() -> None:
    global_fm = "arn:aws:bedrock:::foundation-model/anthropic.claude"
    assert check("ArnLike", global_fm, "arn:aws:bedrock:*:*:foundation-model/*")
    assert not check("ArnLike", ROLE.lower(), "arn:aws:iam::*:role/AWSControlTowerExecution")


def test_arn_equals_also_takes_wildcards() -> None:
    assert check("ArnEquals", ROLE, "arn:aws:iam::*:role/AWSControlTowerExecution")
    assert not check("ArnNotEquals", ROLE, "arn:aws:iam::*:role/AWSControlTowerExecution")


def test_arn_not_like_is_nor() -> None:
    patterns = ("arn:aws:iam::*:role/A", "arn:aws:iam::*:role/B")
    assert check("ArnNotLike", "arn:aws:iam::1:role/C", *patterns)
    assert not check("ArnNotLike", "arn:aws:iam::1:role/B", *patterns)


def test_arn_operator_on_a_non_arn_value() -> None:
    assert not check("ArnLike", "not-an-arn", "arn:aws:iam::*:role/A")
    assert check("ArnNotLike", "not-an-arn", "arn:aws:iam::*:role/A")


# --- Null ---------------------------------------------------------------------------------------


def test_null_true_requires_the_key_absent() -> None:
    assert check("Null", ABSENT, "true")
    assert check("Null", (), "true")
    assert not check("Null", "x", "true")


def test_null_false_requires_the_key_present() -> None:
    assert check("Null", "x", "false")
    assert not check("Null", ABSENT, "false")


# --- set qualifiers -----------------------------------------------------------------------------


def test_for_all_values_is_a_subset_test() -> None:
    allowed = ("PostDateTime", "Message", "Tags")
    assert check("ForAllValues:StringLike", ("PostDateTime", "Message"), *allowed)
    assert not check("ForAllValues:StringLike", ("PostDateTime", "UserName"), *allowed)


def test_for_all_values_on_missing_or_empty_key_is_true() -> None:
    assert check("ForAllValues:StringEquals", ABSENT, "a")
    assert check("ForAllValues:StringEquals", (), "a")


def test_for_any_value_is_an_intersection_test() -> None:
    forbidden = ("ID", "PostDateTime")
    assert check("ForAnyValue:StringLike", ("UserName", "Message", "PostDateTime"), *forbidden)
    assert not check("ForAnyValue:StringLike", ("UserName",), *forbidden)


def test_for_any_value_on_missing_key_is_false_unless_if_exists() -> None:
    assert not check("ForAnyValue:StringEquals", ABSENT, "a")
    assert not check("ForAnyValue:StringNotEquals", ABSENT, "a")
    assert check("ForAnyValue:StringEqualsIfExists", ABSENT, "a")


def test_for_all_values_with_negated_operator() -> None:
    # IAM's example: deny unless every tag key starts with key1
    op = "ForAllValues:StringNotLike"
    assert not check(op, ("key1:legal",), "key1*")
    assert not check(op, ("key1:hr", "key1:personnel"), "key1*")
    assert check(op, ("key2:audit",), "key1*")
    assert check(op, ABSENT, "key1*")
    # every value must avoid every pattern
    assert not check(op, ("key2:audit", "key1:hr"), "key1*")


def test_for_any_value_with_negated_operator() -> None:
    op = "ForAnyValue:StringNotEquals"
    assert check(op, ("a", "z"), "a", "b")  # z is in neither
    assert not check(op, ("a", "b"), "a", "b")


def test_plain_operator_on_a_multivalued_key() -> None:
    assert check("StringEquals", ("x", "a"), "a")
    assert not check("StringNotEquals", ("x", "a"), "a")
