"""Replace a file in place, atomically: readers see the whole old text or the whole new one."""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from typing import BinaryIO

from rewriter.errors import InputError, ScpFixError

__all__ = ["MAX_INPUT_BYTES", "TEMP_PREFIX", "decode_text", "read_bytes", "read_limited", "read_text", "remove_leftovers", "write_atomic"]

# Temporary files are hidden and named after their target, so one left behind by a killed process is
# easy to recognise (and to delete).
TEMP_PREFIX = ".scp-fix-"


# The most scp-fix reads from one input: an SCP is at most 5,120 characters as uploaded and a
# CloudFormation template body at most 1 MB, so a file beyond this is not a policy source but a
# mistake (a log, a disk image, /dev/zero) that would only cost time and memory.
MAX_INPUT_BYTES = 8 * 1024 * 1024


def read_bytes(
    path: str, *, what: str = "file", error: type[ScpFixError] = InputError, limit: int = MAX_INPUT_BYTES
) -> bytes:
    """A regular file's bytes, at most ``limit`` of them, or one located error saying why not.

    Only a regular file is read: a FIFO, a device or a socket may never end (``/dev/zero``), so it
    is refused at once, before a byte is read. The file is opened without blocking, so opening a
    FIFO no one writes to does not wait."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise error("no such file", path=path) from None
    except IsADirectoryError:
        raise error(f"is a directory, not a {what}", path=path) from None
    except OSError as failure:
        raise error(f"cannot read: {_reason(failure)}", path=path) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise error(f"is a directory, not a {what}", path=path)
        raise error(f"is {_kind(mode)}, not a regular file: scp-fix reads a {what} only from a regular file", path=path)
    with os.fdopen(descriptor, "rb") as handle:
        return read_limited(handle, path=path, what=what, error=error, limit=limit)


def read_limited(
    handle: BinaryIO, *, path: str, what: str, error: type[ScpFixError] = InputError, limit: int = MAX_INPUT_BYTES
) -> bytes:
    """At most ``limit`` bytes from an open stream (a file, standard input); more is an error."""
    try:
        data = handle.read(limit + 1)
    except OSError as failure:
        raise error(f"cannot read: {_reason(failure)}", path=path) from None
    if len(data) > limit:
        raise error(f"the {what} is larger than {limit:,} bytes, the most scp-fix reads", path=path)
    return data


def decode_text(data: bytes, *, path: str, error: type[ScpFixError] = InputError) -> str:
    """UTF-8 bytes as text; otherwise an error at the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        before = data[: failure.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise error(
            f"the file is not UTF-8 (byte 0x{data[failure.start]:02x} at offset {failure.start}); save it as UTF-8",
            path=path,
            line=line,
            column=column,
        ) from None


def read_text(
    path: str, *, what: str = "file", error: type[ScpFixError] = InputError, limit: int = MAX_INPUT_BYTES
) -> str:
    """A regular UTF-8 file's text (see ``read_bytes`` and ``decode_text``)."""
    return decode_text(read_bytes(path, what=what, error=error, limit=limit), path=path, error=error)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def write_atomic(path: str, text: str, *, encoding: str = "utf-8", expected: bytes | None = None) -> None:
    """Write ``text`` to ``path`` exactly (no newline translation; a BOM is part of the text).

    The text goes to a temporary file in the same directory, is flushed to disk, then renamed over
    the target, keeping the target's permission bits (and owner, where allowed) and its extended
    attributes (where the platform has them). A symbolic link is followed, so the link stays a link.
    Refused: a file whose permission bits allow nobody to write it (the rename would replace it
    behind its owner's back, and root would not be stopped by the bits), and a file with several
    hard links (the rename would give this name a new file and leave the other names on the old).

    ``expected``: the bytes the caller read. When the file holds anything else by the time it
    would be replaced, another writer changed it: nothing is written and the error says so. On
    Linux the new file and the old are exchanged in one step and the old is compared after, so an
    edit made at any moment before the exchange is never lost; elsewhere the comparison is made
    just before the rename. Temporary files that a killed scp-fix left beside the target are
    removed first. On any error the temporary file is removed, the target is as the other writer
    left it, and ``InputError("cannot write ...", path=path)`` is raised.
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    try:
        current = os.stat(target)
    except FileNotFoundError:
        current = None
    except OSError as error:
        raise InputError(f"cannot write {path}: {_reason(error)}", path=path) from error
    if current is not None:
        if not stat.S_ISREG(current.st_mode):
            raise InputError(f"cannot write {path}: not a regular file", path=path)
        if not current.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
            raise InputError(f"cannot write {path}: the file is read-only", path=path)
        if current.st_nlink > 1:
            raise InputError(
                f"cannot write {path}: it has {current.st_nlink} hard links, and replacing it would part "
                "this name from the others; write the patch (--format patch) and apply it instead",
                path=path,
            )
    elif expected is not None:
        raise InputError(f"cannot write {path}: it was removed after scp-fix read it", path=path)
    remove_leftovers(target)
    temporary: str | None = None
    try:
        import tempfile  # PERF: only --write needs it, and its import (random, hashlib) is ~5 ms of every run

        data = text.encode(encoding)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{os.path.basename(target)}.{os.getpid()}.", suffix=".tmp", dir=directory
        )
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if current is not None:
            os.chmod(temporary, stat.S_IMODE(current.st_mode))
            if (current.st_uid, current.st_gid) != _owner(temporary):
                try:
                    os.chown(temporary, current.st_uid, current.st_gid)
                except PermissionError:
                    pass  # only root may give a file away; the bits are what matter
            _copy_xattrs(target, temporary)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        if expected is not None:
            _unchanged(path, target, expected)
            if _exchange(temporary, target):
                # the temporary name now holds what the target held at the moment of the exchange
                if _read_all(temporary) != expected:
                    _exchange(temporary, target)  # give the other writer's file its name back
                    raise InputError(_changed(path), path=path)
                os.unlink(temporary)
                temporary = None
        if temporary is not None:
            os.replace(temporary, target)
            temporary = None
        _sync_directory(directory)
    except (OSError, UnicodeError) as error:
        raise InputError(f"cannot write {path}: {_reason(error)}", path=path) from error
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _changed(path: str) -> str:
    return f"cannot write {path}: it changed after scp-fix read it (another writer?); nothing was written, run again"


def _read_all(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _unchanged(path: str, target: str, expected: bytes) -> None:
    try:
        now = _read_all(target)
    except FileNotFoundError:
        raise InputError(f"cannot write {path}: it was removed after scp-fix read it", path=path) from None
    if now != expected:
        raise InputError(_changed(path), path=path)


def _exchange(first: str, second: str) -> bool:
    """Swap two names in one step (Linux renameat2 RENAME_EXCHANGE); False where that cannot be done."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # a C library without it
        return False
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # an old kernel, a file system without it
        return False
    raise OSError(error, os.strerror(error))


def _copy_xattrs(source: str, destination: str) -> None:
    """Extended attributes (ACLs, SELinux labels, macOS-style metadata) go with the new file where
    the platform and the caller's rights allow; one that cannot be set is left behind, not an error."""
    listxattr = getattr(os, "listxattr", None)
    if listxattr is None:
        return
    try:
        names = listxattr(source)
    except OSError:
        return
    for name in names:
        try:
            os.setxattr(destination, name, os.getxattr(source, name))
        except OSError:
            pass


def remove_leftovers(target: str) -> None:
    """Remove the temporary files a killed scp-fix left beside ``target``: those whose writer (the
    process id in the name) is gone, and any over an hour old."""
    directory, name = os.path.split(target)
    prefix = f"{TEMP_PREFIX}{name}."
    try:
        entries = [e for e in os.scandir(directory or ".") if e.name.startswith(prefix) and e.name.endswith(".tmp")]
    except OSError:
        return
    now = time.time()
    for entry in entries:
        pid = entry.name[len(prefix):].split(".", 1)[0]
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > 3600
            if old or (pid.isdigit() and not _alive(int(pid))):
                os.unlink(entry.path)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _owner(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_uid, info.st_gid


def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable; some file systems cannot, and that is not an error."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return str(error)
