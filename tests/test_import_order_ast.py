"""The ``ast`` paths tell that a leading import block is out of isort's order (so the LibCST
path would leave it as it is) from :func:`codemods.analysis.import_order.ast_key`: it must
give LibCST's own key for every import line of code nobody here wrote, under each setting
that changes the key."""

from __future__ import annotations

import ast
import os
from dataclasses import replace
from pathlib import Path

import libcst as cst

from codemods.analysis.import_order import _import_line, _key, ast_key
from codemods.analysis.isort_settings import DEFAULT
from tests.stdlib_trees import stdlib_trees

STDLIB = Path(os.__file__).parent

SETTINGS = {
    "defaults": DEFAULT,
    "from-first, case-sensitive": replace(DEFAULT, from_first=True, case_sensitive=True),
    "force-sort-within-sections": replace(DEFAULT, force_sort_within_sections=True),
    "relative-closest-first, known": replace(
        DEFAULT,
        relative_closest_first=True,
        known_first_party=frozenset({"email"}),
        known_third_party=frozenset({"json"}),
        extra_standard_library=frozenset({"attr"}),
    ),
}


def _first_party(top: str) -> bool:
    return top in {"test", "idlelib", "encodings"}


def _import_lines() -> list[tuple[Path, ast.Import | ast.ImportFrom, cst.BaseStatement]]:
    """Every module-level one-import line of a part of the stdlib, in both trees."""
    found = []
    files = [*sorted(STDLIB.glob("*.py")), *sorted((STDLIB / "email").rglob("*.py"))]
    files += sorted((STDLIB / "asyncio").glob("*.py")) + sorted(
        (STDLIB / "test").glob("test_[a-c]*.py")
    )
    for path, text, tree in stdlib_trees(files):
        nodes = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
        if not nodes:
            continue
        # only the module's import lines, parsed by LibCST on their own (fast)
        head = "".join(ast.get_source_segment(text, n) + "\n" for n in nodes)  # type: ignore[operator]
        lines = [s for s in cst.parse_module(head).body if _import_line(s) is not None]
        assert len(lines) == len(nodes), path
        found += [(path, node, line) for node, line in zip(nodes, lines, strict=True)]
    return found


def test_the_ast_key_is_libcsts_key_on_the_stdlib() -> None:
    lines = _import_lines()
    assert len(lines) > 1000
    for name, settings in SETTINGS.items():
        for path, node, line in lines:
            got = ast_key(node, _first_party, settings)
            assert got == _key(line, _first_party, settings), (name, path, node.lineno)
