"""``--write`` beside other writers and under kills: another writer's edit is never dropped, a killed
run leaves nothing the next run does not clean up, hard links and extended attributes are not lost."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rewriter.files
from rewriter.cli import app
from rewriter.errors import InputError
from rewriter.files import TEMP_PREFIX, write_atomic
from rewriter.parse import parse_policy

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
OTHER = b'{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}\n'


def _copy(tmp_path: Path) -> Path:
    policy = tmp_path / "tokyo-only.json"
    shutil.copyfile(SAMPLES / "tokyo-only.json", policy)
    return policy


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


# -- the lost update -------------------------------------------------------------------------


def test_an_edit_made_while_propose_works_is_kept_and_the_write_refused(tmp_path: Path, monkeypatch) -> None:
    import rewriter.policy_files

    policy = _copy(tmp_path)
    real = rewriter.policy_files.propose_file

    def meanwhile(*args, **kwargs):
        result = real(*args, **kwargs)
        policy.write_bytes(OTHER)  # another writer saves between scp-fix's read and its rename
        return result

    monkeypatch.setattr(rewriter.policy_files, "propose_file", meanwhile)
    result = CliRunner().invoke(app, ["propose", str(policy), "--profile", JP, "--write"])
    assert result.exit_code == 2, result.output
    assert "changed after scp-fix read it" in result.stderr and len(result.stderr.splitlines()) == 1
    assert policy.read_bytes() == OTHER
    assert _leftovers(tmp_path) == []


def test_an_edit_made_in_the_last_moment_is_given_back(tmp_path: Path, monkeypatch) -> None:
    """The edit lands after the last comparison, just before the exchange: the exchange shows it,
    and the other writer's file gets its name back."""
    policy = _copy(tmp_path)
    before = policy.read_bytes()
    real = rewriter.files._exchange
    calls = []

    def late_writer(first: str, second: str) -> bool:
        if not calls:
            policy.write_bytes(OTHER)
        calls.append((first, second))
        return real(first, second)

    monkeypatch.setattr(rewriter.files, "_exchange", late_writer)
    if not real(str(policy), str(policy)):  # pragma: no cover - only where renameat2 exists
        pytest.skip("no RENAME_EXCHANGE on this platform: the comparison before the rename is the guard")
    with pytest.raises(InputError, match="changed after scp-fix read it"):
        write_atomic(str(policy), "{}", expected=before)
    assert policy.read_bytes() == OTHER
    assert len(calls) == 2 and _leftovers(tmp_path) == []


def test_an_unchanged_file_is_written(tmp_path: Path) -> None:
    policy = _copy(tmp_path)
    write_atomic(str(policy), "{}\n", expected=policy.read_bytes())
    assert policy.read_text() == "{}\n" and _leftovers(tmp_path) == []


def test_a_file_removed_meanwhile_is_not_recreated(tmp_path: Path) -> None:
    policy = _copy(tmp_path)
    before = policy.read_bytes()
    policy.unlink()
    with pytest.raises(InputError, match="removed after scp-fix read it"):
        write_atomic(str(policy), "{}", expected=before)
    assert not policy.exists()


def test_concurrent_writers_never_lose_an_edit(tmp_path: Path) -> None:
    """scp-fix and another writer race on one file many times: each time, either scp-fix refused
    and the other writer's text is there, or scp-fix wrote and the other writer wrote after it."""
    import threading

    policy = tmp_path / "p.json"
    lost = 0
    for trial in range(100):
        policy.write_bytes(b"original")
        other = f"other writer {trial}".encode()
        barrier = threading.Barrier(2)

        def writer() -> None:
            barrier.wait()
            time.sleep(random.random() / 2000)
            tmp = tmp_path / "editor.tmp"
            tmp.write_bytes(other)
            os.replace(tmp, policy)  # as an editor saves

        thread = threading.Thread(target=writer)
        thread.start()
        barrier.wait()
        try:
            write_atomic(str(policy), "scp-fix", expected=b"original")
        except InputError:
            pass  # refused: the other writer came first
        thread.join()
        # refused, or written before the other writer's rename: either way its text is the last word
        lost += policy.read_bytes() != other
    assert lost == 0
    assert _leftovers(tmp_path) == []


# -- kills, links, attributes ------------------------------------------------------------------


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    policy = _copy(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"{TEMP_PREFIX}{policy.name}.{dead.pid}.abc123.tmp").write_text("half")
    stale = tmp_path / f"{TEMP_PREFIX}{policy.name}.xyz.tmp"  # the old naming: no process id
    stale.write_text("half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    alive = tmp_path / f"{TEMP_PREFIX}{policy.name}.{os.getpid()}.live.tmp"  # a writer still at work
    alive.write_text("busy")
    other = tmp_path / f"{TEMP_PREFIX}another.json.{dead.pid}.abc.tmp"  # not this file's
    other.write_text("x")
    result = CliRunner().invoke(app, ["propose", str(policy), "--profile", JP, "--write"])
    assert result.exit_code == 1, result.output
    assert _leftovers(tmp_path) == sorted([alive.name, other.name])


@pytest.mark.slow  # a dozen CLI processes, each killed after up to 2.5 s
def test_a_sigkill_loop_leaves_the_file_whole_and_no_temporary_file_after_the_next_run(tmp_path: Path) -> None:
    policy = _copy(tmp_path)
    original = policy.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "rewriter", "propose", str(policy), "--profile", JP, "--write"]
    rng = random.Random(18)
    for _ in range(12):
        policy.write_bytes(original)
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        parse_policy(policy.read_bytes(), path=str(policy))  # the old text or the new, never a torn one
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert _leftovers(tmp_path) == []


def test_a_hard_linked_file_is_refused_and_keeps_its_links(tmp_path: Path) -> None:
    policy = _copy(tmp_path)
    before = policy.read_bytes()
    link = tmp_path / "link.json"
    os.link(policy, link)
    result = CliRunner().invoke(app, ["propose", str(policy), "--profile", JP, "--write"])
    assert result.exit_code == 2
    assert "2 hard links" in result.stderr and len(result.stderr.splitlines()) == 1
    assert policy.read_bytes() == before and os.stat(policy).st_ino == os.stat(link).st_ino
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "setxattr"), reason="no extended attributes on this platform")
def test_extended_attributes_are_kept(tmp_path: Path) -> None:
    policy = _copy(tmp_path)
    try:
        os.setxattr(policy, "user.reviewed-by", b"platform-team")
    except OSError:
        pytest.skip("this file system takes no user extended attributes")
    result = CliRunner().invoke(app, ["propose", str(policy), "--profile", JP, "--write"])
    assert result.exit_code == 1, result.output
    assert os.getxattr(policy, "user.reviewed-by") == b"platform-team"
