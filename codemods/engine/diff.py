"""Unified diffs of raw bytes that ``git apply`` and ``patch -p1`` accept.

Lines are split on ``\\n`` only, so CRLF, form feeds and other separators stay inside the
line they belong to; a last line without a newline gets git's ``\\ No newline at end of file``.
"""

from __future__ import annotations

import difflib


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
    out = bytearray()
    for line in difflib.diff_bytes(difflib.unified_diff, a, b, from_name, to_name, n=context):
        out += line
        if not line.endswith(b"\n"):
            out += b"\n\\ No newline at end of file\n"
    return bytes(out)
