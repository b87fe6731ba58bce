"""Run a compiled pattern rule over a module: find matches, compute transforms and rewriters,
fill the fix, and splice it in (statements and arguments removed cleanly with their commas).

One pass rewrites every non-overlapping match (outermost first); passes repeat until none
matches, at most :data:`MAX_PASSES` times (a nested match inside a rewritten one is found by
the next pass). A rule whose fix keeps matching is reported instead of looping.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import libcst as cst

from codemods.analysis.calls import as_new_last
from codemods.analysis.pattern_fix import FixError, FixTemplate, code_of, fill
from codemods.analysis.pattern_match import Captures, Matcher, element_value
from codemods.analysis.pattern_rules import ModuleIndex, Rule, check_constraints, evaluate, gate

MAX_PASSES = 5


@dataclass(frozen=True)
class Transform:
    """``replace`` (regex ``pattern`` -> ``by``), ``substring`` (``start``/``end``),
    ``convert`` (``to_case``) or ``rewrite`` (``rewriters`` joined by ``join_by``) of ``source``."""

    op: str
    source: str
    regex: re.Pattern[str] | None = None
    by: str = ""
    start: int | None = None
    end: int | None = None
    to_case: str = ""
    rewriters: tuple[str, ...] = ()
    join_by: str = ""


@dataclass(frozen=True)
class Rewriter:
    id: str
    rule: Rule
    fix: FixTemplate
    constraints: Mapping[str, Rule] = field(default_factory=dict)
    transforms: tuple[tuple[str, Transform], ...] = ()


@dataclass(frozen=True)
class Program:
    rule: Rule
    fix: FixTemplate | None
    constraints: Mapping[str, Rule] = field(default_factory=dict)
    transforms: tuple[tuple[str, Transform], ...] = ()
    rewriters: Mapping[str, Rewriter] = field(default_factory=dict)
    message: str = ""


@dataclass
class Match:
    node: cst.CSTNode
    caps: Captures
    end: int = 0  # for statement runs: index after the run in the parent's body


@dataclass
class PassResult:
    module: cst.Module
    matches: list[Match]
    edits: int
    problems: list[tuple[cst.CSTNode, str]]


# -- finding ---------------------------------------------------------------------------------


def find(program: Program, index: ModuleIndex) -> list[Match]:
    """Every non-overlapping match of the program's rule, outermost first."""
    rule = program.rule
    pattern = rule.pattern
    matched: set[cst.CSTNode] = set()
    found: list[Match] = []
    if pattern is not None and len(pattern.nodes) > 1:
        matcher = Matcher(pattern, index.resolver)
        for node in index.order:
            body = getattr(node, "body", None)
            if not isinstance(body, tuple | list) or not isinstance(
                node, cst.Module | cst.IndentedBlock
            ):
                continue
            start = 0
            while start < len(body):
                run = matcher.match_run(list(body), start)
                if run is not None and _rest_holds(program, body[start], index, run[0]):
                    found.append(Match(body[start], {**run[0]}, run[1]))
                    start = run[1]
                else:
                    start += 1
        return found
    types = pattern.root_types if pattern is not None else None
    if not rule.kind and pattern is None:
        types = None
    gates = gate(rule)
    for node in index.order:
        if types is not None and not isinstance(node, types):
            continue
        if types is None and pattern is not None and not isinstance(node, cst.BaseExpression):
            continue
        if not all(isinstance(node, g) for g in gates):
            continue
        if any(a in matched for a in index.ancestors(node)):
            continue
        caps = evaluate(rule, node, index)
        if caps is None or not check_constraints(program.constraints, caps, index):
            continue
        matched.add(node)
        found.append(Match(node, caps))
    return found


def _rest_holds(program: Program, first: cst.CSTNode, index: ModuleIndex, caps: Captures) -> bool:
    rest = dataclasses.replace(program.rule, pattern=None)
    got = evaluate(rest, first, index)
    if got is None:
        return False
    caps.update({k: v for k, v in got.items() if k not in caps})
    return check_constraints(program.constraints, caps, index)


# -- transforms and rewriters ----------------------------------------------------------------


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return [w for w in re.split(r"[\s_\-.]+", spaced) if w]


def convert_case(text: str, to_case: str) -> str:
    words = _words(text)
    match to_case:
        case "lowerCase" | "lower":
            return text.lower()
        case "upperCase" | "upper":
            return text.upper()
        case "capitalize":
            return text[:1].upper() + text[1:]
        case "snakeCase" | "snake":
            return "_".join(w.lower() for w in words)
        case "kebabCase" | "kebab":
            return "-".join(w.lower() for w in words)
        case "camelCase" | "camel":
            return words[0].lower() + "".join(w.capitalize() for w in words[1:]) if words else ""
        case "pascalCase" | "pascal":
            return "".join(w.capitalize() for w in words)
    raise ValueError(f"unknown case {to_case!r}")


def compute_transforms(
    transforms: Sequence[tuple[str, Transform]],
    caps: Captures,
    index: ModuleIndex,
    rewriters: Mapping[str, Rewriter],
    depth: int = 0,
) -> Captures:
    out = dict(caps)
    for name, tr in transforms:
        if tr.source not in out:
            raise FixError(f"transform `{name}`: `${tr.source}` is not bound by the pattern")
        value = out[tr.source]
        if tr.op == "rewrite":
            out[name] = _rewrite(tr, value, index, rewriters, depth)
            continue
        text = _text(value, index)
        if tr.op == "replace":
            assert tr.regex is not None
            out[name] = tr.regex.sub(tr.by, text)
        elif tr.op == "substring":
            out[name] = text[tr.start : tr.end]
        elif tr.op == "convert":
            out[name] = convert_case(text, tr.to_case)
    return out


def _text(value: Any, index: ModuleIndex) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_text(v, index) for v in value)
    return index.text(value)


def _rewrite(
    tr: Transform, value: Any, index: ModuleIndex, rewriters: Mapping[str, Rewriter], depth: int
) -> str:
    if depth > 8:
        raise FixError("rewriters call each other too deeply")
    items = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for item in items:
        if isinstance(item, str):
            texts.append(item)
            continue
        text = _rewrite_one(item, tr.rewriters, index, rewriters, depth)
        if text:
            texts.append(text)
    return tr.join_by.join(texts)


def _rewrite_one(
    item: cst.CSTNode,
    ids: Sequence[str],
    index: ModuleIndex,
    rewriters: Mapping[str, Rewriter],
    depth: int,
) -> str:
    """``item``'s text with its first sub-node a rewriter matches replaced by that fix."""
    candidates = [item, *index.descendants(item)]
    for node in candidates:
        for rid in ids:
            rw = rewriters[rid]
            caps = evaluate(rw.rule, node, index)
            if caps is None or not check_constraints(rw.constraints, caps, index):
                continue
            caps = compute_transforms(rw.transforms, caps, index, rewriters, depth + 1)
            new = code_of(fill(rw.fix, caps))
            whole = index.text(item)
            part = index.text(node)
            if node is item or _covers(item, node) or part == whole:
                return new
            return whole.replace(part, new, 1)
    return index.text(item)


def _covers(outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    """``inner`` is all there is of ``outer`` (a statement line of one small statement)."""
    node = outer
    while True:
        if node is inner:
            return True
        if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
            node = node.body[0]
        elif isinstance(node, cst.Expr):
            node = node.value
        elif isinstance(node, cst.Arg | cst.Element) and not getattr(node, "keyword", None):
            node = element_value(node)
            if node is outer:
                return False
        else:
            return False


# -- applying --------------------------------------------------------------------------------

SpellFor = Callable[[cst.CSTNode], Mapping[str, cst.BaseExpression] | str]


def apply(program: Program, index: ModuleIndex, spell_for: SpellFor) -> PassResult:
    """One pass: every match rewritten (or reported when the fix cannot be placed)."""
    matches = find(program, index)
    if program.fix is None or not matches:
        return PassResult(index.module, matches, 0, [])
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    splice: dict[cst.CSTNode, list[cst.CSTNode]] = {}  # element -> its replacement elements
    runs: dict[cst.CSTNode, int] = {}  # first statement of a run -> run length
    problems: list[tuple[cst.CSTNode, str]] = []
    for match in matches:
        spell = spell_for(match.node)
        if isinstance(spell, str):
            problems.append((match.node, spell))
            continue
        try:
            caps = compute_transforms(program.transforms, match.caps, index, program.rewriters)
            new = fill(program.fix, caps, spell)
            if new and not match.end and len(new) == 1 and _same_code(match.node, new[0], index):
                continue  # the fix writes what is there already: not an edit
            if new:
                _keeps_comments(match, new, index)
            _place(match, new, index, replace, splice, runs, program)
        except FixError as exc:
            problems.append((match.node, str(exc)))
    edits = len(replace) + len(splice)
    if not edits:
        return PassResult(index.module, matches, 0, problems)
    module = index.module.visit(_Apply(replace, splice, runs))
    assert isinstance(module, cst.Module)
    return PassResult(module, matches, edits, problems)


def _same_code(old: cst.CSTNode, new: cst.CSTNode, index: ModuleIndex) -> bool:
    return index.text(old) == code_of([new])


def _comments(nodes: Sequence[cst.CSTNode]) -> list[str]:
    out: list[str] = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Comment):
            out.append(node.value)
        stack.extend(node.children)
    return out


def _keeps_comments(match: Match, new: list[cst.CSTNode], index: ModuleIndex) -> None:
    """A fix may move comments but never drop one: such a match is left for a person."""
    old_nodes: list[cst.CSTNode] = [match.node]
    if match.end:
        body = list(cast(Any, index.parents[match.node]).body)
        start = body.index(match.node)
        old_nodes = body[start : match.end]
    kept = _comments(new) + [
        line.comment.value
        for n in old_nodes[:1]
        for line in getattr(n, "leading_lines", ())
        if line.comment
    ]
    missing = list(_comments(old_nodes))
    for comment in kept:
        if comment in missing:
            missing.remove(comment)
    if missing:
        raise FixError(f"the fix would drop the comment `{missing[0]}`")


_SEQ_ELEMENTS = (
    cst.BaseStatement,
    cst.BaseSmallStatement,
    cst.Arg,
    cst.Element,
    cst.Param,
    cst.Decorator,
    cst.WithItem,
    cst.ImportAlias,
    cst.SubscriptElement,
)


def _place(
    match: Match,
    new: list[cst.CSTNode],
    index: ModuleIndex,
    replace: dict[cst.CSTNode, cst.CSTNode],
    splice: dict[cst.CSTNode, list[cst.CSTNode]],
    runs: dict[cst.CSTNode, int],
    program: Program,
) -> None:
    node = match.node
    if match.end:  # a run of statements
        body = list(cast(Any, index.parents[node]).body)
        start = body.index(node)
        runs[node] = match.end - start
        splice[node] = _keep_layout(node, _as_statements(new))
        return
    if (
        isinstance(node, cst.BaseExpression)
        and new
        and all(isinstance(n, cst.BaseExpression) for n in new)
        and len(new) == 1
    ):
        expr = new[0]
        assert isinstance(expr, cst.BaseExpression)
        if type(expr) is type(
            node
        ):  # `f(\n    a, b)` -> `g(\n    a, b)`: the call keeps its layout
            expr = expr.with_changes(**_layout_of(node))
        replace[node] = _keep_parens(node, expr, index)
        return
    # climb from an expression to the element that holds only it (statement, argument, element)
    element: cst.CSTNode = node
    while not isinstance(element, _SEQ_ELEMENTS):
        parent = index.parents.get(element)
        if parent is None or not _only_child(parent, element):
            raise FixError(
                "the fix cannot replace this expression (remove it or give an expression)"
            )
        element = parent
    if isinstance(element, cst.BaseSmallStatement):
        line = index.parents.get(element)
        if (
            isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1
            and (not new or any(isinstance(n, cst.BaseStatement) for n in new))
        ):
            splice[line] = _keep_layout(line, _as_statements(new))
            return
        if any(isinstance(n, cst.BaseCompoundStatement) for n in new):
            raise FixError(
                "a compound statement cannot replace one of several statements on a line"
            )
        smalls: list[cst.CSTNode] = []
        for n in new:
            smalls.extend(n.body if isinstance(n, cst.SimpleStatementLine) else [n])
        splice[element] = smalls
        return
    if isinstance(element, cst.BaseStatement):
        splice[element] = _keep_layout(
            element, _as_statements(new), keep_decorators=_pattern_has_no_decorators(program)
        )
        return
    if new and not all(type(n) is type(element) for n in new):
        if (
            len(new) == 1
            and isinstance(new[0], cst.BaseExpression)
            and isinstance(element, cst.Arg | cst.Element)
        ):
            new = [element.with_changes(value=new[0])]
        else:
            raise FixError(f"the fix is not a {type(element).__name__}")
    splice[element] = new


def _layout_of(node: cst.CSTNode) -> dict[str, Any]:
    """The spacing fields of ``node`` (``whitespace_*``), to give a replacement of its type."""
    return {
        f.name: getattr(node, f.name)
        for f in dataclasses.fields(node)
        if f.name.startswith("whitespace")
    }


def _pattern_has_no_decorators(program: Program) -> bool:
    pattern = program.rule.pattern
    if pattern is None:
        return True
    first = pattern.nodes[0]
    return not getattr(first, "decorators", ())


def _only_child(parent: cst.CSTNode, child: cst.CSTNode) -> bool:
    if isinstance(parent, cst.Expr):
        return parent.value is child
    if isinstance(parent, cst.Arg):
        return parent.value is child and parent.keyword is None and parent.star == ""
    if isinstance(parent, cst.Element):
        return parent.value is child
    if isinstance(parent, cst.Decorator):
        return parent.decorator is child
    if isinstance(parent, cst.WithItem):
        return parent.item is child and parent.asname is None
    return False


def _as_statements(nodes: list[cst.CSTNode]) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    for n in nodes:
        if isinstance(n, cst.BaseStatement):
            out.append(n)
        elif isinstance(n, cst.BaseSmallStatement):
            out.append(cst.SimpleStatementLine([n]))
        elif isinstance(n, cst.BaseExpression):
            out.append(cst.SimpleStatementLine([cst.Expr(n)]))
        else:
            raise FixError(f"a {type(n).__name__} is not a statement")
    return out


def _keep_layout(
    old: cst.CSTNode, new: list[cst.CSTNode], *, keep_decorators: bool = False
) -> list[cst.CSTNode]:
    """The original's comments above it (and, for a def or class, its decorators) stay."""
    if not new:
        return new
    first = new[0]
    if type(first) is type(old):  # `def f(\n    a):` keeps its own spacing
        first = first.with_changes(**_layout_of(old))
    lead = getattr(old, "leading_lines", ())
    if hasattr(first, "leading_lines"):
        first = first.with_changes(leading_lines=(*lead, *first.leading_lines))
    if (
        keep_decorators
        and isinstance(first, cst.FunctionDef | cst.ClassDef)
        and isinstance(old, cst.FunctionDef | cst.ClassDef)
        and not first.decorators
        and old.decorators
    ):
        first = first.with_changes(
            decorators=old.decorators, lines_after_decorators=old.lines_after_decorators
        )
    if (
        keep_decorators
        and isinstance(first, cst.FunctionDef)
        and isinstance(old, cst.FunctionDef)
        and first.returns is None
        and old.returns is not None
    ):
        first = first.with_changes(returns=old.returns)
    return [first, *new[1:]]


_LOW_PRECEDENCE = (
    cst.BooleanOperation,
    cst.Comparison,
    cst.BinaryOperation,
    cst.UnaryOperation,
    cst.IfExp,
    cst.Lambda,
    cst.NamedExpr,
    cst.Await,
    cst.Yield,
)
_ATOMIC = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.SimpleString,
    cst.Integer,
    cst.List,
    cst.Dict,
)
_NO_PARENS_NEEDED = (
    cst.Expr,
    cst.Arg,
    cst.Element,
    cst.Assign,
    cst.AnnAssign,
    cst.Return,
    cst.AugAssign,
    cst.DictElement,
    cst.Index,
    cst.WithItem,
    cst.Decorator,
    cst.AssignTarget,
)


def _keep_parens(
    old: cst.CSTNode, new: cst.BaseExpression, index: ModuleIndex
) -> cst.BaseExpression:
    old_lpar = getattr(old, "lpar", ())
    if old_lpar and not new.lpar:
        one_line = all(isinstance(p.whitespace_after, cst.SimpleWhitespace) for p in old_lpar)
        if isinstance(new, _ATOMIC) and not isinstance(old, _ATOMIC) and one_line:
            return new  # `(await f()).x` -> `f().x`: the parentheses were for the await
        return new.with_changes(lpar=old_lpar, rpar=getattr(old, "rpar", ()))
    parent = index.parents.get(old)
    if (
        isinstance(new, _LOW_PRECEDENCE)
        and not new.lpar
        and not isinstance(old, _LOW_PRECEDENCE)
        and parent is not None
        and not isinstance(parent, _NO_PARENS_NEEDED)
    ):
        return new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return new


class _Apply(cst.CSTTransformer):
    def __init__(
        self,
        replace: Mapping[cst.CSTNode, cst.CSTNode],
        splice: Mapping[cst.CSTNode, list[cst.CSTNode]],
        runs: Mapping[cst.CSTNode, int],
    ) -> None:
        super().__init__()
        self.replace = replace
        self.splice = splice
        self.runs = runs
        self.emptied: set[cst.CSTNode] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node not in self.replace and node not in self.splice

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        if original in self.replace:
            return self.replace[original]
        if original in self.splice:
            return updated
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(updated):
            old_seq = getattr(original, f.name)
            new_seq = getattr(updated, f.name)
            if (
                not isinstance(old_seq, tuple | list)
                or not old_seq
                or not isinstance(old_seq[0], cst.CSTNode)
            ):
                continue
            if len(old_seq) != len(new_seq):
                continue
            if not any(o in self.splice or o in self.emptied for o in old_seq):
                continue
            changes[f.name] = self._spliced(list(old_seq), list(new_seq))
        if not changes:
            return updated
        result = updated.with_changes(**changes)
        if isinstance(result, cst.SimpleStatementLine) and not result.body:
            self.emptied.add(original)
            return updated
        if isinstance(result, cst.IndentedBlock) and not result.body:
            result = result.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        if isinstance(result, cst.SimpleStatementSuite) and not result.body:
            result = result.with_changes(body=[cst.Pass()])
        return result

    def _spliced(self, old: list[cst.CSTNode], new: list[cst.CSTNode]) -> list[cst.CSTNode]:
        out: list[cst.CSTNode] = []
        carry: tuple[cst.EmptyLine, ...] = ()
        skip = 0
        for o, n in zip(old, new, strict=True):
            if skip:
                skip -= 1
                continue
            if o in self.emptied:
                replacement: list[cst.CSTNode] = []
            elif o in self.splice:
                replacement = list(self.splice[o])
                skip = self.runs.get(o, 1) - 1
            else:
                replacement = [n]
            if not replacement:
                lead = tuple(
                    line for line in getattr(o, "leading_lines", ()) if line.comment is not None
                )
                carry = (*carry, *lead)
                continue
            if carry and hasattr(replacement[0], "leading_lines"):
                first = replacement[0]
                replacement[0] = first.with_changes(leading_lines=(*carry, *first.leading_lines))  # type: ignore[attr-defined]
                carry = ()
            out.extend(replacement)
        if (
            out
            and hasattr(out[-1], "comma")
            and hasattr(old[-1], "comma")
            and out[-1] is not new[-1]
        ):
            out[-1] = as_new_last(out[-1], old[-1])
        if out and hasattr(out[-1], "semicolon") and isinstance(old[-1], cst.BaseSmallStatement):
            out[-1] = out[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)  # type: ignore[attr-defined]
        return out
