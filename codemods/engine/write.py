"""Atomic, careful writes: temp file in the same directory, same mode and owner, checked, renamed.

:func:`write` is the guard in front of them: a changed result is written only when its path
stays inside the given paths (no symlinks out, no source reached from outside), its real path
(links resolved) is inside the project (:func:`project_root`), and the user may write it by
its mode bits, checked explicitly so that root does not overwrite a read-only (0444) file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from codemods.engine.results import FileResult, Status

#: Temp files are named ``.<name>.<8 random chars>.codemod-tmp``, next to the file they replace.
TEMP_SUFFIX = ".codemod-tmp"
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")


class ChangedOnDisk(Exception):
    """The file changed between the read and the write; it was not overwritten."""


class CannotKeepOwner(OSError):
    """The replacement could not be given the old file's owner and group; nothing was written."""


def project_root(given: Path, cwd: Path | None = None) -> Path:
    """The project a path given to ``codemod`` belongs to: writes must stay inside it.

    A relative path (``src``, ``src/../../x.py``, a shell glob's ``src/link.py``) belongs to
    the project of the current directory: its git work tree, else the directory itself. An
    absolute path belongs to the git work tree around it, else to itself (its folder, for a
    file). Links are resolved in the root, never in the file's last component.
    """
    from codemods.engine.discover import git_root

    if given.is_absolute():
        lexical = Path(os.path.abspath(given))
        base = lexical if lexical.is_dir() and not lexical.is_symlink() else lexical.parent
    else:
        base = cwd or Path.cwd()
    base = Path(os.path.realpath(base))
    return git_root(base) or base


def refuse_write(real: Path) -> tuple[str, str] | None:
    """(reason, detail) when the user may not write ``real``, by its mode bits (checked
    explicitly: root may write a 0444 file, but a read-only file means "do not change")."""
    try:
        st = os.stat(real)
    except OSError:
        return None  # a new file, or gone: the write itself reports it
    mode = st.st_mode
    if not hasattr(os, "geteuid"):  # Windows: no owners to compare
        allowed = bool(mode & stat.S_IWRITE)
    elif st.st_uid == os.geteuid():
        allowed = bool(mode & stat.S_IWUSR)
    elif st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        allowed = bool(mode & stat.S_IWGRP)
    else:
        allowed = bool(mode & stat.S_IWOTH)
    if allowed:
        return None
    whose = (
        ""
        if st.st_uid == getattr(os, "geteuid", lambda: st.st_uid)()
        else f"owned by uid {st.st_uid}, "
    )
    return "read-only", f"not written ({whose}mode {stat.S_IMODE(mode):04o})"


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
            mine = os.stat(tmp)
            if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
                try:  # keep owner and group (root may; a user may change the group to theirs)
                    os.chown(tmp, st.st_uid, st.st_gid)
                except OSError:
                    raise CannotKeepOwner(
                        f"owned by uid {st.st_uid}, gid {st.st_gid}; a replacement could not "
                        "keep them, so it was not written"
                    ) from None
                os.chmod(tmp, st.st_mode & 0o7777)  # chown clears set-id bits
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


def write(
    result: FileResult, scan_roots: Sequence[Path], *, roots: Sequence[Path] = ()
) -> FileResult:
    """Write a changed file atomically; report (never raise) what stopped the write.

    ``roots``: the project roots (``Plan.write_roots``); a file whose real path is in none
    of them is not written, whichever path or link led to it.
    """
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
    if roots and not any(real.is_relative_to(r) for r in roots):
        return result.with_(
            status=Status.SKIPPED,
            reason="outside the project",
            detail=f"{real} is not inside {roots[0]}; not written",
        )
    refused = refuse_write(real)
    if refused is not None:
        return result.with_(status=Status.FAILED, reason=refused[0], detail=refused[1])
    try:
        atomic_write(path, result.new, result.old)
    except ChangedOnDisk:
        return result.with_(
            status=Status.FAILED,
            reason="changed on disk",
            detail="the file changed while codemod ran; not overwritten",
        )
    except CannotKeepOwner as exc:
        return result.with_(status=Status.FAILED, reason="cannot keep owner", detail=str(exc))
    except OSError as exc:
        return result.with_(status=Status.FAILED, reason="write error", detail=exc.strerror)
    return result.with_(written=True)
