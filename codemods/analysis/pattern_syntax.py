"""Parse code patterns: Python source with ast-grep style metavariables.

``$X`` stands for one node, ``$$$ARGS`` for a run of zero or more sequence elements (call
arguments, statements, list elements, parameters, decorators, ``with`` items), ``$_`` and
``$$$`` for ones that are not captured. Metavariable names are upper case. The text becomes
valid Python by turning each metavariable into a placeholder identifier::

    $X.utcnow($$$ARGS)   ->   __MV_X.utcnow(__MVS_ARGS)

A pattern is parsed as an expression if it is one, else as statements; ``@decorator(...)``
alone is a decorator pattern and ``with a() as $V`` (no colon) a ``with``-item pattern. Any
other sub-node is reached with a context and a selector (``context: "f(context=$V)"``,
``selector: Arg``), as in ast-grep. Errors carry the line and column inside the pattern text.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

MV_PREFIX = "__MV_"
MVS_PREFIX = "__MVS_"
_META = re.compile(r"\$\$\$([A-Z_][A-Z0-9_]*)?|\$([A-Z_][A-Z0-9_]*)")
_STRAY = re.compile(r"\$")


class PatternError(ValueError):
    """A pattern that cannot be used; ``line``/``column`` are 1-based inside the pattern text."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        field: tuple[str | int, ...] = (),
        noun: str = "pattern",
    ) -> None:
        where = f" (line {line}, column {column} of the {noun})" if line is not None else ""
        super().__init__(message + where)
        self.message = message
        self.line = line
        self.column = column
        self.field = field  # the option holding the text, relative to where it was raised


@dataclass(frozen=True)
class Placeholders:
    """The placeholder text of a pattern and how to map its columns back."""

    text: str
    #: per line of ``text``: (placeholder column, original column) pairs where shifts happen
    shifts: tuple[tuple[tuple[int, int], ...], ...]
    indent: int  # columns removed by dedenting

    def original(self, line: int, column: int) -> tuple[int, int]:
        """The 1-based (line, column) in the original pattern of a placeholder position."""
        col0 = column - 1
        shift = 0
        if 1 <= line <= len(self.shifts):
            for at, delta in self.shifts[line - 1]:
                if col0 >= at:
                    shift = delta
        return line, col0 - shift + 1 + self.indent


def placeholder_name(name: str | None, *, sequence: bool) -> str:
    return (MVS_PREFIX if sequence else MV_PREFIX) + (name or "_")


def metavariable_of(value: str) -> tuple[str, bool] | None:
    """``("X", False)`` for ``__MV_X``, ``("ARGS", True)`` for ``__MVS_ARGS``, else None."""
    if value.startswith(MVS_PREFIX):
        return value[len(MVS_PREFIX) :], True
    if value.startswith(MV_PREFIX):
        return value[len(MV_PREFIX) :], False
    return None


def is_capturing(name: str) -> bool:
    return not name.startswith("_")


def to_placeholders(source: str, *, starred: bool = False) -> Placeholders:
    """Dedent ``source`` and replace its metavariables by placeholder identifiers.

    ``starred`` writes sequence metavariables as ``*__MVS_X``: Python refuses
    ``f($$$A, key=1, $$$B)`` as "positional argument follows keyword argument", not
    ``f(*A, key=1, *B)``. Tried when the plain spelling does not parse.
    """
    lines = source.split("\n")
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    dedented = textwrap.dedent(source)
    if dedented == source:
        indent = 0
    out_lines: list[str] = []
    shifts: list[tuple[tuple[int, int], ...]] = []
    for number, line in enumerate(dedented.split("\n"), 1):
        pieces: list[str] = []
        line_shifts: list[tuple[int, int]] = []
        last = 0
        delta = 0
        for match in _META.finditer(line):
            pieces.append(line[last : match.start()])
            sequence = match.group(0).startswith("$$$")
            name = match.group(1) if sequence else match.group(2)
            ph = placeholder_name(name, sequence=sequence)
            if sequence and starred:
                ph = "*" + ph
            pieces.append(ph)
            delta += len(ph) - len(match.group(0))
            line_shifts.append((match.start() + delta + len(match.group(0)), delta))
            last = match.end()
        rest = line[last:]
        stray = _STRAY.search(rest)
        if stray is not None:
            raise PatternError(
                "`$` must start a metavariable such as `$X`, `$$$ARGS` or `$_` (upper-case name)",
                number,
                last + stray.start() + 1 + indent,
            )
        pieces.append(rest)
        out_lines.append("".join(pieces))
        shifts.append(tuple(line_shifts))
    return Placeholders("\n".join(out_lines).strip("\n"), tuple(shifts), indent)


# -- what a pattern is ---------------------------------------------------------------------

#: A parsed pattern: a single node (expression, small statement, compound statement, decorator,
#: with-item, argument, ...) or a run of statements.
PatternNode = cst.CSTNode


@dataclass(frozen=True)
class Parsed:
    nodes: tuple[cst.CSTNode, ...]  # one node, or several statements
    kind: str  # "expression", "statement", "statements", "decorator", "with_item", "selected"
    placeholders: Placeholders


def _leading_blank(text: str) -> int:
    return len(text) - len(text.lstrip("\n"))


def parse_pattern(
    source: str, *, context: str | None = None, selector: str | None = None
) -> Parsed:
    """Parse a pattern (or a context with a selector) into LibCST nodes with placeholders."""
    if context is not None:
        if not selector:
            raise PatternError("a pattern `context` needs a `selector` (a LibCST node type)")
        ph = to_placeholders(context)
        module = _parse_module(ph)
        kind = getattr(cst, selector, None)
        if not (isinstance(kind, type) and issubclass(kind, cst.CSTNode)):
            raise PatternError(
                f"unknown selector `{selector}`: use a LibCST node type such as `Arg`"
            )
        found = _first_of(module, kind)
        if found is None:
            raise PatternError(f"the context contains no `{selector}` node")
        return Parsed((found,), "selected", ph)
    try:
        return _parse_plain(to_placeholders(source))
    except PatternError:
        if "$$$" not in source:
            raise
        try:
            return _parse_plain(to_placeholders(source, starred=True))
        except PatternError:
            pass
        raise


def _parse_plain(ph: Placeholders) -> Parsed:
    text = ph.text
    if not text.strip():
        raise PatternError("the pattern is empty")
    stripped = text.strip()
    if stripped.startswith("@") and "\n" not in stripped:
        module = _parse_module(ph, text + "\ndef __MV__():\n    pass\n")
        func = module.body[0]
        assert isinstance(func, cst.FunctionDef)
        return Parsed((func.decorators[0],), "decorator", ph)
    if (
        stripped.startswith(("with ", "async with "))
        and "\n" not in stripped
        and not stripped.endswith(":")
    ):
        module = _parse_module(ph, text + ":\n    pass\n")
        stmt = module.body[0]
        assert isinstance(stmt, cst.With)
        return Parsed(tuple(stmt.items), "with_item", ph)
    try:
        expr = cst.parse_expression(stripped)
    except cst.ParserSyntaxError:
        expr = None
    if expr is not None:
        return Parsed((expr,), "expression", ph)
    module = _parse_module(ph)
    body = list(module.body)
    if not body:
        raise PatternError("the pattern has no code")
    if len(body) == 1:
        stmt = body[0]
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            return Parsed((stmt.body[0],), "statement", ph)
        return Parsed((stmt,), "statement", ph)
    return Parsed(tuple(body), "statements", ph)


def _parse_module(ph: Placeholders, text: str | None = None) -> cst.Module:
    source = ph.text if text is None else text
    try:
        return cst.parse_module(source if source.endswith("\n") else source + "\n")
    except cst.ParserSyntaxError as exc:
        raise syntax_error(ph, source, exc, "not valid Python") from None


def syntax_error(
    ph: Placeholders, source: str, exc: cst.ParserSyntaxError, what: str
) -> PatternError:
    """A PatternError at the real place: CPython's parser knows it better than LibCST's."""
    import ast
    import warnings

    line, col, message = exc.raw_line, exc.raw_column + 1, str(exc).splitlines()[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as err:
        if err.lineno is not None:
            line, col, message = err.lineno, err.offset or 1, err.msg
    line, col = ph.original(line, col)
    return PatternError(f"{what}: {message}", line, col)


def _first_of(module: cst.Module, kind: type[cst.CSTNode]) -> cst.CSTNode | None:
    found: list[cst.CSTNode] = []

    class _Find(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if found:
                return False
            if isinstance(node, kind):
                found.append(node)
                return False
            return True

    module.visit(_Find())
    return found[0] if found else None


def metavariables(nodes: Sequence[cst.CSTNode]) -> dict[str, bool]:
    """Every capturing metavariable named in ``nodes``: name -> is a sequence variable."""
    out: dict[str, bool] = {}

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            mv = metavariable_of(node.value)
            if mv is not None and is_capturing(mv[0]):
                out.setdefault(mv[0], mv[1])

    for node in nodes:
        node.visit(_Collect())
    return out
