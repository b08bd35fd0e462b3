"""rewriter.messages: AccessDenied message text -> Denial."""

from __future__ import annotations

import dataclasses
import json
import textwrap
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.errors import InputError, ScpFixError
from rewriter.messages import (
    POLICY_KINDS,
    Denial,
    describe_policy_kind,
    parse_denial,
    parse_denials,
)

DATA = Path(__file__).parent / "data" / "messages"
CASES: dict[str, object] = yaml.safe_load((DATA / "cases.yaml").read_text(encoding="utf-8"))
FIELDS = tuple(f.name for f in dataclasses.fields(Denial))


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def _expected(entry: dict[str, object]) -> dict[str, object]:
    unknown = set(entry) - set(FIELDS)
    assert not unknown, f"cases.yaml names fields Denial does not have: {unknown}"
    return {name: entry.get(name) for name in FIELDS}


def _fields(denial: Denial) -> dict[str, object]:
    return {name: getattr(denial, name) for name in FIELDS}


# --- the case table ----------------------------------------------------------------------------


def test_every_fixture_has_a_case_and_every_case_a_fixture() -> None:
    fixtures = {p.name for p in DATA.iterdir() if p.suffix in (".txt", ".json")}
    assert fixtures == set(CASES)
    assert len(fixtures) >= 20


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_fields(name: str) -> None:
    entry = CASES[name]
    expected = [_expected(e) for e in (entry if isinstance(entry, list) else [entry])]
    denials = parse_denials(_read(name), path=name)
    assert [_fields(d) for d in denials] == expected
    assert _fields(parse_denial(_read(name))) == expected[0]


@pytest.mark.parametrize(
    "name", sorted(n for n in CASES if n.endswith(".txt") and not isinstance(CASES[n], list))
)
def test_fixture_survives_json_escaping_and_crlf(name: str) -> None:
    """A message pasted as a JSON string, or with Windows line endings, says the same thing."""
    text = _read(name)
    expected = _fields(parse_denial(text))
    assert _fields(parse_denial(json.dumps(text))) == expected
    assert _fields(parse_denial(json.dumps(text)[1:-1])) == expected  # escaped, without the quotes
    assert _fields(parse_denial(text.replace("\n", "\r\n"))) == expected


# --- the two seed messages, as the "done when" uses them --------------------------------


def test_seed_console_message_is_a_us_east_2_destination_denied_by_an_scp() -> None:
    denial = parse_denial(_read("seed_console_ja.txt"))
    assert (denial.region, denial.policy_kind, denial.explicit) == (
        "us-east-2",
        "service_control_policy",
        True,
    )
    assert denial.action == "bedrock:InvokeModelWithResponseStream"


def test_seed_cli_message_is_the_region_less_global_evaluation() -> None:
    denial = parse_denial(_read("seed_cli_global.txt"))
    assert denial.region == "unspecified"
    assert denial.model_id == "anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_parse_denial_returns_the_first_denial_of_a_page() -> None:
    assert parse_denial(_read("seed_article.txt")).region == "us-east-2"


# --- forms not in the fixture table ----------------------------------------------------------------

_SDK = (
    "User: arn:aws:sts::123456789012:assumed-role/R/s is not authorized to perform: {action} on resource: "
    "{resource} {clause}"
)


@pytest.mark.parametrize(
    ("profile_id", "model_id"),
    [
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("eu.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"),
        ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("ca.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"),
    ],
)
def test_profile_geo_prefix_is_stripped_for_the_model_id(profile_id: str, model_id: str) -> None:
    resource = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{profile_id}"
    text = _SDK.format(
        action="bedrock:InvokeModel",
        resource=resource,
        clause="with an explicit deny in a service control policy",
    )
    denial = parse_denial(text)
    assert (denial.profile_id, denial.model_id, denial.region) == (profile_id, model_id, "us-east-1")


def test_foundation_model_id_keeps_its_provider_prefix() -> None:
    resource = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
    denial = parse_denial(_SDK.format(action="bedrock:InvokeModel", resource=resource, clause=""))
    assert (denial.model_id, denial.profile_id) == ("amazon.nova-pro-v1:0", None)
    assert (denial.policy_kind, denial.explicit) == (None, None)  # the message names no policy


def test_a_policy_phrase_in_later_prose_is_not_the_messages_clause() -> None:
    resource = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
    text = _SDK.format(action="bedrock:InvokeModel", resource=resource, clause="") + (
        ". I read that this happens when no identity-based policy allows the action, is that right?"
    )
    assert parse_denial(text).policy_kind is None


def test_the_sdk_form_without_a_resource() -> None:
    text = (
        "User: arn:aws:sts::123456789012:assumed-role/R/s is not authorized to perform: "
        "bedrock:ListFoundationModels because no identity-based policy allows the "
        "bedrock:ListFoundationModels action"
    )
    denial = parse_denial(text)
    assert (denial.action, denial.resource, denial.region) == ("bedrock:ListFoundationModels", None, None)
    assert (denial.policy_kind, denial.explicit) == ("identity_based_policy", False)


def test_wrapping_at_any_width_keeps_every_field() -> None:
    text = _read("seed_cli_global.txt")
    expected = _fields(parse_denial(text))
    for width in (20, 33, 50, 79):
        wrapped = "\n".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))
        assert _fields(parse_denial(wrapped)) == expected, width


def test_two_sdk_messages_are_two_denials_each_with_its_own_clause() -> None:
    first = _SDK.format(
        action="bedrock:InvokeModel",
        resource="arn:aws:bedrock:us-east-2::foundation-model/m.a-v1:0",
        clause="with an explicit deny in a service control policy",
    )
    second = _SDK.format(
        action="bedrock:InvokeModel",
        resource="arn:aws:bedrock:us-west-2::foundation-model/m.a-v1:0",
        clause="because no identity-based policy allows the bedrock:InvokeModel action",
    )
    denials = parse_denials(f"retry 1: {first}\nretry 2: {second}\n")
    assert [(d.region, d.policy_kind, d.explicit) for d in denials] == [
        ("us-east-2", "service_control_policy", True),
        ("us-west-2", "identity_based_policy", False),
    ]


def test_cloudtrail_records_wrapper_and_decode_output_as_a_json_string() -> None:
    event = json.loads(_read("cloudtrail_event.json"))
    denial = parse_denial(json.dumps({"Records": [event]}))
    assert (denial.operation, denial.region) == ("InvokeModelWithResponseStream", "us-east-2")
    decoded = json.loads(json.loads(_read("decoded_authorization.json"))["DecodedMessage"])
    assert parse_denial(json.dumps(decoded)).action == "bedrock:InvokeModel"


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t",
        "Access Denied",
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
        "It worked yesterday; since the SCP change our app fails. Any idea? 12:34:56 ERROR retrying",
        "https://console.aws.amazon.com/bedrock/home?region=us-east-1#/model-catalog",
        "arn:aws:sts::123456789012:assumed-role/cm-hato/cm-hato",
        '"just a quoted sentence"',
        '{"level": "error", "status": 403}',
    ],
)
def test_unparseable_text_is_an_input_error_that_says_what_was_expected(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_denial(text)
    assert "is not authorized to perform" in str(caught.value) or "expected" in str(caught.value)


def test_an_encoded_message_alone_says_how_to_decode_it() -> None:
    text = (
        "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not "
        "authorized to perform this operation. Encoded authorization failure message: "
        "XQ_jqde5rHje6j9P-qke7-HNpHWzSWvxYobhcCPSpfOmLTkOylRBKd0eE4Xx4U"
    )
    with pytest.raises(InputError, match="aws sts decode-authorization-message"):
        parse_denial(text)


def test_a_policy_document_is_refused_with_a_pointer_to_policy_option() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "*"}],
    }
    with pytest.raises(InputError, match="policy document"):
        parse_denial(json.dumps(policy))


def test_input_error_carries_the_path() -> None:
    with pytest.raises(ScpFixError) as caught:
        parse_denial("nothing here", path="message.txt")
    assert str(caught.value).startswith("message.txt: ")


# --- describe_policy_kind --------------------------------------------------------------------------


def test_every_kind_has_its_own_words_and_non_scp_kinds_point_elsewhere() -> None:
    texts = {kind: describe_policy_kind(kind) for kind in POLICY_KINDS}
    assert len(set(texts.values())) == len(POLICY_KINDS)
    assert "not the SCP" not in texts["service_control_policy"]
    for kind in POLICY_KINDS:
        if kind != "service_control_policy":
            assert "not the SCP" in texts[kind], kind


def test_identity_implicit_names_what_the_role_policy_needs() -> None:
    text = describe_policy_kind("identity_based_policy", explicit=False)
    assert "bedrock:InvokeModel" in text
    assert "every destination Region" in text
    assert "foundation-model" in text


def test_scp_explicit_and_implicit_differ() -> None:
    assert describe_policy_kind("service_control_policy", explicit=True) != describe_policy_kind(
        "service_control_policy", explicit=False
    )


def test_no_kind_and_unknown_kind() -> None:
    assert "does not name" in describe_policy_kind(None)
    with pytest.raises(InputError):
        describe_policy_kind("bucket_acl")


# --- properties ------------------------------------------------------------------------------------


_MESSAGE_TEXTS = sorted(p.read_text(encoding="utf-8") for p in DATA.glob("*.txt"))


@st.composite
def pasted_texts(draw: st.DrawFn) -> str:
    """What people paste: a real message (whole, cut, or with noise spliced in and around it), or noise."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(max_size=200))
    text = draw(st.sampled_from(_MESSAGE_TEXTS))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=8)) + text[at + draw(st.integers(0, 6)) :]
    return draw(st.text(max_size=20)) + text + draw(st.text(max_size=20))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pasted_texts())
def test_any_text_gives_a_denial_read_from_it_or_a_one_line_input_error(text: str) -> None:
    try:
        denial = parse_denial(text)
    except InputError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert denial.action is not None or denial.resource is not None
    # what the denial says is read from the text, not made up (an ARN may be wrapped over lines, a
    # colon written full-width)
    def squeezed(value: str) -> str:
        return unicodedata.normalize("NFKC", "".join(value.split())).lower()

    for found in (denial.action, denial.resource, denial.principal):
        if found is not None and found != "*":
            assert squeezed(found) in squeezed(text), found


def test_pasted_texts_reach_both_outcomes() -> None:
    """The property above is only worth its examples if both branches are taken."""
    seen: set[str] = set()

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(pasted_texts())
    def outcome(text: str) -> None:
        try:
            parse_denial(text)
            seen.add("denial")
        except InputError:
            seen.add("error")

    outcome()
    assert seen == {"denial", "error"}


_KIND_PHRASES = {
    "service_control_policy": ("a service control policy", "service control policy"),
    "resource_control_policy": ("a resource control policy", "resource control policy"),
    "identity_based_policy": ("an identity-based policy", "identity-based policy"),
    "permissions_boundary": ("a permissions boundary", "permissions boundary"),
    "session_policy": ("a session policy", "session policy"),
    "resource_based_policy": ("a resource-based policy", "resource-based policy"),
    "vpc_endpoint_policy": ("a VPC endpoint policy", "VPC endpoint policy"),
}


@settings(max_examples=200, deadline=None)
@given(
    account=st.sampled_from(["123456789012", "************", "<account-id>", "XXXXXXXXXXXX"]),
    role=st.from_regex(r"[A-Za-z][A-Za-z0-9+=,.@_-]{0,20}", fullmatch=True),
    action=st.sampled_from(
        ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:Converse"]
    ),
    region=st.sampled_from(["", "us-east-1", "us-east-2", "ap-northeast-1", "eu-west-3", "us-gov-west-1"]),
    geo=st.sampled_from([None, "us", "eu", "apac", "jp", "global", "us-gov"]),
    model=st.sampled_from(
        [
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "amazon.nova-pro-v1:0",
            "meta.llama3-1-70b-instruct-v1:0",
        ]
    ),
    kind=st.sampled_from(POLICY_KINDS),
    explicit=st.booleans(),
    wrap=st.integers(min_value=0, max_value=90),
)
def test_generated_sdk_messages_round_trip(
    account: str,
    role: str,
    action: str,
    region: str,
    geo: str | None,
    model: str,
    kind: str,
    explicit: bool,
    wrap: int,
) -> None:
    principal = f"arn:aws:sts::{account}:assumed-role/{role}/session"
    if geo is None or not region:
        resource = f"arn:aws:bedrock:{region}::foundation-model/{model}"
    else:
        resource = f"arn:aws:bedrock:{region}:{account}:inference-profile/{geo}.{model}"
    with_article, bare = _KIND_PHRASES[kind]
    clause = (
        f"with an explicit deny in {with_article}"
        if explicit
        else f"because no {bare} allows the {action} action"
    )
    text = f"User: {principal} is not authorized to perform: {action} on resource: {resource} {clause}"
    if wrap >= 20:
        text = "\n".join(textwrap.wrap(text, width=wrap, break_long_words=False, break_on_hyphens=False))
    denial = parse_denial(text)
    assert (denial.principal, denial.action, denial.resource) == (principal, action, resource)
    assert denial.region == (region or "unspecified")
    assert denial.model_id == model
    assert denial.profile_id == (f"{geo}.{model}" if geo is not None and region else None)
    assert (denial.policy_kind, denial.explicit, denial.account) == (kind, explicit, account)


def test_bedrock_model_access_message_is_explained_as_not_a_policy_denial() -> None:
    text = (
        "An error occurred (AccessDeniedException) when calling the InvokeModel operation: "
        "You don't have access to the model with the specified model ID."
    )
    with pytest.raises(InputError, match="model access"):
        parse_denial(text)


@pytest.mark.parametrize(
    ("clause", "kind", "policy_arn"),
    [
        (
            "with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/DenyOutsideTokyo",
            "identity_based_policy",
            "arn:aws:iam::123456789012:policy/DenyOutsideTokyo",
        ),
        (
            "with an explicit deny in a permissions boundary: arn:aws:iam::123456789012:policy/DevBoundary.",
            "permissions_boundary",
            "arn:aws:iam::123456789012:policy/DevBoundary",
        ),
        (
            (
                "with an explicit deny in a resource control policy: "
                "arn:aws:organizations::987654321098:policy/o-abcd1234/resource_control_policy/p-abcd1234"
            ),
            "resource_control_policy",
            "arn:aws:organizations::987654321098:policy/o-abcd1234/resource_control_policy/p-abcd1234",
        ),
    ],
)
def test_the_denying_policy_arn_is_kept_apart_from_the_resource(
    clause: str, kind: str, policy_arn: str
) -> None:
    resource = "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"
    denial = parse_denial(_SDK.format(action="bedrock:InvokeModel", resource=resource, clause=clause))
    assert (denial.resource, denial.policy_kind, denial.policy_arn) == (resource, kind, policy_arn)


def test_console_block_with_the_denying_policy_arn() -> None:
    text = (
        "User: arn:aws:sts::123456789012:assumed-role/Admin/jdoe\n"
        "Action: bedrock:InvokeModel\n"
        "On resource(s): arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0\n"
        "Context: a service control policy explicitly denies the action: "
        "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd\n"
    )
    denial = parse_denial(text)
    assert (
        denial.resource
        == "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"
    )
    assert (
        denial.policy_arn
        == "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
    )
    assert (denial.policy_kind, denial.explicit) == ("service_control_policy", True)
