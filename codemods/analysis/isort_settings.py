"""The project's import-sorting settings, read the way ruff's ``I`` rule and isort read them.

The ruff configuration closest to the file wins, as ruff picks it (:func:`settings_for`:
the nearest folder up to the project root with a ``.ruff.toml``, ``ruff.toml`` or a
``pyproject.toml`` with ``[tool.ruff]``; ``extend`` followed): its ``[lint.isort]`` /
``[isort]`` table; without one, isort's ``[tool.isort]`` of the closest ``pyproject.toml``. Only the settings that change where or how a *new*
import goes are read (both ``kebab-case`` and isort's ``snake_case`` spellings):

- sections: ``known-first-party``, ``known-third-party``, ``known-local-folder``,
  ``extra-standard-library``;
- order: ``force-sort-within-sections``, ``from-first``, ``case-sensitive``,
  ``order-by-type``, ``relative-imports-order``;
- merging: ``combine-as-imports``, ``force-single-line``, ``split-on-trailing-comma``, and the
  line length (``[tool.ruff] line-length``, isort's ``line_length``; 88, or isort's 79).

Everything else (profiles, custom sections, ``lines-after-imports``, ``force-to-top``, ...) is
ignored: a new import is placed with these, the rest of the file is never reformatted.

>>> s = parse_settings('[tool.ruff.lint.isort]\\nknown-first-party = ["app"]\\n', {})
>>> sorted(s.known_first_party), s.combine_as_imports, s.line_length
(['app'], False, 88)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class IsortSettings:
    """The settings that place a new import (defaults: ruff's ``I`` rule defaults)."""

    known_first_party: frozenset[str] = field(default_factory=frozenset)
    known_third_party: frozenset[str] = field(default_factory=frozenset)
    known_local_folder: frozenset[str] = field(default_factory=frozenset)
    extra_standard_library: frozenset[str] = field(default_factory=frozenset)
    force_sort_within_sections: bool = False
    from_first: bool = False
    case_sensitive: bool = False
    order_by_type: bool = True
    relative_closest_first: bool = False
    combine_as_imports: bool = False
    force_single_line: bool = False
    split_on_trailing_comma: bool = True
    line_length: int = 88
    source: str = "defaults"

    def known(self, module: str) -> str | None:
        """The section a ``known-*`` setting puts ``module`` in, if any."""
        for section, names in (
            ("first", self.known_first_party),
            ("third", self.known_third_party),
            ("local", self.known_local_folder),
            ("stdlib", self.extra_standard_library),
        ):
            if any(module == n or module.startswith(n + ".") for n in names):
                return section
        return None


DEFAULT = IsortSettings()


def _table(data: dict[str, Any], *path: str) -> dict[str, Any] | None:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None  # type: ignore[assignment]
        if data is None:
            return None
    return data if isinstance(data, dict) else None


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


_RUFF_NAMES = (".ruff.toml", "ruff.toml", "pyproject.toml")  # ruff's order within a folder


def _ruff_config(name: str, text: str | None) -> dict[str, Any] | None:
    """The ruff settings of one file: ``ruff.toml`` / ``.ruff.toml`` whole, ``pyproject.toml``'s
    ``[tool.ruff]`` (a ``pyproject.toml`` without it is not a ruff config, as ruff decides)."""
    if text is None:
        return None
    data = _load(text)
    if name == "pyproject.toml":
        return _table(data, "tool", "ruff")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over``'s settings win, table by table (ruff's ``extend``)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_settings(pyproject: str | None, ruff_files: dict[str, str | None]) -> IsortSettings:
    """The settings from the text of one folder's ``pyproject.toml`` and ``ruff.toml`` /
    ``.ruff.toml`` (ruff's order: ``.ruff.toml``, ``ruff.toml``, then ``[tool.ruff]``)."""
    texts = {**ruff_files, "pyproject.toml": pyproject}
    found = None
    for name in _RUFF_NAMES:
        config = _ruff_config(name, texts.get(name))
        if config is not None:
            found = (name, config)
            break
    return from_config(found, _table(_load(pyproject), "tool", "isort"))


def settings_for(
    directory: Path, root: Path, read_text: Callable[[Path], str | None]
) -> IsortSettings:
    """The settings for a file in ``directory``, found as ruff finds them: the closest folder
    from ``directory`` up to the project ``root`` with a ``.ruff.toml``, ``ruff.toml`` or a
    ``pyproject.toml`` that has ``[tool.ruff]``; its ``extend = "..."`` is followed (inside the
    project only). Without a ruff isort table, the closest ``[tool.isort]`` (isort's own)."""
    root = Path(root)
    try:
        Path(directory).relative_to(root)
    except ValueError:
        directory = root
    found: tuple[str, dict[str, Any]] | None = None
    isort_table: dict[str, Any] | None = None
    current = Path(directory)
    while True:
        for name in _RUFF_NAMES:
            if found is not None and name != "pyproject.toml":
                continue
            text = read_text(current / name)
            if found is None:
                config = _ruff_config(name, text)
                if config is not None:
                    label = name if current == root else f"{(current / name).relative_to(root)}"
                    found = (label, _extended(config, current, root, read_text, 0))
            if name == "pyproject.toml" and isort_table is None:
                isort_table = _table(_load(text), "tool", "isort")
        if (found is not None and isort_table is not None) or current == root:
            break
        if current.parent == current:
            break
        current = current.parent
    return from_config(found, isort_table)


def _extended(
    config: dict[str, Any],
    folder: Path,
    root: Path,
    read_text: Callable[[Path], str | None],
    depth: int,
) -> dict[str, Any]:
    """``config`` over the file its ``extend`` names (relative to its folder), recursively."""
    extend = config.get("extend")
    if not isinstance(extend, str) or depth > 10:
        return config
    target = Path(os.path.normpath(folder / os.path.expanduser(extend)))
    try:
        target.relative_to(root)
    except ValueError:
        return config  # outside the project: never read
    base = _ruff_config(target.name, read_text(target))
    if base is None:
        return config
    return _merge(_extended(base, target.parent, root, read_text, depth + 1), config)


def from_config(
    ruff: tuple[str, dict[str, Any]] | None, isort_table: dict[str, Any] | None
) -> IsortSettings:
    """Settings from a ruff config (``(label, settings)``) or, without a ruff isort table in
    it, from isort's ``[tool.isort]`` table."""
    found: tuple[str, dict[str, Any], Any] | None = None
    ruff_length: Any = None
    if ruff is not None:
        name, config = ruff
        ruff_length = config.get("line-length")
        pyproject = name.endswith("pyproject.toml")
        for keys in (("lint", "isort"), ("isort",)):
            table = _table(config, *keys)
            if table is not None:
                dotted = ".".join(keys)
                label = f"[tool.ruff.{dotted}]" if pyproject else f"{name} [{dotted}]"
                if pyproject and name != "pyproject.toml":
                    label = f"{name} {label}"
                found = (label, table, ruff_length)
                break
    if found is None and isort_table is not None:
        black = isort_table.get("profile") == "black"
        length = isort_table.get("line_length", isort_table.get("line-length", 88 if black else 79))
        found = ("[tool.isort]", isort_table, length)
    if found is None:
        if isinstance(ruff_length, int):
            return IsortSettings(line_length=ruff_length, source="[tool.ruff]")
        return DEFAULT
    label, table, length = found

    def get(name: str, default: Any) -> Any:
        return table.get(name, table.get(name.replace("-", "_"), default))

    def names(name: str) -> frozenset[str]:
        value = get(name, ())
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        return frozenset(str(v) for v in value if str(v))

    profile_black = label == "[tool.isort]" and table.get("profile") == "black"
    return IsortSettings(
        known_first_party=names("known-first-party"),
        known_third_party=names("known-third-party"),
        known_local_folder=names("known-local-folder"),
        extra_standard_library=names("extra-standard-library") | names("extra-stdlib"),
        force_sort_within_sections=bool(get("force-sort-within-sections", False)),
        from_first=bool(get("from-first", False)),
        case_sensitive=bool(get("case-sensitive", False)),
        order_by_type=bool(get("order-by-type", True)),
        relative_closest_first=get("relative-imports-order", "") == "closest-to-furthest",
        combine_as_imports=bool(get("combine-as-imports", get("combine-as", profile_black))),
        force_single_line=bool(get("force-single-line", False)),
        split_on_trailing_comma=bool(get("split-on-trailing-comma", True)),
        line_length=int(length) if isinstance(length, int) else 88,
        source=label,
    )
