"""Compare a recipe's output with a hand fix up to the order of the top-level import block.

A step that moves an import (``rename_module``, ``rename_symbol``) puts the new import where
isort would, while a person usually edits the line where it was. Both are the same fix: the
self-check compares the two files' first top-level run of import statements as multisets of
statements (matched with runs of whitespace collapsed, then compared as written; the names
of a one-line ``from m import b, a`` in any order; comment lines between the imports are
items of their own; blank lines are not compared) and everything else byte for byte.

>>> hand = b"import sys\\nfrom app.new import X\\nimport os\\n\\nX()\\n"
>>> tool = b"import os\\nimport sys\\n\\nfrom app.new import X\\n\\nX()\\n"
>>> canonical(tool, hand) == hand
True
"""

from __future__ import annotations

import ast
import warnings

_Item = tuple[bytes, list[bytes]]  # (normalised text, b"" for a blank line; the lines as written)
_Block = tuple[int, int, list[_Item]]  # first line, line after the last (0-based), items


def _block(data: bytes) -> _Block | None:
    """Where the file's first run of top-level import statements is, and what it holds, line
    by line: each statement (or comment line, or blank line) once."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    run: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            run.append(stmt)
        elif run:
            break
    if not run:
        return None
    lines = data.splitlines(keepends=True)
    start, end = run[0].lineno - 1, (run[-1].end_lineno or run[-1].lineno)
    spans: dict[int, int] = {}
    for stmt in run:
        first, last = stmt.lineno - 1, (stmt.end_lineno or stmt.lineno)
        if any(first < e and s < last for s, e in spans.items()):
            return None  # two statements on one line (`import a; import b`): no order to compare
        spans[first] = last
    items: list[_Item] = []
    number = start
    while number < end:
        last = spans.get(number, number + 1)
        raw = lines[number:last]
        items.append((_normal(raw), raw))
        number = last
    return start, end, items


def _normal(lines: list[bytes]) -> bytes:
    text = b"\n".join(b" ".join(line.split()) for line in lines)
    head, sep, names = text.partition(b" import ")
    if sep and head.startswith(b"from ") and not any(c in text for c in b"\n#()\\;"):
        # `from m import b, a` is `from m import a, b`: the order of the names is import order
        return head + sep + b", ".join(sorted(n.strip() for n in names.split(b",")))
    return text


def _loose(key: bytes) -> bool:
    """A one-line ``from m import a, b``: its text is its key up to the order of the names."""
    return key.startswith(b"from ") and b"\n" not in key and b"#" not in key


def canonical(output: bytes, expected: bytes) -> bytes | None:
    """``output`` with its import block's statements put in ``expected``'s order.

    Each statement of the output's block takes the place of the same statement (normalised)
    in the hand fix's block, keeping its own text; statements only the hand fix has are left
    out and statements only the output has go at the end of the block, so they still show
    as differences. Blank lines are the hand fix's. ``None`` when there is nothing to
    reorder (no import block in one of them, or the result is the output itself).
    """
    if output == expected:
        return None
    mine, theirs = _block(output), _block(expected)
    if mine is None or theirs is None:
        return None
    spare: dict[bytes, list[list[bytes]]] = {}
    for key, raw in mine[2]:
        if key:
            spare.setdefault(key, []).append(raw)
    block: list[bytes] = []
    for key, raw in theirs[2]:
        if not key:
            block += raw  # a blank line: blank lines are not compared
        elif spare.get(key):
            mine_raw = spare[key].pop(0)
            block += raw if _loose(key) else mine_raw  # otherwise compared as written
    for left in spare.values():
        for raw in left:
            block += raw
    out_lines = output.splitlines(keepends=True)
    if block == out_lines[mine[0] : mine[1]]:
        return None
    return b"".join(out_lines[: mine[0]] + block + out_lines[mine[1] :])
