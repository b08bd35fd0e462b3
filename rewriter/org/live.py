"""Read an organization through AWS Organizations (boto3): the tree, every SCP and its attachments.

Calls, each through a paginator: ``ListRoots`` once; ``ListOrganizationalUnitsForParent`` and
``ListAccountsForParent`` once per root and OU; ``ListPoliciesForTarget`` (service control
policies) once per root, OU and account; ``DescribePolicy`` once per distinct policy, however many
targets it has. So the number of calls grows with OUs + accounts + policies, never their product.
Retries use botocore's standard mode (throttling is common on Organizations, 1-2 calls a second).

boto3 is the optional extra ``scp-fix[aws]``; it is imported here, inside the functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from rewriter.errors import InputError
from rewriter.org.snapshot import OrgNode, OrgPolicy, Snapshot, build_snapshot

__all__ = ["make_client", "read_organization", "Progress", "SCP_FILTER"]

SCP_FILTER = "SERVICE_CONTROL_POLICY"
MAX_ATTEMPTS = 10

# progress(phase, done, total): phase "tree" (total unknown: None) then "policies".
Progress = Callable[[str, int, "int | None"], None]


def make_client(
    *, aws_profile: str | None = None, endpoint_url: str | None = None, region: str | None = None
) -> Any:
    """An Organizations client with standard-mode retries; a clear error when boto3 is missing."""
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError:
        raise InputError(
            "reading an organization needs boto3; install it with: pip install 'scp-fix[aws]'"
        ) from None
    try:
        session = boto3.Session(profile_name=aws_profile)
        config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}, user_agent_extra="scp-fix"
        )
        # Organizations is a global service served from us-east-1 (aws-us-gov, aws-cn have their own).
        return session.client(
            "organizations",
            region_name=region or session.region_name or "us-east-1",
            endpoint_url=endpoint_url,
            config=config,
        )
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"no AWS profile named {aws_profile!r} in the AWS config") from None
    except (ValueError, botocore.exceptions.BotoCoreError) as error:
        # a malformed --endpoint-url or Region, an unreadable AWS config file
        raise InputError(f"cannot make an Organizations client: {error}") from None


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of every page; AWS and credential failures become an ``InputError``."""
    import botocore.exceptions

    name = "".join(part.title() for part in operation.split("_"))
    try:
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, ())
    except botocore.exceptions.ClientError as error:
        raise _client_error(name, error) from None
    except botocore.exceptions.NoCredentialsError:
        raise InputError("no AWS credentials found; pass --aws-profile or set the standard AWS variables") from None
    except botocore.exceptions.BotoCoreError as error:
        raise InputError(f"cannot call Organizations {name}: {error}") from None


def _client_error(name: str, error: Any) -> InputError:
    info = error.response.get("Error", {})
    code = info.get("Code", "error")
    hint = ""
    if code == "AWSOrganizationsNotInUseException":
        hint = " (this account is not in an organization)"
    elif code == "AccessDeniedException":
        hint = " (run it from the management account or a delegated administrator)"
    return InputError(f"Organizations {name} failed: {code}: {info.get('Message', '')}{hint}".rstrip(": "))


def read_organization(client: Any, *, progress: Progress | None = None, source: str | None = None) -> Snapshot:
    """The whole organization as a validated ``Snapshot``."""
    import botocore.exceptions

    report = progress or (lambda phase, done, total: None)
    nodes: list[OrgNode] = []
    for root in _pages(client, "list_roots", "Roots"):
        nodes.append(OrgNode(root["Id"], root.get("Name", "Root"), "root"))
    parents = [n.id for n in nodes]
    report("tree", len(nodes), None)
    while parents:  # breadth first: a path's nodes come before the nodes below them
        following: list[str] = []
        for parent in parents:
            for ou in _pages(client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent):
                nodes.append(OrgNode(ou["Id"], ou.get("Name", ""), "ou", parent))
                following.append(ou["Id"])
            for account in _pages(client, "list_accounts_for_parent", "Accounts", ParentId=parent):
                nodes.append(OrgNode(account["Id"], account.get("Name", ""), "account", parent))
            report("tree", len(nodes), None)
        parents = following

    summaries: dict[str, dict[str, Any]] = {}
    attachments: dict[str, tuple[str, ...]] = {}
    total = len(nodes)
    for done, node in enumerate(nodes, 1):
        ids: list[str] = []
        for summary in _pages(client, "list_policies_for_target", "Policies", TargetId=node.id, Filter=SCP_FILTER):
            ids.append(summary["Id"])
            summaries.setdefault(summary["Id"], summary)
        attachments[node.id] = tuple(ids)
        report("policies", done, total + len(summaries))

    policies: list[OrgPolicy] = []
    total = len(nodes) + len(summaries)
    for done, (pid, summary) in enumerate(summaries.items(), len(nodes) + 1):
        try:
            described = client.describe_policy(PolicyId=pid)["Policy"]
        except botocore.exceptions.ClientError as error:
            raise _client_error("DescribePolicy", error) from None
        except botocore.exceptions.BotoCoreError as error:
            raise InputError(f"cannot call Organizations DescribePolicy: {error}") from None
        info = described.get("PolicySummary", summary)
        policies.append(OrgPolicy(
            pid,
            info.get("Name", summary.get("Name", "")),
            described.get("Content", ""),
            info.get("Description", "") or "",
            bool(info.get("AwsManaged", False)),
            info.get("Arn"),
        ))
        report("policies", done, total)
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    return build_snapshot(nodes, policies, attachments, created=created, source=source)
