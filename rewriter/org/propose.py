"""The smallest set of SCP changes that unblocks the named accounts (``org propose``).

Under SCP evaluation every policy that denies a request on an account's path must change, and no
other must: the decision names every matching Deny at every level. So the set is the union of the
policies that deny some request of some named account. Each is changed by ``propose`` on that one
policy (beside FullAWSAccess, as it is attached), and the whole path of every named account is
then checked again with the changes in place. A change to a policy attached above other accounts
(an OU, the root) changes them too: each such account is named in a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rewriter.errors import InputError
from rewriter.org.check import OrgCheck, check_org
from rewriter.org.snapshot import OrgNode, OrgPolicy, Snapshot, policy_file_name
from rewriter.vocabulary import Status

if TYPE_CHECKING:
    from rewriter.catalog import Profile
    from rewriter.model import Policy
    from rewriter.propose import Proposal

__all__ = ["PolicyChange", "OrgProposal", "propose_org", "MAX_ROUNDS"]

MAX_ROUNDS = 4  # a change can make a source Region usable, and with it new requests: check again


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One policy to change: its ``propose`` result, where it is attached, whom else it reaches."""

    policy: OrgPolicy
    proposal: Proposal
    unblocks: tuple[str, ...]  # named accounts this policy denied
    targets: tuple[OrgNode, ...]
    also_affects: tuple[OrgNode, ...]  # accounts under its targets that were not named
    reaches: tuple[OrgNode, ...] = ()  # every root, OU and account the change reaches: its targets and below

    @property
    def file_name(self) -> str:
        return policy_file_name(self.policy)

    @property
    def warnings(self) -> tuple[str, ...]:
        if not self.also_affects:
            return ()
        shown = ", ".join(f"{a.id} ({a.name})" for a in self.also_affects[:10])
        more = len(self.also_affects) - 10
        where = ", ".join(t.id for t in self.targets)
        return (
            f"{self.policy.label} is attached to {where}: the change also affects "
            f"{len(self.also_affects)} other account{'s' if len(self.also_affects) != 1 else ''}: "
            f"{shown}{f' and {more} more' if more > 0 else ''}",
        )


@dataclass(frozen=True, slots=True)
class OrgProposal:
    status: Status
    changes: tuple[PolicyChange, ...]
    before: OrgCheck
    after: OrgCheck | None
    reason: str

    @property
    def changed(self) -> bool:
        return self.status is Status.CHANGED


def propose_org(
    snapshot: Snapshot,
    profiles: Sequence[Profile],
    *,
    accounts: Iterable[str],
    source_region: str | None = None,
    strategy: str = "auto",
    batch: bool = False,
    broad: bool = False,
    prefix: bool = False,
    force: bool = False,
    override: Sequence[str] = (),
    batch_role: str | None = None,
) -> OrgProposal:
    """Changes that let every profile through every SCP on each named account's path, verified.
    ``override`` names deliberate controls by Sid, in whichever policies have them. ``batch``: batch
    jobs too, whose cross-Region calls are made by their service role, ``batch_role`` (cris)."""
    from rewriter.cris import BATCH_ACTION, INFERENCE_ACTIONS
    from rewriter.parse import parse_policy
    from rewriter.propose import propose

    accounts = tuple(accounts)
    if not accounts:
        raise InputError("name the accounts to unblock with --account")
    actions = INFERENCE_ACTIONS + ((BATCH_ACTION,) if batch else ())
    sids = {st.sid for p in snapshot.policies if (parsed := snapshot.parsed(p.id)) is not None for st in parsed.statements}
    unknown = [name for name in override if name not in sids]
    if unknown:
        raise InputError(f"--override {unknown[0]}: no policy in the organization has a statement with that Sid")

    def run(overrides: dict[str, Policy]) -> OrgCheck:
        return check_org(snapshot, profiles, accounts=accounts, source_region=source_region,
                         actions=actions, overrides=overrides, batch_role=batch_role)

    before = run({})
    broken = [a for a in before.accounts if a.invalid]
    if broken:
        names = ", ".join(sorted({p.label for a in broken for p in a.invalid}))
        raise InputError(
            f"cannot evaluate account {broken[0].account.id}: {names} is not a valid policy "
            "(see the snapshot's findings)"
        )
    if not before.blocked:
        return OrgProposal(Status.UNCHANGED, (), before, None, "every named account already lets every profile through")

    overrides: dict[str, Policy] = {}
    proposals: dict[str, Proposal] = {}
    unblocks: dict[str, list[str]] = {}
    problems: list[str] = []
    current = before
    for _ in range(MAX_ROUNDS):
        blocked = [a for a in current.accounts if a.blocked]
        if not blocked:
            break
        targets: dict[str, tuple[OrgPolicy, bool, str]] = {}  # id -> (policy, full_access, account)
        for item in blocked:
            for node, policy in item.denying_policies:
                if policy is None:
                    policy = _sole_allow_policy(snapshot, node, overrides, problems)
                    if policy is None:
                        continue
                    targets.setdefault(policy.id, (policy, False, item.account.id))
                else:
                    targets.setdefault(policy.id, (policy, True, item.account.id))
                unblocks.setdefault(policy.id, [])
                if item.account.id not in unblocks[policy.id]:
                    unblocks[policy.id].append(item.account.id)
        progressed = False
        for pid, (policy, full_access, account) in targets.items():
            if pid in proposals:
                problems.append(f"{policy.label} still denies after its change")
                continue
            if policy.aws_managed:
                problems.append(f"{policy.label} is managed by AWS and cannot be changed")
                continue
            parsed = snapshot.parsed(pid)
            assert parsed is not None  # invalid policies were refused above
            proposal = propose(
                parsed, profiles, source_region=source_region, strategy=strategy, batch=batch, batch_role=batch_role,
                broad=broad, prefix=prefix, force=force, full_access=full_access, account=account,
                policy_name=policy.name,
                override=tuple(n for n in override if any(st.sid == n for st in parsed.statements)),
            )
            proposals[pid] = proposal
            if proposal.status is Status.CHANGED:
                assert proposal.chosen is not None and proposal.chosen.text is not None
                overrides[pid] = parse_policy(proposal.chosen.text, path=parsed.path)
                progressed = True
            elif proposal.status is Status.UNSAFE:
                problems.append(f"{policy.label}: {proposal.reason}")
            else:
                problems.append(
                    f"{policy.label} denies on the organization path, but checked alone it blocks nothing "
                    f"scp-fix can change ({proposal.reason})"
                )
        if not progressed:
            break
        current = run(overrides)

    changes = tuple(
        _change(snapshot, snapshot.policy(pid), proposals[pid], tuple(unblocks.get(pid, ())), accounts)
        for pid in proposals
        if proposals[pid].status is Status.CHANGED
    )
    after = run(overrides) if overrides else current
    still = [a.account.id for a in after.accounts if a.blocked]
    if still:
        problems.append(f"still blocked after the changes: {', '.join(still)}")
    if problems:
        return OrgProposal(Status.UNSAFE, changes, before, after, "; ".join(dict.fromkeys(problems)))
    reason = (
        f"{len(changes)} polic{'y' if len(changes) == 1 else 'ies'} to change; "
        f"verified on {len(accounts)} account{'s' if len(accounts) != 1 else ''}"
    )
    return OrgProposal(Status.CHANGED, changes, before, after, reason)


def _sole_allow_policy(
    snapshot: Snapshot, node: OrgNode, overrides: dict[str, Policy], problems: list[str]
) -> OrgPolicy | None:
    """For an implicit deny at a level: the one customer policy there that can be widened."""
    candidates = [
        snapshot.policy(pid) for pid in snapshot.attached(node.id) if not snapshot.policy(pid).aws_managed
    ]
    if len(candidates) == 1:
        return candidates[0]
    problems.append(
        f"no policy at {snapshot.level_label(node)} allows the requests"
        + (
            "; attach FullAWSAccess there or name the policy to widen"
            if candidates else "; attach FullAWSAccess there"
        )
    )
    return None


def _change(
    snapshot: Snapshot, policy: OrgPolicy, proposal: Proposal, unblocks: tuple[str, ...], named: tuple[str, ...]
) -> PolicyChange:
    targets = snapshot.targets_of(policy.id)
    seen: dict[str, OrgNode] = {}
    reached: dict[str, OrgNode] = {}
    for target in targets:
        for node in snapshot.nodes_under(target.id):
            reached.setdefault(node.id, node)
            if node.kind == "account" and node.id not in named:
                seen.setdefault(node.id, node)
    return PolicyChange(policy, proposal, unblocks, targets, tuple(seen.values()), tuple(reached.values()))
