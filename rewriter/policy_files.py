"""The policies in a file, whatever holds them: a JSON policy, a CloudFormation template, Terraform.

``check_file`` and ``propose_file`` are what the CLI calls for each path; a file that holds several
policies gets one result per policy, and ``propose_file`` chains their edits into one new file text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rewriter.codec import Codec, json_codec, minified_size
from rewriter.errors import BadInputError, InputError
from rewriter.model import Policy
from rewriter.vocabulary import Status

if TYPE_CHECKING:
    from rewriter.catalog import Profile
    from rewriter.check import CheckResult
    from rewriter.propose import Proposal
    from rewriter.sources import EmbeddedPolicy

__all__ = [
    "PolicyInFile",
    "NotCallable",
    "FileCheck",
    "FileProposal",
    "load_policy_file",
    "no_policy_reason",
    "select_callable",
    "check_file",
    "propose_file",
]


class PolicyInFile(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a dataclass's cost
    label: str  # the file, or "file (resource name)" for a policy inside IaC code
    policy: Policy
    codec: Any  # Callable[[Policy], Codec]
    embedded: EmbeddedPolicy | None = None
    kind: str = "scp"  # "scp" | "identity": how the policy is evaluated and fixed


def unresolved_notes(item: PolicyInFile) -> tuple[str, ...]:
    """One line per intrinsic function or variable the policy's decision may depend on: scp-fix read
    it as a placeholder, so a decision on that value is not the one AWS will make."""
    if item.embedded is None:
        return ()
    defaults = tuple(
        f"{item.embedded.path}:{r.line}:{r.column}: {r.text} takes the default of {r.default}"
        + (f" ({r.origin})" if r.origin else "") + ", as no value was given"
        for r in item.embedded.references if r.default
    )
    return defaults + tuple(
        f"{item.embedded.path}:{r.line}:{r.column}: {r.pointer} comes from {r.text}, which scp-fix "
        f"did not resolve; {r.hint}"
        for r in item.embedded.unresolved
    )


def _require_values(embedded: EmbeddedPolicy) -> None:
    """A template parameter or variable with neither a value nor a default is bad input: a decision
    on the placeholder would not be the one AWS makes."""
    for ref in embedded.unresolved:
        if ref.needs:
            how = (
                f"pass --parameter {ref.needs}=..." if embedded.kind == "cloudformation"
                else f"set {ref.needs} in a --var-file"
            )
            raise InputError(f"needs a value for {ref.needs} ({embedded.path}:{ref.line}:{ref.column}); {how}")


def policy_warnings(item: PolicyInFile) -> tuple[str, ...]:
    """One located line per element the policy writes that AWS reads otherwise (``*:*``, an action
    that does not exist, a Region code nobody knows)."""
    from rewriter.policy_warnings import action_warnings, region_warnings

    path = item.embedded.path if item.embedded is not None else item.label
    found = action_warnings(item.policy) + region_warnings(item.policy)
    return tuple(w.located(path) for w in found)


class NotCallable(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """Profiles a model id stood for that no caller can call: named once, neither checked nor fixed."""

    profiles: tuple[str, ...]
    regions: tuple[str, ...]  # the Regions callers use
    given: bool  # the Regions are --source-region's, not those the policy allows

    def sentence(self) -> str:
        why = "--source-region" if self.given else "the Regions the policy lets callers use"
        return f"not callable from {', '.join(self.regions) or 'any Region'} ({why}): {', '.join(self.profiles)}"

    def to_json(self) -> dict[str, Any]:
        return {"profiles": list(self.profiles), "regions": list(self.regions), "given": self.given}


def select_callable(
    policy: Policy,
    profiles: Sequence[Profile],
    from_models: frozenset[str],
    *,
    source_region: str | None = None,
    full_access: bool = True,
    guardrail: Profile | None = None,
    **_options: Any,
) -> tuple[tuple[Profile, ...], NotCallable | None]:
    """The profiles to check, and those left out: a profile that stands for a model id (``from_models``)
    counts only when a caller can call it, from ``source_region`` or else from a Region the policy allows.

    A model none of whose profiles anyone can call keeps them all, so the check says why; with a
    ``source_region`` that no profile of the model has, that is bad input.
    """
    if not from_models:
        return tuple(profiles), None
    from rewriter.check import callable_sources
    from rewriter.errors import ProfileNotFoundError
    from rewriter.evaluate import Evaluator

    evaluator = Evaluator()
    sources: dict[str, tuple[str, ...]] = {}
    for profile in profiles:
        if profile.id in from_models:
            if source_region is not None:
                sources[profile.id] = (source_region,) if source_region in profile.routes else ()
            else:
                sources[profile.id] = callable_sources(
                    policy, profile, full_access=full_access, evaluator=evaluator
                )
            if guardrail is not None:  # a call with the guardrail is made only where both are served
                sources[profile.id] = tuple(s for s in sources[profile.id] if s in guardrail.routes)
    usable_models = {p.model for p in profiles if sources.get(p.id)}
    for model in {p.model for p in profiles if p.id in from_models} - usable_models:
        if source_region is not None:
            serving = sorted({s for p in profiles if p.model == model for s in p.sources})
            raise ProfileNotFoundError(
                f"no inference profile of {model} can be called from {source_region}; "
                f"their source Regions are: {', '.join(serving)}"
            )
    kept = tuple(
        p for p in profiles if p.id not in from_models or sources[p.id] or p.model not in usable_models
    )
    left = tuple(p.id for p in profiles if p not in kept)
    if not left:
        return kept, None
    regions = (source_region,) if source_region else tuple(sorted({r for s in sources.values() for r in s}))
    return kept, NotCallable(left, regions, source_region is not None)


class FileCheck(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    label: str
    result: CheckResult
    unresolved: tuple[str, ...] = ()
    policy: Policy | None = None  # the policy checked: its statements know their lines in the file
    warnings: tuple[str, ...] = ()
    not_callable: NotCallable | None = None


class FileProposal(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    path: str
    original_text: str
    new_text: str
    proposals: tuple[tuple[str, Proposal], ...]
    unresolved: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    not_callable: tuple[tuple[str, NotCallable], ...] = ()  # per policy label

    @property
    def changed(self) -> bool:
        return self.new_text != self.original_text

    @property
    def status(self) -> Status:
        statuses = {p.status for _, p in self.proposals}
        return next((s for s in (Status.UNSAFE, Status.CHANGED) if s in statuses), Status.UNCHANGED)


def _decode(path: str, data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        from rewriter.parse import parse_policy

        parse_policy(data, path=path)  # raises the located "not UTF-8" error
        raise  # pragma: no cover


def load_policy_file(
    path: str,
    data: bytes | str,
    *,
    parameters: Mapping[str, str] | None = None,
    var_files: Sequence[str] = (),
    kind: str | None = None,
) -> tuple[PolicyInFile, ...]:
    """Every policy in a file, with how to rewrite it. A plain JSON policy is of ``kind`` (default
    ``scp``); inside IaC code the resource says which kind each policy is, and ``kind`` keeps only those."""

    text = _decode(path, data)
    plain = kind or "scp"
    from rewriter.sources import detect_kind, load_embedded, plain_json_policy

    if plain_json_policy(path, text):
        return (_json_policy(path, text, parameters or {}, plain),)
    form = detect_kind(path, text)
    if form == "json-policy":
        return (_json_policy(path, text, parameters or {}, plain),)
    found = load_embedded(path, text, parameters=dict(parameters or {}), var_files=tuple(var_files), use_defaults=True)
    for embedded in found:
        _require_values(embedded)
    if kind is not None:
        found = tuple(e for e in found if e.policy_kind == kind)
    if not found:
        what = "identity-based policy" if kind == "identity" else "service control policy"
        raise InputError(f"no {what} found in this {form} file", path=path)
    return tuple(
        PolicyInFile(f"{path} ({emb.name})", emb.policy, _embedded_codec(path, text, emb), emb,
                     kind=emb.policy_kind)
        for emb in found
    )


def no_policy_reason(path: str, data: bytes | str) -> str | None:
    """Why a file plainly holds no policy (a package.json, a workflow YAML, a .tfvars), or None when it
    may hold one. A pre-commit hook passes every JSON, YAML and Terraform file; those that may hold a
    policy are read in full, so a broken policy is still an error."""
    import json

    from rewriter.sources import POLICY_RESOURCE_MARKERS

    try:
        text = _decode(path, data)
    except (UnicodeDecodeError, BadInputError):
        return None  # reading it says what is wrong
    if any(marker in text for marker in POLICY_RESOURCE_MARKERS):
        return None
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith(("{", "[")):
        return "it is not a JSON policy and names no policy resource (AWS::Organizations::Policy, aws_organizations_policy)"
    try:
        document = json.loads(stripped)
    except ValueError:
        return None  # broken JSON is an error, not a file to skip
    if isinstance(document, dict) and "Statement" in document:
        return None
    if isinstance(document, dict) and "Resources" in document:
        return "this CloudFormation template has no policy resource"
    return "this JSON has no Statement: it is not a policy document"


def _json_policy(path: str, text: str, parameters: Mapping[str, str], kind: str) -> PolicyInFile:
    """A JSON policy file; one with ``${NAME}`` placeholders is a template, read as rendered."""
    from rewriter.parse import parse_policy

    policy = parse_policy(text, path=path)
    if "${" not in text:  # no placeholder can be there: rewriter.placeholders is not needed
        return PolicyInFile(path, policy, json_codec, kind=kind)
    from rewriter.placeholders import has_placeholders, render_template, template_codec

    if not has_placeholders(text):
        return PolicyInFile(path, policy, json_codec, kind=kind)
    return PolicyInFile(path, render_template(policy, parameters), template_codec(policy, parameters), kind=kind)


def _embedded_codec(path: str, text: str, embedded: EmbeddedPolicy):
    """A codec for one policy inside an IaC file: edits are written into the file's own text."""
    from rewriter.sources import load_embedded, rewrite

    def read(new_text: str) -> Policy:
        again = load_embedded(
            path, new_text, parameters=dict(embedded.parameters), var_files=embedded.var_files,
            use_defaults=embedded.use_defaults,
        )
        match = next((e for e in again if e.name == embedded.name), None)
        if match is None:
            raise InputError(f"{embedded.name} is gone from the rewritten file", path=path)
        return match.policy

    def for_policy(policy: Policy) -> Codec:
        # propose asks for the codec of the policy it was given, the one in the file as it stands
        if policy is not embedded.policy:
            raise ValueError(f"not the policy {embedded.name} of {path}")
        return Codec(
            render=lambda operations: rewrite(text, embedded, list(operations)),
            read=read,
            size=lambda _text, p: minified_size(p.document),
        )

    return for_policy


def check_file(
    path: str,
    data: bytes | str,
    profiles: Sequence[Profile],
    *,
    parameters: Mapping[str, str] | None = None,
    var_files: Sequence[str] = (),
    kind: str | None = None,
    account: str | None = None,
    actions: tuple[str, ...] | None = None,
    from_models: frozenset[str] = frozenset(),
    **options: Any,
) -> tuple[FileCheck, ...]:
    """Check every policy in the file, each as its kind: ``options`` go to ``check`` (SCPs), the
    source Region, ``account`` and ``actions`` to ``check_identity`` as well. ``from_models``: the ids
    of profiles that stand for a model id (``select_callable``)."""
    from rewriter.check import check

    results = []
    for item in load_policy_file(path, data, parameters=parameters, var_files=var_files, kind=kind):
        left = None  # an identity policy's callers are read from what it grants: every profile counts
        if item.kind == "identity" and options.get("guardrail") is not None:
            from rewriter.errors import InputError

            raise InputError("--guardrail is checked for service control policies, not identity policies", path=item.label)
        if item.kind == "identity":  # rewriter.identity is imported only for such a policy
            from rewriter.identity import check_identity

            result = check_identity(
                item.policy, profiles, source_region=options.get("source_region"), account=account,
                **({"actions": actions} if actions else {}),
            )
        else:
            checked, left = select_callable(item.policy, profiles, from_models, **options)
            result = check(
                item.policy, checked, **options, **({"account": account} if account else {}),
                **({"actions": actions} if actions else {}),
            )
        results.append(FileCheck(
            item.label, result._replace(policy_path=item.label), unresolved_notes(item), item.policy,
            policy_warnings(item), not_callable=left,
        ))
    return tuple(results)


def propose_file(
    path: str,
    data: bytes | str,
    profiles: Sequence[Profile],
    *,
    parameters: Mapping[str, str] | None = None,
    var_files: Sequence[str] = (),
    kind: str | None = None,
    actions: tuple[str, ...] | None = None,
    from_models: frozenset[str] = frozenset(),
    **options: Any,
) -> FileProposal:
    """Propose a change for every policy in the file, each as its kind; the new text carries all of them.
    ``from_models``: the ids of profiles that stand for a model id, proposed for only where callable
    (``select_callable``).

    An SCP strategy named in ``options`` applies to the SCPs, an identity one to the identity policies."""
    from rewriter.propose import IDENTITY_STRATEGY_NAMES, STRATEGY_NAMES, propose

    items = load_policy_file(path, data, parameters=parameters, var_files=var_files, kind=kind)
    original = _decode(path, data)
    text = original
    proposals = []
    not_callable = []
    strategy = options.pop("strategy", "auto")
    override = _overrides_by_policy(items, options.pop("override", ()))
    for item, names in zip(items, override):
        strategies = IDENTITY_STRATEGY_NAMES if item.kind == "identity" else STRATEGY_NAMES
        wanted = profiles
        if item.kind != "identity":  # an identity policy's callers are read from what it grants
            wanted, left = select_callable(item.policy, profiles, from_models, **options)
            if left is not None:
                not_callable.append((item.label, left))
        proposal = propose(
            item.policy, wanted, codec=item.codec, override=names, kind=item.kind, actions=actions,
            strategy=strategy if strategy in strategies else "auto", **options,
        )
        proposals.append((item.label, proposal))
        if proposal.changed:
            if item.embedded is None:
                text = proposal.chosen.text
            else:
                from rewriter.sources import load_embedded, rewrite

                # Re-find the policy in the text the earlier edits left, then apply this one's edits.
                current = next(
                    e for e in load_embedded(path, text, parameters=dict(item.embedded.parameters),
                                             var_files=item.embedded.var_files,
                                             use_defaults=item.embedded.use_defaults)
                    if e.name == item.embedded.name
                )
                text = rewrite(text, current, proposal.chosen.fix.patch)
    unresolved = tuple(note for item in items for note in unresolved_notes(item))
    warnings = tuple(w for item in items for w in policy_warnings(item))
    return FileProposal(path, original, text, tuple(proposals), unresolved, warnings, tuple(not_callable))


def _overrides_by_policy(items: Sequence[PolicyInFile], names: Sequence[str]) -> list[tuple[str, ...]]:
    """``--override`` names for each policy of a file: a Sid or number one of them has. A name none of
    them has is bad input, named by ``propose`` against the first."""
    if len(items) == 1 or not names:
        return [tuple(names)] * len(items)
    from rewriter.controls import resolve_overrides
    from rewriter.errors import ScpFixError

    per_item: list[list[str]] = [[] for _ in items]
    for name in names:
        owners = []
        for i, item in enumerate(items):
            try:
                resolve_overrides(item.policy, [name])
            except ScpFixError:
                continue
            owners.append(i)
        for i in owners or [0]:
            per_item[i].append(name)
    return [tuple(n) for n in per_item]
