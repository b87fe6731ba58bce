"""Match a parsed pattern against LibCST nodes: structure, metavariables and qualified names.

Whitespace, comments, parentheses, trailing commas and string quoting never matter; string
and number literals compare by value. A dotted name the pattern reads (``datetime.datetime``)
matches every spelling that refers to the same object through the file's imports and aliases
(``from datetime import datetime as dt; dt``), never a local name that shadows it; a name
nothing binds (a builtin, or a name the file never defines) matches by its spelling, and so
does a chain rooted at ``self`` or ``cls``. Names in binding positions (a ``def``'s name, a
parameter, a keyword, an attribute after a metavariable) match by spelling.

>>> # `$X.utcnow()` binds X to `dt` in `dt.utcnow()`
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst
from libcst.metadata import (
    ExpressionContext,
    ExpressionContextProvider,
    MetadataWrapper,
    QualifiedNameSource,
)

from codemods.analysis.pattern_syntax import MVS_PREFIX, is_capturing, metavariable_of
from codemods.analysis.unique_bindings import LOCAL_MARK, Bindings, unique_bindings
from codemods.analysis.visit import source_of

Captures = dict[str, Any]  # name -> node, list of nodes, or str (a transform's result)

#: Fields that hold layout only.
_TRIVIA = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "indent",
        "newline",
        "trailing_whitespace",
        "equal",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "colon",
        "arrow",
        "dot",
        "asterisk",
    }
)
#: Fields a pattern may leave out to mean "whatever the code has".
_OPTIONAL_WHEN_ABSENT = frozenset({"decorators", "returns", "type_parameters"})


def literal_chain(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a Name/Attribute chain of plain names (no placeholders), else None."""
    if isinstance(node, cst.Name):
        return None if metavariable_of(node.value) else node.value
    if isinstance(node, cst.Attribute):
        base = literal_chain(node.value)
        if base is None or metavariable_of(node.attr.value):
            return None
        return f"{base}.{node.attr.value}"
    return None


def single_placeholder(node: cst.CSTNode) -> str | None:
    """The name of a one-node metavariable standing alone as ``node`` (``$X``), else None."""
    inner = _unwrap(node)
    if isinstance(inner, cst.Name):
        mv = metavariable_of(inner.value)
        if mv is not None and not mv[1]:
            return mv[0]
    return None


def sequence_placeholder(node: cst.CSTNode) -> str | None:
    """The name of a sequence metavariable standing as a sequence element (``$$$ARGS``)."""
    inner = _unwrap(node)
    if isinstance(inner, cst.Name):
        mv = metavariable_of(inner.value)
        if mv is not None and mv[1]:
            return mv[0]
    return None


def _unwrap(node: cst.CSTNode) -> cst.CSTNode | None:
    """The placeholder Name a sequence element wraps, if it wraps nothing else."""
    if isinstance(node, cst.Name):
        return node
    if isinstance(node, cst.Arg):
        if node.keyword is None and isinstance(node.value, cst.Name):
            if node.star == "":
                return node.value
            if node.star == "*" and node.value.value.startswith(MVS_PREFIX):  # `*__MVS_X`
                return node.value
        return None
    if isinstance(node, cst.StarredElement) and isinstance(node.value, cst.Name):
        return node.value if node.value.value.startswith(MVS_PREFIX) else None
    if isinstance(node, cst.Element | cst.Decorator | cst.Expr | cst.Index):
        value = node.decorator if isinstance(node, cst.Decorator) else node.value
        return value if isinstance(value, cst.Name) else None
    if isinstance(node, cst.SubscriptElement):
        return _unwrap(node.slice)
    if isinstance(node, cst.WithItem):
        return node.item if node.asname is None and isinstance(node.item, cst.Name) else None
    if isinstance(node, cst.Param):
        if (
            node.annotation is None
            and node.default is None
            and node.star in ("", cst.MaybeSentinel.DEFAULT)
        ):
            return node.name
        return None
    if isinstance(node, cst.ImportAlias):
        return node.name if node.asname is None and isinstance(node.name, cst.Name) else None
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
        return _unwrap(node.body[0]) if isinstance(node.body[0], cst.Expr) else None
    return None


class Resolver:
    """What dotted names in the code being matched refer to (LibCST scopes)."""

    def __init__(
        self,
        scopes: Mapping[cst.CSTNode, Any],
        module_name: str | None,
        parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None,
    ) -> None:
        self.scopes = scopes
        self.module_name = module_name
        self.parents = parents or {}
        #: The module being matched: names it binds once by an import are resolved from the
        #: ``ast`` (:mod:`codemods.analysis.unique_bindings`), the rest through ``scopes``.
        self.module: cst.Module | None = None
        self._unique: Bindings | bool | None = False  # False: not computed yet

    def is_reference(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` reads a name (not an attribute after a dot, a keyword, a name an
        import, ``def`` or parameter binds)."""
        parent = self.parents.get(node)
        if parent is None:
            return True
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return False
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return False
        if (
            isinstance(parent, cst.FunctionDef | cst.ClassDef | cst.Param)
            and getattr(parent, "name", None) is node
        ):
            return False
        return not isinstance(parent, cst.ImportAlias | cst.AsName | cst.Import | cst.ImportFrom)

    def _read(self, node: cst.CSTNode) -> bool:
        """A chain that reads a variable (not the module path of an import statement)."""
        if not self.is_reference(node):
            return False
        top = node
        while isinstance(self.parents.get(top), cst.Attribute):
            top = self.parents[top]
        return not isinstance(self.parents.get(top), cst.ImportAlias | cst.ImportFrom)

    def names(self, node: cst.CSTNode) -> tuple[set[str], bool]:
        """(qualified names of ``node``, whether anything in the file binds its root)."""
        if self.module is not None and isinstance(node, cst.Name | cst.Attribute):
            if self._unique is False:
                self._unique = unique_bindings(source_of(self.module))
            chain = literal_chain(node)
            if isinstance(self._unique, Bindings) and chain and self._read(node):
                known = self._unique.resolve(chain, self.module_name)
                if known is not None:
                    return known
        scope = self.scopes.get(node)
        if scope is None:
            return set(), False
        try:
            qnames = scope.get_qualified_names_for(node)
        except Exception:
            return set(), False
        out: set[str] = set()
        bound = False
        for qn in qnames:
            if qn.source is QualifiedNameSource.IMPORT:
                out.add(qn.name)
                bound = True
            elif qn.source is QualifiedNameSource.BUILTIN:
                out.add(qn.name.removeprefix("builtins."))
            else:
                bound = True
                if self.module_name and "<locals>" not in qn.name:
                    out.add(f"{LOCAL_MARK}{self.module_name}.{qn.name}")
        return out, bound

    def refers_to(self, node: cst.CSTNode, dotted: str) -> bool:
        spelled = literal_chain(node)
        if spelled is None or not self.is_reference(node):
            return False
        names, bound = self.names(node)
        if dotted in names or LOCAL_MARK + dotted in names:
            return True
        if spelled.split(".")[0] in ("self", "cls"):
            return spelled == dotted
        return not bound and spelled == dotted


def non_references(nodes: Sequence[cst.CSTNode]) -> set[int]:
    """Ids of the names in ``nodes`` that do not read a variable, though LibCST's expression
    context may say LOAD: keywords of arguments, attribute names after a dot, names bound by
    ``def``/``class``/parameters/imports."""
    out: set[int] = set()

    class _Positions(cst.CSTVisitor):
        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is not None:
                out.add(id(node.keyword))

        def visit_Attribute(self, node: cst.Attribute) -> None:
            out.add(id(node.attr))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            out.add(id(node.name))

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            out.add(id(node.name))

        def visit_Param(self, node: cst.Param) -> None:
            out.add(id(node.name))

        def visit_ImportAlias(self, node: cst.ImportAlias) -> bool:
            out.add(id(node.name))
            return False

    for node in nodes:
        node.visit(_Positions())
    return out


class CompiledPattern:
    """A parsed pattern ready to match: its nodes and which of its names are read (load)."""

    def __init__(self, nodes: Sequence[cst.CSTNode], kind: str) -> None:
        self.nodes = tuple(nodes)
        self.kind = kind
        self.loads: set[int] = set()
        holder = cst.Module(body=[])
        for node in self.nodes:
            self._collect_loads(node, holder)
        self.loads -= non_references(self.nodes)

    def _collect_loads(self, node: cst.CSTNode, holder: cst.Module) -> None:
        # Wrap the node into a module to learn which names it reads.
        try:
            wrapper = MetadataWrapper(_as_module(node), unsafe_skip_copy=True)
            contexts = wrapper.resolve(ExpressionContextProvider)
        except Exception:
            return
        for n, ctx in contexts.items():
            if ctx is ExpressionContext.LOAD and isinstance(n, cst.Name | cst.Attribute):
                self.loads.add(id(n))

    @property
    def root_types(self) -> tuple[type[cst.CSTNode], ...] | None:
        """Node types a match can start at (None: any expression)."""
        first = self.nodes[0]
        if single_placeholder(first) is not None:
            return None
        if (
            self.kind == "expression"
            and isinstance(first, cst.Name | cst.Attribute)
            and literal_chain(first)
        ):
            return (cst.Name, cst.Attribute)
        if isinstance(first, cst.SimpleString | cst.ConcatenatedString):
            return (cst.SimpleString, cst.ConcatenatedString)
        return (type(first),)


def _as_module(node: cst.CSTNode) -> cst.Module:
    if isinstance(node, cst.BaseExpression):
        return cst.Module(body=[cst.SimpleStatementLine([cst.Expr(node)])])
    if isinstance(node, cst.BaseSmallStatement):
        return cst.Module(body=[cst.SimpleStatementLine([node])])
    if isinstance(node, cst.BaseCompoundStatement | cst.SimpleStatementLine):
        return cst.Module(body=[node])
    if isinstance(node, cst.Decorator):
        fn = cst.FunctionDef(
            cst.Name("_"),
            cst.Parameters(),
            cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]),
            decorators=[node],
        )
        return cst.Module(body=[fn])
    if isinstance(node, cst.WithItem):
        return cst.Module(
            body=[cst.With([node], cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]))]
        )
    if isinstance(node, cst.Arg):
        return _as_module(cst.Call(cst.Name("_"), args=[node]))
    raise TypeError(type(node).__name__)


class Matcher:
    """Structural matching of one pattern's nodes against code, with backtracking."""

    def __init__(self, pattern: CompiledPattern, resolver: Resolver) -> None:
        self.pattern = pattern
        self.resolver = resolver

    def match(self, target: cst.CSTNode) -> Captures | None:
        if len(self.pattern.nodes) != 1:
            return None
        caps: Captures = {}
        return caps if self._node(self.pattern.nodes[0], target, caps) else None

    def match_run(self, targets: Sequence[cst.CSTNode], start: int) -> tuple[Captures, int] | None:
        """A multi-node pattern (several statements) against ``targets[start:]``: (caps, end)."""
        pats = self.pattern.nodes
        if start + len(pats) > len(targets):
            return None
        caps: Captures = {}
        for offset, pat in enumerate(pats):
            if not self._node(pat, targets[start + offset], caps):
                return None
        return caps, start + len(pats)

    # -- nodes -----------------------------------------------------------------------------
    def _bind(self, name: str, value: Any, caps: Captures) -> bool:
        if not is_capturing(name):
            return True
        if name in caps:
            return _same(caps[name], value)
        caps[name] = value
        return True

    def _node(self, pat: cst.CSTNode, tgt: cst.CSTNode, caps: Captures) -> bool:
        name = single_placeholder(pat)
        if name is not None:
            if isinstance(pat, cst.Name):
                return self._bind(name, tgt, caps)
            if isinstance(pat, cst.Expr):  # a small statement position: any small statement
                return isinstance(tgt, cst.BaseSmallStatement) and self._bind(name, tgt, caps)
            if isinstance(pat, cst.SimpleStatementLine):  # a statement position
                return isinstance(tgt, cst.BaseStatement) and self._bind(name, tgt, caps)
            if type(pat) is not type(tgt):
                return False
            return self._bind(name, element_value(tgt), caps)
        if id(pat) in self.pattern.loads:
            dotted = literal_chain(pat)
            if dotted is not None:
                return self.resolver.refers_to(tgt, dotted)
        if isinstance(pat, cst.SimpleString | cst.ConcatenatedString):
            if not isinstance(tgt, cst.SimpleString | cst.ConcatenatedString):
                return False
            pv, tv = pat.evaluated_value, tgt.evaluated_value
            if pv is not None and tv is not None:
                return pv == tv and type(pv) is type(tv)
        if isinstance(pat, cst.Integer | cst.Float | cst.Imaginary):
            if type(tgt) is not type(pat):
                return False
            try:
                return bool(ast.literal_eval(pat.value) == ast.literal_eval(tgt.value))  # type: ignore[attr-defined]
            except (ValueError, SyntaxError):
                return pat.value == tgt.value  # type: ignore[attr-defined]
        if isinstance(pat, cst.BaseSuite):
            if not isinstance(tgt, cst.BaseSuite):
                return False
            return self._seq(list(_suite_items(pat)), list(_suite_items(tgt)), caps)
        if type(pat) is not type(tgt):
            return False
        for field in dataclasses.fields(pat):
            fname = field.name
            if fname in _TRIVIA or fname.startswith("whitespace"):
                continue
            pv = getattr(pat, fname)
            tv = getattr(tgt, fname)
            if fname in _OPTIONAL_WHEN_ABSENT and (
                _absent(pv) or (isinstance(pv, tuple | list) and not pv)
            ):
                continue
            if not self._value(pv, tv, caps):
                return False
        return True

    def _value(self, pv: Any, tv: Any, caps: Captures) -> bool:
        if _absent(pv) or _absent(tv):
            return _absent(pv) and _absent(tv)
        if isinstance(pv, cst.CSTNode):
            return isinstance(tv, cst.CSTNode) and self._node(pv, tv, caps)
        if isinstance(pv, tuple | list):
            return isinstance(tv, tuple | list) and self._seq(list(pv), list(tv), caps)
        return bool(pv == tv)

    def _seq(self, pats: list[Any], tgts: list[Any], caps: Captures) -> bool:
        return self._seq_at(pats, 0, tgts, 0, caps)

    def _seq_at(self, pats: list[Any], i: int, tgts: list[Any], j: int, caps: Captures) -> bool:
        if i == len(pats):
            return j == len(tgts)
        pat = pats[i]
        name = sequence_placeholder(pat) if isinstance(pat, cst.CSTNode) else None
        if name is not None:
            for end in range(j, len(tgts) + 1):
                trial = dict(caps)
                if self._bind(name, list(tgts[j:end]), trial) and self._seq_at(
                    pats, i + 1, tgts, end, trial
                ):
                    caps.clear()
                    caps.update(trial)
                    return True
            return False
        if j == len(tgts):
            return False
        trial = dict(caps)
        if self._value(pat, tgts[j], trial) and self._seq_at(pats, i + 1, tgts, j + 1, trial):
            caps.clear()
            caps.update(trial)
            return True
        return False


def element_value(node: cst.CSTNode) -> cst.CSTNode:
    """What a one-node metavariable captures of a sequence element: its expression when the
    element is nothing more (``f(x)`` -> ``x``), else the whole element (``f(a=1)`` -> ``a=1``)."""
    if isinstance(node, cst.Arg) and node.keyword is None and node.star == "":
        return node.value
    if isinstance(node, cst.Element):
        return node.value
    if isinstance(node, cst.Decorator):
        return node.decorator
    if isinstance(node, cst.WithItem) and node.asname is None:
        return node.item
    if (
        isinstance(node, cst.SubscriptElement)
        and isinstance(node.slice, cst.Index)
        and node.slice.star is None
    ):
        return node.slice.value
    return node


def _suite_items(suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    """A suite's statements; a one-line suite's small statements count as lines."""
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine([s]) for s in suite.body]


def _absent(value: Any) -> bool:
    return value is None or value is cst.MaybeSentinel.DEFAULT or value == ""


def _same(a: Any, b: Any) -> bool:
    """Whether two captures of one metavariable are the same code (layout ignored)."""
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return False
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, cst.CSTNode) and isinstance(b, cst.CSTNode):
        plain = CompiledPattern.__new__(CompiledPattern)
        plain.nodes, plain.kind, plain.loads = (a,), "expression", set()
        return Matcher(plain, Resolver({}, None))._node(a, b, {})
    return bool(a == b)
