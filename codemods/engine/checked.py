"""Step options that passed every check before, with this exact tool: a run need not check
them again.

Loading a recipe checks each step's options in full; for a ``pattern`` step that means
compiling its rules with LibCST (metadata included), about 0.2 s for the built-in catalog.
A warm re-run whose files are all cache hits needs no compiled pattern at all, so
``codemod preview`` and ``apply`` load recipes with this store
(``RecipeLoader(checked=...)``): options whose exact value passed before with this tool
(:func:`~codemods.engine.cache.tool_digest`: its version and source, Python's, LibCST's)
skip the checks that compile code, and the step compiles on first use. A verdict is a
function of those alone, so nothing else can make it stale; only passes are kept, so a
broken recipe always fails with its full message, every time.

It lives next to the cache's signing key, outside any work tree
(``$XDG_CACHE_HOME/codemods/``, else ``~/.cache/codemods/``), one file per tool digest
(``checked-<digest>``: one key per line), read and appended only as a regular file of this
user reached without a link. Anything wrong with it (missing, unreadable, damaged) means
"check everything", as without it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from codemods.engine.cache import open_private, read_private, tool_digest

#: Start the file afresh past this size (a file of 64-hex-digit lines: ~15k verdicts).
MAX_BYTES = 1_000_000
#: Keep the files of this many tool digests (each code change of the tool makes a new one).
KEEP = 8
_PREFIX = "checked-"


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "codemods"


class CheckedOptions:
    """The verdicts of one tool digest (see the module docstring). Never raises."""

    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory or user_cache_dir()
        self.path = self.dir / f"{_PREFIX}{tool_digest()[:32]}"
        raw = read_private(self.path, limit=MAX_BYTES)
        lines = raw.decode("ascii", "replace").split("\n") if raw else []
        self.known = {line for line in lines if len(line) == 64}

    def __contains__(self, key: object) -> bool:
        return key in self.known

    def add(self, key: str) -> None:
        """Remember that ``key``'s options passed every check (appended at once)."""
        if key in self.known or len(key) != 64:
            return
        self.known.add(key)
        with contextlib.suppress(OSError):
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fresh = not self.path.exists()
            fd = open_private(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                if os.fstat(fd).st_size > MAX_BYTES:
                    os.ftruncate(fd, 0)
                os.write(fd, f"{key}\n".encode("ascii"))
            finally:
                os.close(fd)
            if fresh:
                self._prune()

    def _prune(self) -> None:
        files: list[tuple[float, Path]] = []
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.dir):
                if entry.name.startswith(_PREFIX) and entry.is_file(follow_symlinks=False):
                    files.append((entry.stat(follow_symlinks=False).st_mtime, Path(entry.path)))
        for _mtime, path in sorted(files, reverse=True)[KEEP:]:
            with contextlib.suppress(OSError):
                path.unlink()
