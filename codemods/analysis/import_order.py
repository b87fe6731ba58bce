"""Keep a sorted import block sorted after a rewrite, the way isort / ruff's ``I`` rule sort it.

Only a block that was sorted before the rewrite is re-sorted after it, and only the module's
leading block of one-import lines (blank lines between sections allowed; no comments, no
other statements in between): a block the user keeps in another order, or one with comments,
stays as the rewrite left it. The order is isort's default profile, which is ruff's default:
sections ``__future__``, standard library, third party, first party, relative imports
(furthest first), one blank line between sections; in each section ``import x`` lines
before ``from x import y`` lines, modules compared case-insensitively.

>>> import libcst as cst
>>> before = cst.parse_module("import os\\nimport sys\\n\\nimport attr\\n\\nx = 1\\n")
>>> after = cst.parse_module("import os\\nimport sys\\n\\nimport zlib\\nimport attr\\n\\nx = 1\\n")
>>> print(resort_imports(before, after, lambda top: False).code, end="")
import os
import sys
import zlib
<BLANKLINE>
import attr
<BLANKLINE>
x = 1
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

import libcst as cst
from libcst.helpers import get_full_name_for_node

FUTURE, STDLIB, THIRD, FIRST, LOCAL = range(5)
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))

BlockT = TypeVar("BlockT", cst.Module, cst.IndentedBlock)
Key = tuple[int, int, int, str, tuple[int, str]]


def _block(body: Sequence[cst.BaseStatement]) -> tuple[int, int] | None:
    """(start, end) of the leading import block in ``body`` (after a docstring), or None."""
    start = 0
    if body and _is_docstring(body[0]):
        start = 1
    end = start
    while end < len(body) and _import_line(body[end]) is not None:
        end += 1
    return (start, end) if end - start >= 1 else None


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _import_line(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    return small if isinstance(small, cst.Import | cst.ImportFrom) else None


def _key(stmt: cst.BaseStatement, first_party: Callable[[str], bool]) -> Key:
    node = _import_line(stmt)
    assert node is not None
    if isinstance(node, cst.Import):
        name = get_full_name_for_node(node.names[0].name) or ""
        return (_section(name, first_party), 0, 0, name.lower(), _alias_key(node))
    name = (get_full_name_for_node(node.module) or "") if node.module is not None else ""
    if node.relative:
        return (LOCAL, 1, -len(node.relative), (name or "").lower(), _alias_key(node))
    return (_section(name or "", first_party), 1, 0, (name or "").lower(), _alias_key(node))


def _alias_key(node: cst.Import | cst.ImportFrom) -> tuple[int, str]:
    """Same module: ``from x import A`` before ``from x import A as B`` (isort's order)."""
    if isinstance(node.names, cst.ImportStar):
        return (0, "*")
    first = node.names[0]
    return (first.asname is not None, first.evaluated_name.lower())


def _section(module: str, first_party: Callable[[str], bool]) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return FUTURE
    if top in _STDLIB:
        return STDLIB
    return FIRST if first_party(top) else THIRD


def _code(stmt: cst.BaseStatement) -> str:
    return cst.Module(body=[stmt]).code  # type: ignore[list-item]


def _clean(stmts: Sequence[cst.BaseStatement]) -> bool:
    """No comments anywhere in the block's lines, and no ``;`` or trailing comment."""
    for index, stmt in enumerate(stmts):
        assert isinstance(stmt, cst.SimpleStatementLine)
        if any(line.comment is not None for line in stmt.leading_lines):
            return False
        if index and len(stmt.leading_lines) > 1:
            return False
        if stmt.trailing_whitespace.comment is not None or "#" in _code(stmt):
            return False
    return True


def _sorted_layout(stmts: Sequence[cst.BaseStatement], keys: list[Key]) -> bool:
    """Whether ``stmts`` are in isort's order, one blank line exactly between sections."""
    if keys != sorted(keys):
        return False
    for index in range(1, len(stmts)):
        stmt = stmts[index]
        assert isinstance(stmt, cst.SimpleStatementLine)
        blank = len(stmt.leading_lines) == 1
        if blank != (keys[index][0] != keys[index - 1][0]):
            return False
    return True


def resort_imports(original: BlockT, updated: BlockT, first_party: Callable[[str], bool]) -> BlockT:
    """``updated`` (a module or an indented block) with its leading import block in isort's
    order, if ``original``'s was."""
    before = _block(original.body)
    found = _block(updated.body)
    if before is None or found is None:
        return updated
    after: tuple[int, int] = found
    old = list(original.body[before[0] : before[1]])
    new = list(updated.body[after[0] : after[1]])
    if not _clean(old) or not _clean(new):
        return updated
    old_keys = [_key(s, first_party) for s in old]
    if not _sorted_layout(old, old_keys):
        return updated
    keyed = sorted(
        ((_key(s, first_party), i, s) for i, s in enumerate(new)), key=lambda t: (t[0], t[1])
    )
    head = new[0].leading_lines if isinstance(new[0], cst.SimpleStatementLine) else ()
    result: list[cst.BaseStatement] = []
    previous: Key | None = None
    for key, _, stmt in keyed:
        assert isinstance(stmt, cst.SimpleStatementLine)
        if previous is None:
            lines: Sequence[cst.EmptyLine] = head
        elif key[0] != previous[0]:
            lines = (cst.EmptyLine(),)
        else:
            lines = ()
        result.append(stmt.with_changes(leading_lines=lines))
        previous = key
    if [_code(s) for s in result] == [_code(s) for s in new]:
        return updated
    body = [*updated.body[: after[0]], *result, *updated.body[after[1] :]]
    return updated.with_changes(body=body)  # type: ignore[no-any-return]
