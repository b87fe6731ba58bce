"""Facts about the scanned project that steps may ask for, computed lazily and cached.

The engine creates one :class:`ProjectIndex` per scan root and hands it to every step through
``FileContext.project``. Steps never open files themselves: they ask the index, which reads
each file at most once per process (workers each hold their own index).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any


class ProjectIndex:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._texts: dict[Path, str | None] = {}
        self._memo: dict[str, Any] = {}

    def read_text(self, path: Path) -> str | None:
        """The file's text (UTF-8, replacing bad bytes), or ``None`` if it cannot be read."""
        path = path.resolve()
        if path not in self._texts:
            try:
                self._texts[path] = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                self._texts[path] = None
        return self._texts[path]

    def memo(self, key: str, compute: Any) -> Any:
        """Cache any derived fact under ``key`` for the life of this index."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @cached_property
    def top_packages(self) -> tuple[Path, ...]:
        """Directories from which dotted module names are resolved: the root and ``src/``."""
        bases = [self.root]
        if (self.root / "src").is_dir():
            bases.append(self.root / "src")
        return tuple(bases)

    def module_file(self, dotted: str) -> Path | None:
        """The file defining module ``dotted`` inside the project, if it exists there."""
        parts = dotted.split(".")
        for base in self.top_packages:
            candidate = base.joinpath(*parts)
            for path in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                if path.is_file():
                    return path
        return None

    def package_dir(self, dotted: str) -> Path | None:
        """The directory of package ``dotted`` (regular or namespace) inside the project."""
        parts = dotted.split(".")
        for base in self.top_packages:
            candidate = base.joinpath(*parts)
            if candidate.is_dir():
                return candidate
        return None

    def __getstate__(self) -> dict[str, Any]:  # workers rebuild their own caches
        return {"root": self.root, "_texts": {}, "_memo": {}}
