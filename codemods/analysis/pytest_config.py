"""The pytest configuration that applies to a file, found the way pytest itself finds it.

pytest (``_pytest/config/findpaths.py``) takes the common ancestor of its path arguments and
walks up from there. In each directory it checks, in this order, and the first file that
*matches* wins (its directory becomes the rootdir):

============== ===============================================================
``pytest.toml`` / ``.pytest.toml``  always match, even when empty (pytest >= 9)
``pytest.ini`` / ``.pytest.ini``    always match, even when empty
``pyproject.toml``                  only with ``[tool.pytest.ini_options]`` or ``[tool.pytest]``
``tox.ini``                         only with a ``[pytest]`` section
``setup.cfg``                       only with a ``[tool:pytest]`` section
============== ===============================================================

If nothing matches anywhere up to the filesystem root, the nearest ``pyproject.toml`` (even
without a pytest table) is the config file (pytest >= 8.1); else the rootdir is the nearest
directory with a ``setup.py``, else the starting directory.

Registered markers are the config's ``markers`` lines plus the names that ``conftest.py``
files register with ``config.addinivalue_line("markers", "name: ...")``, for the conftest
files pytest loads before importing the file: those from the rootdir down to its directory.
``asyncio_mode`` is the ``--asyncio-mode`` in ``addopts`` if any, else the ``asyncio_mode``
option, else ``"strict"`` (pytest-asyncio's default).

Example::

    >>> find_pytest_config(Path("examples/netra-demo/tests/test_x.py"))
    PytestConfig(path=.../examples/netra-demo/pyproject.toml, kind='pyproject.toml',
                 rootdir=.../examples/netra-demo, asyncio_mode='strict',
                 markers=frozenset({'integration'}))
"""

from __future__ import annotations

import ast
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codemods.analysis.project import ProjectIndex

#: Config file names in pytest's order of precedence within one directory, with their kind.
CONFIG_FILES: tuple[tuple[str, str], ...] = (
    ("pytest.toml", "pytest.toml"),
    (".pytest.toml", "pytest.toml"),
    ("pytest.ini", "pytest.ini"),
    (".pytest.ini", "pytest.ini"),
    ("pyproject.toml", "pyproject.toml"),
    ("tox.ini", "tox.ini"),
    ("setup.cfg", "setup.cfg"),
)


@dataclass(frozen=True)
class PytestConfig:
    path: Path | None  # the config file pytest would use; None when none found
    kind: str  # "pytest.ini" | "pyproject.toml" | "tox.ini" | "setup.cfg" | "pytest.toml" | "none"
    rootdir: Path
    asyncio_mode: str  # "strict" when unset
    markers: frozenset[str]  # ini `markers` + conftest.py config.addinivalue_line("markers", ...)


def find_pytest_config(start: Path, project: ProjectIndex | None = None) -> PytestConfig:
    """The configuration pytest would use when run on ``start`` (a file or a directory).

    Files are read through ``project`` when given (cached per directory), else directly.
    """
    start = Path(start).resolve()
    directory = start if start.is_dir() else start.parent
    if project is None:
        project = ProjectIndex(directory)
    return pytest_config_for(project, directory)


def pytest_config_for(project: ProjectIndex, path: Path) -> PytestConfig:
    """:func:`find_pytest_config` for steps: ``path`` is a file or directory; cached per directory."""
    path = Path(path)
    if not path.is_absolute():
        path = project.root / path
    directory = (path if path.is_dir() else path.parent).resolve()
    key = f"pytest-config:{directory}"
    return project.memo(key, lambda: _compute(project, directory))  # type: ignore[no-any-return]


# -- locating the file -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Located:
    path: Path | None
    kind: str
    rootdir: Path
    options: dict[str, Any] = field(default_factory=dict)


def pytest_options_for(project: ProjectIndex, path: Path) -> dict[str, Any]:
    """All options of the config file that applies to ``path`` (values as written)."""
    path = Path(path)
    if not path.is_absolute():
        path = project.root / path
    directory = (path if path.is_dir() else path.parent).resolve()
    return dict(_located_for(project, directory).options)


def _located_for(project: ProjectIndex, directory: Path) -> _Located:
    key = f"pytest-located:{directory}"
    return project.memo(key, lambda: locate(project, directory))  # type: ignore[no-any-return]


def _compute(project: ProjectIndex, directory: Path) -> PytestConfig:
    located = _located_for(project, directory)
    markers = set(marker_names(located.options.get("markers")))
    for conftest in conftests_between(located.rootdir, directory):
        markers |= conftest_markers(project.read_text(conftest) or "")
    return PytestConfig(
        path=located.path,
        kind=located.kind,
        rootdir=located.rootdir,
        asyncio_mode=_asyncio_mode(located.options),
        markers=frozenset(markers),
    )


def locate(project: ProjectIndex, directory: Path) -> _Located:
    """pytest's ``locate_config`` plus its rootdir fallbacks, reading through ``project``."""
    first_pyproject: Path | None = None
    for base in (directory, *directory.parents):
        for name, kind in CONFIG_FILES:
            candidate = base / name
            text = project.read_text(candidate)
            if text is None:
                continue
            if name == "pyproject.toml" and first_pyproject is None:
                first_pyproject = candidate
            options = load_options(name, text)
            if options is not None:
                return _Located(candidate, kind, base, options)
    if first_pyproject is not None:
        return _Located(first_pyproject, "pyproject.toml", first_pyproject.parent)
    for base in (directory, *directory.parents):
        if project.read_text(base / "setup.py") is not None:
            return _Located(None, "none", base)
    return _Located(None, "none", directory)


def load_options(name: str, text: str) -> dict[str, Any] | None:
    """The pytest options a config file named ``name`` holds, or None if pytest ignores it."""
    if name.endswith(".toml"):
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return {} if name != "pyproject.toml" else None
        if name != "pyproject.toml":
            table = document.get("pytest")
            return dict(table) if isinstance(table, dict) else {}
        tool = document.get("tool", {}).get("pytest")
        if not isinstance(tool, dict):
            return None
        native = {k: v for k, v in tool.items() if k != "ini_options"}
        if native:
            return native
        ini_options = tool.get("ini_options")
        return dict(ini_options) if isinstance(ini_options, dict) else None
    try:
        sections = {s.name: s for s in parse_ini(text)}
    except IniError:
        return {} if name.endswith("pytest.ini") else None
    section_name = "tool:pytest" if name == "setup.cfg" else "pytest"
    section = sections.get(section_name)
    if section is None:
        return {} if name.endswith("pytest.ini") else None
    return {entry.name: "\n".join(entry.values) for entry in section.entries}


def conftests_between(rootdir: Path, directory: Path) -> Iterator[Path]:
    """``conftest.py`` paths pytest loads for ``directory``: rootdir first, down to it."""
    if directory != rootdir and rootdir not in directory.parents:
        yield directory / "conftest.py"
        return
    chain = [directory, *[p for p in directory.parents if p == rootdir or rootdir in p.parents]]
    for base in reversed(chain):
        yield base / "conftest.py"


# -- reading values --------------------------------------------------------------------------


def marker_names(value: object) -> Iterator[str]:
    """Names in a ``markers`` value: ``"slow: desc"``, ``"skipif(cond): desc"`` -> slow, skipif."""
    if value is None:
        return
    if isinstance(value, str):
        lines = value.splitlines()
    elif isinstance(value, list | tuple):
        lines = [str(v) for v in value]
    else:
        return
    for line in lines:
        name = line.split(":", 1)[0].split("(", 1)[0].strip()
        if name:
            yield name


def conftest_markers(text: str) -> set[str]:
    """Marker names a conftest registers with ``config.addinivalue_line("markers", "...")``."""
    if "addinivalue_line" not in text:
        return set()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "addinivalue_line"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "markers"
        ):
            continue
        line = _literal_prefix(node.args[1])
        if line is not None:
            found.update(marker_names([line]))
    return found


def _literal_prefix(node: ast.expr) -> str | None:
    """The text of a string literal, or of the literal head of an f-string up to its ``:``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if (
            isinstance(head, ast.Constant)
            and isinstance(head.value, str)
            and (":" in head.value or "(" in head.value)
        ):
            return head.value
    return None


def _asyncio_mode(options: dict[str, Any]) -> str:
    addopts = options.get("addopts", "")
    args = list(addopts) if isinstance(addopts, list) else _split(str(addopts))
    for index, arg in enumerate(args):
        if arg.startswith("--asyncio-mode="):
            return arg.split("=", 1)[1].strip()
        if arg == "--asyncio-mode" and index + 1 < len(args):
            return args[index + 1].strip()
    mode = options.get("asyncio_mode")
    return str(mode).strip() if mode else "strict"


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


# -- INI files, as pytest's iniconfig reads them ---------------------------------------------


class IniError(ValueError):
    pass


@dataclass
class IniEntry:
    name: str
    values: list[str]
    line: int  # 0-based index of the ``name =`` line
    last: int  # 0-based index of its last continuation line


@dataclass
class IniSection:
    name: str
    line: int  # 0-based index of the ``[name]`` line
    entries: list[IniEntry] = field(default_factory=list)
    last: int = -1  # last non-blank, non-comment line of the section

    def entry(self, name: str) -> IniEntry | None:
        return next((e for e in self.entries if e.name == name), None)


def parse_ini(text: str) -> list[IniSection]:
    """Sections and entries with line numbers, following ``iniconfig``'s rules.

    Comment lines (``#`` or ``;`` after optional indentation) and blank lines are skipped,
    also inside a value; a line starting with whitespace continues the previous value.
    """
    sections: list[IniSection] = []
    for index, raw in enumerate(text.removeprefix("\ufeff").splitlines()):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        line = raw.rstrip()
        if line[0] == "[":
            head = line
            for c in "#;":
                head = head.split(c)[0].rstrip()
            if head.endswith("]"):
                sections.append(IniSection(head[1:-1], index, last=index))
                continue
            raise IniError(f"line {index + 1}: unexpected line {line!r}")
        if not sections:
            raise IniError(f"line {index + 1}: no section header defined")
        section = sections[-1]
        section.last = index
        if not line[0].isspace():
            name, sep, value = line.partition("=")
            if not sep or ":" in name:
                name, sep, value = line.partition(":")
                if not sep:
                    raise IniError(f"line {index + 1}: unexpected line {line!r}")
            value = value.strip()
            section.entries.append(IniEntry(name.strip(), [value] if value else [], index, index))
        else:
            if not section.entries:
                raise IniError(f"line {index + 1}: unexpected value continuation")
            section.entries[-1].values.append(stripped)
            section.entries[-1].last = index
    return sections
