"""Atomic, careful writes: temp file in the same directory, same mode, checked, renamed.

:func:`write` is the guard in front of them: a changed result is written only when its path
stays inside the given paths (no symlinks out, no source reached from outside).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from codemods.engine.results import FileResult, Status

#: Temp files are named ``.<name>.<8 random chars>.codemod-tmp``, next to the file they replace.
TEMP_SUFFIX = ".codemod-tmp"
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")


class ChangedOnDisk(Exception):
    """The file changed between the read and the write; it was not overwritten."""


def atomic_write(path: Path, data: bytes, expected_old: bytes | None) -> None:
    """Replace ``path`` with ``data`` unless its content is no longer ``expected_old``.

    ``expected_old=None`` creates the file, and fails if it has appeared meanwhile.

    The new content goes to a temp file in the same directory (same filesystem), is flushed
    to disk, given the old file's mode, and renamed over the old file. The temp file is removed
    on any failure, so nothing is left behind in the user's tree.
    """
    target = path.resolve()
    st = target.stat() if expected_old is not None else None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if st is None:
            os.chmod(tmp, 0o666 & ~_umask())
            if target.exists():
                raise ChangedOnDisk(str(path))
        else:
            os.chmod(tmp, st.st_mode & 0o7777)
            with contextlib.suppress(OSError):  # keep ownership when we may (root)
                os.chown(tmp, st.st_uid, st.st_gid)
            if target.read_bytes() != expected_old:
                raise ChangedOnDisk(str(path))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def stale_temp_files(directories: Iterable[Path]) -> list[Path]:
    """Temp files an interrupted run left in ``directories`` (regular files named like ours).

    A process killed (SIGKILL, power loss) between creating its temp file and renaming it
    over the target leaves the temp file behind; the target itself is untouched.
    """
    found: list[Path] = []
    for directory in dict.fromkeys(directories):
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        found += [
            Path(e.path)
            for e in entries
            if _TEMP_NAME.match(e.name) and e.is_file(follow_symlinks=False)
        ]
    return sorted(found)


def remove_stale_temp_files(directories: Iterable[Path]) -> list[Path]:
    """Remove :func:`stale_temp_files`; return the ones removed."""
    removed = []
    for path in stale_temp_files(directories):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def write(result: FileResult, scan_roots: Sequence[Path]) -> FileResult:
    """Write a changed file atomically; report (never raise) what stopped the write."""
    if result.status is not Status.CHANGED or result.new is None:
        return result
    path = Path(result.path)
    real = path.resolve()
    inside = any(real.is_relative_to(r) for r in scan_roots)
    if path.is_symlink() and not inside:
        return result.with_(
            status=Status.SKIPPED,
            reason="symlink out of tree",
            detail=f"points to {real}; not followed for writing",
        )
    if result.parsed and not inside:  # a source file reached through a path outside
        return result.with_(
            status=Status.SKIPPED,
            reason="outside the given paths",
            detail=f"{real} is not under the paths given; not written",
        )
    try:
        atomic_write(path, result.new, result.old)
    except ChangedOnDisk:
        return result.with_(
            status=Status.FAILED,
            reason="changed on disk",
            detail="the file changed while codemod ran; not overwritten",
        )
    except OSError as exc:
        return result.with_(status=Status.FAILED, reason="write error", detail=exc.strerror)
    return result.with_(written=True)
