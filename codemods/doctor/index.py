"""The whole project as Python would import it: module names, packages, and name lookup.

Module names are computed from the directories Python (and pytest) put on ``sys.path``: the
project root, ``src/`` when present, and pytest's rootdir-insertion ``basedir`` of every test
file and ``conftest.py`` (the first directory upwards without an ``__init__.py``). Directories
holding Python files are packages, with or without ``__init__.py`` (namespace packages).

``lookup(module, name)`` follows re-exports (``from .x import A`` in ``__init__``), star
imports (honouring ``__all__``), and treats a module-level ``__getattr__`` or an
unresolvable star import as "anything may exist".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from codemods.doctor.facts import ImportRef, ModuleFacts
from codemods.doctor.parse import parse_file


@dataclass(frozen=True)
class Target:
    """What ``module.name`` is. kind: def, module, bound, open, missing, external."""

    kind: str
    module: str = ""
    name: str = ""


def _is_test_file(path: Path) -> bool:
    return path.name == "conftest.py" or (
        path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))
    )


def _basedir(path: str, files: set[str]) -> str:
    """pytest's rootdir-insertion directory: the first one upwards without ``__init__.py``."""
    directory = os.path.dirname(path)
    while (
        os.path.join(directory, "__init__.py") in files and os.path.dirname(directory) != directory
    ):
        directory = os.path.dirname(directory)
    return directory


#: Files that make a module importable without Python source doctor can read.
OPAQUE_SUFFIXES = (".pyi", ".pyx", ".so", ".pyd")


def _dotted(parts: list[str]) -> str | None:
    last = parts[-1]
    stem = last.removesuffix(".py") if last.endswith(".py") else last.split(".", 1)[0]
    parts = [*parts[:-1], stem]
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


class ProjectModel:
    """Module names of ``files`` (parsed) and ``opaque`` files (stubs, extensions: never
    parsed, so anything may be imported from them)."""

    def __init__(self, root: Path, files: Iterable[Path], opaque: Iterable[Path] = ()) -> None:
        self.root = root
        files = sorted(set(files))
        opaque = set(opaque)
        names = {str(f) for f in files}
        bases = [str(root), *([str(root / "src")] if (root / "src").is_dir() else [])]
        bases += sorted({_basedir(str(f), names) for f in files if _is_test_file(f)} - set(bases))
        rank = {base: i for i, base in enumerate(bases)}
        self.modules: dict[str, Path] = {}
        self.packages: dict[str, Path] = {}
        self.canonical: dict[Path, str] = {}
        self.ambiguous: set[str] = set()  # one module name, several files (conftest, helpers)
        for path in sorted({*files, *opaque}):
            parts = str(path).split(os.sep)
            found = [
                (rank[base], i)
                for i in range(1, len(parts))
                if (base := os.sep.join(parts[:i])) in rank
            ]
            best: str | None = None
            for _rank, i in sorted(found):
                name = _dotted(parts[i:])
                if name is None:
                    continue
                if self.modules.setdefault(name, path) != path and not str(path).endswith(
                    OPAQUE_SUFFIXES
                ):
                    self.ambiguous.add(name)
                segments = name.split(".")
                stop = len(segments) if path.name == "__init__.py" else len(segments) - 1
                for j in range(1, stop + 1):
                    key = ".".join(segments[:j])
                    if key not in self.packages:
                        self.packages[key] = Path(os.sep.join(parts[: i + j]))
                if best is None or len(name) < len(best):
                    best = name
            if best is not None:
                self.canonical[path] = best
        self.tops = {n.split(".")[0] for n in (*self.modules, *self.packages)}
        self.facts: dict[Path, ModuleFacts] = {}
        for path in files:
            name = self.canonical.get(path, path.stem)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            self.facts[path] = parse_file(path, rel, name, path.name == "__init__.py")
        self._definers: dict[str, list[str]] | None = None
        self.open_packages = {
            self.canonical[p]
            for p, f in self.facts.items()
            if p in self.canonical and (f.extends_path or f.dynamic) and p.name == "__init__.py"
        }
        # An extension module may register submodules of its own (`pkg._native.sub`).
        self.open_packages |= {
            name
            for p in opaque
            if (name := self.canonical.get(p)) is not None and self.modules.get(name) == p
        }

    def _open(self, module: str) -> bool:
        """Whether doctor cannot know what ``module`` holds (or whether it exists)."""
        if module in self.ambiguous:
            return True
        parts = module.split(".")
        return any(".".join(parts[:i]) in self.open_packages for i in range(1, len(parts) + 1))

    # -- modules ---------------------------------------------------------------------------
    def in_project(self, module: str) -> bool:
        return module.split(".")[0] in self.tops

    def exists(self, module: str) -> bool:
        return module in self.modules or module in self.packages or self._open(module)

    def facts_of(self, module: str) -> ModuleFacts | None:
        path = self.modules.get(module)
        return self.facts.get(path) if path is not None else None

    def module_of(self, path: Path) -> str:
        return self.canonical.get(path, path.stem)

    # -- names -----------------------------------------------------------------------------
    def lookup(self, module: str, name: str, _seen: frozenset[str] = frozenset()) -> Target:
        """What ``from module import name`` gives, following re-exports and star imports."""
        if not self.in_project(module):
            return Target("external", module, name)
        key = f"{module}:{name}"
        if key in _seen or self._open(module) or (name[:2] == name[-2:] == "__"):
            return Target("open", module, name)
        seen = _seen | {key}
        facts = self.facts_of(module)
        if facts is not None and facts.syntax_error is None:
            count = facts.bindings.get(name, 0)
            if count == 1:
                found = self._single_binding(module, facts, name, seen)
                if found is not None:
                    return found
            if count:
                return Target("bound", module, name)
        if f"{module}.{name}" in self.modules or f"{module}.{name}" in self.packages:
            return Target("module", f"{module}.{name}")
        if facts is None:
            path = self.modules.get(module)
            if module in self.packages and (path is None or str(path).endswith(".py")):
                return Target("missing", module, name)
            return Target("open", module, name)
        if facts.syntax_error is not None or facts.has_getattr or facts.dynamic:
            return Target("open", module, name)
        for ref in facts.imports:
            if not ref.star or not ref.module_level:
                continue
            if ref.module is None or not self.in_project(ref.module):
                return Target("open", module, name)
            exported = self.star_names(ref.module)
            if exported is None:
                return Target("open", module, name)
            if name in exported:
                return self.lookup(ref.module, name, seen)
        return Target("missing", module, name)

    def _single_binding(
        self, module: str, facts: ModuleFacts, name: str, seen: frozenset[str]
    ) -> Target | None:
        if name in facts.classes or name in facts.functions:
            return Target("def", module, name)
        ref = next((r for r in facts.imports if r.local == name and r.module_level), None)
        if ref is None or ref.module is None:
            return None
        if ref.name is None:
            return Target("module", ref.module if ref.binds_leaf else name)
        if not self.in_project(ref.module):
            return Target("external", ref.module, ref.name)
        return self.lookup(ref.module, ref.name, seen)

    def star_names(self, module: str) -> set[str] | None:
        """Names ``from module import *`` binds; ``None`` when that cannot be known."""
        facts = self.facts_of(module)
        if facts is None or facts.syntax_error is not None or facts.all_dynamic:
            return None
        if facts.all_names is not None:
            return set(facts.all_names)
        if any(r.star and r.module_level for r in facts.imports):
            return None
        return {n for n in facts.bindings if not n.startswith("_")}

    def definers(self, name: str) -> list[str]:
        """Modules (not tests) that define ``name`` themselves (def, class or assignment)."""
        if self._definers is None:
            table: dict[str, list[str]] = {}
            for path, facts in self.facts.items():
                if _is_test_file(path) or path not in self.canonical:
                    continue
                for defined in facts.defined:
                    table.setdefault(defined, []).append(self.canonical[path])
            self._definers = table
        return sorted(self._definers.get(name, []))

    def module_binding(self, facts: ModuleFacts, name: str) -> ImportRef | None:
        """The module-level import that is the only binding of ``name`` in ``facts``."""
        if facts.bindings.get(name) != 1:
            return None
        return next((r for r in facts.imports if r.local == name and r.module_level), None)
