"""Build organizations on moto's server through the real Organizations API (boto3)."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any

SCP = "SERVICE_CONTROL_POLICY"
GLOBAL_SERVICES = ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*"]
ROOT_REGIONS = [
    "us-east-1", "us-east-2", "us-west-2",
    "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3",
]
US_PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
EU_PROFILE = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"


def reset(url: str) -> None:
    """Empty moto's server (every service) between tests."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def region_deny(sid: str, regions: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Deny",
                "NotAction": GLOBAL_SERVICES,
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": regions}},
            }
        ],
    }


def action_deny(sid: str, actions: list[str]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": "*"}]}


@dataclass
class Org:
    client: Any
    root: str
    ous: dict[str, str] = field(default_factory=dict)  # name -> id
    accounts: dict[str, str] = field(default_factory=dict)  # name -> id
    policies: dict[str, str] = field(default_factory=dict)  # name -> id
    contents: dict[str, str] = field(default_factory=dict)  # name -> content as uploaded

    def ou(self, name: str, parent: str | None = None) -> str:
        parent_id = self.ous[parent] if parent else self.root
        ou_id = self.client.create_organizational_unit(ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"]
        self.ous[name] = ou_id
        return ou_id

    def account(self, name: str, ou: str | None = None) -> str:
        status = self.client.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        account_id = status["AccountId"]
        if ou is not None:
            self.client.move_account(AccountId=account_id, SourceParentId=self.root, DestinationParentId=self.ous[ou])
        self.accounts[name] = account_id
        return account_id

    def policy(self, name: str, document: dict[str, Any] | str, *, indent: int | None = 2) -> str:
        content = document if isinstance(document, str) else json.dumps(document, indent=indent)
        summary = self.client.create_policy(Content=content, Description=name, Name=name, Type=SCP)
        policy_id = summary["Policy"]["PolicySummary"]["Id"]
        self.policies[name] = policy_id
        self.contents[name] = content
        return policy_id

    def attach(self, policy: str, target: str) -> None:
        target_id = (
            self.root if target == "root" else self.ous.get(target) or self.accounts[target]
        )
        self.client.attach_policy(PolicyId=self.policies[policy], TargetId=target_id)


def new_org(client: Any) -> Org:
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    try:  # moto enables SCPs on a new organization already
        client.enable_policy_type(RootId=root, PolicyType=SCP)
    except client.exceptions.PolicyTypeAlreadyEnabledException:
        pass
    return Org(client, root)


def sample_org(client: Any) -> Org:
    """Root: a region deny (US + EU). OU Europe: EU-only (eu-west-1, eu-central-1). Account us-b: no
    us-west-2. OU Sandbox: a policy that is not JSON. A 6,000-character policy, attached nowhere."""
    org = new_org(client)
    org.ou("Europe")
    org.ou("Prod", "Europe")
    org.ou("US")
    org.ou("Sandbox")
    org.account("eu-prod", "Prod")
    org.account("eu-dev", "Europe")
    org.account("us-a", "US")
    org.account("us-b", "US")
    org.account("us-c", "US")
    org.account("sandbox-1", "Sandbox")
    org.policy("RootRegionDeny", region_deny("DenyOutsideUsEu", ROOT_REGIONS))
    org.attach("RootRegionDeny", "root")
    org.policy("EuOnly", region_deny("DenyOutsideEu", ["eu-west-1", "eu-central-1"]))
    org.attach("EuOnly", "Europe")
    org.policy("NoWest2", {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyUsWest2", "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-west-2"}},
        }],
    })
    org.attach("NoWest2", "us-b")
    org.policy("ProtectTrail", action_deny("ProtectTrail", ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]))
    org.attach("ProtectTrail", "US")
    org.attach("ProtectTrail", "us-c")
    org.policy("Broken", "{'Version': '2012-10-17', not json")
    org.attach("Broken", "Sandbox")
    padded = action_deny("Padded", ["s3:DeleteBucket"])
    padded["Statement"][0]["Resource"] = [f"arn:aws:s3:::bucket-{i:05d}" for i in range(250)]
    org.policy("Oversized", padded, indent=None)
    assert len(org.contents["Oversized"]) > 5120
    return org
