"""A module's text as CPython's ``ast`` positions see it, and edits spliced into it.

``ast`` nodes carry ``lineno`` (1-based; ``\\n``, ``\\r\\n`` and a lone ``\\r`` each end a line)
and ``col_offset`` (UTF-8 bytes into that line, whatever the file's declared encoding). This
module maps those positions to offsets in the decoded text, so that a step can say "replace
these characters by that text", as ruff applies its fixes, without LibCST ever seeing the file.
Everything outside the edited spans stays byte for byte what it was: the text is decoded with
the file's own encoding (PEP 263 cookie, BOM) and encoded back with it, and a file for which
that round trip is not exact gets no text edits at all (:func:`TextMap.of` returns None).

>>> m = TextMap.of(b"x = f(a=1)\\r\\ny = 2\\r\\n")
>>> m.offset(1, 6), m.text[m.offset(1, 6)]
(6, 'a')
>>> apply_edits(m, [TextEdit(6, 7, "b")])
b'x = f(b=1)\\r\\ny = 2\\r\\n'
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import tokenize
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace ``text[start:end]`` (character offsets of :attr:`TextMap.text`) by ``new``."""

    start: int
    end: int
    new: str


class TextMap:
    """The decoded text of a file, with ``ast`` (line, UTF-8 column) -> text offset."""

    __slots__ = ("_ascii", "_starts", "bom", "encoding", "text")

    def __init__(self, text: str, encoding: str, bom: bool) -> None:
        self.text = text
        self.encoding = encoding
        self.bom = bom
        self._starts = [0] + [m.end() for m in _LINE_END.finditer(text)]
        self._ascii = text.isascii()

    @classmethod
    def of(cls, data: bytes) -> TextMap | None:
        """The file's text, or None when decoding and encoding back would not give ``data``."""
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            return None
        bom = data.startswith(codecs.BOM_UTF8)
        body = data[len(codecs.BOM_UTF8) :] if bom else data
        if encoding == "utf-8-sig":
            encoding = "utf-8"
        try:
            text = body.decode(encoding)
            if encoding != "utf-8" and text.encode(encoding) != body:
                return None
        except (LookupError, UnicodeError):
            return None
        return cls(text, encoding, bom)

    def offset(self, lineno: int, col_offset: int) -> int:
        """The text offset of an ``ast`` position (``col_offset`` in UTF-8 bytes)."""
        start = self._starts[lineno - 1]
        if self._ascii:
            return start + col_offset
        end = self._starts[lineno] if lineno < len(self._starts) else len(self.text)
        line = self.text[start:end]
        if line.isascii():
            return start + col_offset
        return start + len(line.encode("utf-8")[:col_offset].decode("utf-8", errors="replace"))

    def span(
        self, node: ast.expr | ast.stmt | ast.keyword | ast.alias | ast.arg
    ) -> tuple[int, int]:
        """Start and end text offsets of ``node``."""
        end_line, end_col = node.end_lineno, node.end_col_offset
        assert end_line is not None and end_col is not None
        return self.offset(node.lineno, node.col_offset), self.offset(end_line, end_col)

    def segment(self, node: ast.expr | ast.stmt | ast.keyword | ast.alias | ast.arg) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def position(self, offset: int) -> tuple[int, int]:
        """The ``ast`` position (line, UTF-8 column) of a text offset."""
        line = bisect_right(self._starts, offset)
        start = self._starts[line - 1]
        if self._ascii:
            return line, offset - start
        return line, len(self.text[start:offset].encode("utf-8"))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of a text offset, as diagnostics give them."""
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


#: Where a backslash matters to a search for a name or a dotted path: an escape that can
#: spell a name's character in a string's value (``\x74``, ``\u0074``, ``\U...``,
#: ``\N{...}``, octal ``\164``) or a backslash ending the line (in a string it joins the next
#: line to the value). ``\n``, ``\t``, ``\\``, ``\d`` and the like spell no such character;
#: in a raw string nothing is an escape (a superset is searched).
ESCAPES = re.compile(r"\\[xuUN0-7\n\r]")


def lines_spelling(text: str, words: Iterable[str], *, escapes: bool = False) -> list[int]:
    """The sorted 1-based numbers of the lines of ``text`` (split at ``\n``) on which one of
    ``words`` occurs, anywhere (inside a longer word too), or (``escapes``) a backslash that
    may matter (:data:`ESCAPES`): the lines an ``ast`` walk must visit to see every node that
    could spell one of them."""
    hits: list[int] = []
    for word in words:
        if not word:
            continue
        at = text.find(word)
        while at >= 0:
            hits.append(at)
            at = text.find(word, at + len(word))
    if escapes:
        hits.extend(m.start() for m in ESCAPES.finditer(text))
    hits.sort()
    found: list[int] = []
    line, counted = 1, 0
    for at in hits:  # the newlines before each hit, counted once over the whole text
        line += text.count("\n", counted, at)
        counted = at
        if not found or found[-1] != line:
            found.append(line)
    return found


def reaches(lines: Sequence[int], first: int, last: int) -> bool:
    """Whether the sorted ``lines`` hold one of ``first`` .. ``last``."""
    at = bisect_left(lines, first)
    return at < len(lines) and lines[at] <= last


def apply_edits(text_map: TextMap, edits: Sequence[TextEdit]) -> bytes:
    """The file's bytes with ``edits`` applied (they must not overlap), encoded as it was.

    Raises ValueError for overlapping edits or text the file's encoding cannot hold.
    """
    text = text_map.text
    out: list[str] = []
    position = 0
    for edit in sorted(edits):
        if edit.start < position or edit.end < edit.start or edit.end > len(text):
            raise ValueError(f"overlapping or out-of-range edit {edit}")
        out += [text[position : edit.start], edit.new]
        position = edit.end
    out.append(text[position:])
    encoded = "".join(out).encode(text_map.encoding)
    return codecs.BOM_UTF8 + encoded if text_map.bom else encoded


@lru_cache(maxsize=256)
def word_re(word: str, not_after: str = r"\w.") -> re.Pattern[str]:
    r"""``word`` where no word character follows it and none of ``not_after`` (a character class
    body) comes right before it: ``(?<![\w.])word(?!\w)``, written with the look-behind after
    the literal (``word(?<![\w.]word)(?!\w)``, the same matches) so that the regex engine
    searches for the literal first instead of trying the look-behind at every position (about
    50x faster over a large module)."""
    escaped = re.escape(word)
    return re.compile(rf"{escaped}(?<![{not_after}]{escaped})(?!\w)")
