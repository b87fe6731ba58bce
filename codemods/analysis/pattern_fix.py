"""Fix templates: Python source with metavariables, filled structurally from a match.

The template is parsed once (as an expression, statements, decorators, ``with`` items or
call arguments, whatever the pattern matched). Filling it puts the captured nodes in place,
with their own comments and layout; a sequence metavariable (``$$$ARGS``) splices its run of
elements, commas made right; a string (the result of a ``transform`` or a rewriter) is parsed
where it lands (``ConfigDict($KWARGS)`` with ``KWARGS = 'extra="forbid", frozen=True'``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, MetadataWrapper

from codemods.analysis.pattern_match import (
    Captures,
    non_references,
    sequence_placeholder,
    single_placeholder,
)
from codemods.analysis.pattern_syntax import metavariable_of, syntax_error, to_placeholders

_PLACEHOLDER_IN_TEXT = re.compile(r"__MV(S?)_([A-Za-z0-9_]+)")
_FN = "def __MV__():\n    pass\n"


class FixError(Exception):
    """A fix that cannot be placed for this match (the file is left unchanged)."""


@dataclasses.dataclass(frozen=True)
class FixTemplate:
    """A parsed fix: ``nodes`` (empty: remove the match) for a match of kind ``context``."""

    text: str
    context: str  # "expression", "statement", "decorator", "with_item", "Arg", "Param", ...
    nodes: tuple[cst.CSTNode, ...]
    loads: frozenset[int]

    @classmethod
    def parse(cls, text: str, context: str) -> FixTemplate:
        ph = to_placeholders(text)
        body = ph.text.strip()
        if not body:
            return cls(text, context, (), frozenset())
        attempts = [(ph, context)]
        if "$$$" in text:
            attempts.append((to_placeholders(text, starred=True), context))
        if context == "expression":  # an expression statement may become statements
            attempts.append((ph, "statement"))
        first: cst.ParserSyntaxError | None = None
        for attempt, where in attempts:
            try:
                nodes = _parse_in(attempt.text.strip(), where)
            except cst.ParserSyntaxError as exc:
                first = first or exc
                continue
            return cls(text, where, tuple(nodes), frozenset(_loads(nodes)))
        assert first is not None
        raise syntax_error(ph, body, first, "the fix is not valid Python") from None

    @property
    def removes(self) -> bool:
        return not self.nodes


def _parse_in(body: str, context: str) -> list[cst.CSTNode]:
    if context == "expression":
        return [cst.parse_expression(body)]
    if context in ("statement", "statements"):
        module = cst.parse_module(body + "\n")
        return list(module.body)
    if context == "decorator":
        fn = cst.parse_module(body + "\n" + _FN).body[0]
        assert isinstance(fn, cst.FunctionDef)
        return list(fn.decorators)
    if context == "with_item":
        stmt = cst.parse_module(f"with {body.removeprefix('with ').strip()}:\n    pass\n").body[0]
        assert isinstance(stmt, cst.With)
        return list(stmt.items)
    if context == "Arg":
        call = cst.parse_expression(f"__MV__({body})")
        assert isinstance(call, cst.Call)
        return list(call.args)
    if context == "Param":
        fn = cst.parse_module(f"def __MV__({body}):\n    pass\n").body[0]
        assert isinstance(fn, cst.FunctionDef)
        return list(fn.params.params)
    if context == "Element":
        lst = cst.parse_expression(f"[{body}]")
        assert isinstance(lst, cst.List)
        return list(lst.elements)
    # another selected node type: a statement if it is one, else an expression
    try:
        return [cst.parse_expression(body)]
    except cst.ParserSyntaxError:
        return list(cst.parse_module(body + "\n").body)


def _loads(nodes: Sequence[cst.CSTNode]) -> set[int]:
    out: set[int] = set()
    for node in nodes:
        module = _holder(node)
        if module is None:
            continue
        contexts = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ExpressionContextProvider)
        out.update(id(n) for n, c in contexts.items() if c is ExpressionContext.LOAD)
    return out - non_references(nodes)


def _holder(node: cst.CSTNode) -> cst.Module | None:
    if isinstance(node, cst.BaseExpression):
        return cst.Module([cst.SimpleStatementLine([cst.Expr(node)])])
    if isinstance(node, cst.BaseSmallStatement):
        return cst.Module([cst.SimpleStatementLine([node])])
    if isinstance(node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return cst.Module([node])
    if isinstance(node, cst.Arg):
        return _holder(cst.Call(cst.Name("_"), [node]))
    if isinstance(node, cst.Decorator):
        block = cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])])
        return cst.Module(
            [cst.FunctionDef(cst.Name("_"), cst.Parameters(), block, decorators=[node])]
        )
    if isinstance(node, cst.WithItem):
        block = cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])])
        return cst.Module([cst.With([node], block)])
    if isinstance(node, cst.Element):
        return _holder(cst.List([node]))
    return None


def template_names(template: FixTemplate) -> set[str]:
    """Plain names the template reads (not metavariables): candidates for import spelling."""
    out: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if id(node) in template.loads and metavariable_of(node.value) is None:
                out.add(node.value)

    for node in template.nodes:
        node.visit(_Names())
    return out


def fill(
    template: FixTemplate, caps: Captures, spell: Mapping[str, cst.BaseExpression] | None = None
) -> list[cst.CSTNode]:
    """The template's nodes with every metavariable replaced from ``caps``."""
    filler = _Fill(caps, spell or {}, template.loads)
    out: list[cst.CSTNode] = []
    for node in template.nodes:
        new = node.visit(filler)
        if isinstance(new, cst.FlattenSentinel):
            out.extend(new.nodes)
        elif isinstance(new, cst.CSTNode):
            out.append(new)
    # a top-level placeholder standing for captured statements/elements
    if len(out) == len(template.nodes):
        expanded: list[cst.CSTNode] = []
        for node in out:
            name = sequence_placeholder(node) or single_placeholder(node)
            if name is not None and name in caps and not isinstance(node, cst.BaseExpression):
                expanded.extend(_convert(caps[name], node))
            else:
                expanded.append(node)
        out = expanded
    return out


def code_of(nodes: Sequence[cst.CSTNode]) -> str:
    """Source text of filled nodes, as a rewriter's or transform's string value."""
    empty = cst.Module([])
    parts = []
    for node in nodes:
        code = empty.code_for_node(node).strip()
        if isinstance(node, cst.Arg | cst.Element | cst.Param | cst.WithItem | cst.ImportAlias):
            code = code.rstrip(",").rstrip()
        parts.append(code)
    return (
        "\n".join(parts)
        if any(isinstance(n, cst.BaseStatement) for n in nodes)
        else ", ".join(parts)
    )


class _Fill(cst.CSTTransformer):
    def __init__(
        self, caps: Captures, spell: Mapping[str, cst.BaseExpression], loads: frozenset[int]
    ) -> None:
        super().__init__()
        self.caps = caps
        self.spell = spell
        self.loads = loads

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        mv = metavariable_of(updated.value)
        if mv is None:
            if id(original) in self.loads and updated.value in self.spell:
                return self.spell[updated.value]
            return updated
        name, sequence = mv
        if sequence or name not in self.caps:
            if not sequence and name not in self.caps:
                raise FixError(f"`${name}` is used in the fix but the pattern does not bind it")
            return updated
        value = self.caps[name]
        if isinstance(value, str):
            if value.isidentifier():
                return cst.Name(value)
            try:
                return cst.parse_expression(value)
            except cst.ParserSyntaxError:
                return updated  # placed (parsed as statements, arguments, ...) by the container
        if isinstance(value, cst.BaseExpression):
            return value
        return updated  # an argument, a statement, ...: the container places it

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.SimpleString:
        # `"$E"` in a fix: the metavariable's text inside the string, as ast-grep does
        def one(m: re.Match[str]) -> str:
            name = m.group(2)
            if name not in self.caps:
                return m.group(0)
            value = self.caps[name]
            return (
                value
                if isinstance(value, str)
                else code_of(value if isinstance(value, list) else [value])
            )

        value = _PLACEHOLDER_IN_TEXT.sub(one, updated.value)
        return updated if value == updated.value else updated.with_changes(value=value)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        result = super().on_leave(original, updated)
        if not isinstance(result, cst.CSTNode):
            return result
        changes: dict[str, Any] = {}
        if isinstance(result, cst.SimpleStatementLine) and len(result.body) == 1:
            return result  # a line that is only `$$$BODY`: the block places whole statements
        for field in dataclasses.fields(result):
            value = getattr(result, field.name)
            if (
                not isinstance(value, tuple | list)
                or not value
                or not isinstance(value[0], cst.CSTNode)
            ):
                continue
            new = self._expand(list(value))
            if new is not None:
                changes[field.name] = new
        if changes:
            result = result.with_changes(**changes)
        if isinstance(result, cst.IndentedBlock) and not result.body:
            result = result.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return result

    def _expand(self, items: list[cst.CSTNode]) -> list[cst.CSTNode] | None:
        out: list[cst.CSTNode] = []
        touched = False
        for item in items:
            name = sequence_placeholder(item)
            if name is None:
                single = single_placeholder(item)
                if single is not None and single in self.caps and not isinstance(item, cst.Name):
                    value = self.caps[single]
                    if not isinstance(value, cst.BaseExpression) or isinstance(
                        item, cst.SimpleStatementLine | cst.Expr
                    ):
                        name = single
            if name is None:
                out.append(item)
                continue
            if name not in self.caps:
                raise FixError(f"`$$${name}` is used in the fix but the pattern does not bind it")
            touched = True
            out.extend(_convert(self.caps[name], item))
        if not touched:
            return None
        if out and hasattr(out[-1], "comma") and out[-1] is not items[-1]:
            last = out[-1]
            comma = last.comma
            keep = isinstance(comma, cst.Comma) and isinstance(
                comma.whitespace_after, cst.ParenthesizedWhitespace
            )
            if not keep:
                out[-1] = last.with_changes(
                    comma=getattr(items[-1], "comma", cst.MaybeSentinel.DEFAULT)
                )
        return out


def _convert(value: Any, slot: cst.CSTNode) -> list[cst.CSTNode]:
    """Captured ``value`` (node, list of nodes or text) as elements of ``slot``'s type."""
    values = value if isinstance(value, list) else [value]
    out: list[cst.CSTNode] = []
    for item in values:
        if isinstance(item, str):
            out.extend(_parse_elements(item, slot))
            continue
        out.extend(_as_element(item, slot))
    return out


def _as_element(item: cst.CSTNode, slot: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(slot, cst.SimpleStatementLine):
        if isinstance(item, cst.BaseStatement):
            return [item]
        if isinstance(item, cst.BaseSmallStatement):
            return [cst.SimpleStatementLine([item])]
        if isinstance(item, cst.BaseExpression):
            return [cst.SimpleStatementLine([cst.Expr(item)])]
    elif isinstance(slot, cst.Expr):
        if isinstance(item, cst.BaseSmallStatement):
            return [item]
        if isinstance(item, cst.SimpleStatementLine):
            return list(item.body)
        if isinstance(item, cst.BaseExpression):
            return [cst.Expr(item)]
    elif type(item) is type(slot) or (
        isinstance(slot, cst.StarredElement) and isinstance(item, cst.Element | cst.StarredElement)
    ):
        return [item]
    elif isinstance(item, cst.BaseExpression):
        if isinstance(slot, cst.Arg):
            return [cst.Arg(item)]
        if isinstance(slot, cst.Element):
            return [cst.Element(item)]
        if isinstance(slot, cst.Decorator):
            return [cst.Decorator(item)]
        if isinstance(slot, cst.WithItem):
            return [cst.WithItem(item)]
        if isinstance(slot, cst.SubscriptElement):
            return [cst.SubscriptElement(cst.Index(item))]
    raise FixError(
        f"a captured {type(item).__name__} cannot stand where the fix puts it ({type(slot).__name__})"
    )


def _parse_elements(text: str, slot: cst.CSTNode) -> list[cst.CSTNode]:
    if not text.strip():
        return []
    try:
        if isinstance(slot, cst.SimpleStatementLine):
            return list(cst.parse_module(text.strip() + "\n").body)
        if isinstance(slot, cst.Expr):
            line = cst.parse_statement(text.strip() + "\n")
            return list(line.body) if isinstance(line, cst.SimpleStatementLine) else []
        context = {
            cst.Arg: "Arg",
            cst.Element: "Element",
            cst.Param: "Param",
            cst.Decorator: "decorator",
            cst.WithItem: "with_item",
        }.get(type(slot))
        if context is None:
            return [cst.parse_expression(text)]
        return _parse_in(text.strip(), context)
    except cst.ParserSyntaxError as exc:
        raise FixError(
            f"{text!r} is not valid where the fix puts it: {str(exc).splitlines()[0]}"
        ) from None
