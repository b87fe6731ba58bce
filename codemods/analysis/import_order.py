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

import ast
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.isort_settings import DEFAULT, IsortSettings

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


def _key(
    stmt: cst.BaseStatement, first_party: Callable[[str], bool], settings: IsortSettings = DEFAULT
) -> Key:
    node = _import_line(stmt)
    assert node is not None
    fold = (lambda t: t) if settings.case_sensitive else str.lower
    straight, from_ = (1, 0) if settings.from_first else (0, 1)
    if settings.force_sort_within_sections:
        straight = from_ = 0
    if isinstance(node, cst.Import):
        name = get_full_name_for_node(node.names[0].name) or ""
        return (_section(name, first_party, settings), straight, 0, fold(name), _alias_key(node))
    name = (get_full_name_for_node(node.module) or "") if node.module is not None else ""
    if node.relative:
        distance = len(node.relative) if settings.relative_closest_first else -len(node.relative)
        return (LOCAL, from_, distance, fold(name or ""), _alias_key(node))
    return (
        _section(name or "", first_party, settings),
        from_,
        0,
        fold(name or ""),
        _alias_key(node),
    )


def ast_key(
    node: ast.Import | ast.ImportFrom,
    first_party: Callable[[str], bool],
    settings: IsortSettings = DEFAULT,
) -> Key:
    """:func:`_key` of the same one-import line, read off CPython's ``ast``: a block whose
    keys are out of order is not re-sorted (:func:`resort_imports`), which the ``ast`` paths
    can tell without parsing it with LibCST."""
    fold = (lambda t: t) if settings.case_sensitive else str.lower
    straight, from_ = (1, 0) if settings.from_first else (0, 1)
    if settings.force_sort_within_sections:
        straight = from_ = 0
    first = node.names[0]
    alias = (0, "*") if first.name == "*" else (first.asname is not None, first.name.lower())
    if isinstance(node, ast.Import):
        return (_section(first.name, first_party, settings), straight, 0, fold(first.name), alias)
    name = node.module or ""
    if node.level:
        distance = node.level if settings.relative_closest_first else -node.level
        return (LOCAL, from_, distance, fold(name), alias)
    return (_section(name, first_party, settings), from_, 0, fold(name), alias)


def _alias_key(node: cst.Import | cst.ImportFrom) -> tuple[int, str]:
    """Same module: ``from x import A`` before ``from x import A as B`` (isort's order)."""
    if isinstance(node.names, cst.ImportStar):
        return (0, "*")
    first = node.names[0]
    return (first.asname is not None, first.evaluated_name.lower())


def _section(
    module: str, first_party: Callable[[str], bool], settings: IsortSettings = DEFAULT
) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return FUTURE
    known = settings.known(module)
    if known is not None:
        return {"first": FIRST, "third": THIRD, "local": LOCAL, "stdlib": STDLIB}[known]
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


def resort_imports(
    original: BlockT,
    updated: BlockT,
    first_party: Callable[[str], bool],
    settings: IsortSettings = DEFAULT,
    indent: str | None = "",
) -> BlockT:
    """``updated`` (a module or an indented block) with each new ``from X import name`` merged
    into an existing ``from X import ...`` of the same import run (:func:`merge_from_imports`),
    and its leading import block in isort's order, if ``original``'s was."""
    updated = merge_from_imports(original, updated, settings, indent)
    before = _block(original.body)
    found = _block(updated.body)
    if before is None or found is None:
        return updated
    after: tuple[int, int] = found
    old = list(original.body[before[0] : before[1]])
    new = list(updated.body[after[0] : after[1]])
    if not _clean(old) or not _clean(new):
        return updated
    old_keys = [_key(s, first_party, settings) for s in old]
    if not _sorted_layout(old, old_keys):
        return updated
    keyed = sorted(
        ((_key(s, first_party, settings), i, s) for i, s in enumerate(new)),
        key=lambda t: (t[0], t[1]),
    )
    head = new[0].leading_lines if isinstance(new[0], cst.SimpleStatementLine) else ()
    result: list[cst.BaseStatement] = []
    previous: Key | None = None
    for key, _, stmt in keyed:
        assert isinstance(stmt, cst.SimpleStatementLine)
        if previous is None:
            lines: Sequence[cst.EmptyLine] = head
        elif key[0] != previous[0]:  # a blank line between sections: the line's own, if it
            # had one (its bytes kept), else an empty one (no indent: a blank line of spaces
            # inside a function is W293 to pycodestyle and ruff)
            own = stmt.leading_lines
            blank = len(own) == 1 and own[0].comment is None
            lines = own if blank else (cst.EmptyLine(indent=False),)
        else:
            lines = ()
        result.append(stmt.with_changes(leading_lines=lines))
        previous = key
    if [_code(s) for s in result] == [_code(s) for s in new]:
        return updated
    body = [*updated.body[: after[0]], *result, *updated.body[after[1] :]]
    return updated.with_changes(body=body)  # type: ignore[no-any-return]


# -- merging a new from-import into an existing one -------------------------------------------
def _member_key(alias: cst.ImportAlias, settings: IsortSettings) -> tuple[int, str, str, str]:
    """ruff's order of the names in one ``from x import ...``: constants, classes, the rest
    (``order-by-type``), then case-insensitively (unless ``case-sensitive``)."""
    name = alias.evaluated_name
    kind = 0
    if settings.order_by_type:
        if len(name) > 1 and name.isupper():
            kind = 0
        elif name[:1].isupper():
            kind = 1
        else:
            kind = 2
    folded = name if settings.case_sensitive else name.lower()
    asname = alias.evaluated_alias or ""
    return (kind, folded, name, asname)


def _alias_code(alias: cst.ImportAlias) -> str:
    return cst.Module(body=[]).code_for_node(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT))


def _from_signature(node: cst.ImportFrom) -> tuple[int, str] | None:
    if isinstance(node.names, cst.ImportStar):
        return None
    module = get_full_name_for_node(node.module) if node.module is not None else ""
    return (len(node.relative), module or "")


def _merged_text(
    target: cst.ImportFrom,
    added: Sequence[cst.ImportAlias],
    settings: IsortSettings,
    indent: str | None,
) -> str | None:
    """The text of ``target`` with the names ``added`` among its names, in ``target``'s
    layout; None when that layout is not one we can extend exactly."""
    names = list(target.names)  # type: ignore[arg-type]
    assert all(isinstance(a, cst.ImportAlias) for a in names)
    have = {(a.evaluated_name, a.evaluated_alias) for a in names}
    fresh = [a for a in added if (a.evaluated_name, a.evaluated_alias) not in have]
    if not fresh:
        return ""  # already there: the new statement is simply dropped
    keys = [_member_key(a, settings) for a in names]
    codes = [_alias_code(a) for a in names]
    in_order = keys == sorted(keys)
    for alias in fresh:
        new_key, new_code = _member_key(alias, settings), _alias_code(alias)
        at = (
            next((i for i, k in enumerate(keys) if k > new_key), len(keys))
            if in_order
            else len(keys)
        )
        keys.insert(at, new_key)
        codes.insert(at, new_code)
    head = cst.Module(body=[]).code_for_node(
        target.with_changes(names=[names[0]], lpar=None, rpar=None)
    )
    head = head[: head.rindex(" import ") + len(" import ")]
    text = cst.Module(body=[]).code_for_node(target)
    trailing = names[-1].comma is not cst.MaybeSentinel.DEFAULT
    if target.lpar is None:
        line = head + ", ".join(codes)
        if indent is not None and len(indent) + len(line) <= settings.line_length:
            return line
        if indent is None:
            return None
        inner = indent + "    "
        return head + "(\n" + "".join(f"{inner}{c},\n" for c in codes) + indent + ")"
    if "\n" not in text:  # from x import (a, b)
        one = head + "(" + ", ".join(codes) + ("," if trailing else "") + ")"
        return (
            one if indent is not None and len(indent) + len(one) <= settings.line_length else None
        )
    lines = text.split("\n")
    body = lines[1:-1]
    if len(body) != len(names) or not lines[0].endswith("("):
        return None  # several names on a line: not a layout ruff keeps
    inner = body[0][: len(body[0]) - len(body[0].lstrip())]
    if not all(
        b.startswith(inner) and b.strip().rstrip(",") == c
        for b, c in zip(body, [_alias_code(a) for a in names], strict=True)
    ):
        return None
    close = lines[-1]
    if close.strip() != ")":
        return None
    out = [lines[0]]
    for index, code in enumerate(codes):
        last = index == len(codes) - 1
        out.append(f"{inner}{code}{',' if (trailing or not last) else ''}")
    out.append(close)
    return "\n".join(out)


def _merge_target(
    stmt: cst.BaseStatement, before: set[str], signature: tuple[int, str] | None
) -> cst.ImportFrom | None:
    """``stmt``'s from-import if it was there before, names the module, and has no comment."""
    node = _import_line(stmt)
    if not isinstance(node, cst.ImportFrom) or _from_signature(node) != signature:
        return None
    code = _code(stmt)
    return node if code in before and "#" not in code else None


def _aliases(node: cst.ImportFrom) -> list[cst.ImportAlias]:
    return [] if isinstance(node.names, cst.ImportStar) else list(node.names)


def _merge_one(
    body: list[cst.BaseStatement],
    index: int,
    run: range,
    before: set[str],
    settings: IsortSettings,
    indent: str | None,
) -> bool:
    """Merge the new statement ``body[index]`` into one of the statements ``run`` of ``body``."""
    node = _import_line(body[index])
    assert isinstance(node, cst.ImportFrom)
    added = _aliases(node)
    signature = _from_signature(node)
    for other in run:
        into = _merge_target(body[other], before, signature) if other != index else None
        if into is None:
            continue
        assert isinstance(into, cst.ImportFrom)
        aliases = [*_aliases(into), *added]
        if not settings.combine_as_imports and any(a.asname is not None for a in aliases):
            continue
        low, high = sorted((other, index))
        if any(
            _binds(body[k], a.evaluated_alias or a.evaluated_name.split(".")[0])
            for a in added
            for k in range(low + 1, high)
        ):
            continue
        text = _merged_text(into, added, settings, indent)
        if text is None:
            continue
        old_line = body[other]
        assert isinstance(old_line, cst.SimpleStatementLine)
        if text:
            parsed = cst.parse_statement(text + "\n")
            assert isinstance(parsed, cst.SimpleStatementLine)
            body[other] = old_line.with_changes(body=parsed.body)
        del body[index]
        return True
    return False


def merge_from_imports(
    original: BlockT, updated: BlockT, settings: IsortSettings = DEFAULT, indent: str | None = ""
) -> BlockT:
    """Merge every new ``from X import a[, b, ...]`` (a statement of ``updated`` that
    ``original`` did not have, in any layout) into an ``from X import ...`` of the same module
    that was there before, in the same run of import lines, in that statement's layout (one
    line, one parenthesised line, or one name per line) with each name at its sorted place.

    Not merged: with ``force-single-line``; an ``as`` name (on either side) unless
    ``combine-as-imports``; a statement with comments; a run where another import between the
    two binds the same name; a one-line result over the line length in an indented block
    (``indent`` None: its indentation is unknown here)."""
    if settings.force_single_line:
        return updated
    before = {_code(s) for s in original.body if _import_line(s) is not None}
    body: list[cst.BaseStatement] = list(updated.body)
    changed = False
    index = 0
    while index < len(body):
        stmt = body[index]
        node = _import_line(stmt)
        code = _code(stmt) if node is not None else ""
        if (
            not isinstance(node, cst.ImportFrom)
            or code in before
            or isinstance(node.names, cst.ImportStar)
            or "#" in code
        ):
            index += 1
            continue
        start = index
        while start > 0 and _import_line(body[start - 1]) is not None:
            start -= 1
        end = index
        while end + 1 < len(body) and _import_line(body[end + 1]) is not None:
            end += 1
        merged = _merge_one(body, index, range(start, end + 1), before, settings, indent)
        changed = changed or merged
        if not merged:
            index += 1
    return updated.with_changes(body=body) if changed else updated  # type: ignore[return-value]


def _binds(stmt: cst.BaseStatement, name: str) -> bool:
    node = _import_line(stmt)
    if node is None or isinstance(node.names, cst.ImportStar):
        return False
    for alias in node.names:
        bound = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
        if bound == name:
            return True
    return False
