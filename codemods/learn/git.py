"""The few git facts ``codemod learn`` reads: revisions, changed files (with renames), blobs.

Everything goes through the ``git`` executable (porcelain-stable plumbing commands only);
a failing command becomes a :class:`~codemods.errors.CodemodError` naming the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codemods.errors import CodemodError, ExitCode


def git(root: Path, *args: str, check: bool = True) -> bytes:
    """Run ``git -C root args...`` and return its stdout."""
    if shutil.which("git") is None:
        raise CodemodError("git is not installed", hint="`codemod learn` reads git history")
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, check=False, timeout=300
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise CodemodError(f"`git {' '.join(args)}` failed: {exc}") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CodemodError(
            f"`git {' '.join(args)}` failed: {message[-1] if message else proc.returncode}",
            exit_code=ExitCode.USAGE,
        )
    return proc.stdout


def repo_root(directory: Path) -> Path:
    out = git(directory, "rev-parse", "--show-toplevel", check=False).decode().strip()
    if not out:
        raise CodemodError(
            f"{directory} is not inside a git work tree",
            hint="run `codemod learn` inside the repository whose history it should read",
        )
    return Path(out).resolve()


def rev_parse(root: Path, rev: str) -> str:
    """The full commit hash of ``rev``; a usage error naming the revision if it is unknown."""
    out = git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    commit = out.decode().strip()
    if not commit:
        raise CodemodError(
            f"unknown git revision {rev!r}", hint="give a commit, tag or branch (`git log`)"
        )
    return commit


def parent_of(root: Path, commit: str) -> str | None:
    out = git(root, "rev-parse", "--verify", "--quiet", f"{commit}^1", check=False)
    return out.decode().strip() or None


def short(root: Path, commit: str) -> str:
    return git(root, "rev-parse", "--short", commit).decode().strip()


def subject(root: Path, commit: str) -> str:
    return git(root, "log", "-1", "--format=%s", commit).decode("utf-8", "replace").strip()


def revision_range(root: Path, spec: str) -> tuple[str, str]:
    """``A..B`` -> (A, B); a single commit ``C`` -> (C's parent, C)."""
    if ".." in spec:
        old, _, new = spec.partition("..")
        if new.startswith("."):
            raise CodemodError(f"{spec!r}: use `OLD..NEW` (two dots), not a symmetric range")
        return rev_parse(root, old or "HEAD"), rev_parse(root, new or "HEAD")
    commit = rev_parse(root, spec)
    parent = parent_of(root, commit)
    if parent is None:
        raise CodemodError(
            f"{spec!r} is the first commit: it has no parent to compare with",
            hint="give a range `OLD..NEW` instead",
        )
    return parent, commit


@dataclass(frozen=True)
class Change:
    """One file git says differs between two revisions (``R``: renamed, with similarity)."""

    status: str  # A, D, M, R, C, T
    old_path: str | None
    new_path: str | None
    similarity: int | None = None


def changed_files(root: Path, old: str, new: str, paths: Sequence[str] = ()) -> list[Change]:
    """The files that differ between ``old`` and ``new``, with git's rename detection."""
    out = git(root, "diff", "--no-color", "-M", "--name-status", "-z", old, new, "--", *paths)
    fields = [os.fsdecode(f) for f in out.split(b"\0") if f]
    changes: list[Change] = []
    i = 0
    while i < len(fields):
        status = fields[i]
        kind = status[:1]
        if kind in ("R", "C"):
            similarity = int(status[1:]) if status[1:].isdigit() else None
            changes.append(Change(kind, fields[i + 1], fields[i + 2], similarity))
            i += 3
            continue
        path = fields[i + 1]
        changes.append(Change(kind, None if kind == "A" else path, None if kind == "D" else path))
        i += 2
    return changes


def blob(root: Path, rev: str, path: str) -> bytes | None:
    """The file's bytes at ``rev``, or ``None`` if it does not exist there."""
    proc = subprocess.run(
        ["git", "-C", str(root), "show", f"{rev}:{path}"],
        capture_output=True,
        check=False,
        timeout=120,
    )
    return proc.stdout if proc.returncode == 0 else None


def files_at(root: Path, rev: str) -> list[str]:
    out = git(root, "ls-tree", "-r", "-z", "--name-only", rev)
    return [os.fsdecode(f) for f in out.split(b"\0") if f]


def commits_touching(root: Path, path: str, *, rev: str = "HEAD", limit: int = 300) -> list[str]:
    """Commits (newest first, at most ``limit``) that changed ``path``, following renames."""
    out = git(root, "log", f"-n{limit}", "--format=%H", "--follow", rev, "--", path, check=False)
    return out.decode().split()


def commits_between(root: Path, old: str, new: str, path: str) -> list[str]:
    out = git(root, "log", "--format=%H", f"{old}..{new}", "--", path, check=False)
    return out.decode().split()
