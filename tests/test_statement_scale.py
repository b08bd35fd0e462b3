"""check and propose grow linearly with the number of statements (issue 18: at 10,000 statements check
took 5.7 s, because each deciding statement was searched for among all the policy's Region
restrictions, and propose 54 s, because the writer read the policy again for each statement it edited).
Counted, not timed: the lines of Python a run executes (as sys.settrace sees them, a search's every
step included) must grow no faster than the policy. benchmarks/statement_scale.py prints the times."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from statement_scale import PROFILE, policy_text  # noqa: E402

import rewriter.sources._json as json_writer  # noqa: E402
from rewriter.catalog import load_catalog  # noqa: E402
from rewriter.check import check  # noqa: E402
from rewriter.parse import parse_policy  # noqa: E402
from rewriter.propose import propose  # noqa: E402


def _lines(run: Callable[[], object]) -> int:
    run()  # warm: catalogs and compiled patterns are not what is measured
    lines = 0

    def count(frame, event, arg):
        nonlocal lines
        lines += event == "line"
        return count

    sys.settrace(count)
    try:
        run()
    finally:
        sys.settrace(None)
    return lines


def _check_lines(statements: int) -> int:
    policy = parse_policy(policy_text(statements))
    profile = load_catalog().get(PROFILE)
    result = check(policy, [profile])
    denying = [r for c in result.checks for r in c.results if not r.decision.allowed]
    assert denying and all(len(r.decision.statements) == statements for r in denying)  # each statement decides
    return _lines(lambda: check(policy, [profile]))


def test_check_runs_the_same_lines_per_statement_at_any_size() -> None:
    small, large = _check_lines(100), _check_lines(400)
    assert large <= 4.5 * small, (small, large)  # quadratic would be 16x


def _proposal(statements: int):
    policy = parse_policy(policy_text(statements))
    profile = load_catalog().get(PROFILE)
    return lambda: propose(policy, [profile])


def _edited_statements(statements: int) -> int:
    """How many statements each fix written into the text edits (all three are, verified or, past
    a few statements, too large for an SCP): every one of them."""
    proposal = _proposal(statements)()
    written = [c for c in proposal.candidates if c.text is not None]
    assert {c.strategy for c in written} == {"profile-arn", "notaction", "regions"}
    return min(len({e.path.split("/")[2] for e in c.fix.edits if e.path.split("/")[2] != "-"}) for c in written)


@pytest.mark.slow
def test_propose_runs_the_same_lines_per_statement_at_any_size() -> None:
    assert _edited_statements(20) == 20 and _edited_statements(80) == 80
    small, large = _lines(_proposal(20)), _lines(_proposal(80))
    assert large <= 4.5 * small, (small, large)  # quadratic would be 16x (it was 14x)


def test_propose_reads_the_text_as_often_at_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON writer makes a fix's edits from at most two readings of the text (each a tree of the
    scanned text), however many statements the fix edits: a NotAction fix, two actions appended to
    every statement and then a companion statement for each, is made from two."""
    readings, renders = 0, 0
    tree, rewrite = json_writer.json_node, json_writer.rewrite_json

    def counted_tree(value, spans, pointer=""):
        nonlocal readings
        readings += pointer == ""
        return tree(value, spans, pointer)

    def counted_rewrite(*args, **kwargs):
        nonlocal renders
        renders += 1
        return rewrite(*args, **kwargs)

    monkeypatch.setattr(json_writer, "json_node", counted_tree)
    monkeypatch.setattr(json_writer, "rewrite_json", counted_rewrite)
    counts = []
    for statements in (20, 40):  # both past the SCP limit: the same candidates are written
        readings, renders = 0, 0
        assert _edited_statements(statements) == statements
        counts.append((renders, readings))
    assert counts[0] == counts[1], counts  # it was a reading per statement
    renders, readings = counts[0]
    assert renders >= 3 and readings <= 2 * renders, counts


def _template(statements: int) -> str:
    """A CloudFormation YAML template whose SCP has ``statements`` Region denies, in block style."""
    lines = ["Resources:", "  RegionDeny:", "    Type: AWS::Organizations::Policy", "    Properties:",
             "      Type: SERVICE_CONTROL_POLICY", "      Content:", '        Version: "2012-10-17"', "        Statement:"]
    for i in range(statements):
        lines += [f"          - Sid: DenyOutsideTokyo{i}", "            Effect: Deny", "            NotAction:",
                  "              - 'iam:*'", "              - 'sts:*'", '            Resource: "*"', "            Condition:",
                  "              StringNotEquals:", "                aws:RequestedRegion:", "                  - ap-northeast-1"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("strategy", ["profile-arn", "notaction", "regions"])
def test_a_template_is_read_as_often_at_any_size(monkeypatch: pytest.MonkeyPatch, strategy: str) -> None:
    """A fix to every statement of a policy in a template is written from a few readings of the template,
    not one per statement: reading a template (ruamel.yaml) is what costs, and a 40-statement SCP in a
    CloudFormation template took 18 s when each edit read it again."""
    import rewriter.sources as sources
    from rewriter.policy_files import propose_file

    profile = load_catalog().get(PROFILE)
    real = sources._find
    readings = 0

    def counted(text, embedded):
        nonlocal readings
        readings += 1
        return real(text, embedded)

    monkeypatch.setattr(sources, "_find", counted)
    counts = []
    for statements in (4, 8):  # within the SCP size limit with every fix
        readings = 0
        result = propose_file("template.yaml", _template(statements), [profile], strategy=strategy)
        assert result.changed and ("ap-northeast-3" in result.new_text or "inference-profile/" in result.new_text)
        counts.append(readings)
    assert counts[0] == counts[1], counts  # it was a reading per statement
