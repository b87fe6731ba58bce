"""Unified diffs of raw bytes that ``git apply`` and ``patch -p1`` accept.

Lines are split on ``\\n`` only, so CRLF, form feeds and other separators stay inside the
line they belong to; a last line without a newline gets git's ``\\ No newline at end of file``.
"""

from __future__ import annotations

import difflib
from typing import Literal

_Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]


def split_lines(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(old: bytes | None, new: bytes | None, relpath: str, context: int = 3) -> bytes:
    a = split_lines(old or b"")
    b = split_lines(new or b"")
    # a file name that is not UTF-8 keeps its own bytes (what `patch` and `git apply` need)
    from_name = b"/dev/null" if old is None else f"a/{relpath}".encode("utf-8", "surrogateescape")
    to_name = b"/dev/null" if new is None else f"b/{relpath}".encode("utf-8", "surrogateescape")
    codes = _line_for_line(a, b)
    matcher: difflib.SequenceMatcher[bytes] = (
        difflib.SequenceMatcher(None, a, b) if codes is None else _Known(codes)
    )
    out: list[bytes] = []
    for group in matcher.get_grouped_opcodes(context):
        if not out:
            out += (b"--- ", from_name, b"\n+++ ", to_name, b"\n")
        first, last = group[0], group[-1]
        out += (
            b"@@ -",
            _range(first[1], last[2]),
            b" +",
            _range(first[3], last[4]),
            b" @@\n",
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += (_line(b" ", line) for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                out += (_line(b"-", line) for line in a[i1:i2])
            if tag in ("replace", "insert"):
                out += (_line(b"+", line) for line in b[j1:j2])
    return b"".join(out)


class _Known(difflib.SequenceMatcher[bytes]):
    """A matcher whose opcodes are already known: ``difflib`` only groups them into hunks."""

    def __init__(self, codes: list[_Opcode]) -> None:
        super().__init__(None, [], [])
        self._codes = codes

    def get_opcodes(self) -> list[_Opcode]:
        return self._codes


def _line(marker: bytes, line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return marker + line
    return marker + line + b"\n\\ No newline at end of file\n"


def _range(start: int, stop: int) -> bytes:
    """A hunk's line range as unified diffs write it (``difflib``'s, as bytes)."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return b"%d" % beginning
    if not length:
        beginning -= 1  # an empty range begins at the line before it
    return b"%d,%d" % (beginning, length)


def _line_for_line(a: list[bytes], b: list[bytes]) -> list[_Opcode] | None:
    """The opcodes of an edit that kept every line where it was (same line count: most of a
    rename's edits), each run of changed lines a ``replace``, without ``SequenceMatcher``'s
    search for the longest matches, the main process's largest cost over thousands of
    changed files. ``None`` when the line counts differ, or when a changed line equals
    another line of the other side (a moved line: ``difflib`` may align it elsewhere)."""
    if len(a) != len(b):
        return None
    codes: list[_Opcode] = []
    start = 0
    index, count = 0, len(a)
    changed_a: list[bytes] = []
    changed_b: list[bytes] = []
    while index < count:
        if a[index] == b[index]:
            index += 1
            continue
        end = index
        while end < count and a[end] != b[end]:
            changed_a.append(a[end])
            changed_b.append(b[end])
            end += 1
        if start < index:
            codes.append(("equal", start, index, start, index))
        codes.append(("replace", index, end, index, end))
        start = index = end
    if start < count:
        codes.append(("equal", start, count, start, count))
    if changed_a and (set(changed_a) & set(b) or set(changed_b) & set(a)):
        return None
    return codes
