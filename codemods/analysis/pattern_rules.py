"""Rules over a module's nodes: patterns plus ``kind``, ``regex``, ``qualified_name``,
relational ``inside`` / ``not_inside`` / ``has`` and ``all`` / ``any`` / ``not``, as in ast-grep.

:class:`ModuleIndex` walks a module once (pre-order, parents recorded); :func:`evaluate`
answers "does this node satisfy the rule, and with which metavariables".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import libcst as cst

from codemods.analysis.cst_children import children as node_children
from codemods.analysis.pattern_match import (
    LOCAL_MARK,
    Captures,
    CompiledPattern,
    Matcher,
    Resolver,
    literal_chain,
    single_placeholder,
)


@dataclass(frozen=True)
class Rule:
    """A compiled rule; every given part must hold (an implicit ``all``)."""

    pattern: CompiledPattern | None = None
    kind: tuple[type[cst.CSTNode], ...] = ()
    regex: re.Pattern[str] | None = None
    qualified_name: tuple[str, ...] = ()
    inside: Rule | None = None
    inside_neighbor: bool = False
    not_inside: Rule | None = None
    has: Rule | None = None
    has_neighbor: bool = False
    all: tuple[Rule, ...] = ()
    any: tuple[Rule, ...] = ()
    not_: Rule | None = None


@dataclass
class ModuleIndex:
    """Every node of a module in pre-order, with its parent, and the file's name resolver."""

    module: cst.Module
    resolver: Resolver
    order: list[cst.CSTNode] = field(default_factory=list)
    parents: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    _text: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, module: cst.Module, scopes: Mapping[cst.CSTNode, Any], module_name: str | None
    ) -> ModuleIndex:
        index = cls(module, Resolver(scopes, module_name))
        index.resolver.parents = index.parents
        index.resolver.module = module
        stack: list[cst.CSTNode] = [module]
        while stack:
            node = stack.pop()
            index.order.append(node)
            children = node_children(node)
            for child in children:
                index.parents[child] = node
            stack.extend(reversed(children))
        return index

    def text(self, node: cst.CSTNode) -> str:
        key = id(node)
        if key not in self._text:
            code = self.module.code_for_node(node).strip()
            if isinstance(node, cst.Arg | cst.Element | cst.Param | cst.ImportAlias | cst.WithItem):
                code = code.rstrip(",").rstrip()
            self._text[key] = code
        return self._text[key]

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        out = []
        parent = self.parents.get(node)
        while parent is not None:
            out.append(parent)
            parent = self.parents.get(parent)
        return out

    def descendants(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        out: list[cst.CSTNode] = []
        stack = list(reversed(node_children(node)))
        while stack:
            child = stack.pop()
            out.append(child)
            stack.extend(reversed(node_children(child)))
        return out


Gate = tuple[tuple[type[cst.CSTNode], ...], ...]
_GATES: dict[int, tuple[Rule, Gate]] = {}


def gate(rule: Rule) -> Gate:
    """Node types ``rule`` can only hold at, as a conjunction (``isinstance`` of each tuple):
    a necessary condition, checked before anything else (ast-grep's "potential kinds"), so a
    rule whose parts cannot start at a node never walks its ancestors or descendants there."""
    cached = _GATES.get(id(rule))
    if cached is not None and cached[0] is rule:
        return cached[1]
    out: list[tuple[type[cst.CSTNode], ...]] = []
    if rule.kind:
        out.append(rule.kind)
    if rule.pattern is not None:
        own = _pattern_gate(rule.pattern)
        if own is not None:
            out.append(own)
    for sub in rule.all:
        out.extend(gate(sub))
    if rule.any:
        branches = [gate(sub) for sub in rule.any]
        if all(branches):
            out.append(tuple(dict.fromkeys(t for branch in branches for t in branch[0])))
    result = tuple(out)
    _GATES[id(rule)] = (rule, result)
    return result


def _pattern_gate(pattern: CompiledPattern) -> tuple[type[cst.CSTNode], ...] | None:
    """The node types :meth:`Matcher.match` can succeed on (None: any node)."""
    if len(pattern.nodes) != 1:
        return None
    first = pattern.nodes[0]
    name = single_placeholder(first)
    if name is not None:
        if isinstance(first, cst.Name):
            return None
        if isinstance(first, cst.Expr):
            return (cst.BaseSmallStatement,)
        if isinstance(first, cst.SimpleStatementLine):
            return (cst.BaseStatement,)
        return (type(first),)
    if id(first) in pattern.loads and literal_chain(first) is not None:
        return (cst.Name, cst.Attribute)
    if isinstance(first, cst.SimpleString | cst.ConcatenatedString):
        return (cst.SimpleString, cst.ConcatenatedString)
    if isinstance(first, cst.BaseSuite):
        return (cst.BaseSuite,)
    return (type(first),)


def evaluate(rule: Rule, node: cst.CSTNode, index: ModuleIndex) -> Captures | None:
    """The metavariables ``rule`` binds at ``node``, or None when it does not hold there."""
    caps: Captures = {}
    for types in gate(rule):
        if not isinstance(node, types):
            return None
    if rule.pattern is not None:
        found = Matcher(rule.pattern, index.resolver).match(node)
        if found is None:
            return None
        caps.update(found)
    if rule.regex is not None and not rule.regex.search(index.text(node)):
        return None
    if rule.qualified_name and not _qualified(rule.qualified_name, node, index):
        return None
    if rule.inside is not None:
        chain = index.ancestors(node)
        if rule.inside_neighbor:
            chain = chain[:1]
        hit = _first(rule.inside, chain, index)
        if hit is None:
            return None
        caps = {**hit, **caps}
    if (
        rule.not_inside is not None
        and _first(rule.not_inside, index.ancestors(node), index) is not None
    ):
        return None
    if rule.has is not None:
        inner = list(node.children) if rule.has_neighbor else index.descendants(node)
        hit = _first(rule.has, inner, index)
        if hit is None:
            return None
        caps = {**hit, **caps}
    for sub in rule.all:
        got = evaluate(sub, node, index)
        if got is None:
            return None
        caps = {**got, **caps}
    if rule.any:
        for sub in rule.any:
            got = evaluate(sub, node, index)
            if got is not None:
                caps = {**got, **caps}
                break
        else:
            return None
    if rule.not_ is not None and evaluate(rule.not_, node, index) is not None:
        return None
    return caps


def _first(rule: Rule, nodes: Sequence[cst.CSTNode], index: ModuleIndex) -> Captures | None:
    for candidate in nodes:
        got = evaluate(rule, candidate, index)
        if got is not None:
            return got
    return None


def _qualified(globs: tuple[str, ...], node: cst.CSTNode, index: ModuleIndex) -> bool:
    target = node.func if isinstance(node, cst.Call) else node
    if isinstance(target, cst.Arg | cst.Decorator):
        target = target.value if isinstance(target, cst.Arg) else target.decorator
    names, bound = index.resolver.names(target)
    return names_match(globs, names, bound, literal_chain(target))


def names_match(globs: Sequence[str], names: set[str], bound: bool, spelled: str | None) -> bool:
    """Whether a node with these qualified ``names`` (``bound``: the file binds its root;
    ``spelled``: its literal chain) satisfies ``qualified_name: globs``. A name of the file's
    own (marked) matches only a glob that spells it in full."""
    if not bound and spelled is not None:
        names = {*names, spelled}
    for one in globs:
        pattern = one.replace("**", "*")
        wild = any(ch in pattern for ch in "*?[")
        for name in names:
            if name.startswith(LOCAL_MARK):
                if not wild and name[1:] == pattern:
                    return True
            elif fnmatchcase(name, pattern):
                return True
    return False


def check_constraints(constraints: Mapping[str, Rule], caps: Captures, index: ModuleIndex) -> bool:
    """Whether every constrained metavariable (each element of a sequence one) satisfies its rule."""
    for name, rule in constraints.items():
        if name not in caps:
            continue
        value = caps[name]
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, cst.CSTNode) or evaluate(rule, item, index) is None:
                return False
    return True
