"""The ``register_markers`` step type. Its description is written once, in the docstring of
:class:`RegisterMarkers` (``codemod explain register_markers`` shows it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import libcst as cst
import tomlkit
from pydantic import Field
from tomlkit.items import Array, Table

from codemods.analysis.project import ProjectIndex
from codemods.analysis.pytest_config import (
    IniError,
    load_options,
    marker_names,
    parse_ini,
    pytest_config_for,
)
from codemods.analysis.pytest_facts import BUILTIN_MARKERS, PLUGIN_MARKERS
from codemods.analysis.pytest_marks import mark_uses
from codemods.steps._base import Example, FileContext, FileEdit, Needles, Step, StepOptions

_PENDING = "register_markers:pending-config-texts"


class RegisterMarkersOptions(StepOptions):
    description: str = Field(
        default="registered by codemod (describe me)",
        description="Description written after `name:` for each newly registered marker.",
    )
    descriptions: dict[str, str] = Field(
        default_factory=dict,
        description="Descriptions for particular marker names, overriding `description`.",
    )
    ignore: list[str] = Field(
        default_factory=list,
        description="More marker names never to register (e.g. marks of other installed plugins).",
    )
    create_config: bool = Field(
        default=True,
        description="When no pytest config file exists at all, create `pytest.ini` in the scanned directory.",
    )


class RegisterMarkers(Step[RegisterMarkersOptions]):
    """Register every pytest marker the tests use in the effective pytest configuration

    Unregistered marks fail collection under ``--strict-markers``. Marks used in the scanned
    files that are neither built in, from a common plugin, nor registered already (in the
    config or by a ``conftest.py``) are appended to the config file pytest uses for them,
    keeping its formatting and comments. Python files are never changed by this step.

    Example (``pyproject.toml``, after a test uses ``@pytest.mark.backend``)::

        [tool.pytest.ini_options]
        markers = [
            "integration: talks to real services",
            "backend: registered by codemod (describe me)",
        ]
    """

    Options: ClassVar = RegisterMarkersOptions
    order: ClassVar = 33
    examples: ClassVar = (
        Example(
            title="only the config file changes; the test file stays as it is",
            options={},
            path="tests/test_api.py",
            before="import pytest\n\n\n@pytest.mark.backend\ndef test_api():\n    pass\n",
        ),
    )

    def needles(self) -> Needles:
        # Every spelling of a pytest mark names the module somewhere in the file
        # (`pytest.mark.x`, `import pytest as pt`, `from pytest import mark`); a string mark
        # (`item.add_marker("x")`, e.g. in a conftest hook) needs `add_marker` instead.
        return [["mark", "pytest"], ["add_marker"]]

    def collect(self, module: cst.Module, ctx: FileContext) -> Any:
        used = mark_uses(module) - BUILTIN_MARKERS - PLUGIN_MARKERS - set(self.options.ignore)
        if not used:
            return None
        if ctx.project is None:
            return {"marks": sorted(used), "config": None}
        config = pytest_config_for(ctx.project, ctx.path)
        return {
            "marks": sorted(used - config.markers),
            "config": str(config.path) if config.path else None,
            "kind": config.kind,
            "root": str(ctx.project.root),
        }

    def finish(self, collected: list[tuple[str, Any]], project: ProjectIndex) -> list[FileEdit]:
        wanted: dict[Path, set[str]] = {}
        for _relpath, data in collected:
            if not data or not data["marks"] or "kind" not in data:
                continue
            if data["config"] is not None:
                target = Path(data["config"])
            elif self.options.create_config:
                target = Path(data["root"]) / "pytest.ini"
            else:
                continue
            wanted.setdefault(target, set()).update(data["marks"])
        pending: dict[Path, str] = project.memo(_PENDING, dict)
        edits = []
        for path, names in sorted(wanted.items()):
            on_disk = project.read_text(path)
            old = pending.get(path, on_disk)
            new = add_markers(path.name, old or "", self._entries(names, old or "", path.name))
            if new is None or new == old:
                continue
            pending[path] = new
            edits.append(
                FileEdit(path, None if old is None else old.encode("utf-8"), new.encode("utf-8"))
            )
        return edits

    def _entries(self, names: set[str], text: str, filename: str) -> list[str]:
        options = load_options(filename, text) if text else None
        present = set(marker_names((options or {}).get("markers")))
        return [
            f"{name}: {self.options.descriptions.get(name, self.options.description)}"
            for name in sorted(names - present)
        ]


def add_markers(filename: str, text: str, entries: list[str]) -> str | None:
    """``text`` of config file ``filename`` with ``entries`` added to its markers; None if
    the file cannot be edited safely (it does not parse)."""
    if not entries:
        return text
    if filename.endswith(".toml"):
        return _add_toml(filename, text, entries)
    return _add_ini(filename, text, entries)


def _add_ini(filename: str, text: str, entries: list[str]) -> str | None:
    try:
        sections = parse_ini(text)
    except IniError:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    name = "tool:pytest" if filename == "setup.cfg" else "pytest"
    section = next((s for s in sections if s.name == name), None)
    if section is None:
        block = [f"[{name}]{newline}", f"markers ={newline}"]
        block += [f"    {e}{newline}" for e in entries]
        if lines and lines[-1].strip():
            block.insert(0, newline)
        return "".join(lines + block)
    entry = section.entry("markers")
    if entry is None:
        block = [f"markers ={newline}", *(f"    {e}{newline}" for e in entries)]
        at = section.last + 1
    else:
        indent = "    "
        if entry.last > entry.line:
            last = lines[entry.last]
            indent = last[: len(last) - len(last.lstrip())]
        block = [f"{indent}{e}{newline}" for e in entries]
        at = entry.last + 1
    return "".join(lines[:at] + block + lines[at:])


def _add_toml(filename: str, text: str, entries: list[str]) -> str | None:
    try:
        doc = tomlkit.parse(text)
    except Exception:
        return None
    if filename == "pyproject.toml":
        tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
        pytest = tool.setdefault("pytest", tomlkit.table(is_super_table=True))
        native = [k for k in pytest if k != "ini_options"]
        table = pytest if native else pytest.setdefault("ini_options", tomlkit.table())
    else:
        table = doc.setdefault("pytest", tomlkit.table())
    if not isinstance(table, Table | dict):
        return None
    markers = table.get("markers")
    if markers is None:
        array = tomlkit.array()
        for e in entries:
            array.add_line(e, indent="    ")
        array.add_line(indent="")
        table["markers"] = array
    elif isinstance(markers, Array):
        multiline = "\n" in markers.as_string()
        for e in entries:
            if multiline:
                markers.add_line(e, indent=_array_indent(markers))
            else:
                markers.append(e)
    else:
        return None
    return tomlkit.dumps(doc)


def _array_indent(array: Array) -> str:
    for line in array.as_string().splitlines()[1:]:
        stripped = line.lstrip()
        if stripped.startswith(('"', "'")):
            return line[: len(line) - len(stripped)]
    return "    "
