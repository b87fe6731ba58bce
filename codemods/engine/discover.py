"""Find the Python files a run covers, honouring .gitignore files and default excludes.

Directories are walked top-down; every ``.gitignore`` met on the way (and those of the
enclosing git work tree above the scanned directory) applies to the paths below it, as in git.
Files named explicitly on the command line are always included.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pathspec

from codemods.engine.guards import GENERATED_MARKER
from codemods.errors import CodemodError
from codemods.globs import gitignore_spec

# Directories nobody wants rewritten, as in ruff's default `exclude`.
DEFAULT_EXCLUDES = frozenset(
    {
        ".bzr",
        ".direnv",
        ".eggs",
        ".git",
        ".git-rewrite",
        ".hg",
        ".mypy_cache",
        ".nox",
        ".pants.d",
        ".pytype",
        ".ruff_cache",
        ".svn",
        ".tox",
        ".venv",
        "__pypackages__",
        "_build",
        "buck-out",
        "dist",
        "node_modules",
        "venv",
        ".codemod_cache",
        "__pycache__",
    }
)


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    scan_root: Path  # the directory argument it was found under (or its parent, for files)
    relpath: str  # relative to the display root, posix separators
    explicit: bool = False
    #: Files with this text in their first lines are skipped as generated (None: never).
    generated_marker: str | None = GENERATED_MARKER

    @property
    def scan_relpath(self) -> str:
        """Path relative to the scanned directory: what recipe include/exclude globs see."""
        fast = _under(self.path, self.scan_root)
        if fast is not None:
            return fast
        try:
            return self.path.relative_to(self.scan_root).as_posix()
        except ValueError:
            return self.path.name


def _exists(path: Path) -> bool:
    """``path.exists()``, False (not an exception) where the user may not look."""
    try:
        return path.exists()
    except OSError:  # PermissionError from a directory without search permission
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def git_root(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        if _exists(candidate / ".git"):
            return candidate
    return None


def display_root(paths: Sequence[Path]) -> Path:
    """Where diff paths are relative to: the git work tree, else the scanned directory (for
    files, their folder; for several paths, the folder holding them all)."""
    first = paths[0].resolve() if paths else Path.cwd().resolve()
    base = first if first.is_dir() else first.parent
    root = git_root(base)
    if root is not None:
        return root
    if len(paths) == 1:
        return base  # a directory, or a file's folder: a diff names the file (a/t.py), not `.`
    folders = [p.resolve() if p.resolve().is_dir() else p.resolve().parent for p in paths]
    return Path(os.path.commonpath([str(f) for f in folders]))


class _Ignores:
    """Stacked .gitignore specs: (directory, spec) pairs, outermost first."""

    def __init__(self) -> None:
        self._cache: dict[Path, pathspec.PathSpec | None] = {}

    def spec_for(self, directory: Path) -> pathspec.PathSpec | None:
        if directory not in self._cache:
            ignore = directory / ".gitignore"
            spec = None
            if _is_file(ignore):
                try:
                    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = gitignore_spec(lines)
                except Exception:  # a broken .gitignore should not stop the run
                    spec = None
            self._cache[directory] = spec
        return self._cache[directory]

    def ignored(self, path: Path, is_dir: bool, chain: Sequence[Path]) -> bool:
        verdict = False
        for directory in chain:
            spec = self.spec_for(directory)
            if spec is None:
                continue
            rel = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
            result = spec.check_file(rel)
            if result.include is not None:
                verdict = bool(result.include)
        return verdict


def discover(
    paths: Sequence[Path],
    root: Path,
    *,
    extensions: tuple[str, ...] = (".py",),
    respect_gitignore: bool = True,
    generated_marker: str | None = GENERATED_MARKER,
    unreadable: list[Path] | None = None,
) -> Iterator[SourceFile]:
    """Yield each file once (by real path), in a stable order.

    A directory that cannot be listed (no read or search permission) is appended to
    ``unreadable``, so that the run can say what it did not see, and the walk goes on.

    Only ``extensions`` are collected from directories (``.pyi`` stubs only when asked);
    a file named on the command line is always included.
    """
    found = _discover(paths, root, extensions, respect_gitignore, unreadable)
    if generated_marker == GENERATED_MARKER:
        yield from found
    else:
        for source in found:
            yield replace(source, generated_marker=generated_marker)


def _discover(
    paths: Sequence[Path],
    root: Path,
    extensions: tuple[str, ...],
    respect_gitignore: bool,
    unreadable: list[Path] | None = None,
) -> Iterator[SourceFile]:
    ignores = _Ignores()
    seen: set[str] = set()  # real paths
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise CodemodError(f"path does not exist: {given}", hint="check the PATHS arguments")
        absolute = Path(os.path.abspath(given))
        if absolute.is_file():
            if str(absolute.resolve()) not in seen:
                seen.add(str(absolute.resolve()))
                yield SourceFile(absolute, absolute.parent, _rel(absolute, root), explicit=True)
            continue
        top = git_root(absolute)
        chain_above = []
        if top is not None and respect_gitignore:
            chain_above = [top, *[p for p in reversed(absolute.parents) if top in p.parents]]
            chain_above = [d for d in dict.fromkeys(chain_above) if d != absolute]
        found: list[SourceFile] = []
        _walk(
            absolute,
            absolute,
            root,
            chain_above,
            ignores,
            extensions,
            seen,
            respect_gitignore,
            os.path.realpath(absolute),
            unreadable,
            found,
        )
        yield from found


def _walk(
    directory: Path,
    scan_root: Path,
    root: Path,
    chain: list[Path],
    ignores: _Ignores,
    extensions: tuple[str, ...],
    seen: set[str],
    respect_gitignore: bool,
    real_directory: str,  # os.path.realpath(directory), carried down instead of resolving each file
    unreadable: list[Path] | None,
    found: list[SourceFile],
) -> None:
    """Append the files under ``directory`` to ``found``, in order (a list, not a chain of
    generators: each file would otherwise pass through one generator per directory level)."""
    chain = [*chain, directory] if respect_gitignore else chain
    # only directories with a .gitignore on the chain can ignore anything
    check = respect_gitignore and any(ignores.spec_for(d) is not None for d in chain)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        if unreadable is not None:
            unreadable.append(directory)
        return
    prefix = _under(directory, root) if directory != root else ""
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):  # never a symlink: its real path is known
            if entry.name in DEFAULT_EXCLUDES:
                continue
            path = directory / entry.name
            if check and ignores.ignored(path, True, chain):
                continue
            _walk(
                path,
                scan_root,
                root,
                chain,
                ignores,
                extensions,
                seen,
                respect_gitignore,
                os.path.join(real_directory, entry.name),
                unreadable,
                found,
            )
        elif entry.name.endswith(extensions) and entry.is_file():
            path = directory / entry.name
            if check and ignores.ignored(path, False, chain):
                continue
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
            else:
                real = os.path.join(real_directory, entry.name)
            if real in seen:
                continue
            seen.add(real)
            if prefix is None:
                relpath = _rel(path, root)
            else:
                relpath = f"{prefix}/{entry.name}" if prefix else entry.name
            found.append(SourceFile(path, scan_root, relpath))


def _under(path: Path, base: Path) -> str | None:
    """``path`` relative to ``base`` (posix separators) by string, for normalised absolute
    paths; None when that does not apply (then ``Path.relative_to`` decides)."""
    text, prefix = str(path), str(base)
    if len(text) > len(prefix) + 1 and text.startswith(prefix) and text[len(prefix)] == os.sep:
        return text[len(prefix) + 1 :].replace(os.sep, "/")
    return None


def _rel(path: Path, root: Path) -> str:
    fast = _under(path, root)
    if fast is not None:
        return fast
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")
