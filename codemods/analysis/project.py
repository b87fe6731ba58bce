"""The one model of the scanned project: its root, its import roots, which file is which
module, and what a module defines or re-exports. Steps, doctor, the cache and ``codemod test``
all ask this index; none of them keeps its own copy of these rules.

- **Root**: :func:`find_root`, the nearest directory above the paths with project metadata
  (``pyproject.toml``, ``setup.cfg``, ``setup.py``, ``pytest.ini``, ``tox.ini``) or a ``.git``
  (a git work tree), else the scanned folder itself.
- **Import roots** (the directories Python and pytest put on ``sys.path``), in this order: the
  root, ``src/`` when present, the pytest ``pythonpath`` entries of the root's configuration, and
  pytest's rootdir-insertion ``basedir`` of every test module and ``conftest.py`` (the first
  directory upwards without an ``__init__.py``). A directory holding Python files is a package,
  with or without ``__init__.py`` (a namespace package).
- :meth:`ProjectIndex.module_of` is the only module namer: the path relative to the nearest
  import root above it (``src/pkg/mod.py`` -> ``pkg.mod``; ``tests/test_x.py`` in a ``tests/``
  without ``__init__.py`` -> ``test_x``, as pytest imports it).
- :meth:`ProjectIndex.lookup` says what ``from module import name`` gives: it follows
  re-exports (``from .x import A`` in ``__init__``), star imports (honouring ``__all__``), and
  answers "open" (cannot know) for a module ``__getattr__``, ``globals()`` tricks, a package that
  extends its ``__path__``, stubs/extensions, or an unresolvable star import.

Files are listed and parsed lazily and memoized; an index given ``files`` (doctor, ``codemod
test``) knows exactly those files, one without lists the file system as it is asked. Worker
processes each rebuild their own caches (pickling keeps only the root and the file lists).

>>> index = ProjectIndex(Path("examples/netra-demo"))
>>> index.module_of(Path("examples/netra-demo/netra_backend/app/__init__.py"))
'netra_backend.app'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from codemods.analysis.facts import ImportRef, ModuleFacts
from codemods.analysis.modules import OPAQUE_SUFFIXES, dotted_name
from codemods.analysis.pytest_facts import is_pytest_module

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "pytest.ini", "tox.ini", ".git")

_T = TypeVar("_T")


def find_root(paths: Sequence[Path]) -> Path:
    """The project root around ``paths``: the nearest directory above their common ancestor
    that holds project metadata or a ``.git``; else that ancestor (the scanned folder)."""
    resolved = [Path(os.path.abspath(p)) for p in paths] or [Path.cwd()]
    start = resolved[0]
    for other in resolved[1:]:
        while start != other and start not in other.parents:
            start = start.parent
    start = start if start.is_dir() else start.parent
    for candidate in (start, *start.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return start


@dataclass(frozen=True)
class Target:
    """What ``module.name`` is. kind: def, module, bound, open, missing, external."""

    kind: str
    module: str = ""
    name: str = ""


_Entries = tuple[frozenset[str], frozenset[str]]  # (module file names, sub-directory names)


class ProjectIndex:
    """The project under ``root``. ``files``: the Python files to know (``None``: list the file
    system lazily); ``opaque``: stubs and extensions (importable, never parsed)."""

    def __init__(
        self,
        root: Path,
        files: Iterable[Path] | None = None,
        opaque: Iterable[Path] = (),
    ) -> None:
        self._given: tuple[tuple[Path, ...], tuple[Path, ...]] | None = None
        if files is None:
            self.root = Path(root).resolve()
        else:
            self.root = Path(os.path.abspath(root))
            self._given = (tuple(sorted(set(files))), tuple(sorted(set(opaque))))
        self._reset()

    def _reset(self) -> None:
        #: Set whenever a fact is looked up; the engine clears it before each file to learn
        #: whether that file's result depends on the project (then it is never cached).
        self.asked = False
        self._root = str(self.root)
        self._texts: dict[Path, str | None] = {}
        self._memo: dict[str, Any] = {}
        self._entries: dict[str, _Entries] = {}
        self._listed = self._given is not None
        self._facts: dict[str, ModuleFacts] = {}
        if self._given is not None:
            files, opaque = self._given
            table: dict[str, tuple[set[str], set[str]]] = {}
            for path in (*files, *opaque):
                directory, name = os.path.split(str(path))
                table.setdefault(directory, (set(), set()))[0].add(name)
                while directory != self._root:
                    parent, child = os.path.split(directory)
                    if parent == directory:
                        break
                    subdirs = table.setdefault(parent, (set(), set()))[1]
                    if child in subdirs:
                        break
                    subdirs.add(child)
                    directory = parent
            self._entries = {d: (frozenset(f), frozenset(s)) for d, (f, s) in table.items()}

    def __getstate__(self) -> dict[str, Any]:  # workers rebuild their own caches
        return {"root": self.root, "_given": self._given}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.root = state["root"]
        self._given = state["_given"]
        self._reset()

    # -- reading -------------------------------------------------------------------------------
    def read_text(self, path: Path) -> str | None:
        """The file's text (UTF-8, replacing bad bytes), or ``None`` if it cannot be read."""
        self.asked = True
        path = path.resolve()
        if path not in self._texts:
            try:
                self._texts[path] = path.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                self._texts[path] = None
        return self._texts[path]

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """Cache any derived fact under ``key`` for the life of this index."""
        self.asked = True
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    # -- the file tree -------------------------------------------------------------------------
    def _list(self, directory: str) -> _Entries:
        self.asked = True
        known = self._entries.get(directory)
        if known is not None:
            return known
        files: set[str] = set()
        subdirs: set[str] = set()
        if not self._listed:
            try:
                with os.scandir(directory) as it:
                    for entry in it:
                        name = entry.name
                        try:
                            if name.endswith((".py", *OPAQUE_SUFFIXES)) and entry.is_file():
                                files.add(name)
                            elif (
                                not name.startswith(".")
                                and name != "__pycache__"
                                and entry.is_dir()
                            ):
                                subdirs.add(name)
                        except OSError:
                            continue
            except OSError:
                pass
        found = self._entries[directory] = (frozenset(files), frozenset(subdirs))
        return found

    def _has_init(self, directory: str) -> bool:
        return "__init__.py" in self._list(directory)[0]

    def _holds_python(self, directory: str) -> bool:
        """Whether any module file lives in ``directory`` or below (it is then a package)."""
        key = f"holds-python:{directory}"
        if key not in self._memo:
            files, subdirs = self._list(directory)
            self._memo[key] = bool(files) or any(
                self._holds_python(os.path.join(directory, s)) for s in sorted(subdirs)
            )
        return bool(self._memo[key])

    def _holds_tests(self, directory: str) -> bool:
        """Whether a test module or conftest has ``directory`` as its pytest basedir."""
        key = f"holds-tests:{directory}"
        if key not in self._memo:
            files, subdirs = self._list(directory)
            self._memo[key] = any(is_pytest_module(f) for f in files if f.endswith(".py")) or any(
                self._has_init(sub) and self._holds_tests(sub)
                for sub in (os.path.join(directory, s) for s in sorted(subdirs))
            )
        return bool(self._memo[key])

    def python_files(self) -> list[Path]:
        """Every Python source file of the project (listed once)."""

        def walk() -> list[Path]:
            out: list[Path] = []
            stack = [self._root]
            while stack:
                directory = stack.pop()
                files, subdirs = self._list(directory)
                out.extend(Path(directory, f) for f in files if f.endswith(".py"))
                stack.extend(os.path.join(directory, s) for s in sorted(subdirs, reverse=True))
            return sorted(out)

        if self._given is not None:
            return list(self._given[0])
        return self.memo("python-files", walk)

    # -- import roots --------------------------------------------------------------------------
    def _static_bases(self) -> list[str]:
        def compute() -> list[str]:
            bases = [self._root]
            if "src" in self._list(self._root)[1]:
                bases.append(os.path.join(self._root, "src"))
            for extra in self._pythonpath():
                if extra not in bases:
                    bases.append(extra)
            return bases

        return self.memo("static-bases", compute)

    def _pythonpath(self) -> list[str]:
        """The ``pythonpath`` entries of the pytest configuration at the root (pytest puts
        them on ``sys.path``), relative to the root."""
        from codemods.analysis.pytest_config import CONFIG_FILES, load_options

        for name, _kind in CONFIG_FILES:
            text = self.read_text(self.root / name)
            options = None if text is None else load_options(name, text)
            if options is None:
                continue
            value = options.get("pythonpath")
            if isinstance(value, str):
                entries = value.split()
            elif isinstance(value, list | tuple):
                entries = [str(v) for v in value]
            else:
                return []
            return [os.path.normpath(os.path.join(self._root, e)) for e in entries]
        return []

    def _is_base(self, directory: str) -> bool:
        if directory in self._static_bases():
            return True
        under = directory.startswith(self._root + os.sep)
        return under and not self._has_init(directory) and self._holds_tests(directory)

    def import_roots(self) -> list[Path]:
        """Every directory modules are imported from, in order (see the module docstring)."""
        return [Path(b) for b in self._bases()]

    def _bases(self) -> list[str]:
        def compute() -> list[str]:
            bases = list(self._static_bases())
            tests: set[str] = set()
            for path in self.python_files():
                if not is_pytest_module(path.name):
                    continue
                directory = str(path.parent)
                while self._has_init(directory) and os.path.dirname(directory) != directory:
                    directory = os.path.dirname(directory)
                tests.add(directory)
            return bases + sorted(tests - set(bases))

        return self.memo("bases", compute)

    @property
    def top_packages(self) -> tuple[Path, ...]:
        """Directories from which dotted module names are resolved (:meth:`import_roots`)."""
        return tuple(self.import_roots())

    # -- module names --------------------------------------------------------------------------
    def canonical_name(self, path: Path) -> str | None:
        """The dotted name ``path`` is imported as (relative to the nearest import root above
        it), or ``None`` when no import root can import it (``my-scripts/x.py``)."""
        text = os.path.abspath(path)
        if not text.startswith(self._root + os.sep):
            real = os.path.realpath(text)  # a path through a symlink to the root (macOS /tmp)
            text = real if real.startswith(self._root + os.sep) else text
        directory = os.path.dirname(text)
        while True:
            if self._is_base(directory):
                rel = text[len(directory) + 1 :] if directory != os.sep else text[1:]
                return dotted_name(rel.split(os.sep))
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent

    def module_of(self, path: Path) -> str:
        """The module name of the file ``path``: :meth:`canonical_name`, else its stem."""
        return self.canonical_name(path) or Path(path).stem

    def _candidates(self, module: str) -> list[str]:
        """Every file that is importable as ``module``, in path order."""

        def compute() -> list[str]:
            parts = module.split(".")
            out: set[str] = set()
            for base in self._bases():
                directory = os.path.join(base, *parts[:-1])
                files, subdirs = self._list(directory)
                last = parts[-1]
                for name in files:
                    if name == last + ".py" or (
                        name.endswith(OPAQUE_SUFFIXES) and name.split(".", 1)[0] == last
                    ):
                        out.add(os.path.join(directory, name))
                if last in subdirs:
                    package = os.path.join(directory, last)
                    for name in self._list(package)[0]:
                        if name.split(".", 1)[0] == "__init__":
                            out.add(os.path.join(package, name))
            return sorted(out)

        return self.memo(f"candidates:{module}", compute)

    def _module_path(self, module: str) -> str | None:
        found = self._candidates(module)
        return found[0] if found else None

    def _ambiguous(self, module: str) -> bool:
        """One module name, several source files (two ``conftest``, two ``helpers``)."""
        return any(not p.endswith(OPAQUE_SUFFIXES) for p in self._candidates(module)[1:])

    def _package_path(self, module: str) -> str | None:
        parts = module.split(".")
        for base in self._bases():
            directory = os.path.join(base, *parts)
            parent, name = os.path.split(directory)
            if name in self._list(parent)[1] and self._holds_python(directory):
                return directory
        return None

    def module_file(self, dotted: str) -> Path | None:
        """The file defining module ``dotted`` inside the project, if it exists there."""
        found = self._module_path(dotted)
        return Path(found) if found is not None else None

    def package_dir(self, dotted: str) -> Path | None:
        """The directory of package ``dotted`` (regular or namespace) inside the project."""
        found = self._package_path(dotted)
        return Path(found) if found is not None else None

    def in_project(self, module: str) -> bool:
        """Whether ``module``'s top-level package lives in this project (so it can be checked)."""
        top = module.split(".")[0]
        return bool(self._candidates(top)) or self._package_path(top) is not None

    def exists(self, module: str) -> bool:
        """Whether ``import module`` can work: a file, a package, or a place we cannot see."""
        return (
            self._module_path(module) is not None
            or self._package_path(module) is not None
            or self._open(module)
        )

    def _open(self, module: str) -> bool:
        """Whether we cannot know what ``module`` holds (or whether it exists)."""
        if self._ambiguous(module):
            return True
        parts = module.split(".")
        return any(self._open_package(".".join(parts[:i])) for i in range(1, len(parts) + 1))

    def _open_package(self, module: str) -> bool:
        path = self._module_path(module)
        if path is None or self.canonical_name(Path(path)) != module:
            return False
        if path.endswith(OPAQUE_SUFFIXES):  # an extension may register submodules of its own
            return True
        if os.path.basename(path) != "__init__.py":
            return False
        facts = self.facts_at(Path(path))
        return facts.extends_path or facts.dynamic

    # -- facts ---------------------------------------------------------------------------------
    def facts_at(self, path: Path) -> ModuleFacts:
        """What one ``ast`` pass over the file ``path`` finds (parsed once, on first use)."""
        from codemods.analysis.parse import parse_file
        from codemods.analysis.pytest_config import pytest_options_for

        key = os.path.abspath(path)
        found = self._facts.get(key)
        if found is None:
            file = Path(key)
            options = pytest_options_for(self, file)
            found = self._facts[key] = parse_file(
                file,
                os.path.relpath(key, self._root).replace(os.sep, "/"),
                self.module_of(file),
                file.name == "__init__.py",
                options.get("python_functions"),
                options.get("python_classes"),
            )
        return found

    def facts_of(self, module: str) -> ModuleFacts | None:
        """The facts of the source file of ``module`` (``None``: none, or a stub/extension)."""
        path = self._module_path(module)
        if path is None or not path.endswith(".py"):
            return None
        return self.facts_at(Path(path))

    # -- names ---------------------------------------------------------------------------------
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
        submodule = f"{module}.{name}"
        if self._module_path(submodule) is not None or self._package_path(submodule) is not None:
            return Target("module", submodule)
        if facts is None:
            path = self._module_path(module)
            if self._package_path(module) is not None and (path is None or path.endswith(".py")):
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

    def defines(self, dotted: str, name: str) -> bool | None:
        """Whether module ``dotted`` defines or re-exports ``name``; ``None`` when unknowable
        (not a project module, a star import from outside, a module ``__getattr__``, ...)."""
        if not self.in_project(dotted):
            return None
        kind = self.lookup(dotted, name).kind  # "external": bound to something outside
        return None if kind == "open" else kind != "missing"

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

        def compute() -> dict[str, list[str]]:
            table: dict[str, list[str]] = {}
            for path in self.python_files():
                canonical = self.canonical_name(path)
                if is_pytest_module(path.name) or canonical is None:
                    continue
                for defined in self.facts_at(path).defined:
                    table.setdefault(defined, []).append(canonical)
            return table

        return sorted(self.memo("definers", compute).get(name, []))

    def module_binding(self, facts: ModuleFacts, name: str) -> ImportRef | None:
        """The module-level import that is the only binding of ``name`` in ``facts``."""
        if facts.bindings.get(name) != 1:
            return None
        return next((r for r in facts.imports if r.local == name and r.module_level), None)


class Projects:
    """The :class:`ProjectIndex` of each scanned folder's project: one per project root
    (:func:`find_root` of the folder), made on first use. The engine keeps one per process."""

    def __init__(self) -> None:
        self._roots: dict[Path, Path] = {}
        self._indexes: dict[Path, ProjectIndex] = {}

    def of(self, scan_root: Path) -> ProjectIndex:
        root = self._roots.get(scan_root)
        if root is None:
            root = self._roots[scan_root] = find_root([scan_root])
        index = self._indexes.get(root)
        if index is None:
            index = self._indexes[root] = ProjectIndex(root)
        return index

    def add(self, scan_root: Path, index: ProjectIndex) -> None:
        """Use ``index`` for the files found under ``scan_root``."""
        self._roots[scan_root] = index.root
        self._indexes[index.root] = index

    def module_of(self, path: Path, scan_root: Path) -> str:
        """The module name of ``path``, found under the folder ``scan_root``."""
        return self.of(scan_root).module_of(path)
