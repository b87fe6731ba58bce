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

    def in_project(self, dotted: str) -> bool:
        """Whether module ``dotted``'s top-level package lives in this project (so it can be checked)."""
        top = dotted.split(".")[0]
        return self.package_dir(top) is not None or self.module_file(top) is not None

    def module_names(self, dotted: str) -> frozenset[str] | None:
        """Names module ``dotted`` defines at top level (``None``: not in the project, or unknown).

        Parsed once with :mod:`ast` and memoized. Counts ``def``/``class``, assignments (also
        under ``if``/``try``), imports, ``__all__`` entries, and a package's submodules. A
        ``from x import *`` or a module ``__getattr__`` makes the answer unknowable: ``None``.
        """
        return self.memo(f"module_names:{dotted}", lambda: self._module_names(dotted))

    def defines(self, dotted: str, name: str) -> bool | None:
        """Whether module ``dotted`` defines or re-exports ``name``; ``None`` when unknowable."""
        names = self.module_names(dotted)
        return None if names is None else name in names

    def _module_names(self, dotted: str) -> frozenset[str] | None:
        import ast

        path = self.module_file(dotted)
        if path is None:
            return None
        text = self.read_text(path)
        if text is None:
            return None
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return None
        names: set[str] = set()
        pending: list[ast.stmt] = list(tree.body)
        while pending:
            stmt = pending.pop()
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(stmt.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets
                ):
                    for elt in getattr(stmt.value, "elts", []):
                        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                            names.add(elt.value)
            elif isinstance(stmt, ast.Import):
                names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
            elif isinstance(stmt, ast.ImportFrom):
                if any(a.name == "*" for a in stmt.names):
                    return None
                names.update(a.asname or a.name for a in stmt.names)
            elif isinstance(stmt, (ast.If, ast.Try, ast.With)):
                for block in ("body", "orelse", "finalbody"):
                    pending.extend(getattr(stmt, block, []))
                for handler in getattr(stmt, "handlers", []):
                    pending.extend(handler.body)
        if "__getattr__" in names:  # a module-level __getattr__ can provide any name
            return None
        if path.name == "__init__.py":
            for child in path.parent.iterdir():
                if child.suffix == ".py" and child.stem != "__init__":
                    names.add(child.stem)
                elif (child / "__init__.py").is_file():
                    names.add(child.name)
        return frozenset(names)

    def __getstate__(self) -> dict[str, Any]:  # workers rebuild their own caches
        return {"root": self.root, "_texts": {}, "_memo": {}}
