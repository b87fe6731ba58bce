"""Gitignore-style globs matched without backtracking.

Recipe ``include``/``exclude``, ``[tool.codemod]`` and ``--include``/``--exclude`` globs and
every ``.gitignore`` a repository carries are input someone else may have written. pathspec
turns them into regular expressions; Python's ``re`` backtracks, so ``*a*a*a*a*a*a*a*a*a*a*b``
against a 40-character name takes minutes. These specs use RE2 (linear time) instead.
"""

from __future__ import annotations

from collections.abc import Iterable

import pathspec

BACKEND = "re2"


def gitignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """A :class:`pathspec.GitIgnoreSpec` matched by RE2."""
    return pathspec.GitIgnoreSpec.from_lines(list(lines), backend=BACKEND)


def check_glob(pattern: str) -> str:
    """``pattern`` if it is a glob a path relative to a folder can match, else ValueError."""
    if not pattern.strip():
        raise ValueError("an empty glob matches nothing")
    body = pattern[1:] if pattern.startswith("!") else pattern
    if ".." in body.replace("\\", "/").split("/"):
        raise ValueError(
            f"{pattern!r} contains `..`: globs match paths inside the scanned folder, "
            "so it could never match"
        )
    try:
        gitignore_spec([pattern])
    except Exception as exc:
        raise ValueError(f"{pattern!r} is not a valid glob: {exc}") from None
    return pattern
