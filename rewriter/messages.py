"""AccessDenied message text -> structured fields (``scp-fix explain``).

Users arrive with an error message, not with a profile id. The message comes in several shapes:

* the SDK/CLI form, ``User: <arn> is not authorized to perform: <action> on resource: <arn>
  with an explicit deny in a service control policy`` (or ``because no identity-based policy allows
  the <action> action``), sometimes followed by the ARN of the denying policy or by an encoded
  authorization failure message;
* the console's "copy this text to your administrator" block, with localized labels
  (``Action:``, ``アクション:``) but an English context line
  (``a service control policy explicitly denies the action``);
* either of these wrapped over lines, quoted, JSON-escaped, or inside a CloudTrail event or an
  SDK error body.

Rather than trusting labels, the parser finds ARNs and ``service:Action`` tokens by pattern and
decides the policy kind and explicit/implicit from phrases, so unknown console languages still work.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from rewriter.errors import InputError

__all__ = [
    "POLICY_KINDS",
    "Denial",
    "describe_policy_kind",
    "parse_denial",
    "parse_denials",
]

POLICY_KINDS: tuple[str, ...] = (
    "service_control_policy",
    "resource_control_policy",
    "identity_based_policy",
    "permissions_boundary",
    "session_policy",
    "resource_based_policy",
    "vpc_endpoint_policy",
)

# Geographic prefixes of system-defined inference profile ids (``us.anthropic.claude-...``).
_GEO_PREFIXES = frozenset({"us", "us-gov", "eu", "apac", "au", "ca", "jp", "global"})

_EXAMPLE = (
    "User: arn:aws:sts::123456789012:assumed-role/Role/session is not authorized to perform: "
    "bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/<model-id> "
    "with an explicit deny in a service control policy"
)


@dataclass(frozen=True, slots=True)
class Denial:
    """What an AccessDenied message says. Every field is ``None`` when the message does not say it."""

    principal: str | None
    """The denied caller's ARN, as written (masked account ids are kept)."""
    action: str | None
    """``service:Action``, e.g. ``bedrock:InvokeModelWithResponseStream``."""
    resource: str | None
    """The resource ARN as written (or ``*``)."""
    region: str | None
    """From the resource ARN; a Region-less Bedrock ARN is the ``unspecified`` evaluation."""
    model_id: str | None
    """From ``foundation-model/`` or ``inference-profile/`` ARNs, without a profile's geo prefix."""
    profile_id: str | None
    """When the resource is an inference profile (system-defined or application)."""
    policy_kind: str | None
    """One of ``POLICY_KINDS``, or ``None`` when the message does not name one."""
    explicit: bool | None
    """``True`` for an explicit deny, ``False`` for "no ... policy allows", ``None`` if unsaid."""
    operation: str | None
    """The API operation, from "when calling the InvokeModel operation"."""
    error_code: str | None
    """``AccessDeniedException``, ``AccessDenied``, ..."""
    account: str | None
    """The caller's account (from the principal ARN, else from the resource ARN)."""
    policy_arn: str | None = None
    """The denying policy's ARN, which newer messages append (same account/organization only)."""
    encoded_message: str | None = None
    """An "Encoded authorization failure message"; ``aws sts decode-authorization-message`` reads it."""
    caller_region: str | None = None
    """The Region the caller called, from a CloudTrail event (``awsRegion``, else
    ``additionalEventData.inferenceRegion``); a message alone does not say it."""
    requested_model: str | None = None
    """What the caller asked for, from a CloudTrail event's ``requestParameters.modelId``: a profile id
    or ARN when the call went through an inference profile."""


# --- patterns ---------------------------------------------------------------------------------

# One ARN. Partition and account may be masked (``XXXXXXXX``, ``************``, ``<account-id>``);
# the resource part stops at whitespace, quotes, brackets and non-ASCII text (Japanese
# prose often follows an ARN without a space).
_ARN_BODY = (
    r"arn:[A-Za-z0-9*-]+:[A-Za-z0-9*-]+:[A-Za-z0-9*-]*:(?:<[^<>\s]{1,40}>|[A-Za-z0-9*-]*):"
    r"(?:<[^<>\s]{1,40}>|(?![\"'`<>()\[\]{}\\])[!-~])+"
)
_ARN_RE = re.compile(_ARN_BODY)
_ARN_PARTS_RE = re.compile(
    r"arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):"
    r"(?P<account><[^<>]*>|[^:]*):(?P<resource>.+)"
)
_ACTION_BODY = r"[A-Za-z0-9][A-Za-z0-9-]*:[A-Za-z][A-Za-z0-9]*\*?"

# The SDK sentence is matched from its verb, so that no pattern scans back over long text; the
# principal is the ARN just before it, the resource is matched at a fixed position after it.
_SDK_VERB_RE = re.compile(
    rf"(?:is|are)\s+not\s+authorized\s+to\s+perform:?\s*(?P<action>{_ACTION_BODY})", re.IGNORECASE
)
_SDK_RESOURCE_RE = re.compile(
    rf"\s+on\s+(?:the\s+)?resource:?\s*[\"']?(?P<resource>{_ARN_BODY}|\*)?[\"']?", re.IGNORECASE
)

# A token that looks like an IAM action: lower-case service prefix, upper-case action name. It is
# only a fallback when no label or sentence names the action; wildcards and condition keys under
# ``aws:`` are not actions.
_BARE_ACTION_RE = re.compile(
    r"(?<![\w:/.@*-])(?P<action>(?P<service>[a-z][a-z0-9-]{1,40}):[A-Z][A-Za-z0-9]{2,80})(?![\w/*-]|:\S)"
)
_NOT_SERVICES = frozenset({"arn", "aws", "http", "https"})

# Console labels for the action line, in the console languages; a full-width colon is common in CJK.
_ACTION_LABEL_RE = re.compile(
    r"(?:\bAction|\bActions|アクション|\bAktion|\bAcción|\bAccion|\bAção|\bAcao|\bAzione|작업|操作|動作|"
    r"\bДействие|\bEylem|\bTindakan)\s*[:：]\s*"
    rf"(?P<action>{_ACTION_BODY})",
    re.IGNORECASE,
)

_KIND_NAMES: tuple[tuple[str, str], ...] = (
    ("service_control_policy", r"service[- ]control[- ]polic(?:y|ies)|scps?"),
    ("resource_control_policy", r"resource[- ]control[- ]polic(?:y|ies)|rcps?"),
    ("permissions_boundary", r"permissions?[- ]boundar(?:y|ies)"),
    ("session_policy", r"session[- ]polic(?:y|ies)"),
    ("identity_based_policy", r"identity[- ]based[- ]polic(?:y|ies)"),
    ("resource_based_policy", r"resource[- ]based[- ]polic(?:y|ies)"),
    ("vpc_endpoint_policy", r"vpc[- ]endpoint[- ]polic(?:y|ies)"),
)
_KIND_ALT = "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _KIND_NAMES)
_ARTICLE = r"(?:an?\s+|the\s+|one\s+or\s+more\s+)?"

# Explicit: SDK "with an explicit deny in a KIND", console "a KIND explicitly denies the action".
_EXPLICIT_KIND_RES = (
    re.compile(rf"explicit(?:ly)?\s+deny\s+in\s+{_ARTICLE}(?:{_KIND_ALT})\b", re.IGNORECASE),
    re.compile(rf"\b(?:{_KIND_ALT})\s+(?:explicitly\s+)?denie[sd]\b", re.IGNORECASE),
)
# Implicit: SDK "because no KIND allows", console "no KIND allows the action".
_IMPLICIT_KIND_RES = (re.compile(rf"\bno\s+(?:{_KIND_ALT})\s+allows?\b", re.IGNORECASE),)

# Localized phrases (the console translates some of them; AWS support articles show translated
# SDK text), matched only to decide explicit/implicit and the kind.
_EXPLICIT_WORDS_RE = re.compile(
    r"explicit\s+deny|explicitly\s+denie[sd]|明示的な拒否|明示的に拒否|negazione\s+esplicita|"
    r"refus\s+explicite|denegaci[óo]n\s+expl[íi]cita|nega[çc][ãa]o\s+expl[íi]cita|"
    r"explizite[nr]?\s+(?:Verweigerung|Ablehnung)|ausdr[üu]cklich\s+(?:verweigert|abgelehnt)|"
    r"명시적\s*거부|显式拒绝|明确拒绝|明確拒絕|顯式拒絕",
    re.IGNORECASE,
)
_IMPLICIT_WORDS_RE = re.compile(
    r"\bno\s+(?:[\w-]+\s+){0,3}polic(?:y|ies)\s+allows?|\bimplicit(?:ly)?\s+den|暗黙的な拒否|暗黙的に拒否|"
    r"許可するポリシーがない|암시적\s*거부|隐式拒绝",
    re.IGNORECASE,
)
_LOCAL_KIND_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("service_control_policy", re.compile(r"サービスコントロールポリシー|서비스\s*제어\s*정책|服务控制策略")),
    (
        "resource_control_policy",
        re.compile(r"リソースコントロールポリシー|리소스\s*제어\s*정책|资源控制策略"),
    ),
    ("permissions_boundary", re.compile(r"アクセス許可の境界|アクセス許可境界|권한\s*경계|权限边界")),
    ("session_policy", re.compile(r"セッションポリシー|세션\s*정책|会话策略")),
    (
        "identity_based_policy",
        re.compile(
            r"アイデンティティベースのポリシー|ID\s*ベースのポリシー|자격\s*증명\s*기반\s*정책|基于身份的策略"
        ),
    ),
    ("resource_based_policy", re.compile(r"リソースベースのポリシー|리소스\s*기반\s*정책|基于资源的策略")),
    (
        "vpc_endpoint_policy",
        re.compile(r"VPC\s*エンドポイントポリシー|VPC\s*엔드포인트\s*정책|VPC\s*终端节点策略"),
    ),
)

# "... policy: arn:aws:organizations::111122223333:policy/o-abc/service_control_policy/p-abc"
_POLICY_ARN_RE = re.compile(
    rf"(?:polic(?:y|ies)|boundar(?:y|ies))\s*[:：]\s*(?P<arn>{_ARN_BODY})", re.IGNORECASE
)

_ERROR_CODE_RES = (
    re.compile(r"An error occurred \((?P<code>\w+)\)"),
    re.compile(r"エラーが発生 ?\((?P<code>\w+)\)"),
    re.compile(r"<Code>(?P<code>\w+)</Code>"),
    re.compile(r"\"(?:__type|errorCode|code|Code)\"\s*:\s*\"(?:[\w.]+#)?(?P<code>\w+)\""),
    re.compile(
        r"(?<![\w.])(?:[\w]+\.)*(?P<code>AccessDenied(?:Exception)?|UnauthorizedOperation|UnauthorizedAccess|"
        r"AuthorizationError|Forbidden(?:Exception)?)\b"
    ),
)
_OPERATION_RES = (
    re.compile(r"when calling the (?P<op>\w+) operation"),
    re.compile(r"(?P<op>[A-Z]\w+) ?オペレーションを呼び出す"),
    re.compile(r"\"eventName\"\s*:\s*\"(?P<op>\w+)\""),
)
_ENCODED_RE = re.compile(
    r"Encoded\s+authorization\s+failure\s+message\s*[:：]?\s*(?P<msg>[A-Za-z0-9_-]{16,})",
    re.IGNORECASE,
)
_PREFIX_RE = re.compile(
    r"(?:[\w.]+(?:Exception|Error|Operation)\s*:\s*)?An error occurred \(\w+\)|エラーが発生 ?\(\w+\)|"
    r"\b(?:AccessDenied(?:Exception)?|UnauthorizedOperation)\s*:"
)
_BARE_EXPLICIT_RE = re.compile(r"with\s+an\s+explicit\s+deny\b", re.IGNORECASE)
_ENCODED_HINT_RE = re.compile(r"Encoded\s+authorization\s+failure\s+message", re.IGNORECASE)

# An ARN broken over two lines at one of its delimiters ("...foundation-model/\nanthropic.claude").
_MODEL_ACCESS_RE = re.compile(r"(?:don't|do not) have access to the model", re.IGNORECASE)
_CONTINUATION_RE = re.compile(r"[A-Za-z0-9*<]")
_JSON_ESCAPE_RE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[nrt\"/\\])")


# --- public API -------------------------------------------------------------------------------


def parse_denial(text: str, *, path: str | None = None) -> Denial:
    """The first denial in ``text``.

    Raises ``InputError`` when neither a denied action nor a resource ARN can be found, saying what
    form was expected (and, for an encoded authorization failure message, how to decode it).
    """
    return parse_denials(text, path=path)[0]


def parse_denials(text: str, *, path: str | None = None) -> tuple[Denial, ...]:
    """Every denial in ``text``, in the order they appear (a pasted page may hold several)."""
    if not isinstance(text, str):
        raise InputError("an AccessDenied message must be text", path=path)
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise InputError(
            f"the message is empty; expected an AccessDenied message such as: {_EXAMPLE}", path=path
        )

    document = _load_json(stripped)
    if document is not _NOT_JSON:
        structured = _from_json_value(document, path=path, depth=0)
        if structured:
            return structured
        if isinstance(document, dict) and ("Statement" in document or "Version" in document):
            raise InputError(
                "this is a policy document, not an AccessDenied message; pass a policy with --policy",
                path=path,
            )
        if not isinstance(document, str):
            raise InputError(
                "the JSON holds no AccessDenied message: expected a CloudTrail event (errorMessage), an "
                "SDK error body (message), or the output of `aws sts decode-authorization-message`",
                path=path,
            )

    denials = _from_text(_normalize(stripped))
    if denials:
        return denials

    if _MODEL_ACCESS_RE.search(stripped):
        raise InputError(
            'this message names no action or resource: "You don\'t have access to the model" means the '
            "model is not enabled for the account (or the model id is wrong), not a policy denial; check "
            "model access in the Amazon Bedrock console for the Region that was called",
            path=path,
        )
    encoded = _ENCODED_RE.search(stripped)
    if encoded or _ENCODED_HINT_RE.search(stripped):
        raise InputError(
            "the message carries only an encoded authorization failure message; decode it with "
            "`aws sts decode-authorization-message --encoded-message <message> --query DecodedMessage "
            "--output text` (the caller needs sts:DecodeAuthorizationMessage) and pass the decoded JSON",
            path=path,
        )
    raise InputError(
        "no denied action (service:Action) or resource ARN found in the message; expected an "
        f"AccessDenied message such as: {_EXAMPLE}; or the console's copied text with the action "
        "(Action: bedrock:InvokeModel) and the resource ARN",
        path=path,
    )


def describe_policy_kind(kind: str | None, *, explicit: bool | None = None) -> str:
    """Plain words for a policy kind, and for kinds other than an SCP, what to look at instead."""
    if kind == "service_control_policy":
        if explicit is False:
            return (
                "No service control policy (SCP) allows the action: in AWS Organizations every level "
                "from the root through each OU to the account needs an SCP that allows it (FullAWSAccess, "
                "or an allow-list SCP that names the action). Look at the Allow SCPs on that path."
            )
        return (
            "A service control policy (SCP) in AWS Organizations, attached to the account, one of its OUs "
            "or the root, has a Deny statement matching this request. IAM policies in the account cannot "
            "override it; the SCP must change. For cross-Region inference the SCP must allow every "
            "destination Region of the profile (and 'unspecified' for a global profile)."
        )
    if kind == "resource_control_policy":
        return (
            "A resource control policy (RCP) in AWS Organizations, attached to the resource's account, "
            "its OUs or the root, denies access to the resource. This is not the SCP: look at the RCPs "
            "on that path (Organizations > Policies > Resource control policies)."
        )
    if kind == "identity_based_policy":
        if explicit:
            return (
                "A Deny statement in a policy attached to the IAM role, user or group (managed or inline) "
                "matches the request. This is not the SCP: look at those policies for a Deny on the action, "
                "for example one conditioned on aws:RequestedRegion."
            )
        return (
            "No policy attached to the IAM role, user or group allows the action. This is not the SCP: "
            "for cross-Region inference the identity policies need bedrock:InvokeModel (and "
            "bedrock:InvokeModelWithResponseStream) on the inference profile ARN in the source Region and "
            "on the foundation-model ARN in every destination Region of the profile "
            "(arn:aws:bedrock:*::foundation-model/<model-id>; a global profile also needs the Region-less "
            "arn:aws:bedrock:::foundation-model/<model-id>)."
        )
    if kind == "permissions_boundary":
        return (
            "The permissions boundary set on the IAM role or user "
            + ("denies the action. " if explicit else "does not allow the action. ")
            + "A boundary grants nothing; an action must be allowed by both the identity policies and the "
            "boundary. This is not the SCP: look at the boundary policy, which for cross-Region inference "
            "must allow the Bedrock invoke actions on the profile and on the foundation model in every "
            "destination Region."
        )
    if kind == "session_policy":
        return (
            "A session policy, passed when the role session was created (the Policy or PolicyArns "
            "parameters of AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity or "
            "GetFederationToken), "
            + ("denies the action. " if explicit else "does not allow the action. ")
            + "This is not the SCP: look at the tool or code that creates the session."
        )
    if kind == "resource_based_policy":
        return (
            "A policy attached to the resource itself (a bucket, key or other resource policy) "
            + ("denies the request. " if explicit else "does not allow the request. ")
            + "This is not the SCP: look at the resource's policy."
        )
    if kind == "vpc_endpoint_policy":
        return (
            "The policy of the VPC endpoint the request went through "
            + ("denies the request. " if explicit else "does not allow the request. ")
            + "This is not the SCP: look at the endpoint policy (for Bedrock, the "
            "com.amazonaws.<region>.bedrock-runtime interface endpoint), which must allow the invoke "
            "actions on the profile and on the foundation-model ARNs in the destination Regions."
        )
    if kind is None:
        return (
            "The message does not name the kind of policy that denied the request (older messages and "
            "some services leave it out). Check the SCPs, the identity policies and permissions boundary "
            "of the caller, any session policy, and resource or VPC endpoint policies; the CloudTrail "
            "event or a decoded authorization message can say more."
        )
    raise InputError(f"unknown policy kind {kind!r}; expected one of {', '.join(POLICY_KINDS)}")


# --- JSON inputs ------------------------------------------------------------------------------


_NOT_JSON = object()


def _load_json(text: str) -> Any:
    """The JSON value of ``text``, or ``_NOT_JSON`` when it is not a JSON document."""
    if text[:1] not in ("{", "[", '"'):
        return _NOT_JSON
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _from_json_value(value: Any, *, path: str | None, depth: int) -> tuple[Denial, ...]:
    if depth > 8:  # a defence against pathological nesting, not a real limit
        return ()
    if isinstance(value, str):
        stripped = value.strip()
        nested = _load_json(stripped) if stripped[:1] in ("{", "[") else _NOT_JSON
        if nested is not _NOT_JSON:
            return _from_json_value(nested, path=path, depth=depth + 1)
        return _from_text(_normalize(stripped)) if stripped else ()
    if isinstance(value, list):
        found: list[Denial] = []
        for item in value:
            found.extend(_from_json_value(item, path=path, depth=depth + 1))
        return tuple(found)
    if not isinstance(value, dict):
        return ()

    decoded = _from_decoded_authorization(value)
    if decoded is not None:
        return (decoded,)

    keys = {k.lower(): k for k in value if isinstance(k, str)}
    code = _first_str(value, keys, ("errorcode", "__type", "code"))
    if code and "#" in code:  # "com.amazon.coral.service#AccessDeniedException"
        code = code.rsplit("#", 1)[1]
    operation = _first_str(value, keys, ("eventname",))
    region = _first_str(value, keys, ("awsregion",))
    extra = value.get(keys["additionaleventdata"]) if "additionaleventdata" in keys else None
    if region is None and isinstance(extra, dict) and isinstance(extra.get("inferenceRegion"), str):
        region = extra["inferenceRegion"]
    parameters = value.get(keys["requestparameters"]) if "requestparameters" in keys else None
    requested = parameters.get("modelId") if isinstance(parameters, dict) else None
    identity = value.get(keys["useridentity"]) if "useridentity" in keys else None
    caller = (
        identity.get("arn") if isinstance(identity, dict) and isinstance(identity.get("arn"), str) else None
    )

    found = []
    for key in ("errormessage", "message", "decodedmessage", "error", "body"):
        if key in keys:
            found.extend(_from_json_value(value[keys[key]], path=path, depth=depth + 1))
    if not found:
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                found.extend(_from_json_value(item, path=path, depth=depth + 1))
    return tuple(
        _fill(
            denial, error_code=code, operation=operation, principal=caller, caller_region=region,
            requested_model=requested if isinstance(requested, str) else None,
        )
        for denial in found
    )


def _first_str(value: dict[str, Any], keys: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in keys and isinstance(value[keys[name]], str):
            return value[keys[name]]
    return None


def _fill(
    denial: Denial,
    *,
    error_code: str | None,
    operation: str | None,
    principal: str | None,
    caller_region: str | None = None,
    requested_model: str | None = None,
) -> Denial:
    """Fields the JSON wrapper knows and the message text did not say."""
    changes: dict[str, Any] = {}
    if denial.requested_model is None and requested_model:
        changes["requested_model"] = requested_model
    if denial.caller_region is None and caller_region:
        changes["caller_region"] = caller_region
    if denial.error_code is None and error_code:
        changes["error_code"] = error_code
    if denial.operation is None and operation:
        changes["operation"] = operation
    if denial.principal is None and principal:
        changes["principal"] = principal
        if denial.account is None:
            changes["account"] = _account_of(principal)
    return replace(denial, **changes) if changes else denial


def _from_decoded_authorization(value: dict[str, Any]) -> Denial | None:
    """The output of ``aws sts decode-authorization-message``: {"allowed", "explicitDeny", "context"}."""
    context = value.get("context")
    if not isinstance(context, dict) or "allowed" not in value:
        return None
    action = context.get("action") if isinstance(context.get("action"), str) else None
    resource = context.get("resource") if isinstance(context.get("resource"), str) else None
    if not action and not resource:
        return None
    principal_info = context.get("principal")
    principal = None
    if isinstance(principal_info, dict) and isinstance(principal_info.get("arn"), str):
        principal = principal_info["arn"]
    explicit = value.get("explicitDeny") if isinstance(value.get("explicitDeny"), bool) else None
    return _build(
        principal=principal,
        action=action,
        resource=resource,
        policy_kind=None,
        explicit=explicit,
        operation=None,
        error_code=None,
        policy_arn=None,
        encoded_message=None,
    )


# --- text inputs ------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    """One line of single-spaced text: escapes undone, ARNs broken at a delimiter re-joined."""
    if "\\" in text:
        text = _JSON_ESCAPE_RE.sub(_unescape_one, text)
    if "&" in text and re.search(r"&(?:quot|amp|lt|gt|apos|#\d+|#x[0-9a-fA-F]+);", text):
        text = html.unescape(text)
    text = _join_wrapped_arns(text)
    return " ".join(text.split())


def _join_wrapped_arns(text: str) -> str:
    """Re-join an ARN broken at a delimiter ("...foundation-model/" + newline + "anthropic...")."""
    out: list[str] = []
    tail = ""  # the end of the line built so far; enough to see its last token
    for line in text.splitlines():
        head = line.lstrip()
        token = tail.rstrip().rsplit(None, 1)[-1] if tail.strip() else ""
        if out and "arn:" in token and token[-1] in ":/-" and _CONTINUATION_RE.match(head):
            out[-1] = out[-1].rstrip()
            out.append(head)
            tail = (tail.rstrip() + head)[-300:]
            continue
        out.append("\n" + line if out else line)
        tail = line[-300:]
    return "".join(out)


def _unescape_one(match: re.Match[str]) -> str:
    token = match.group(0)
    if token[1] == "u":
        return chr(int(token[2:], 16))
    return {"n": "\n", "r": "\n", "t": " ", '"': '"', "/": "/", "\\": "\\"}[token[1]]


@dataclass(frozen=True, slots=True)
class _Record:
    start: int
    end: int
    denial: Denial


def _from_text(flat: str) -> tuple[Denial, ...]:
    records = _sdk_records(flat)
    # The rest of the text (SDK sentences blanked out, positions kept) may hold a console block.
    rest = list(flat)
    for found in records:
        rest[found.start : found.end] = " " * (found.end - found.start)
    console = _console_record("".join(rest), require_evidence=bool(records))
    if console is not None:
        records.append(console)
    records.sort(key=lambda r: r.start)
    return tuple(r.denial for r in records)


def _sdk_records(flat: str) -> list[_Record]:
    verbs = list(_SDK_VERB_RE.finditer(flat))
    if not verbs:
        return []
    arn_ends = {m.end(): m for m in _ARN_RE.finditer(flat)}
    records: list[_Record] = []
    previous_end = 0
    for i, verb in enumerate(verbs):
        # The principal ARN ends where the verb starts, but for spaces and a closing quote.
        j = verb.start()
        while j > 0 and flat[j - 1] in " \"'":
            j -= 1
        principal_match = arn_ends.get(j)
        resource_match = _SDK_RESOURCE_RE.match(flat, verb.end())
        match_end = resource_match.end() if resource_match else verb.end()
        next_start = verbs[i + 1].start() if i + 1 < len(verbs) else len(flat)
        # The clause ("with an explicit deny in ...") follows the resource; stop at the next sentence.
        tail = flat[match_end : min(next_start, match_end + 600)]
        kind, explicit, clause_start, clause_end = _policy_phrase(tail)
        if clause_start is not None and not _is_adjacent(tail[:clause_start]):
            kind = explicit = clause_end = None  # a phrase further on belongs to the surrounding prose
        # The "An error occurred (Code) when calling the Op operation:" prefix belongs to the record.
        start = principal_match.start() if principal_match else verb.start()
        # It may stand a sentence earlier ("... operation: You are not authorized to perform this
        # operation. User: arn:... is not authorized ...").
        lookback = max(previous_end, start - 400)
        prefixes = list(_PREFIX_RE.finditer(flat, lookback, start))
        if prefixes:
            start = prefixes[-1].start()
        policy_arn = None
        policy_match = _POLICY_ARN_RE.search(tail)
        if policy_match and clause_end is not None and policy_match.start() <= clause_end + 2:
            policy_arn = _clean_arn(policy_match.group("arn"))
            clause_end = policy_match.end()
        end = match_end + (clause_end or 0)
        window = flat[start:end]
        encoded = _ENCODED_RE.search(tail)
        denial = _build(
            principal=_clean_arn(principal_match.group(0)) if principal_match else None,
            action=verb.group("action"),
            resource=_clean_arn(resource_match.group("resource")) if resource_match else None,
            policy_kind=kind,
            explicit=explicit,
            operation=_search_first(_OPERATION_RES, window, "op"),
            error_code=_search_first(_ERROR_CODE_RES, window, "code"),
            policy_arn=policy_arn,
            encoded_message=encoded.group("msg") if encoded else None,
        )
        if encoded:
            end = max(end, match_end + encoded.end())
        records.append(_Record(start, end, denial))
        previous_end = end
    return records


def _console_record(rest: str, *, require_evidence: bool) -> _Record | None:
    """The console's block, or any text holding an action token and ARNs, matched by structure."""
    labelled = _ACTION_LABEL_RE.search(rest)
    arns = [(m.start(), m.end(), _clean_arn(m.group(0)) or "") for m in _ARN_RE.finditer(rest)]
    policy_spans = {m.start("arn") for m in _POLICY_ARN_RE.finditer(rest)}
    action: str | None = None
    action_pos: int | None = None
    if labelled:
        action, action_pos = labelled.group("action"), labelled.start("action")
    else:
        for m in _BARE_ACTION_RE.finditer(rest):
            inside_arn = any(start <= m.start() < end for start, end, _ in arns)
            if not inside_arn and m.group("service") not in _NOT_SERVICES:
                action, action_pos = m.group("action"), m.start()
                break

    policy_arn = None
    plain: list[tuple[int, str]] = []
    for start, _end, arn in arns:
        if start in policy_spans or _is_policy_arn(arn):
            policy_arn = policy_arn or arn
        else:
            plain.append((start, arn))
    # The denied caller is the principal-shaped ARN nearest before the action (console: the line
    # above "Action:"); the resource is the first other ARN after the action.
    callers = [(p, a) for p, a in plain if _is_principal_arn(a) and (action_pos is None or p < action_pos)]
    principal_pos, principal = (
        (callers[-1] if action_pos is not None else callers[0]) if callers else (None, None)
    )
    after = action_pos if action_pos is not None else (principal_pos if principal_pos is not None else -1)
    others = [(p, a) for p, a in plain if p > after and p != principal_pos]
    resource_pos, resource = others[0] if others else (None, None)

    kind, explicit, _, _ = _policy_phrase(rest)
    if explicit is None:
        if _EXPLICIT_WORDS_RE.search(rest):
            explicit = True
        elif _IMPLICIT_WORDS_RE.search(rest):
            explicit = False
    if kind is None:
        kind = next((k for k, pattern in _LOCAL_KIND_RES if pattern.search(rest)), None)

    if action is None and resource is None:
        return None
    has_evidence = bool(labelled) or (action is not None and resource is not None) or kind is not None
    if require_evidence and not has_evidence:
        return None  # only stray tokens beside an SDK sentence: not a second denial

    positions = [p for p in (principal_pos, action_pos, resource_pos) if p is not None]
    start = min(positions)
    end = max(positions) + 1
    encoded = _ENCODED_RE.search(rest)
    # Only text near the block names its error code; a page around it may mention others.
    near = rest[max(0, start - 300) : end + 200]
    denial = _build(
        principal=principal,
        action=action,
        resource=resource,
        policy_kind=kind,
        explicit=explicit,
        operation=_search_first(_OPERATION_RES, near, "op"),
        error_code=_search_first(_ERROR_CODE_RES, near, "code"),
        policy_arn=policy_arn,
        encoded_message=encoded.group("msg") if encoded else None,
    )
    return _Record(start, end, denial)


def _policy_phrase(text: str) -> tuple[str | None, bool | None, int | None, int | None]:
    """(kind, explicit, start, end) of the first policy phrase in ``text``."""
    best: tuple[int, str | None, bool, int] | None = None
    for explicit, patterns in ((True, _EXPLICIT_KIND_RES), (False, _IMPLICIT_KIND_RES)):
        for pattern in patterns:
            match = pattern.search(text)
            if match and (best is None or match.start() < best[0]):
                kind = next((k for k, _ in _KIND_NAMES if match.group(k)), None)
                best = (match.start(), kind, explicit, match.end())
    bare = _BARE_EXPLICIT_RE.search(text)
    if bare and (best is None or bare.end() < best[0]):
        return None, True, bare.start(), bare.end()
    if best is None:
        return None, None, None, None
    return best[1], best[2], best[0], best[3]


def _is_adjacent(gap: str) -> bool:
    """Whether the text between a denial sentence and a policy phrase keeps them one sentence
    (``on resource: role TestReadOnly with an explicit deny`` does; a full stop does not)."""
    return len(gap) <= 120 and ". " not in gap and "。" not in gap


def _search_first(patterns: tuple[re.Pattern[str], ...], text: str, group: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match.group(group)
    return None


# --- ARNs -------------------------------------------------------------------------------------


def _clean_arn(arn: str | None) -> str | None:
    if arn is None:
        return None
    # Sentence punctuation is not part of an ARN; no Bedrock or IAM ARN ends in these.
    return arn.rstrip(".,:;!?") or None


def _arn_parts(arn: str) -> dict[str, str] | None:
    match = _ARN_PARTS_RE.fullmatch(arn)
    return match.groupdict() if match else None


def _is_principal_arn(arn: str) -> bool:
    parts = _arn_parts(arn)
    if parts is None:
        return False
    if parts["service"] == "sts":
        return True
    return parts["service"] == "iam" and (
        parts["resource"] == "root" or parts["resource"].startswith(("user/", "role/", "federated-user/"))
    )


def _is_policy_arn(arn: str) -> bool:
    parts = _arn_parts(arn)
    return bool(parts) and parts["service"] == "organizations" and parts["resource"].startswith("policy/")


def _account_of(arn: str | None) -> str | None:
    parts = _arn_parts(arn) if arn else None
    return parts["account"] or None if parts else None


def _build(
    *,
    principal: str | None,
    action: str | None,
    resource: str | None,
    policy_kind: str | None,
    explicit: bool | None,
    operation: str | None,
    error_code: str | None,
    policy_arn: str | None,
    encoded_message: str | None,
) -> Denial:
    region = model_id = profile_id = None
    parts = _arn_parts(resource) if resource else None
    if parts is not None:
        if parts["region"]:
            region = parts["region"]
        elif parts["service"] == "bedrock":
            # A Region-less Bedrock ARN is the global profile's evaluation with no Region.
            region = "unspecified"
        model_id, profile_id = _model_and_profile(parts["service"], parts["resource"])
    if policy_kind is None and policy_arn:
        policy_kind = _kind_from_policy_arn(policy_arn)
    return Denial(
        principal=principal,
        action=action,
        resource=resource,
        region=region,
        model_id=model_id,
        profile_id=profile_id,
        policy_kind=policy_kind,
        explicit=explicit,
        operation=operation,
        error_code=error_code,
        account=_account_of(principal) or _account_of(resource),
        policy_arn=policy_arn,
        encoded_message=encoded_message,
    )


def _model_and_profile(service: str, resource: str) -> tuple[str | None, str | None]:
    if service != "bedrock":
        return None, None
    kind, _, ident = resource.partition("/")
    if not ident or "*" in ident or "?" in ident:
        return None, None  # a wildcard names no one model
    if kind == "foundation-model":
        return ident, None
    if kind == "inference-profile":
        return _strip_geo(ident), ident
    if kind == "application-inference-profile":
        return None, ident  # the model behind an application profile is not in its ARN
    return None, None


def _strip_geo(profile_id: str) -> str:
    prefix, dot, rest = profile_id.partition(".")
    if dot and prefix in _GEO_PREFIXES and "." in rest:
        return rest
    return profile_id


def _kind_from_policy_arn(arn: str) -> str | None:
    parts = _arn_parts(arn)
    if parts is None:
        return None
    for kind in ("service_control_policy", "resource_control_policy"):
        if f"/{kind}/" in parts["resource"]:
            return kind
    return None
