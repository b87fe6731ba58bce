"""Where two versions of a file differ inside expressions: the raw material of learned patterns.

:func:`statement_sites` walks the "before" and "after" statements in parallel with the stdlib
``ast`` (changed runs paired by likeness, import statements left out) and returns each pair
of expressions where the trees first differ: ``c.fetch_all(url)`` and ``fetch(c, url)``.
:func:`reused_parts` says which parts of the old expression the new one reuses (the future
metavariables); :func:`skeleton` is an expression's shape with those parts cut out, so sites
of one rule have equal skeletons. :func:`segment` reads a node's exact source bytes.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from typing import Any


def same(b: ast.AST, a: ast.AST) -> bool:
    return ast.dump(b) == ast.dump(a)


def sites(b: Any, a: Any) -> list[tuple[ast.expr, ast.expr]] | None:
    """The expressions where ``b`` and ``a`` differ; ``None``: they differ in a way only the
    enclosing expression can explain (a keyword's name, a different number of arguments)."""
    if isinstance(b, ast.AST) and isinstance(a, ast.AST) and same(b, a):
        return []
    if type(b) is not type(a):
        return [(b, a)] if isinstance(b, ast.expr) and isinstance(a, ast.expr) else None
    if isinstance(b, ast.Import | ast.ImportFrom):
        return []  # the import steps' business
    found: list[tuple[ast.expr, ast.expr]] = []
    for name in b._fields:
        if name in ("ctx", "type_comment", "type_ignores"):
            continue
        vb, va = getattr(b, name, None), getattr(a, name, None)
        sub: list[tuple[ast.expr, ast.expr]] | None
        if isinstance(vb, list) and isinstance(va, list):
            if any(isinstance(x, ast.stmt) for x in vb + va):
                sub = statement_sites(vb, va)
            elif len(vb) != len(va):
                sub = None
            else:
                sub = []
                for x, y in zip(vb, va, strict=True):
                    more = sites(x, y)
                    if more is None:
                        sub = None
                        break
                    sub += more
        elif isinstance(vb, ast.AST) and isinstance(va, ast.AST):
            sub = sites(vb, va)
            if isinstance(b, ast.Call) and name == "func" and sub == [(vb, va)]:
                sub = None  # `x.old(...)` -> `x.new(...)`: the call is the site
        else:
            sub = [] if vb == va else None
        if sub is None:
            return [(b, a)] if isinstance(b, ast.expr) else None
        found += sub
    return found


def statement_sites(
    before: Sequence[ast.AST], after: Sequence[ast.AST]
) -> list[tuple[ast.expr, ast.expr]]:
    """Sites of the statements that line up (same count in a changed run; imports left out);
    others are not pattern rewrites (added or deleted statements) and give none."""
    before = [s for s in before if not isinstance(s, ast.Import | ast.ImportFrom)]
    after = [s for s in after if not isinstance(s, ast.Import | ast.ImportFrom)]
    left, right = [ast.dump(s) for s in before], [ast.dump(s) for s in after]
    out: list[tuple[ast.expr, ast.expr]] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            for x, y in paired(before[i1:i2], after[j1:j2]):
                out += sites(x, y) or []
    return out


def paired(before: Sequence[ast.AST], after: Sequence[ast.AST]) -> list[tuple[ast.AST, ast.AST]]:
    """Pair the changed statements of a run in order, most alike first (as ``difflib.ndiff``
    pairs changed lines): an added or removed statement among them pairs with nothing."""
    if len(before) == len(after):
        return list(zip(before, after, strict=True))
    if not before or not after:
        return []
    texts_b, texts_a = [ast.unparse(s) for s in before], [ast.unparse(s) for s in after]
    best, where = 0.6, None  # below this, two statements are not one statement changed
    for i, tb in enumerate(texts_b):
        for j, ta in enumerate(texts_a):
            ratio = difflib.SequenceMatcher(None, tb, ta, autojunk=False).ratio()
            if ratio > best:
                best, where = ratio, (i, j)
    if where is None:
        return []
    i, j = where
    return [
        *paired(before[:i], after[:j]),
        (before[i], after[j]),
        *paired(before[i + 1 :], after[j + 1 :]),
    ]


def reused_parts(before: ast.expr, after: ast.expr) -> list[ast.expr]:
    """The largest parts of ``before`` that reappear in ``after``, in source order (a part
    that occurs twice is one hole: ``f($A, $A)``)."""
    wanted = {ast.dump(n) for n in ast.walk(after) if isinstance(n, ast.expr)}
    if isinstance(after, ast.Call):
        # `await f(x)` -> `f(x)`: the call is not one hole (`await $A` would match every
        # await) but its callee and arguments are
        wanted.discard(ast.dump(after))
    out: list[ast.expr] = []
    seen: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            key = ast.dump(child) if isinstance(child, ast.expr) else ""
            if isinstance(child, ast.expr) and key in wanted:
                if key not in seen:
                    seen.add(key)
                    out.append(child)
            else:
                visit(child)

    visit(before)
    return out


def skeleton(node: ast.expr, holes: dict[str, str]) -> str:
    """``node``'s shape with each hole (by its dump) replaced by its metavariable."""

    class Cut(ast.NodeTransformer):
        def visit(self, n: ast.AST) -> ast.AST:
            if isinstance(n, ast.expr) and ast.dump(n) in holes:
                return ast.Name(id=holes[ast.dump(n)], ctx=ast.Load())
            return super().visit(n)

    copy = ast.parse(ast.unparse(node), mode="eval").body
    return ast.dump(Cut().visit(copy))


def segment(data: bytes, node: ast.AST) -> bytes | None:
    lines = data.splitlines(keepends=True)
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
    start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    if end is None or last >= len(lines):
        return None
    if first == last:
        return lines[first][start:end]
    return lines[first][start:] + b"".join(lines[first + 1 : last]) + lines[last][:end]


def offset(data: bytes, line: int, col: int) -> int:
    lines = data.splitlines(keepends=True)
    return sum(len(x) for x in lines[: line - 1]) + col
