"""Files the engine must not hand to the parser, decided from their bytes alone.

* **Too large**: LibCST needs minutes and gigabytes for tens of MB of source; such a file is
  reported and left alone (:data:`MAX_PARSE_BYTES`).
* **Too deeply nested**: LibCST's native parser recurses on nesting and on long operator
  chains, and overflows the C stack (a segfault that kills the whole run, not a Python
  exception) at about 1,500 nested brackets or 5,000 chained ``a + a + ...`` terms. A cheap
  byte scan flags the few files that could get there (deep brackets, very long lines or
  bracketed groups, thousands of ``elif`` or ``\\`` continuations); only those are first
  checked with CPython's own parser, which fails cleanly on the same input. Files CPython
  cannot compile are then reported, never given to LibCST.
* **Generated**: a file with a marker such as ``@generated`` in its first lines is rewritten
  by its generator, not by hand; it is skipped unless the run asks for generated files.
"""

from __future__ import annotations

import ast
import itertools
import operator
import re
import warnings

from codemods.analysis.per_file import one_file_cache

#: Files above this size are reported ("too large") instead of parsed.
MAX_PARSE_BYTES = 10_000_000

#: The default marker of generated files, looked for in the first :data:`GENERATED_LINES`.
GENERATED_MARKER = "@generated"
GENERATED_LINES = 10

_GUARD_MIN_BYTES = 2_000  # smaller files cannot reach a dangerous depth
_DEPTH = 100  # bracket nesting that warrants a check (CPython's own limit is 200)
#: Syntax-tree depth above which a file is not parsed (LibCST crashes at a few thousand).
MAX_TREE_DEPTH = 1_000
_SPAN = 6_000  # bytes in one line
_CHAIN = 1_000  # `elif`s or backslash continuations in one file
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"()[]{}")
_AS_STEPS = bytes.maketrans(b"([{)]}", b"\x02\x02\x02\x00\x00\x00")
# lines that start or end with a binary or attribute operator: parts of a long chain
_CHAIN_START = re.compile(rb"\n[ \t]*(?:[-+*/%&|^@.<>]|and |or |if |else )")
_CHAIN_END = re.compile(rb"[-+*/%&|^@<>][ \t]*\r?\n")


def is_generated(data: bytes, marker: str | None) -> bool:
    """Whether ``marker`` occurs in the first :data:`GENERATED_LINES` lines of ``data``."""
    if not marker:
        return False
    head = b"\n".join(data.split(b"\n", GENERATED_LINES)[:GENERATED_LINES])
    return marker.encode() in head


def needs_depth_check(data: bytes) -> bool:
    """Whether ``data`` could nest deeply enough to crash the parser (cheap, conservative).

    Every test runs at C speed (``bytes.count``, ``re``, ``translate``, ``itertools``): this
    is on the path of every file that gets parsed. The budget and the parse guard both ask
    for the same bytes of a file: the last answer is kept for them.
    """
    if len(data) < _GUARD_MIN_BYTES:
        return False
    if _LAST_CHECK and _LAST_CHECK[0][0] is data:
        return bool(_LAST_CHECK[0][1])
    answer = _needs_depth_check(data)
    _LAST_CHECK[:] = [(data, answer)]
    return answer


_LAST_CHECK: list[tuple[bytes, bool]] = one_file_cache()  # emptied after each file


def _needs_depth_check(data: bytes) -> bool:
    if data.count(b"elif") > _CHAIN or data.count(b"\\\n") + data.count(b"\\\r") > _CHAIN:
        return True
    if max(map(len, data.split(b"\n"))) > _SPAN:
        return True
    if len(_CHAIN_START.findall(data)) + len(_CHAIN_END.findall(data)) > _CHAIN:
        return True
    return _max_rise(data.translate(_AS_STEPS, _NOT_BRACKETS)) > _DEPTH


def _max_rise(steps: bytes) -> int:
    """The largest bracket depth reached above any earlier low point (2 opens, 0 closes).

    Brackets in strings and comments may be unbalanced, so the depth is measured from the
    lowest point before it rather than from zero: that can only over-estimate.
    """
    if not steps:
        return 0
    level = list(map(operator.sub, itertools.accumulate(steps), range(1, len(steps) + 1)))
    lows = itertools.accumulate(itertools.chain((0,), level), min)
    return max(map(operator.sub, level, lows))


def too_deep(data: bytes, filename: str) -> tuple[str, str, int | None, int | None] | None:
    """(reason, detail, line, column) when ``data`` must not be parsed by LibCST, else None.

    Only called for files :func:`needs_depth_check` flags. CPython's parser is the judge: it
    fails cleanly where LibCST would overflow the stack, and its syntax tree (walked without
    recursion) shows chains too deep for LibCST that CPython itself still accepts.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(data, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError) as exc:
        return ("too deeply nested", f"CPython's parser gives up: {type(exc).__name__}", None, None)
    except SyntaxError as exc:
        if any(word in exc.msg for word in ("too many", "too deeply", "too complex")):
            return ("too deeply nested", exc.msg, exc.lineno, exc.offset)
        return ("syntax error", exc.msg, exc.lineno, exc.offset)
    except (ValueError, UnicodeDecodeError) as exc:
        return ("undecodable", f"cannot decode: {exc}", None, None)
    depth, line = _tree_depth(tree)
    if depth > MAX_TREE_DEPTH:
        return (
            "too deeply nested",
            f"expressions nest {depth:,} levels deep; more than {MAX_TREE_DEPTH:,} is not parsed",
            line,
            None,
        )
    return None


def _tree_depth(tree: ast.AST) -> tuple[int, int | None]:
    """The maximum depth of ``tree`` and the line where it is reached (iteratively)."""
    deepest, where = 0, None
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, where = depth, getattr(node, "lineno", where)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest, where
