"""The project's import-sorting settings, read the way ruff's ``I`` rule and isort read them.

The first table found wins: ``[tool.ruff.lint.isort]``, then ``[tool.ruff.isort]`` of
``pyproject.toml``, then ``[lint.isort]`` / ``[isort]`` of ``ruff.toml`` / ``.ruff.toml``, then
``[tool.isort]`` of ``pyproject.toml``. Only the settings that change where or how a *new*
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

import tomllib
from dataclasses import dataclass, field
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


def parse_settings(pyproject: str | None, ruff_files: dict[str, str | None]) -> IsortSettings:
    """The settings from the text of ``pyproject.toml`` and of ``ruff.toml`` / ``.ruff.toml``."""
    data = _load(pyproject)
    ruff_length: Any = _table(data, "tool", "ruff") or {}
    ruff_length = ruff_length.get("line-length")
    found: tuple[str, dict[str, Any], Any] | None = None
    for path, label in (
        (("tool", "ruff", "lint", "isort"), "[tool.ruff.lint.isort]"),
        (("tool", "ruff", "isort"), "[tool.ruff.isort]"),
    ):
        table = _table(data, *path)
        if table is not None:
            found = (label, table, ruff_length)
            break
    if found is None:
        for name in ("ruff.toml", ".ruff.toml"):
            ruff = _load(ruff_files.get(name))
            for keys in (("lint", "isort"), ("isort",)):
                table = _table(ruff, *keys)
                if table is not None:
                    found = (f"{name} [{'.'.join(keys)}]", table, ruff.get("line-length"))
                    break
            if found is not None:
                break
    if found is None:
        table = _table(data, "tool", "isort")
        if table is not None:
            black = table.get("profile") == "black"
            length = table.get("line_length", table.get("line-length", 88 if black else 79))
            found = ("[tool.isort]", table, length)
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
