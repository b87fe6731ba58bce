"""Git facts the CLI needs: which files have uncommitted changes (the dirty-tree guard).

``codemod apply`` only writes into files git can restore, because git is the user's undo:
after a run, ``git diff`` shows what changed and ``git checkout -- FILE`` takes it back.
Outside a git work tree (or without git installed) there is nothing to check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from codemods.errors import CodemodError, ExitCode


def repo_top(directory: Path) -> Path | None:
    """The top of the git work tree containing ``directory``, or ``None``."""
    if shutil.which("git") is None:
        return None
    try:
        proc = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return Path(proc.stdout.strip()).resolve()


def dirty_files(top: Path) -> set[Path]:
    """Absolute paths under ``top`` that are modified, staged, or untracked (not ignored)."""
    proc = subprocess.run(
        ["git", "-C", str(top), "status", "--porcelain=v1", "-z", "--untracked-files=all"],
        capture_output=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        return set()
    entries = proc.stdout.split(b"\0")
    dirty: set[Path] = set()
    skip_next = False
    for entry in entries:
        if skip_next:  # the source path of a rename or copy
            skip_next = False
            continue
        if len(entry) < 4:
            continue
        status, name = entry[:2], entry[3:]
        if status[:1] in (b"R", b"C"):
            skip_next = True
        dirty.add((top / os.fsdecode(name)).resolve())
    return dirty


def refuse_dirty(paths: Iterable[Path], relpaths: dict[Path, str] | None = None) -> None:
    """Raise a usage error naming the files among ``paths`` that have uncommitted changes."""
    by_top: dict[Path, set[Path]] = {}
    tops: dict[Path, Path | None] = {}
    found: list[Path] = []
    for path in paths:
        real = path.resolve()
        if not real.exists():  # a file a step creates: nothing to lose
            continue
        top = _top_for(real.parent, by_top, tops)
        if top is None:
            continue
        if top not in by_top:
            by_top[top] = dirty_files(top)
        if real in by_top[top]:
            found.append(path)
    if not found:
        return
    shown = [(relpaths or {}).get(p, str(p)) for p in found]
    listing = ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
    count = len(found)
    raise CodemodError(
        f"refusing to write {count} file{'s' if count != 1 else ''} with uncommitted changes: "
        f"{listing}",
        code="dirty",
        hint=(
            "git is your undo: commit or stash these changes first, so `git diff` shows exactly "
            "what codemod did and `git checkout -- FILE` takes it back; or pass --allow-dirty"
        ),
        exit_code=ExitCode.USAGE,
    )


def _top_for(
    directory: Path, known: dict[Path, set[Path]], tops: dict[Path, Path | None]
) -> Path | None:
    for top in known:
        if directory == top or top in directory.parents:
            return top
    if directory not in tops:
        tops[directory] = repo_top(directory)
    return tops[directory]
