"""A corpus of malformed and hostile inputs, through the real command line: every one gets one line
on stderr, exit 2, nothing on stdout, no traceback, and no file changed (``propose --write``
included). None may hang: a FIFO, /dev/zero, a YAML "billion laughs" or a nesting bomb fails at once.

The cases are data: each names the files it needs (written to a fresh folder), the command line
(``{name}`` is that file's path) and a fragment the error line must hold, so the message says what is
wrong rather than merely being short. Located fixtures from tests/data/bad/ run through every command
that reads a policy; the rest are built below, one family at a time. The time of the slowest case is
printed by ``benchmarks/bad_input.py`` (a ratio to a valid run); here a case is only guarded against
hanging.
"""

from __future__ import annotations

import json
import os
import signal
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
BAD = Path(__file__).resolve().parent / "data" / "bad"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
SIMULATE = ("--action", "bedrock:InvokeModel", "--region", "us-east-1")
HANG_GUARD_SECONDS = 60  # not a speed target (see benchmarks/bad_input.py): only "it ends"

FIFO = b"<fifo>"  # a file content that asks for a FIFO instead of a file


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    says: str  # a fragment of the one error line
    files: dict[str, bytes] = field(default_factory=dict)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


TOKYO = _text(SAMPLES / "tokyo-only.json")
CFN_YAML = _text(SAMPLES / "iac" / "cfn-region-deny.yaml")
TF = _text(SAMPLES / "iac" / "tf-jsonencode.tf")
TF_DOC = _text(SAMPLES / "iac" / "tf-policy-document.tf")
SNAPSHOT = json.loads(_text(SAMPLES / "org" / "snapshot.json"))
PROFILE_ENTRY = (
    "  - id: team.custom-v1\n    model: anthropic.claude-sonnet-4-5-20250929-v1:0\n"
    "    routes: {ap-northeast-1: [ap-northeast-1, ap-northeast-3]}\n"
)


def _policy_commands(name: str) -> list[tuple[str, tuple[str, ...]]]:
    return [
        ("check", ("check", name, "--profile", JP)),
        ("propose-write", ("propose", name, "--profile", JP, "--write")),
        ("simulate", ("simulate", name, *SIMULATE)),
    ]


def _statement(**members: object) -> bytes:
    statement = {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*", **members}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2).encode()


def _laughs(levels: int, indent: str) -> str:
    lines = [f'{indent}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{indent}a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _cfn(content: str) -> bytes:
    return (
        "Resources:\n  Deny:\n    Type: AWS::Organizations::Policy\n    Properties:\n"
        f"      Type: SERVICE_CONTROL_POLICY\n      Content:\n{content}"
    ).encode()


def _snapshot(edit) -> bytes:
    data = json.loads(json.dumps(SNAPSHOT))
    edit({n["id"]: n for n in data["nodes"]}, data)
    return json.dumps(data).encode()


def _cases() -> list[Case]:
    cases: list[Case] = []

    # 1. Every located fixture of tests/data/bad/, through each command that reads a policy file.
    for fixture in sorted(BAD.iterdir()):
        data = fixture.read_bytes()
        for command, args in _policy_commands("{policy.json}"):
            cases.append(Case(f"fixture-{fixture.stem}-{command}", args, f"{{policy.json}}:", {"policy.json": data}))

    # 2. Policies that parse as JSON but are not SCPs AWS would take, or that attack the reader.
    policies = {
        "principal": (_statement(Principal="*"), "do not support Principal"),
        "principal-aws": (_statement(Principal={"AWS": "arn:aws:iam::111122223333:root"}), "do not support Principal"),
        "null-yes": (_statement(Condition={"Null": {"aws:PrincipalTag/team": "yes"}}), "Null condition takes true or false"),
        "null-list": (_statement(Condition={"Null": {"aws:PrincipalTag/team": ["true", "1"]}}), "Null condition takes true or false"),
        "null-number": (_statement(Condition={"Null": {"aws:PrincipalTag/team": 1}}), "Null condition takes true or false"),
        "empty-condition-key": (_statement(Condition={"StringEquals": {"": "x"}}), "empty condition key"),
        "number-5000-digits": (
            b'{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": '
            b'{"NumericLessThan": {"aws:MultiFactorAuthAge": ' + b"9" * 5000 + b"}}}}",
            "too long",
        ),
        "nesting-100000": (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64"),
        "passwd": (b"root:x:0:0:root:/root:/bin/bash\n", "expected a JSON value, found 'r'"),
        "binary": (bytes(range(256)) * 4, "not UTF-8"),
        "utf16": (TOKYO.encode("utf-16"), "not UTF-8"),
        "nul-bytes": (b"\x00" * 1000, "expected a JSON value"),
        "effect-5000-chars": (_statement(Effect="D" * 5000), "..."),
        "empty-action": (_statement(NotAction=""), "must not be an empty string"),
        "empty-action-item": (_statement(NotAction=["iam:*", ""]), "must not be empty strings"),
        "statement-null": (b'{"Version": "2012-10-17", "Statement": null}', "Statement must be an object"),
        "condition-list": (_statement(Condition=[]), "Condition must be an object"),
        "operator-block-list": (_statement(Condition={"StringEquals": ["x"]}), "must be an object"),
        "empty-value-list": (_statement(Condition={"StringEquals": {"aws:RequestedRegion": []}}), "empty list of values"),
        "key-with-newline": (b'{"Statement": [], "Bad\\nKey": 1}', "\\n"),
        "bom-twice": (b"\xef\xbb\xbf\xef\xbb\xbf{}", "expected a JSON value"),
        "infinity": (b'{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": '
                     b'{"NumericLessThan": {"aws:MultiFactorAuthAge": Infinity}}}}', "Infinity"),
    }
    for name, (data, says) in policies.items():
        for command, args in _policy_commands("{policy.json}"):
            cases.append(Case(f"policy-{name}-{command}", args, says, {"policy.json": data}))

    # 3. Inputs that are not regular files, or too big to be a policy source.
    big = b'{"Statement": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    for command, args in _policy_commands("{policy.json}"):
        cases.append(Case(f"fifo-{command}", args, "is a FIFO, not a regular file", {"policy.json": FIFO}))
        cases.append(Case(f"dev-zero-{command}", tuple(a.replace("{policy.json}", "/dev/zero") for a in args),
                          "is a character device"))
        cases.append(Case(f"directory-{command}", tuple(a.replace("{policy.json}", "/") for a in args), "is a directory"))
        cases.append(Case(f"too-big-{command}", args, "larger than 8,388,608 bytes", {"policy.json": big}))

    # 4. CloudFormation YAML: duplicate keys, aliases that explode, nesting bombs, numbers, tabs.
    body = "        Version: '2012-10-17'\n        Statement:\n          - Effect: Deny\n            Action: '*'\n            Resource: '*'\n"
    templates = {
        "duplicate-type": (CFN_YAML.replace("Type: AWS::Organizations::Policy", "Type: AWS::Organizations::Policy\n    Type: AWS::Organizations::Policy", 1).encode(), "duplicate key 'Type'"),
        "duplicate-effect": (_cfn(body.replace("Effect: Deny", "Effect: Deny\n            Effect: Allow")), "duplicate key 'Effect'"),
        "duplicate-statement": (_cfn(body + "        Statement: []\n"), "duplicate key 'Statement'"),
        "billion-laughs": (_cfn("        Statement:\n          - Effect: Deny\n" + _laughs(12, "            ")), "aliases expand"),
        "billion-laughs-top": (("Laughs:\n" + _laughs(12, "  ") + CFN_YAML).encode(), "aliases expand"),
        "flow-nesting-3000": (_cfn("        " + "[" * 3000 + "]" * 3000 + "\n"), "nested deeper than 64"),
        "block-nesting-600": (_cfn("".join("  " * (i + 4) + "- \n" for i in range(600))), "nested deeper than 64"),
        "not-yaml": (b"Resources: [\n  : :\n", "not valid YAML"),
        "tab-indent": (b"Resources:\n\tDeny:\n\t\tType: x\n", "not valid YAML"),
        "not-utf8": (CFN_YAML.encode().replace(b"Deny", b"D\xe9ny", 1), "not UTF-8"),
        "no-policy": (b"Resources: {}\n", "no service control policy"),
    }
    for name, (data, says) in templates.items():
        for command in ("check", "propose-write"):
            args = ("check", "{t.yaml}", "--profile", JP) if command == "check" else ("propose", "{t.yaml}", "--profile", JP, "--write")
            cases.append(Case(f"cfn-{name}-{command}", args, says, {"t.yaml": data}))

    # 5. Terraform files and their var files.
    terraform = {
        "nesting-3000": (TF.replace('Resource  = "*"', "Resource  = " + "[" * 3000 + '"*"' + "]" * 3000, 1).encode(), "nested deeper than 64"),
        "number-5000-digits": (TF.replace('Resource  = "*"', "Resource  = " + "9" * 5000, 1).encode(), "too long"),
        "not-hcl": (b'resource "aws_organizations_policy" "x" {\n  content = \n', "not valid HCL"),
        "not-utf8": (TF.encode().replace(b"Deny", b"D\xffny", 1), "not UTF-8"),
    }
    for name, (data, says) in terraform.items():
        for command in ("check", "propose-write"):
            args = ("check", "{main.tf}", "--profile", JP) if command == "check" else ("propose", "{main.tf}", "--profile", JP, "--write")
            cases.append(Case(f"tf-{name}-{command}", args, says, {"main.tf": data}))
    var_files = {
        "not-utf8.tfvars": (b'regions = ["\xff"]\n', "not UTF-8"),
        "broken.tfvars.json": (b"[1", "not JSON"),
        "list.tfvars.json": (b"[1]", "must hold a JSON object"),
        "big.tfvars.json": (b'{"regions": ' + b"9" * 5000 + b"}", "not JSON"),
        "deep.tfvars.json": (b"[" * 5000 + b"]" * 5000, "nested deeper than 64"),
        "deep.tfvars": (b"regions = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested deeper than 64"),
        "fifo.tfvars": (FIFO, "is a FIFO"),
    }
    for name, (data, says) in var_files.items():
        files = {"main.tf": TF_DOC.encode(), name: data}
        for command in ("check", "propose-write"):
            verb = ("check",) if command == "check" else ("propose",)
            extra = () if command == "check" else ("--write",)
            args = (*verb, "{main.tf}", "--profile", JP, "--var-file", f"{{{name}}}", *extra)
            cases.append(Case(f"var-file-{name}-{command}", args, says, files))

    # 6. Profiles files (--profiles-file): wildcards in ids, YAML bombs, duplicates.
    profiles = {
        "star-id.yaml": (b"profiles:\n" + PROFILE_ENTRY.replace("team.custom-v1", "team.*").encode(), "must not hold *"),
        "question-id.yaml": (b"profiles:\n" + PROFILE_ENTRY.replace("team.custom-v1", "team.?").encode(), "must not hold *"),
        "variable-id.yaml": (b"profiles:\n" + PROFILE_ENTRY.replace("team.custom-v1", "team.${aws:username}").encode(), "must not hold *"),
        "star-model.yaml": (b"profiles:\n" + PROFILE_ENTRY.replace("anthropic.claude", "anthropic.*").encode(), "must not hold *"),
        "laughs.yaml": (("profiles:\n  - " + _laughs(12, "    ").lstrip()).encode(), "aliases expand"),
        "deep.yaml": (b"profiles: " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested deeper than 64"),
        "deep.json": (b'{"profiles": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper than 64"),
        "big.json": (b'{"profiles": [' + b"9" * 5000 + b"]}", "not valid JSON"),
        "duplicate.yaml": (b"profiles:\n" + PROFILE_ENTRY.replace("    model:", "    id: again\n    model:").encode(), "duplicate key"),
        "not-utf8.yaml": (b"profiles:\n  - id: \xff\n", "UTF-8"),
        "fifo.yaml": (FIFO, "is a FIFO"),
    }
    for name, (data, says) in profiles.items():
        files = {"policy.json": TOKYO.encode(), name: data}
        for command in ("check", "propose-write"):
            verb = ("check",) if command == "check" else ("propose",)
            extra = () if command == "check" else ("--write",)
            args = (*verb, "{policy.json}", "--profile", JP, "--profiles-file", f"{{{name}}}", *extra)
            cases.append(Case(f"profiles-{name}-{command}", args, says, files))

    # 7. Organization snapshots.
    def cycle(nodes, data):
        nodes["ou-ex12-japan111"]["parent"] = "ou-ex12-tokyo111"

    def self_parent(nodes, data):
        nodes["ou-ex12-global11"]["parent"] = "ou-ex12-global11"

    def deep(nodes, data):
        parent = "r-ex12"
        for i in range(3000):
            data["nodes"].append({"id": f"ou-ex12-deep{i:04d}", "name": "Deep", "kind": "ou", "parent": parent})
            parent = f"ou-ex12-deep{i:04d}"

    def missing_parent(nodes, data):
        nodes["111122223333"]["parent"] = "ou-ex12-nowhere1"

    snapshots = {
        "cycle": (_snapshot(cycle), "form a cycle"),
        "self-parent": (_snapshot(self_parent), "form a cycle"),
        "deep-chain": (_snapshot(deep), "levels of OUs"),
        "missing-parent": (_snapshot(missing_parent), "does not hold"),
        "nesting": (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64"),
        "big-number": (b'{"format": ' + b"9" * 5000 + b"}", "not a snapshot"),
        "not-json": (b"{nodes: []}", "not JSON"),
        "not-utf8": (b'{"format": "\xff"}', "not UTF-8"),
        "fifo": (FIFO, "is a FIFO"),
    }
    for name, (data, says) in snapshots.items():
        for command in ("check", "propose"):
            args = ("org", command, "--snapshot", "{snapshot.json}", "--profile", JP)
            if command == "propose":
                args += ("--account", "111122223333")
            cases.append(Case(f"snapshot-{name}-{command}", args, says, {"snapshot.json": data}))

    # 8. Options that name nothing.
    options = {
        "action-empty": (("--action", "", "--region", "us-east-1"), "--action takes service:Action"),
        "action-no-colon": (("--action", "InvokeModel", "--region", "us-east-1"), "--action takes service:Action"),
        "action-no-name": (("--action", "bedrock:", "--region", "us-east-1"), "--action takes service:Action"),
        "action-space": (("--action", " bedrock:InvokeModel", "--region", "us-east-1"), "--action takes service:Action"),
        "region-empty": (("--action", "bedrock:InvokeModel", "--region", ""), "--region takes a Region code"),
        "region-blank": (("--action", "bedrock:InvokeModel", "--region", "  "), "--region takes a Region code"),
        "region-inner-space": (("--action", "bedrock:InvokeModel", "--region", "us east-1"), "--region takes a Region code"),
        "resource-empty": (("--action", "bedrock:InvokeModel", "--region", "us-east-1", "--resource", ""), "--resource takes"),
        "context-no-equals": ((*SIMULATE, "--context", "aws:PrincipalTag/team"), "--context takes KEY=VALUE"),
    }
    for name, (extra, says) in options.items():
        cases.append(Case(f"simulate-{name}", ("simulate", "{policy.json}", *extra), says, {"policy.json": TOKYO.encode()}))
    for name, file, extra, says in (
        ("profile-unknown", "t.yaml", ("--profile", "jp.no-such-model-v9:0"), "jp.no-such-model-v9:0"),
        ("parameter-no-equals", "t.yaml", ("--profile", JP, "--parameter", "Regions"), "--parameter takes Name=value"),
        ("var-file-missing", "main.tf", ("--profile", JP, "--var-file", "/nonexistent/x.tfvars"), "no such file"),
    ):
        data = (TF_DOC if file == "main.tf" else CFN_YAML).encode()
        for command in ("check", "propose"):
            cases.append(Case(f"{command}-{name}", (command, f"{{{file}}}", *extra), says, {file: data}))
    return cases


CASES = _cases()


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


def _hang_guard(signum, frame):
    raise TimeoutError(f"a bad input took over {HANG_GUARD_SECONDS} s")


def _snapshot_of(folder: Path) -> dict[str, tuple[bytes | None, int]]:
    out = {}
    for entry in sorted(folder.iterdir()):
        info = entry.lstat()
        out[entry.name] = (entry.read_bytes() if stat.S_ISREG(info.st_mode) else None, info.st_mode)
    return out


def run_case(case: Case, folder: Path):
    """Write the case's files into ``folder``, run it, and return the result and the folder's
    contents before and after."""
    for name, data in case.files.items():
        if data == FIFO:
            os.mkfifo(folder / name)
        else:
            (folder / name).write_bytes(data)
    args = list(case.args)
    for name in case.files:
        args = [a.replace(f"{{{name}}}", str(folder / name)) for a in args]
    before = _snapshot_of(folder)
    previous = signal.signal(signal.SIGALRM, _hang_guard)
    signal.alarm(HANG_GUARD_SECONDS)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return result, before, _snapshot_of(folder)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_gets_one_line_exit_2_and_changes_nothing(case: Case, tmp_path: Path) -> None:
    result, before, after = run_case(case, tmp_path)
    assert not isinstance(result.exception, TimeoutError), "hung"
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("scp-fix: "), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    says = case.says
    for name in case.files:
        says = says.replace(f"{{{name}}}", str(tmp_path / name))
    assert says in lines[0], lines[0]
    assert len(lines[0]) < 600, "an error quotes no more of the input than it needs"
    assert after == before, "a file changed, or a temporary file was left behind"
