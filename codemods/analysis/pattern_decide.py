"""Decide a pattern rule rooted at a ``def``/``class`` EXACTLY on CPython's ``ast``: every
match, its captures' text, line and column, as LibCST's evaluation would give them.

The ``ast`` anchors (:mod:`codemods.analysis.pattern_anchors`) only rule files out; a file
they let through costs a LibCST parse, the node index and a rule walk (~0.7 s for a large
stdlib test module) even when the rule only reports (a review rule such as the
``unittest-setup-to-pytest`` recipe's "this class has base classes"), or matches nothing
once its constraints are decided. :func:`decide` answers the same question without LibCST
when it can be certain, and says "not known" (None) otherwise, so the caller falls back to
LibCST's path (always safe).

It mirrors :func:`codemods.analysis.pattern_rewrite.find` and
:func:`codemods.analysis.pattern_rules.evaluate` for the rules it models, and nothing else:

- every pattern is one ``def``/``async def``/``class`` whose name is literal or a ``$NAME``,
  without decorators or a return annotation (which a pattern may leave out: any code
  matches), whose parameters are plain names and ``$$$`` sequences, whose bases are one
  ``$$$BASES`` and whose body is one ``$$$`` (so the body never decides);
- the rule combines such patterns with ``any``/``all``/``not``/``inside``/``not_inside``
  (not ``stop_by: neighbor``), each part needing a ``def``/``class`` at its node;
- constraints are those :mod:`pattern_anchors` answers three-valued (``regex`` on a name;
  ``regex``/``qualified_name`` on each base through the file's unique bindings); any
  "not known" anywhere in the file makes the whole answer None.

Parity with LibCST's path (status, bytes and every diagnostic) is checked by
tests/test_pattern_decide.py on real files with :data:`ENABLED` on and off.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from codemods.analysis.pattern_anchors import _base_rule, _base_text, _Facts, _facts, _text_rule
from codemods.analysis.pattern_match import CompiledPattern, _suite_items, sequence_placeholder
from codemods.analysis.pattern_rewrite import Program
from codemods.analysis.pattern_rules import Rule
from codemods.analysis.pattern_syntax import is_capturing, metavariable_of

#: Switch the ``ast`` decision off (every file goes through LibCST): for parity checks.
ENABLED = True

Tri = bool | None


class _Unknown(Exception):
    """Only LibCST's evaluation can say (raised anywhere; the whole file falls back)."""


@dataclass(frozen=True)
class _Shape:
    """A pattern's one ``def``/``class``, as far as it decides a match."""

    is_class: bool
    is_async: bool
    name: str | None  # the literal name
    name_cap: str | None  # or the capture of ``$NAME`` (None: ``$_`` or literal)
    params: tuple[tuple[bool, str | None], ...]  # (is a ``$$$`` sequence, literal or capture)
    bases_cap: str | None  # ``$$$BASES``'s capture name (classes)
    any_bases: bool  # the pattern has a ``$$$`` for the bases (else: none may be given)
    opaque: tuple[str, ...]  # captures whose text is not modelled (body, parameters)


@dataclass
class Found:
    """One match: where LibCST's ``start_positions`` puts it, its captures, its message."""

    line: int
    column: int  # 1-based, as the pattern step reports it
    caps: dict[str, object]
    message: str = ""


class Decider:
    """A compiled program's exact ``ast`` decision, or :attr:`supported` False when the
    program uses something this module does not model."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._shapes: dict[int, _Shape] = {}
        self.supported = (
            (program.rule.pattern is None or len(program.rule.pattern.nodes) == 1)
            and self._rule_ok(program.rule)
            and _needs_def(program.rule)
        )

    # -- reading the rule --------------------------------------------------------------
    def _rule_ok(self, rule: Rule) -> bool:
        if rule.kind or rule.regex is not None or rule.qualified_name or rule.has is not None:
            return False
        if rule.inside_neighbor:
            return False
        if rule.pattern is not None:
            shape = _shape(rule.pattern)
            if shape is None:
                return False
            self._shapes[id(rule)] = shape
        for sub in (rule.inside, rule.not_inside, rule.not_, *rule.all, *rule.any):
            if sub is not None and not self._rule_ok(sub):
                return False
        for sub in (rule.inside, rule.not_inside):
            if sub is not None and not _needs_def(sub):
                return False  # an ancestor that is not a def/class could satisfy it
        return True

    # -- deciding ----------------------------------------------------------------------
    def matches(
        self, tree: ast.Module, data: bytes, module_name: str | None, message: str | None = None
    ) -> list[Found] | None:
        """Every match :func:`pattern_rewrite.find` would give, in its order, with
        ``message`` filled in as the pattern step reports it; None when only LibCST can say
        (the file's encoding, a name, a base, a constraint, a capture the message names)."""
        if not self.supported:
            return None
        facts = _facts(tree, data, module_name)
        if facts.text is None:
            return None
        run = _Run(self, facts, tree)
        try:
            found = run.find()
            if message is not None:
                for one in found:
                    one.message = _render(message, one.caps, facts)
        except (_Unknown, RecursionError):
            return None
        return found


def _needs_def(rule: Rule) -> bool:
    """Whether ``rule`` can only hold at a ``def``/``class`` node of the module."""
    if rule.pattern is not None and _shape(rule.pattern) is not None:
        return True
    if any(_needs_def(sub) for sub in rule.all):
        return True
    return bool(rule.any) and all(_needs_def(sub) for sub in rule.any)


def _shape(pattern: CompiledPattern) -> _Shape | None:
    nodes = pattern.nodes
    if len(nodes) != 1:
        return None
    node = nodes[0]
    if not isinstance(node, cst.FunctionDef | cst.ClassDef):
        return None
    if node.decorators or getattr(node, "type_parameters", None) is not None:
        return None
    seen: list[str] = []
    name, name_cap = _name(node.name.value, seen)
    if name is None and name_cap is None and metavariable_of(node.name.value) is None:
        return None
    body = list(_suite_items(node.body))
    if len(body) != 1:
        return None
    body_cap = sequence_placeholder(body[0])
    if body_cap is None:
        return None
    opaque = [body_cap] if is_capturing(body_cap) else []
    seen.extend(opaque)
    if isinstance(node, cst.ClassDef):
        if node.keywords or len(node.bases) > 1:
            return None
        bases_cap = sequence_placeholder(node.bases[0]) if node.bases else None
        if node.bases and bases_cap is None:
            return None
        any_bases = bases_cap is not None
        if bases_cap is not None and is_capturing(bases_cap):
            seen.append(bases_cap)
        else:
            bases_cap = None
        shape = _Shape(True, False, name, name_cap, (), bases_cap, any_bases, tuple(opaque))
    else:
        if node.returns is not None:
            return None
        ps = node.params
        if (
            not isinstance(ps.star_arg, cst.MaybeSentinel)
            or ps.kwonly_params
            or ps.star_kwarg is not None
            or ps.posonly_params
            or not isinstance(ps.posonly_ind, cst.MaybeSentinel)
        ):
            return None
        params: list[tuple[bool, str | None]] = []
        for param in ps.params:
            if (
                param.annotation is not None
                or param.default is not None
                or param.star
                not in (
                    "",
                    cst.MaybeSentinel.DEFAULT,
                )
            ):
                return None
            mv = metavariable_of(param.name.value)
            if mv is None:
                params.append((False, param.name.value))
            elif mv[1]:
                cap = mv[0] if is_capturing(mv[0]) else None
                if cap is not None:
                    seen.append(cap)
                    opaque.append(cap)
                params.append((True, cap))
            else:
                return None  # one parameter as `$P`: a Param capture, not modelled
        shape = _Shape(
            False,
            node.asynchronous is not None,
            name,
            name_cap,
            tuple(params),
            None,
            False,
            tuple(opaque),
        )
    if len(seen) != len(set(seen)):
        return None  # a capture used twice must match the same code: not modelled
    return shape


def _name(value: str, seen: list[str]) -> tuple[str | None, str | None]:
    mv = metavariable_of(value)
    if mv is None:
        return value, None
    if mv[1]:
        return None, None
    if is_capturing(mv[0]):
        seen.append(mv[0])
        return None, mv[0]
    return None, None


# -- one file ----------------------------------------------------------------------------------


class _Bases:
    """A ``$$$BASES`` capture: the class whose bases they are."""

    __slots__ = ("cls",)

    def __init__(self, cls: ast.ClassDef) -> None:
        self.cls = cls


class _Opaque:
    """A capture whose text this module does not reproduce (a body, parameters)."""


_OPAQUE = _Opaque()
_MV = re.compile(r"\$(?:\$\$)?([A-Z_][A-Z0-9_]*)")  # as pattern._message reads a message
_HEADER = re.compile(r"[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([^\W\d]\w*)")

Caps = dict[str, object]


class _Run:
    def __init__(self, decider: Decider, facts: _Facts, tree: ast.Module) -> None:
        self.decider = decider
        self.facts = facts
        self.tree = tree
        self.defs = facts.defs
        self._memo: dict[tuple[int, int], Caps | None] = {}
        self._header: dict[int, int] = {}

    def find(self) -> list[Found]:
        program = self.decider.program
        matched: set[int] = set()
        found: list[Found] = []
        for i in self._preorder():
            if any(a in matched for a in self._ancestors(i)):
                continue
            caps = self.eval(program.rule, i)
            if caps is None:
                continue
            ok = self._constraints(caps)
            if ok is None:
                raise _Unknown
            if ok:
                matched.add(i)
                line, column = self._position(i)
                found.append(Found(line, column, caps))
        return found

    def _preorder(self) -> Iterator[int]:
        """The def/class records in LibCST's pre-order (a node before its children; a
        ``try``'s body, handlers, ``else``, ``finally`` in that order)."""
        index = {id(d.node): i for i, d in enumerate(self.defs)}
        stack: list[ast.AST] = list(reversed(list(_ordered_statements(self.tree))))
        while stack:
            node = stack.pop()
            at = index.get(id(node))
            if at is not None:
                yield at
            stack.extend(reversed(list(_ordered_statements(node))))

    def _ancestors(self, i: int) -> Iterator[int]:
        parent = self.defs[i].parent
        while parent >= 0:
            yield parent
            parent = self.defs[parent].parent

    def _position(self, i: int) -> tuple[int, int]:
        node = self.defs[i].node
        self._name_text(i)  # checks the header is what the ast says
        return node.lineno, node.col_offset + 1

    def _name_text(self, i: int) -> str:
        """The def/class name as written, checked against the ``ast``'s (which normalises
        identifiers: NFKC) at the header's position, indentation plain spaces and tabs (so
        the ``ast``'s byte column is LibCST's character column)."""
        node = self.defs[i].node
        if i not in self._header:
            text = self.facts.text
            assert text is not None
            start = text.offset(node.lineno, 0)
            line_end = text.text.find("\n", start)
            line = text.text[start : len(text.text) if line_end < 0 else line_end]
            hit = _HEADER.match(line)
            if hit is None or hit.group(1) != node.name or "\x0c" in line[: hit.start(1)]:
                raise _Unknown
            self._header[i] = 1
        return node.name

    # -- the rule at one def/class ------------------------------------------------------
    # :func:`pattern_rules.evaluate` part for part, in its order: the captures when the rule
    # holds at the record, None when it does not; whatever the ``ast`` cannot tell raises
    # :class:`_Unknown` (the whole file is then LibCST's).
    def eval(self, rule: Rule, i: int) -> Caps | None:
        key = (id(rule), i)
        if key not in self._memo:
            self._memo[key] = self._eval(rule, i)
        return self._memo[key]

    def _eval(self, rule: Rule, i: int) -> Caps | None:
        caps: Caps = {}
        if rule.pattern is not None:
            found = self._pattern(self.decider._shapes[id(rule)], i)
            if found is None:
                return None
            caps.update(found)
        if rule.inside is not None:
            hit = self._first(rule.inside, i)
            if hit is None:
                return None
            caps = {**hit, **caps}
        if rule.not_inside is not None and self._first(rule.not_inside, i) is not None:
            return None
        for sub in rule.all:
            got = self.eval(sub, i)
            if got is None:
                return None
            caps = {**got, **caps}
        if rule.any:
            for sub in rule.any:
                got = self.eval(sub, i)
                if got is not None:
                    caps = {**got, **caps}
                    break
            else:
                return None
        if rule.not_ is not None and self.eval(rule.not_, i) is not None:
            return None
        return caps

    def _first(self, rule: Rule, i: int) -> Caps | None:
        """:func:`pattern_rules._first` over the ancestors, nearest first (the ones that are
        not a def/class cannot satisfy a rule that needs one)."""
        for a in self._ancestors(i):
            got = self.eval(rule, a)
            if got is not None:
                return got
        return None

    def _pattern(self, shape: _Shape, i: int) -> Caps | None:
        node = self.defs[i].node
        if shape.is_class:
            if not isinstance(node, ast.ClassDef):
                return None
        elif not isinstance(node, ast.AsyncFunctionDef if shape.is_async else ast.FunctionDef):
            return None
        caps: Caps = {}
        if shape.name is not None:
            if node.name != shape.name:
                if node.name.isascii() and shape.name.isascii():
                    return None
                raise _Unknown  # NFKC: the ast's name need not be the source's
            self._name_text(i)
        elif shape.name_cap is not None:
            caps[shape.name_cap] = self._name_text(i)
        if isinstance(node, ast.ClassDef):
            if node.keywords or (node.bases and not shape.any_bases):
                return None  # LibCST's `keywords` (and `bases`): the pattern has none
            if shape.bases_cap is not None:
                caps[shape.bases_cap] = _Bases(node)
        else:
            args = node.args
            if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg:
                return None
            first_default = len(args.args) - len(args.defaults)
            plain = [
                None if a.annotation is not None or k >= first_default else a.arg
                for k, a in enumerate(args.args)
            ]
            if not _params_match(shape.params, 0, plain, 0):
                return None
        for name in shape.opaque:
            caps[name] = _OPAQUE
        return caps

    # -- constraints ----------------------------------------------------------------------
    def _constraints(self, caps: Caps) -> Tri:
        out: Tri = True
        for name, rule in self.decider.program.constraints.items():
            if name not in caps:
                continue
            value = caps[name]
            if isinstance(value, str):
                part = _text_rule(rule, value)
            elif isinstance(value, _Bases):
                cls = value.cls
                part = True
                for k in range(len(cls.bases)):
                    one = _base_rule(rule, cls, k, self.facts)
                    if one is False:
                        part = False
                        break
                    if one is None:
                        part = None
            else:
                part = None
            if part is False:
                return False
            if part is None:
                out = None
        return out


def _ordered_statements(node: ast.AST) -> Iterator[ast.AST]:
    for field in ("body", "handlers", "orelse", "finalbody", "cases"):
        for child in getattr(node, field, ()) or ():
            if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                yield child


def _params_match(
    pats: tuple[tuple[bool, str | None], ...], i: int, tgts: list[str | None], j: int
) -> bool:
    """:meth:`Matcher._seq_at` over parameters: a literal name matches a parameter of that
    name with no annotation or default (``None`` in ``tgts``), a ``$$$`` any run."""
    if i == len(pats):
        return j == len(tgts)
    is_seq, name = pats[i]
    if is_seq:
        return any(_params_match(pats, i + 1, tgts, end) for end in range(j, len(tgts) + 1))
    if j == len(tgts) or tgts[j] is None or tgts[j] != name:
        return False
    return _params_match(pats, i + 1, tgts, j + 1)


def _render(message: str, caps: Caps, facts: _Facts) -> str:
    return _MV.sub(lambda m: _cap_text(m, caps, facts), message)


def _cap_text(m: re.Match[str], caps: Caps, facts: _Facts) -> str:
    value = caps.get(m.group(1))
    if value is None:
        return m.group(0)
    if isinstance(value, str):
        return value
    if isinstance(value, _Bases):
        texts = [_base_text(value.cls, k, facts) for k in range(len(value.cls.bases))]
        if any(t is None for t in texts):
            raise _Unknown
        return ", ".join(t for t in texts if t is not None)
    raise _Unknown
