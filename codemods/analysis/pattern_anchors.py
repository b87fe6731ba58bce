"""A necessary condition for a pattern rule, decided on CPython's ``ast`` before LibCST parses.

The needles (identifiers every match must spell) let through every file that merely *mentions*
a rule's words: ``def setUp`` inside ``class $CLASS($$$BASES)`` with ``CLASS: ^Test`` and
``BASES: {not: {qualified_name: unittest.*}}`` lets through every unittest file of a tree, and
each of them then costs a LibCST parse, a node index and a rule walk (~0.5 s for a large test
module) to find nothing. Most of that can be told from the ``ast``, which the engine has
already parsed for the pre-checks:

- a pattern rooted at a ``def``/``class`` can only match where the ``ast`` has a function or
  class of that name (or, for a ``$NAME`` metavariable, a name its ``regex`` constraint
  accepts), and, for a ``$$$BASES`` capture with a constraint, whose bases can satisfy it
  (``regex`` on the base's text, ``qualified_name`` on a dotted base the file binds once,
  through ``not``/``all``/``any``);
- ``inside: X`` needs an enclosing ``def``/``class`` that satisfies X's anchor; ``any`` needs
  one branch; ``all`` needs each part (one anchored part is enough as a condition).

Every test is three-valued and conservative: only what is certain to fail in LibCST's
evaluation (:func:`codemods.analysis.pattern_rules.evaluate`, the same name table as
:class:`codemods.analysis.pattern_match.Resolver`) rules a file out; anything this module
does not model (other node kinds, ``has``, ``kind``, text it cannot reproduce exactly, names
only LibCST's scopes can resolve) counts as "may match". ``tests/test_pattern_anchors.py``
checks, on stdlib files, that no file ruled out has a match.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import libcst as cst

from codemods.analysis.pattern_match import CompiledPattern, sequence_placeholder
from codemods.analysis.pattern_rules import Rule, names_match
from codemods.analysis.pattern_syntax import is_capturing, metavariable_of
from codemods.analysis.per_file import one_file_cache
from codemods.analysis.signatures import dotted
from codemods.analysis.text import TextMap
from codemods.analysis.unique_bindings import Bindings, unique_bindings

Tri = bool | None  # True: holds; False: cannot hold; None: not known here

_DEF_KINDS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Anchor:
    """A ``def``/``class`` that must exist in the ``ast`` for the rule to match."""

    kinds: tuple[type[ast.stmt], ...]
    name: str | None = None  # the literal name, if the pattern spells one
    name_rule: Rule | None = None  # the constraint on the name's metavariable
    bases_rule: Rule | None = None  # the constraint on a ``$$$BASES`` capture (each base)
    inside: Anchor | None = None


def program_anchors(rule: Rule, constraints: Mapping[str, Rule]) -> tuple[Anchor, ...] | None:
    """The anchors of which at least one must hold for ``rule`` to match anywhere (None: no
    condition can be read off the rule)."""
    counts: dict[str, int] = {}
    for pattern in _patterns(rule):
        for name in _metavariables(pattern):
            counts[name] = counts.get(name, 0) + 1
    usable = {
        name: sub
        for name, sub in constraints.items()
        if counts.get(name) == 1 and is_capturing(name)  # one capture site: no merge to model
    }
    found = _rule_anchors(rule, usable)
    return tuple(found) if found else None


def may_match(
    anchors: Sequence[Anchor], tree: ast.Module, data: bytes, module_name: str | None
) -> bool:
    """Whether some anchor can hold in ``tree`` (the file's ``ast``; ``data`` its bytes,
    ``module_name`` its dotted name as the pattern step's resolver is given it)."""
    facts = _facts(tree, data, module_name)
    return any(_somewhere(anchor, facts) for anchor in anchors)


# -- reading the rule ----------------------------------------------------------------------------


def _patterns(rule: Rule | None) -> Iterable[CompiledPattern]:
    if rule is None:
        return
    if rule.pattern is not None:
        yield rule.pattern
    for sub in (rule.inside, rule.not_inside, rule.has, rule.not_, *rule.all, *rule.any):
        yield from _patterns(sub)


def _metavariables(pattern: CompiledPattern) -> set[str]:
    names: list[str] = []

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            mv = metavariable_of(node.value)
            if mv is not None:
                names.append(mv[0])

    for node in pattern.nodes:
        node.visit(_Names())
    return set(names)


def _rule_anchors(rule: Rule, constraints: Mapping[str, Rule]) -> list[Anchor] | None:
    own: list[Anchor] | None = None
    if rule.pattern is not None:
        anchor = _pattern_anchor(rule.pattern, constraints)
        own = [anchor] if anchor is not None else None
    for sub in rule.all:
        if own is None:
            own = _rule_anchors(sub, constraints)
    if rule.any and own is None:
        branches: list[Anchor] | None = []
        for sub in rule.any:
            inner = _rule_anchors(sub, constraints)
            if inner is None:
                branches = None
                break
            branches.extend(inner)  # type: ignore[union-attr]
        own = branches or None
    if rule.inside is not None:
        outer = _rule_anchors(rule.inside, constraints)
        if outer is not None:
            if own is None:
                own = outer  # the node is somewhere inside one of these: one must exist
            else:
                own = [
                    a if a.inside is not None else replace(a, inside=o) for a in own for o in outer
                ]
    return own


def _pattern_anchor(pattern: CompiledPattern, constraints: Mapping[str, Rule]) -> Anchor | None:
    if len(pattern.nodes) != 1:
        return None
    node = pattern.nodes[0]
    if isinstance(node, cst.FunctionDef):
        kinds: tuple[type[ast.stmt], ...] = _DEF_KINDS
    elif isinstance(node, cst.ClassDef):
        kinds = (ast.ClassDef,)
    else:
        return None
    mv = metavariable_of(node.name.value)
    # the ast's names are NFKC-normalised: a non-ASCII name in the pattern may be spelled
    # differently there, so it is no condition
    name = node.name.value if mv is None and node.name.value.isascii() else None
    name_rule = constraints.get(mv[0]) if mv is not None and not mv[1] else None
    bases_rule = None
    if isinstance(node, cst.ClassDef) and len(node.bases) == 1:
        seq = sequence_placeholder(node.bases[0])
        if seq is not None:
            bases_rule = constraints.get(seq)
    return Anchor(kinds, name, name_rule, bases_rule)


# -- reading the file ----------------------------------------------------------------------------


@dataclass
class _Def:
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    parent: int  # index of the enclosing def/class record, -1 at module level


class _Facts:
    def __init__(self, tree: ast.Module, data: bytes, module_name: str | None) -> None:
        self.defs: list[_Def] = []
        self.data = data
        self.tree = tree
        self.module_name = module_name
        self._text: TextMap | bool | None = False
        self._names: Bindings | bool | None = False
        stack: list[tuple[ast.AST, int]] = [(tree, -1)]
        while stack:
            node, parent = stack.pop()
            for child in _statements(node):
                here = parent
                if isinstance(child, (*_DEF_KINDS, ast.ClassDef)):
                    self.defs.append(_Def(child, parent))
                    here = len(self.defs) - 1
                stack.append((child, here))

    @property
    def text(self) -> TextMap | None:
        if self._text is False:
            self._text = TextMap.of(self.data)
        return self._text  # type: ignore[return-value]

    @property
    def names(self) -> Bindings | None:
        if self._names is False:
            # the table is asked about class bases alone (:func:`_qualified`): their roots
            roots = set()
            for record in self.defs:
                if isinstance(record.node, ast.ClassDef):
                    for base in record.node.bases:
                        chain = dotted(base)
                        if chain is not None:
                            roots.add(chain.partition(".")[0])
            self._names = unique_bindings(self.data, self.tree, frozenset(roots))
        return self._names  # type: ignore[return-value]


def _statements(node: ast.AST) -> Iterable[ast.AST]:
    """The statements directly in ``node``'s blocks (also handlers' and match cases')."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, field, ()) or ():
            if isinstance(child, ast.stmt):
                yield child
            elif isinstance(child, ast.excepthandler | ast.match_case):
                yield from _statements(child)


_FACTS: list[tuple[ast.Module, _Facts]] = one_file_cache()  # emptied after each file


def _facts(tree: ast.Module, data: bytes, module_name: str | None) -> _Facts:
    if _FACTS and _FACTS[0][0] is tree and _FACTS[0][1].module_name == module_name:
        return _FACTS[0][1]  # the pattern steps of one file share one walk
    facts = _Facts(tree, data, module_name)
    _FACTS[:] = [(tree, facts)]
    return facts


def _somewhere(anchor: Anchor, facts: _Facts) -> bool:
    return any(_holds_at(anchor, i, facts) for i in range(len(facts.defs)))


def _holds_at(anchor: Anchor, index: int, facts: _Facts) -> bool:
    record = facts.defs[index]
    node = record.node
    if not isinstance(node, anchor.kinds):
        return False
    if anchor.name is not None and node.name != anchor.name:
        return False
    if anchor.name_rule is not None and _text_rule(anchor.name_rule, node.name) is False:
        return False
    if anchor.bases_rule is not None and isinstance(node, ast.ClassDef):
        each = (_base_rule(anchor.bases_rule, node, i, facts) for i in range(len(node.bases)))
        if _all(each) is False:
            return False
    if anchor.inside is not None:
        parent = record.parent
        while parent >= 0:
            if _holds_at(anchor.inside, parent, facts):
                return True
            parent = facts.defs[parent].parent
        return False
    return True


# -- three-valued rules on a name or a base ---------------------------------------------------


def _only(rule: Rule, *allowed: str) -> bool:
    """Whether ``rule`` uses nothing but the ``allowed`` parts (and all/any/not)."""
    used = {
        "pattern": rule.pattern is not None,
        "kind": bool(rule.kind),
        "regex": rule.regex is not None,
        "qualified_name": bool(rule.qualified_name),
        "inside": rule.inside is not None,
        "not_inside": rule.not_inside is not None,
        "has": rule.has is not None,
    }
    return not any(on and key not in allowed for key, on in used.items())


def _text_rule(rule: Rule, text: str) -> Tri:
    """``rule`` on a name whose text is ``text`` (regex, all/any/not only)."""
    if not _only(rule, "regex"):
        return None
    parts: list[Tri] = []
    if rule.regex is not None:
        parts.append(rule.regex.search(text) is not None)
    parts.extend(_text_rule(sub, text) for sub in rule.all)
    if rule.any:
        parts.append(_any(_text_rule(sub, text) for sub in rule.any))
    if rule.not_ is not None:
        parts.append(_not(_text_rule(rule.not_, text)))
    return _all(parts)


def _base_rule(rule: Rule, cls: ast.ClassDef, index: int, facts: _Facts) -> Tri:
    """``rule`` on the ``index``-th base of ``cls`` (LibCST's ``Arg``)."""
    if not _only(rule, "regex", "qualified_name"):
        return None
    base = cls.bases[index]
    parts: list[Tri] = []
    if rule.regex is not None:
        text = _base_text(cls, index, facts)
        parts.append(None if text is None else rule.regex.search(text) is not None)
    if rule.qualified_name:
        parts.append(_qualified(rule.qualified_name, base, facts))
    parts.extend(_base_rule(sub, cls, index, facts) for sub in rule.all)
    if rule.any:
        parts.append(_any(_base_rule(sub, cls, index, facts) for sub in rule.any))
    if rule.not_ is not None:
        parts.append(_not(_base_rule(rule.not_, cls, index, facts)))
    return _all(parts)


def _base_text(cls: ast.ClassDef, index: int, facts: _Facts) -> str | None:
    """The base's text as LibCST's index gives it (its ``Arg`` without the comma), when that
    is certainly the base's own source text: the class header on one line with no comment or
    continuation, and nothing but ``(``/``,`` before the base and ``,``/``):`` after it (so no
    parentheses of its own)."""
    text_map = facts.text
    base = cls.bases[index]
    if text_map is None or base.end_col_offset is None or base.end_lineno != cls.lineno:
        return None
    text = text_map.text
    start = text_map.offset(base.lineno, base.col_offset)
    end = text_map.offset(base.end_lineno, base.end_col_offset)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    if "#" in line or "\\" in line:
        return None
    before = text[line_start:start].rstrip(" \t")
    after = text[end : len(text) if line_end < 0 else line_end].lstrip(" \t")
    if not before or not after or before[-1] not in "(," or after[0] not in ",)":
        return None
    name_end = before[:-1].rstrip(" \t")[-1:]
    if before[-1] == "(" and not (name_end.isalnum() or name_end == "_" or not name_end.isascii()):
        return None  # `class A((B)):` the parentheses belong to the base
    if after[0] == ")" and not after[1:].lstrip(" \t").startswith(":"):
        return None
    return text[start:end]


def _qualified(globs: tuple[str, ...], base: ast.expr, facts: _Facts) -> Tri:
    """:func:`codemods.analysis.pattern_rules._qualified` for a base, when the file's name
    table answers for its dotted chain (None: only LibCST's scopes can say)."""
    chain = dotted(base)
    table = facts.names
    known = None if chain is None or table is None else table.resolve(chain, facts.module_name)
    if known is None:
        return None
    names, bound = known
    return names_match(globs, names, bound, chain)


def _all(parts: Iterable[Tri]) -> Tri:
    out: Tri = True
    for part in parts:
        if part is False:
            return False
        if part is None:
            out = None
    return out


def _any(parts: Iterable[Tri]) -> Tri:
    out: Tri = False
    for part in parts:
        if part is True:
            return True
        if part is None:
            out = None
    return out


def _not(part: Tri) -> Tri:
    return None if part is None else not part
