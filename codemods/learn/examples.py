"""Before/after examples: where they come from (a commit, a range, file pairs) and their hunks.

A hunk is one changed region of lines with no context (``difflib`` opcodes), keyed by where
it starts in the "before" file, so the hunks of the hand fix and of a recipe's output can be
compared exactly: the recipe reproduces a hunk when it makes the same region into the same
lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codemods.analysis.project import ProjectIndex
from codemods.errors import CodemodError
from codemods.learn import git

#: Examples larger than this are checked but not embedded in the written recipe.
EMBED_MAX_LINES = 120


@dataclass(frozen=True)
class Pair:
    """One file as it was before and after the hand fix."""

    path: str  # where the file lives after the fix (POSIX, relative to the repository)
    before: bytes
    after: bytes
    old_path: str | None = None  # when git saw the file renamed


@dataclass(frozen=True)
class Hunk:
    """Lines ``start:end`` (0-based) of "before" became ``lines``."""

    path: str
    start: int
    end: int
    lines: tuple[bytes, ...]
    removed: tuple[bytes, ...] = ()

    @property
    def line(self) -> int:
        return self.start + 1

    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def text(self) -> str:
        out = [b"-" + line.rstrip(b"\r\n") for line in self.removed]
        out += [b"+" + line.rstrip(b"\r\n") for line in self.lines]
        return "\n".join(line.decode("utf-8", "replace") for line in out)


def hunks(path: str, before: bytes, after: bytes) -> list[Hunk]:
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        Hunk(path, i1, i2, tuple(new[j1:j2]), tuple(old[i1:i2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


@dataclass
class Evidence:
    """Where the examples come from, and what they cannot say (non-Python files, ...)."""

    description: str  # "commit 1a2b3c4 (Move the registry)", "2 file pairs"
    pairs: list[Pair]
    commit: str | None = None
    others: list[str] | None = None  # changes learn does not read: "docs/x.md (modified)"
    renamed_modules: list[tuple[str, str]] | None = None  # (old file, new file) pairs
    deleted: list[str] | None = None  # Python files the change deleted (a module gone)


def module_name(index: ProjectIndex, path: str) -> str | None:
    """The dotted name the file at ``path`` (relative to the project root, at any revision)
    is imported as: the project index's answer, the same the engine uses when it applies."""
    if not path.endswith((".py", ".pyi")):
        return None
    return index.canonical_name(index.root / path)


def from_git(root: Path, spec: str, paths: Sequence[str] = ()) -> Evidence:
    """The examples of one commit (``REV``) or a range (``A..B``), optionally under ``paths``."""
    old, new = git.revision_range(root, spec)
    pairs: list[Pair] = []
    others: list[str] = []
    renamed: list[tuple[str, str]] = []
    deleted: list[str] = []
    for change in git.changed_files(root, old, new, paths):
        path = change.new_path or change.old_path or ""
        if not path.endswith(".py"):
            others.append(f"{path} ({_STATUS.get(change.status, change.status)})")
            continue
        if change.status == "A" or change.status == "D":
            others.append(f"{path} ({_STATUS[change.status]})")
            if change.status == "D":
                deleted.append(path)
            continue
        assert change.old_path is not None and change.new_path is not None
        before = git.blob(root, old, change.old_path)
        after = git.blob(root, new, change.new_path)
        if before is None or after is None:
            continue
        if change.status == "R":
            renamed.append((change.old_path, change.new_path))
            if before == after:
                continue
        pairs.append(Pair(change.new_path, before, after, change.old_path))
    if ".." in spec:
        description = f"commits {git.short(root, old)}..{git.short(root, new)}"
        commit = None
    else:
        description = f"commit {git.short(root, new)} ({git.subject(root, new)})"
        commit = new
    return Evidence(description, pairs, commit, others, renamed, deleted)


_STATUS = {"A": "added", "D": "deleted", "M": "modified", "R": "renamed", "T": "type changed"}


def from_files(specs: Sequence[str], base: Path) -> Evidence:
    """``BEFORE:AFTER`` file pairs; the example's path is the after file's, relative to ``base``."""
    pairs: list[Pair] = []
    for spec in specs:
        before_name, sep, after_name = spec.partition(":")
        if not sep or not before_name or not after_name:
            raise CodemodError(
                f"--pair {spec!r} is not BEFORE:AFTER",
                hint="e.g. --pair old/test_x.py:tests/test_x.py",
            )
        files = []
        for name in (before_name, after_name):
            try:
                files.append(Path(name).read_bytes())
            except OSError as exc:
                raise CodemodError(f"cannot read {name}: {exc.strerror}") from None
        after_path = Path(after_name)
        try:
            rel = after_path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            rel = after_path.name
        pairs.append(Pair(rel, files[0], files[1]))
    return Evidence(f"{len(pairs)} file pair{'s' if len(pairs) != 1 else ''}", pairs)
