"""Replace a file in place, atomically: readers see the whole old text or the whole new one."""

from __future__ import annotations

import os
import stat
import tempfile

from rewriter.errors import InputError, ScpFixError

__all__ = ["TEMP_PREFIX", "read_bytes", "write_atomic"]

# Temporary files are hidden and named after their target, so one left behind by a killed process is
# easy to recognise (and to delete).
TEMP_PREFIX = ".scp-fix-"


def read_bytes(path: str, *, what: str = "file", error: type[ScpFixError] = InputError) -> bytes:
    """A file's bytes, or one located error saying why they cannot be had."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise error("no such file", path=path) from None
    except IsADirectoryError:
        raise error(f"is a directory, not a {what}", path=path) from None
    except OSError as failure:
        raise error(f"cannot read: {failure.strerror}", path=path) from None


def write_atomic(path: str, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` exactly (no newline translation; a BOM is part of the text).

    The text goes to a temporary file in the same directory, is flushed to disk, then renamed over
    the target, keeping the target's permission bits (and owner, where allowed). A symbolic link is
    followed, so the link stays a link. A file whose permission bits allow nobody to write it is
    refused: the rename would otherwise replace it behind its owner's back (and root would not be
    stopped by the bits). On any error the temporary file is removed, the target is untouched, and
    ``InputError("cannot write ...", path=path)`` is raised.
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
    temporary: str | None = None
    try:
        data = text.encode(encoding)
        descriptor, temporary = tempfile.mkstemp(
            prefix=TEMP_PREFIX + os.path.basename(target) + ".", suffix=".tmp", dir=directory
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
        else:
            os.chmod(temporary, 0o666 & ~_umask())
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
