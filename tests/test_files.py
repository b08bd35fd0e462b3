"""Atomic in-place writes: permissions kept, errors leave the file alone, a kill leaves old or new."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from rewriter.errors import InputError
from rewriter.files import TEMP_PREFIX, write_atomic

OLD = '\ufeff{\r\n  "Version": "2012-10-17"\r\n}'
NEW = '\ufeff{\r\n  "Version": "2012-10-17",\r\n  "Statement": []\r\n}'
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def leftovers(directory: Path) -> list[str]:
    return [name for name in os.listdir(directory) if name.startswith(TEMP_PREFIX)]


def test_writes_the_text_exactly_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "scp.json"
    target.write_bytes(OLD.encode())
    target.chmod(0o640)
    inode = target.stat().st_ino
    write_atomic(str(target), NEW)
    assert target.read_bytes() == NEW.encode("utf-8")  # BOM and CRLF as given, no translation
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    old_mask = os.umask(0o027)
    try:
        write_atomic(str(target), NEW)
    finally:
        os.umask(old_mask)
    assert target.read_bytes() == NEW.encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_symbolic_link_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text(OLD, newline="")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(str(link), NEW)
    assert link.is_symlink()
    assert real.read_bytes() == NEW.encode()


def test_a_read_only_file_is_refused_and_unchanged(tmp_path: Path) -> None:
    # Decided: the permission bits are the author's word, even for root (whom they do not stop) and
    # even though renaming over the file would succeed.
    target = tmp_path / "scp.json"
    target.write_bytes(OLD.encode())
    target.chmod(0o444)
    with pytest.raises(InputError) as caught:
        write_atomic(str(target), NEW)
    assert str(caught.value) == f"{target}: cannot write {target}: the file is read-only"
    assert caught.value.path == str(target)
    assert target.read_bytes() == OLD.encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert leftovers(tmp_path) == []


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        write_atomic(str(tmp_path), NEW)


@pytest.mark.skipif(IS_ROOT, reason="root ignores directory permission bits; see the simulated test below")
def test_a_directory_that_cannot_take_a_temporary_file(tmp_path: Path) -> None:
    directory = tmp_path / "locked"
    directory.mkdir()
    target = directory / "scp.json"
    target.write_bytes(OLD.encode())
    directory.chmod(0o555)
    try:
        with pytest.raises(InputError, match="cannot write .*permission denied"):
            write_atomic(str(target), NEW)
        assert target.read_bytes() == OLD.encode()
    finally:
        directory.chmod(0o755)


def test_a_directory_that_cannot_take_a_temporary_file_simulated(tmp_path: Path, monkeypatch) -> None:
    # The tests run as root in CI, where chmod 0555 does not stop anything: make mkstemp fail the way
    # the kernel would for a user.
    target = tmp_path / "scp.json"
    target.write_bytes(OLD.encode())

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(InputError, match=r"cannot write .*: permission denied"):
        write_atomic(str(target), NEW)
    assert target.read_bytes() == OLD.encode()


def test_a_directory_the_kernel_refuses_even_to_root() -> None:
    # /proc takes no new files, whoever asks: a real refusal, not a simulated one.
    target = "/proc/self/scp-fix-policy.json"
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc")
    with pytest.raises(InputError) as caught:
        write_atomic(target, NEW)
    assert caught.value.path == target
    assert not os.path.exists(target)


@pytest.mark.parametrize("failing", ["fsync", "replace", "chmod"])
def test_a_failure_after_the_temporary_file_exists_removes_it(tmp_path: Path, monkeypatch, failing: str) -> None:
    target = tmp_path / "scp.json"
    target.write_bytes(OLD.encode())

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(InputError, match="no space left on device"):
        write_atomic(str(target), NEW)
    monkeypatch.undo()
    assert target.read_bytes() == OLD.encode()
    assert leftovers(tmp_path) == []


def test_text_the_encoding_cannot_hold_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "scp.json"
    target.write_bytes(b"{}")
    with pytest.raises(InputError, match="cannot write"):
        write_atomic(str(target), '{"Sid": "\u65e5\u672c"}', encoding="latin-1")
    assert target.read_bytes() == b"{}"
    assert leftovers(tmp_path) == []


WRITER = """
import sys
from rewriter.files import write_atomic
path, size = sys.argv[1], int(sys.argv[2])
texts = ["a" * size + "\\n", "b" * (size // 2) + "\\r\\n"]
write_atomic(path, texts[0])
print("ready", flush=True)
i = 1
while True:
    write_atomic(path, texts[i % 2])
    i += 1
"""


@pytest.mark.slow  # kills writer processes at random moments
def test_a_process_killed_during_the_write_leaves_old_or_new(tmp_path: Path) -> None:
    size = 4_000_000
    texts = {("a" * size + "\n").encode(), ("b" * (size // 2) + "\r\n").encode()}
    target = tmp_path / "scp.json"
    target.write_bytes(next(iter(texts)))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    chance = random.Random(5)  # fixed seed: the same kill moments on every run
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    for _ in range(15):
        child = subprocess.Popen(
            [sys.executable, str(script), str(target), str(size)], stdout=subprocess.PIPE, env=env
        )
        try:
            assert child.stdout is not None and child.stdout.readline() == b"ready\n"
            # Readers while it writes see a whole text too.
            for _ in range(chance.randint(0, 3)):
                assert target.read_bytes() in texts
            time.sleep(chance.uniform(0, 0.03))
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        assert child.returncode == -signal.SIGKILL
        assert target.read_bytes() in texts
        # A killed writer may leave its hidden temporary file: never the target, and easy to spot.
        for name in leftovers(tmp_path):
            assert name.startswith(TEMP_PREFIX + "scp.json.") and name.endswith(".tmp")
            os.unlink(tmp_path / name)


KILLED_AT = """
import os, signal, sys
from rewriter.files import write_atomic
path, point = sys.argv[1], sys.argv[2]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
setattr(os, point, die)
write_atomic(path, "new text" * 100000)
"""


@pytest.mark.parametrize("point", ["fsync", "chmod", "replace"])
def test_killed_at_each_step_before_the_rename_leaves_the_old_text(tmp_path: Path, point: str) -> None:
    # The same, at chosen moments rather than random ones: the data is written but not yet renamed.
    target = tmp_path / "scp.json"
    target.write_bytes(OLD.encode())
    script = tmp_path / "killed.py"
    script.write_text(KILLED_AT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    result = subprocess.run([sys.executable, str(script), str(target), point], check=False, env=env)
    assert result.returncode == -signal.SIGKILL
    assert target.read_bytes() == OLD.encode()
    assert len(leftovers(tmp_path)) == 1
