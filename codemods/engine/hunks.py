"""Split one file's change into hunks, and rebuild the file from a chosen subset of them.

A hunk is what ``git add -p`` shows: a run of changed lines plus up to ``context`` lines of
unchanged code around it, with nearby changes merged into one hunk. Choosing hunks is
byte-exact: lines are split on ``\\n`` only (see :mod:`codemods.engine.diff`), so line
endings, encodings and trailing whitespace survive whichever hunks are kept. A partial
result is only safe to write if it still parses: check it with :func:`check_partial`.

For example, with hunks 0 and 2 of three accepted::

    new = apply_hunks(old, hunks, {0: ACCEPT, 2: ACCEPT})
"""

from __future__ import annotations

import configparser
import difflib
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from codemods.engine.diff import split_lines
from codemods.engine.transform import verify

#: Marker for "take the hunk as proposed" in :func:`apply_hunks` choices.
ACCEPT = None


@dataclass(frozen=True)
class Hunk:
    """One reviewable change: ``old_lines[old_start:old_end]`` becomes ``new_lines``.

    Line numbers are 0-based indexes into the old and new files' lines; ``before`` and
    ``after`` are the unchanged context lines shown around the change (not part of it).
    """

    index: int
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    removed: tuple[bytes, ...]
    added: tuple[bytes, ...]
    before: tuple[bytes, ...] = ()
    after: tuple[bytes, ...] = ()
    # the changed region may hold unchanged lines between two nearby edits:
    # (tag, old lines, new lines) in order, tag one of "equal", "replace", "delete", "insert"
    parts: tuple[tuple[str, tuple[bytes, ...], tuple[bytes, ...]], ...] = ()

    @property
    def header(self) -> str:
        """``@@ -12,4 +12,5 @@`` for this hunk with its context, as in a unified diff."""
        old_first = self.old_start - len(self.before)
        new_first = self.new_start - len(self.before)
        old_len = len(self.before) + (self.old_end - self.old_start) + len(self.after)
        new_len = len(self.before) + (self.new_end - self.new_start) + len(self.after)
        return f"@@ -{_range(old_first, old_len)} +{_range(new_first, new_len)} @@"

    def patch(self, relpath: str | None = None) -> bytes:
        """This hunk alone as a unified diff (with ``--- a/``/``+++ b/`` lines if ``relpath``)."""
        out = bytearray()
        if relpath is not None:
            out += f"--- a/{relpath}\n+++ b/{relpath}\n".encode("utf-8", "surrogateescape")
        out += self.header.encode() + b"\n"
        for line in self.before:
            out += _line(b" ", line)
        for tag, old, new in self.parts:
            if tag == "equal":
                for line in old:
                    out += _line(b" ", line)
                continue
            for line in old:
                out += _line(b"-", line)
            for line in new:
                out += _line(b"+", line)
        for line in self.after:
            out += _line(b" ", line)
        return bytes(out)

    @property
    def first_line(self) -> int:
        """1-based line of the old file where the change starts (for messages)."""
        return self.old_start + 1


def _line(prefix: bytes, line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return prefix + line
    return prefix + line + b"\n\\ No newline at end of file\n"


def _range(start: int, length: int) -> str:
    # unified diff convention: 1-based start; an empty range names the line before it
    first = start + 1 if length else start
    return f"{first}" if length == 1 else f"{first},{length}"


def split_hunks(old: bytes | None, new: bytes | None, context: int = 3) -> list[Hunk]:
    """The hunks that turn ``old`` into ``new`` (``None`` means the file does not exist)."""
    a = split_lines(old or b"")
    b = split_lines(new or b"")
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks: list[Hunk] = []
    for group in matcher.get_grouped_opcodes(context):
        changes = [op for op in group if op[0] != "equal"]
        if not changes:
            continue
        first, last = changes[0], changes[-1]
        i1, j1 = first[1], first[3]
        i2, j2 = last[2], last[4]
        lead = group[0] if group[0][0] == "equal" else None
        tail = group[-1] if group[-1][0] == "equal" else None
        parts = tuple(
            (tag, tuple(a[x1:x2]), tuple(b[y1:y2]))
            for tag, x1, x2, y1, y2 in group
            if x1 >= i1 and x2 <= i2 and y1 >= j1 and y2 <= j2
        )
        hunks.append(
            Hunk(
                index=len(hunks),
                old_start=i1,
                old_end=i2,
                new_start=j1,
                new_end=j2,
                removed=tuple(a[i1:i2]),
                added=tuple(b[j1:j2]),
                before=tuple(a[lead[1] : lead[2]]) if lead else (),
                after=tuple(a[tail[1] : tail[2]]) if tail else (),
                parts=parts,
            )
        )
    return hunks


def apply_hunks(
    old: bytes | None, hunks: Sequence[Hunk], choices: Mapping[int, bytes | None]
) -> bytes:
    """Rebuild the file: hunks whose index is in ``choices`` are applied, the rest are not.

    ``choices[i]`` is :data:`ACCEPT` (``None``) to take hunk ``i`` as proposed, or the bytes
    that replace its changed region instead (an edited hunk).
    """
    a = split_lines(old or b"")
    out = bytearray()
    pos = 0
    for hunk in sorted(hunks, key=lambda h: h.old_start):
        out += b"".join(a[pos : hunk.old_start])
        if hunk.index in choices:
            chosen = choices[hunk.index]
            out += b"".join(hunk.added) if chosen is None else chosen
        else:
            out += b"".join(hunk.removed)
        pos = hunk.old_end
    out += b"".join(a[pos:])
    return bytes(out)


def check_partial(old: bytes | None, partial: bytes, filename: str) -> str | None:
    """Why a file rebuilt from some of its hunks must not be written, or ``None``.

    Python files must parse (and compile, if the original did); the configuration files that
    whole-tree steps edit must still load as TOML or INI if the original did.
    """
    if old is not None and partial == old:
        return None
    suffix = PurePosixPath(filename).suffix
    if suffix in (".py", ".pyi"):
        return verify(old or b"", partial, filename)
    if suffix == ".toml":
        return _config_problem(old, partial, _load_toml)
    if suffix in (".ini", ".cfg"):
        return _config_problem(old, partial, _load_ini)
    return None


def _config_problem(old: bytes | None, new: bytes, load: Callable[[str], object]) -> str | None:
    try:
        load(new.decode("utf-8"))
    except Exception as exc:
        if old is not None:
            try:
                load(old.decode("utf-8"))
            except Exception:
                return None  # it did not load before either
        return f"the result does not load: {exc}"
    return None


def _load_toml(text: str) -> object:
    return tomllib.loads(text)


def _load_ini(text: str) -> object:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser
