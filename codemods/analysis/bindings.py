"""What every import binds and what every use refers to, over CPython's ``ast`` (no LibCST).

One pass over a module's ``ast`` builds its scopes (module, class, function, lambda,
comprehension; ``global`` / ``nonlocal`` respected), every binding in each scope, and every
read of a name: in code, in string annotations (``x: "OrderedDict[str, int]"``,
``cast("Foo", y)``), in ``# type:`` comments (assignments, ``for``/``with`` and function
signature comments), and in ``__all__``. Import statements carry what they bind and which
alternative branch they sit in (``try/except ImportError``, ``if sys.version_info ...``,
``if TYPE_CHECKING: ... else:``).

>>> model = BindingModel.from_source("import a.b\\nimport a.b as x\\nfrom . import c\\n", "pkg.m")
>>> [(b.name, b.target) for b in model.import_bindings()]
[('a', 'a'), ('x', 'a.b'), ('c', 'pkg.c')]

Queries the steps use: :meth:`BindingModel.bindings_of_module` (the bindings of module M
and its submodules), :meth:`BindingModel.uses_of` (the reads that refer to a binding),
:meth:`BindingModel.reads` (does anything read name N in a scope, and where),
:meth:`BindingModel.binds` (is N bound there at all) and :attr:`ImportStmt.alternative`.
"""

from __future__ import annotations

import ast
import builtins
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from codemods.analysis.imports import resolve_module
from codemods.analysis.text import lines_spelling, reaches

BUILTINS = frozenset(dir(builtins))
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_ALT_TESTS = ("version_info", "TYPE_CHECKING", "PY2", "PY3", "PY37", "PY38", "PY39", "PYPY")
_TYPE_COMMENT = re.compile(r"#\s*type:\s*(?!ignore\b)(.+)$")


#: Statements whose bindings always happen when the statement runs (a ``for`` target, an
#: ``except ... as`` name or a match capture may not).
_UNCONDITIONAL = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.With,
    ast.AsyncWith,
    *((ast.TypeAlias,) if hasattr(ast, "TypeAlias") else ()),
)


@dataclass(eq=False)
class Scope:
    """One scope: ``kind`` is module, class, function, lambda or comprehension."""

    kind: str
    node: ast.AST | None
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    #: ``id`` of the statements directly in the scope's body (not inside an ``if``/``for``/
    #: ``try``/``with``...): a binding one of them makes always happens, in order.
    direct: set[int] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"<Scope {self.kind} {getattr(self.node, 'name', '')}>"


@dataclass(eq=False)
class Binding:
    """A name bound in a scope: by an import (``import_of`` set), a def, a class, an assignment,
    a parameter, a ``for``/``with``/``except`` target..."""

    name: str
    scope: Scope
    kind: str  # import, def, class, assign, param, other
    line: int
    col: int
    #: For an import: the dotted path the name is bound to (``import a.b`` -> ``a``,
    #: ``import a.b as x`` -> ``a.b``, ``from m import n`` -> ``m.n``; None: unresolvable).
    target: str | None = None
    #: For an import: the module the statement imports (``import a.b`` -> ``a.b``).
    module: str | None = None
    stmt: ImportStmt | None = None
    alias: ast.alias | None = None
    #: Made by a statement directly in its scope's body (see :attr:`Scope.direct`).
    direct: bool = False
    #: A ``for`` loop's target (pyflakes reports one shadowing an import of an outer scope).
    loop: bool = False

    def __repr__(self) -> str:
        return f"<Binding {self.name}={self.target or self.kind} @{self.line}>"


@dataclass(eq=False)
class Use:
    """A read of ``name`` in ``scope``: ``chain`` is the dotted chain it heads (``a.b.c`` for
    ``a.b.c`` in code); ``where`` is code, string, type_comment or all."""

    name: str
    scope: Scope
    line: int
    col: int
    chain: str
    where: str = "code"
    deferred: bool = False  # inside a function or lambda body relative to the binding scope


@dataclass(frozen=True)
class Alternative:
    """An import's place in a group of alternative branches (``branch`` 0 is the primary:
    the ``try`` body, the ``if`` body)."""

    group: int
    branch: int
    kind: str  # try, if


@dataclass(eq=False)
class ImportStmt:
    """One import statement, with the bindings it makes."""

    node: ast.Import | ast.ImportFrom
    index: int  # position among the module's import statements, in source order
    scope: Scope
    module: str | None  # absolute module of a ``from`` import (None: unresolvable / ``import``)
    bindings: list[Binding] = field(default_factory=list)
    alternative: Alternative | None = None
    star: bool = False


class BindingModel:
    """The bindings and uses of one module (see the module docstring)."""

    def __init__(
        self,
        tree: ast.Module,
        module_name: str | None = None,
        *,
        is_package: bool = False,
        source: str | None = None,
        only: Iterable[str] | None = None,
    ) -> None:
        """``only``: the caller asks about these names (and about imports) alone, so an
        expression whose lines spell none of them, nor any name an import of the file binds,
        is not walked (it can neither read nor bind such a name). Needs ``source``."""
        self.module_name = module_name
        self.is_package = is_package
        self.module_scope = Scope("module", tree, None)
        self.scopes: list[Scope] = [self.module_scope]
        self.imports: list[ImportStmt] = []
        self.uses: list[Use] = []
        self._groups = 0
        self._alt: list[Alternative | None] = [None]
        self._pending: list[tuple[ast.AST, Scope]] = []
        # no `global` / `nonlocal` spelled anywhere: no scope has a declaration to look for
        declares = source is None or "global" in source or "nonlocal" in source
        lines = imports = None
        if only is not None and source is not None and "\r" not in source:
            lines, imports = _lines_mentioning(tree, source, only)
        _Builder(self, declares, lines, imports).module(tree)
        if source is not None and "type:" in source:
            self._type_comment_lines(source)
        self._by_name: dict[tuple[int, str], list[Use]] = {}
        for use in self.uses:
            resolved = self.scope_read(use.scope, use.name, use.line, use.col)
            self._by_name.setdefault((id(resolved), use.name), []).append(use)

    def release(self) -> None:
        """Break the model's reference cycles (a scope and its bindings, an import statement
        and its bindings) once nothing will ask it anything again: it and the parts of the
        tree it holds are then freed at once, by reference counting, instead of waiting as
        garbage for the cyclic collector (which then walks them). The model is empty after."""
        for scope in self.scopes:
            scope.bindings.clear()
        for stmt in self.imports:
            stmt.bindings.clear()
        self.scopes.clear()
        self.imports.clear()
        self.uses.clear()
        self._by_name.clear()

    @classmethod
    def from_source(
        cls, source: str | bytes, module_name: str | None = None, *, is_package: bool = False
    ) -> BindingModel:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                tree = ast.parse(source, type_comments=True)
            except SyntaxError:  # a misplaced `# type:` comment: read them from the text
                tree = ast.parse(source)
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        return cls(tree, module_name, is_package=is_package, source=text)

    # -- queries --------------------------------------------------------------------------------
    def import_bindings(self) -> Iterator[Binding]:
        for stmt in self.imports:
            yield from stmt.bindings

    def bindings_of_module(self, module: str) -> list[Binding]:
        """Import bindings whose imported module or bound target is ``module`` or under it."""
        out = []
        for binding in self.import_bindings():
            for path in (binding.target, binding.module):
                if path is not None and (path == module or path.startswith(module + ".")):
                    out.append(binding)
                    break
        return out

    def scope_read(self, scope: Scope, name: str, line: int, col: int) -> Scope | None:
        """The scope a read of ``name`` at (line, col) in ``scope`` resolves to: as
        :meth:`scope_of_name`, except that a class body reads its own binding only once it
        was made (``mock = mock.Mock()`` in a class body reads the module's ``mock``)."""
        resolved = self.scope_of_name(scope, name)
        if (
            resolved is scope
            and scope.kind == "class"
            and scope.parent is not None
            and not any((b.line, b.col) < (line, col) for b in scope.bindings.get(name, []))
        ):
            outer: Scope | None = scope.parent
            while outer is not None and outer.kind == "class":
                outer = outer.parent
            return self.scope_of_name(outer, name) if outer is not None else None
        return resolved

    def scope_of_name(self, scope: Scope, name: str) -> Scope | None:
        """The scope a read of ``name`` in ``scope`` resolves to (None: a builtin or unbound)."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in current.globals:
                return self.module_scope if name in self.module_scope.bindings else None
            if name in current.nonlocals:
                first = False
                current = current.parent
                continue
            if name in current.bindings and (first or current.kind != "class"):
                return current
            first = False
            current = current.parent
        return None

    def reads(self, scope: Scope, name: str) -> list[Use]:
        """Every read that resolves to ``name`` of ``scope`` (code, strings, type comments)."""
        return list(self._by_name.get((id(scope), name), ()))

    def uses_of(self, binding: Binding) -> list[Use]:
        """The reads that may see ``binding``: in its scope, not preceded (in straight-line
        order of the same scope) by another binding of the name; deferred reads (in functions)
        count for every binding. Conservative: a read after a rebinding in a branch counts."""
        bindings = binding.scope.bindings.get(binding.name, [])
        out = []
        for use in self.reads(binding.scope, binding.name):
            if use.deferred or use.where == "all" or len(bindings) == 1:
                out.append(use)
                continue
            before = [b for b in bindings if (b.line, b.col) < (use.line, use.col)]
            if not before or before[-1] is binding or _same_statement_group(before, binding):
                out.append(use)
        return out

    def may_see(self, use: Use) -> list[Binding]:
        """The bindings ``use`` may see (the rule of :meth:`uses_of`, for one read): every
        binding of the name for a read in a function body or of a name bound once; else the
        last one before it in source order, with its alternatives (the other branch of a
        ``try/except ImportError``)."""
        scope = self.scope_read(use.scope, use.name, use.line, use.col)
        if scope is None:
            return []
        bindings = scope.bindings.get(use.name, [])
        if use.deferred or use.where == "all" or len(bindings) == 1:
            return list(bindings)
        before = sorted(
            (b for b in bindings if (b.line, b.col) < (use.line, use.col)),
            key=lambda b: (b.line, b.col),
        )
        if not before:
            return []
        last = before[-1]
        group = last.stmt.alternative.group if last.stmt and last.stmt.alternative else None
        if group is None:
            return [last]
        return [
            b
            for b in before
            if b is last
            or (b.stmt is not None and b.stmt.alternative and b.stmt.alternative.group == group)
        ]

    def binding_seen(
        self, scope: Scope, name: str, line: int, col: int, deferred: bool
    ) -> Binding | None:
        """The binding of ``name`` in ``scope`` that a read at (line, col) sees: the one
        before it in source order, or, for a read in a function body (``deferred``: it runs
        after the module's statements), the last one."""
        bindings = sorted(scope.bindings.get(name, []), key=lambda b: (b.line, b.col))
        if deferred:
            return bindings[-1] if bindings else None
        before = [b for b in bindings if (b.line, b.col) <= (line, col)]
        return before[-1] if before else None

    def sees(
        self,
        use_scope: Scope,
        name: str,
        line: int,
        col: int,
        ours: Callable[[Binding], bool],
        extra: Iterable[Binding] = (),
    ) -> bool | None:
        """Whether a read of ``name`` at (line, col) in ``use_scope`` sees a binding ``ours``
        accepts (True), another binding or none (False), or cannot be known (None).

        Straight-line order decides: the last binding before the read in the scope the name
        resolves to, when that binding is a statement directly in the scope's body (it always
        happens); after a conditional one (in an ``if``/``for``/``try`` body, a walrus, a
        ``global`` in a function) only if every binding back to the last direct one agrees. A read in a function
        body below the binding scope runs after the scope's statements: it sees the last one.
        ``extra`` bindings (of any name) count as ours, at their place: an import a rewrite
        will make where another one stands.
        """
        extras = list(extra)
        scope = self.scope_read(use_scope, name, line, col)
        chain: list[Scope] = []
        current: Scope | None = use_scope
        while current is not None and current is not scope:
            chain.append(current)
            current = current.parent
        for index, candidate in enumerate(chain):  # an extra binding in a nearer scope wins
            if any(b.scope is candidate for b in extras) and (
                index == 0 or candidate.kind != "class"
            ):
                scope = candidate
                chain = chain[:index]
                break
        if scope is None:
            return False  # unbound (or a builtin) where the read is
        deferred = any(s.kind in ("function", "lambda") for s in chain)
        found = [(b.line, b.col, ours(b), b) for b in scope.bindings.get(name, [])]
        found += [(b.line, b.col, True, b) for b in extras if b.scope is scope]
        found.sort(key=lambda t: (t[0], t[1]))
        before = found if deferred else [t for t in found if (t[0], t[1]) < (line, col)]
        if not before:
            return False
        verdicts = set()
        for _line, _col, verdict, binding in reversed(before):
            verdicts.add(verdict)
            if binding.direct:
                break  # it always happens: nothing before it is seen
        return verdicts.pop() if len(verdicts) == 1 else None

    def use_at(self, scope: Scope, name: str, line: int, col: int) -> Use | None:
        """The read of ``name`` resolving to ``scope`` at ``line`` (at ``col``, or the only
        one on that line: LibCST counts columns in characters, ``ast`` in bytes)."""
        on_line = [u for u in self.reads(scope, name) if u.line == line and u.where == "code"]
        exact = [u for u in on_line if u.col == col]
        if exact:
            return exact[0]
        return on_line[0] if len(on_line) == 1 else None

    def binds(self, scope: Scope, name: str) -> bool:
        """Whether ``name`` read in ``scope`` refers to anything but a builtin."""
        return self.scope_of_name(scope, name) is not None

    def bound_anywhere(self, name: str) -> bool:
        """Whether any scope of the module binds ``name``."""
        return any(name in s.bindings for s in self.scopes)

    def import_at(self, index: int) -> ImportStmt:
        return self.imports[index]

    def alternatives_of(self, stmt: ImportStmt) -> list[ImportStmt]:
        """The imports in the other branches of ``stmt``'s alternative group."""
        alt = stmt.alternative
        if alt is None:
            return []
        return [
            s
            for s in self.imports
            if s.alternative is not None
            and s.alternative.group == alt.group
            and s.alternative.branch != alt.branch
        ]

    # -- type comments ------------------------------------------------------------------------
    def _type_comment_lines(self, source: str) -> None:
        """Type comments ``ast`` did not attach (``x = []  # type: List[int]`` is attached to the
        Assign; a comment on a line without such a statement is read here as a fallback)."""
        seen = {u.line for u in self.uses if u.where == "type_comment"}
        for number, line in enumerate(source.splitlines(), 1):
            if "type:" not in line or number in seen:
                continue
            match = _TYPE_COMMENT.search(line)
            if match is None:
                continue
            expr = _parse_type_text(match.group(1))
            if expr is None:
                continue
            scope = self._scope_at_line(number)
            for name, chain in _names_in(expr):
                self.uses.append(Use(name, scope, number, 0, chain, "type_comment"))

    def _scope_at_line(self, line: int) -> Scope:
        best = self.module_scope
        for scope in self.scopes[1:]:
            node = scope.node
            start = getattr(node, "lineno", None)
            end = getattr(node, "end_lineno", None)
            if (
                scope.kind in ("function", "class")
                and start is not None
                and end is not None
                and start < line <= end
            ):
                best_start = getattr(best.node, "lineno", 0) if best.node is not None else 0
                if best is self.module_scope or start >= best_start:
                    best = scope
        return best


def _same_statement_group(before: list[Binding], binding: Binding) -> bool:
    """Whether the bindings after ``binding`` among ``before`` are its alternatives (the other
    branch of a try/except ImportError or if/else): a read after both may see either."""
    if binding.stmt is None or binding.stmt.alternative is None:
        return False
    index = before.index(binding) if binding in before else -1
    if index < 0:
        return False
    group = binding.stmt.alternative.group
    return all(
        b.stmt is not None and b.stmt.alternative is not None and b.stmt.alternative.group == group
        for b in before[index + 1 :]
    )


def _parse_type_text(text: str) -> ast.AST | None:
    text = text.strip()
    try:
        if text.startswith("("):
            return ast.parse(text, mode="func_type")
        return ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return None


def _chain(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _names_in(expr: ast.AST) -> Iterator[tuple[str, str]]:
    """(name, dotted chain) of every name an annotation expression reads, strings included."""
    heads: dict[int, str] = {}
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and id(node) not in heads:
            chain = _chain(node)
            if chain is not None:
                inner: ast.AST = node
                while isinstance(inner, ast.Attribute):
                    inner = inner.value
                    heads[id(inner)] = chain
        elif isinstance(node, ast.Name):
            yield node.id, heads.get(id(node), node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            inner_expr = _parse_type_text(node.value)
            if inner_expr is not None:
                yield from _names_in(inner_expr)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((_chain(t) or "").rsplit(".", 1)[-1] in _IMPORT_ERRORS for t in types)


def _is_alternative_test(test: ast.expr) -> bool:
    for node in ast.walk(test):
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        if name in _ALT_TESTS:
            return True
    return False


class _Builder:
    """Fills a :class:`BindingModel` in one walk."""

    def __init__(
        self,
        model: BindingModel,
        declares: bool = True,
        lines: list[int] | None = None,
        imports: list[int] | None = None,
    ) -> None:
        self.m = model
        self.declares = declares  # False: the source spells no `global` / `nonlocal`
        #: The lines an expression must reach to be walked (None: every expression is), and
        #: the lines of the import statements (a body without either is not walked).
        self.lines = lines
        self.import_lines = imports or []
        self._statement: ast.stmt | None = None
        self._stmts: list[ast.stmt] = []  # the statements being walked, innermost last

    def quiet(self, node: ast.stmt) -> bool:
        """Whether ``node``'s lines spell none of the asked names and hold no import: its
        body can neither bind nor read such a name, nor make an import statement."""
        lines = self.lines
        if lines is None:
            return False
        first, last = node.lineno, node.end_lineno
        assert last is not None
        return not reaches(lines, first, last) and not reaches(self.import_lines, first, last)

    # scopes --------------------------------------------------------------------------------
    def new_scope(self, kind: str, node: ast.AST, parent: Scope) -> Scope:
        scope = Scope(kind, node, parent)
        self.m.scopes.append(scope)
        return scope

    def bind(
        self,
        scope: Scope,
        name: str,
        kind: str,
        node: ast.AST,
        at: ast.AST | None = None,
        **extra: object,
    ) -> Binding:
        """Bind ``name``; ``at`` is the statement whose end the binding takes effect at
        (``class C(C)`` reads the old ``C`` first; ``x = x + 1`` too)."""
        target_scope = scope
        if name in scope.globals:
            target_scope = self.m.module_scope
        elif name in scope.nonlocals:
            parent = scope.parent
            while parent is not None and (name not in parent.bindings or parent.kind == "class"):
                parent = parent.parent
            target_scope = parent or scope
        if at is None and kind == "assign":
            at = self._statement
        where = (
            (getattr(at, "end_lineno", 0) or 0, getattr(at, "end_col_offset", 0) or 0)
            if at is not None
            else (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        )
        binding = Binding(
            name,
            target_scope,
            kind,
            where[0],
            where[1],
            **extra,  # type: ignore[arg-type]
        )
        current = self._stmts[-1] if self._stmts else None
        binding.direct = (
            target_scope is scope
            and isinstance(current, _UNCONDITIONAL)
            and id(current) in scope.direct
        )
        target_scope.bindings.setdefault(name, []).append(binding)
        return binding

    def use(self, scope: Scope, node: ast.AST, name: str, chain: str, where: str = "code") -> None:
        self.m.uses.append(
            Use(
                name,
                scope,
                getattr(node, "lineno", 0),
                getattr(node, "col_offset", 0),
                chain,
                where,
                deferred=self._deferred(scope),
            )
        )

    def _deferred(self, scope: Scope) -> bool:
        current: Scope | None = scope
        while current is not None:
            if current.kind in ("function", "lambda"):
                return True
            current = current.parent
        return False

    # statements ----------------------------------------------------------------------------
    def module(self, tree: ast.Module) -> None:
        _note_direct(tree.body, self.m.module_scope)
        self._declarations(tree.body, self.m.module_scope)
        self.block(tree.body, self.m.module_scope)
        while self.m._pending:  # function bodies run after the module's own statements
            node, scope = self.m._pending.pop(0)
            self.function_body(node, scope)

    def _declarations(self, body: Iterable[ast.AST], scope: Scope) -> None:
        """``global`` / ``nonlocal`` apply to the whole scope, wherever they appear."""
        if not self.declares:
            return
        for stmt in body:
            for node in _own_statements(stmt):
                if isinstance(node, ast.Global):
                    scope.globals.update(node.names)
                elif isinstance(node, ast.Nonlocal):
                    scope.nonlocals.update(node.names)

    def block(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self.stmt(stmt, scope)

    def _alternative_block(self, branches: list[list[ast.stmt]], kind: str, scope: Scope) -> None:
        self.m._groups += 1
        group = self.m._groups
        for index, body in enumerate(branches):
            self.m._alt.append(Alternative(group, index, kind))
            self.block(body, scope)
            self.m._alt.pop()

    def stmt(self, node: ast.stmt, scope: Scope) -> None:
        self._stmts.append(node)
        try:
            self._stmt(node, scope)
        finally:
            self._stmts.pop()

    def _stmt(self, node: ast.stmt, scope: Scope) -> None:
        self._statement = (
            node if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) else None
        )
        if isinstance(node, ast.Import | ast.ImportFrom):
            self.import_(node, scope)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                self.expr(deco, scope)
            self.arguments_outer(node.args, scope)
            if node.returns is not None:
                self.annotation(node.returns, scope)
            if node.type_comment:
                self.type_comment(node.type_comment, node, scope)
            self.bind(scope, node.name, "def", node, at=node)
            self.m._pending.append((node, scope))
        elif isinstance(node, ast.ClassDef):
            for deco in node.decorator_list:
                self.expr(deco, scope)
            for base in node.bases:
                self.expr(base, scope)
            for kw in node.keywords:
                self.expr(kw.value, scope)
            if not self.quiet(node):
                inner = self.new_scope("class", node, scope)
                _note_direct(node.body, inner)
                self._declarations(node.body, inner)
                self.block(node.body, inner)
            self.bind(scope, node.name, "class", node, at=node)
        elif isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            if any(_catches_import_error(h) for h in node.handlers):
                branches = [node.body, *[h.body for h in node.handlers]]
                for handler in node.handlers:
                    if handler.type is not None:
                        self.expr(handler.type, scope)
                    if handler.name:
                        self.bind(scope, handler.name, "other", handler)
                self._alternative_block(branches, "try", scope)
            else:
                self.block(node.body, scope)
                for handler in node.handlers:
                    if handler.type is not None:
                        self.expr(handler.type, scope)
                    if handler.name:
                        self.bind(scope, handler.name, "other", handler)
                    self.block(handler.body, scope)
            self.block(node.orelse, scope)
            self.block(node.finalbody, scope)
        elif isinstance(node, ast.If):
            self.expr(node.test, scope)
            if node.orelse and _is_alternative_test(node.test):
                self._alternative_block([node.body, node.orelse], "if", scope)
            else:
                self.block(node.body, scope)
                self.block(node.orelse, scope)
        elif isinstance(node, ast.Assign):
            self.expr(node.value, scope)
            for target in node.targets:
                self.target(target, scope)
            if node.type_comment:
                self.type_comment(node.type_comment, node, scope)
            if scope is self.m.module_scope and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                self.dunder_all(node.value, scope)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value, scope)
            if isinstance(node.target, ast.Name):
                self.use(scope, node.target, node.target.id, node.target.id)
                self.bind(scope, node.target.id, "assign", node.target)
                if node.target.id == "__all__" and scope is self.m.module_scope:
                    self.dunder_all(node.value, scope)
            else:
                self.expr(node.target, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                if _is_type_alias(node.annotation):  # `X: TypeAlias = "A | B"`: a type, read
                    self.annotation(node.value, scope)  # as pyflakes and type checkers do
                else:
                    self.expr(node.value, scope)
            self.annotation(node.annotation, scope)
            if isinstance(node.target, ast.Name):
                if node.value is not None or scope.kind != "module":
                    self.bind(scope, node.target.id, "assign", node.target)
            else:
                self.expr(node.target, scope)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.expr(node.iter, scope)
            before = {id(b) for bs in scope.bindings.values() for b in bs}
            self.target(node.target, scope)
            for bindings in scope.bindings.values():
                for binding in bindings:
                    if id(binding) not in before:
                        binding.loop = True
            if node.type_comment:
                self.type_comment(node.type_comment, node, scope)
            self.block(node.body, scope)
            self.block(node.orelse, scope)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                self.expr(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, scope)
            if node.type_comment:
                self.type_comment(node.type_comment, node, scope)
            self.block(node.body, scope)
        elif isinstance(node, ast.While):
            self.expr(node.test, scope)
            self.block(node.body, scope)
            self.block(node.orelse, scope)
        elif isinstance(node, ast.Match):
            self.expr(node.subject, scope)
            for case in node.cases:
                self.pattern(case.pattern, scope)
                if case.guard is not None:
                    self.expr(case.guard, scope)
                self.block(case.body, scope)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.use(scope, target, target.id, target.id)
                else:
                    self.expr(target, scope)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            pass
        elif getattr(ast, "TypeAlias", None) is not None and isinstance(
            node,
            ast.TypeAlias,  # type: ignore[attr-defined]
        ):
            self.bind(scope, node.name.id, "assign", node)
            self.expr(node.value, scope)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child, scope)
                elif isinstance(child, ast.stmt):
                    self.stmt(child, scope)

    def import_(self, node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        m = self.m
        module: str | None = None
        if isinstance(node, ast.ImportFrom):
            spelled = "." * node.level + (node.module or "")
            module = resolve_module(spelled, m.module_name, is_package=m.is_package)
        stmt = ImportStmt(node, len(m.imports), scope, module, alternative=m._alt[-1])
        m.imports.append(stmt)
        for alias in node.names:
            target: str | None
            if isinstance(node, ast.Import):
                if alias.asname:
                    name, target = alias.asname, alias.name
                else:
                    name = target = alias.name.split(".")[0]
                binding = self.bind(
                    scope,
                    name,
                    "import",
                    node,
                    target=target,
                    module=alias.name,
                    stmt=stmt,
                    alias=alias,
                )
            elif alias.name == "*":
                stmt.star = True
                continue
            else:
                name = alias.asname or alias.name
                target = f"{module}.{alias.name}" if module is not None else None
                binding = self.bind(
                    scope,
                    name,
                    "import",
                    node,
                    target=target,
                    module=module,
                    stmt=stmt,
                    alias=alias,
                )
            stmt.bindings.append(binding)

    def function_body(self, node: ast.AST, scope: Scope) -> None:
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if self.quiet(node):
            return
        inner = self.new_scope("function", node, scope)
        _note_direct(node.body, inner)
        self._declarations(node.body, inner)
        self.arguments_inner(node.args, inner)
        self.block(node.body, inner)

    def arguments_outer(self, args: ast.arguments, scope: Scope) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.expr(default, scope)
        for arg in _all_args(args):
            if arg.annotation is not None:
                self.annotation(arg.annotation, scope)
            if arg.type_comment:
                self.type_comment(arg.type_comment, arg, scope)

    def arguments_inner(self, args: ast.arguments, scope: Scope) -> None:
        for arg in _all_args(args):
            self.bind(scope, arg.arg, "param", arg)

    def target(self, node: ast.expr, scope: Scope) -> None:
        if isinstance(node, ast.Name):
            self.bind(scope, node.id, "assign", node)
        elif isinstance(node, ast.Tuple | ast.List):
            for elt in node.elts:
                self.target(elt, scope)
        elif isinstance(node, ast.Starred):
            self.target(node.value, scope)
        else:
            self.expr(node, scope)

    def pattern(self, node: ast.AST, scope: Scope) -> None:
        for child in ast.walk(node):
            name = getattr(child, "name", None) or getattr(child, "rest", None)
            if isinstance(name, str) and isinstance(
                child, ast.MatchAs | ast.MatchStar | ast.MatchMapping
            ):
                self.bind(scope, name, "assign", child)
            elif isinstance(child, ast.MatchValue | ast.MatchClass):
                expr = child.value if isinstance(child, ast.MatchValue) else child.cls
                self.expr(expr, scope)

    def annotation(self, node: ast.expr, scope: Scope) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.string_expr(node.value, node, scope)
        else:
            self.expr(node, scope, in_annotation=True)

    def string_expr(self, text: str, node: ast.AST, scope: Scope, where: str = "string") -> None:
        expr = _parse_type_text(text)
        if expr is None:
            return
        line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        for name, chain in _names_in(expr):
            self.m.uses.append(Use(name, scope, line, col, chain, where, self._deferred(scope)))

    def type_comment(self, text: str, node: ast.AST, scope: Scope) -> None:
        self.string_expr(text, node, scope, "type_comment")

    def dunder_all(self, value: ast.expr, scope: Scope) -> None:
        for elt in getattr(value, "elts", []):
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                self.m.uses.append(
                    Use(elt.value, scope, elt.lineno, elt.col_offset, elt.value, "all")
                )

    # expressions ----------------------------------------------------------------------------
    def expr(self, node: ast.expr, scope: Scope, in_annotation: bool = False) -> None:
        lines = self.lines
        if lines is not None and not reaches(lines, node.lineno, node.end_lineno):  # type: ignore[arg-type]
            return  # none of the asked names, nor an escape, on its lines
        stack: list[ast.AST] = [node]
        heads: dict[int, str] = {}
        while stack:
            child = stack.pop()
            kind = type(child)
            if kind is ast.Name:
                assert isinstance(child, ast.Name)
                if type(child.ctx) is ast.Load:
                    self.use(scope, child, child.id, heads.get(id(child), child.id))
                else:
                    self.bind(scope, child.id, "assign", child)
                continue
            if kind is ast.Attribute:
                assert isinstance(child, ast.Attribute)
                if id(child) not in heads:
                    chain = _chain(child)
                    if chain is not None:
                        inner: ast.AST = child
                        while isinstance(inner, ast.Attribute):
                            inner = inner.value
                            heads[id(inner)] = chain
                stack.append(child.value)
                continue
            if kind is ast.Constant:  # no child nodes
                assert isinstance(child, ast.Constant)
                if in_annotation and isinstance(child.value, str):
                    self.string_expr(child.value, child, scope)
                continue
            if kind is ast.Lambda:
                assert isinstance(child, ast.Lambda)
                self.arguments_outer(child.args, scope)
                lambda_scope = self.new_scope("lambda", child, scope)
                self.arguments_inner(child.args, lambda_scope)
                self.expr(child.body, lambda_scope)
                continue
            if kind in _COMPREHENSIONS:
                self.comprehension(child, scope)
                continue
            if kind is ast.NamedExpr:
                assert isinstance(child, ast.NamedExpr)
                stack.append(child.value)
                target_scope = scope
                while target_scope.kind == "comprehension" and target_scope.parent is not None:
                    target_scope = target_scope.parent
                walrus = self.bind(target_scope, child.target.id, "assign", child.target)
                walrus.direct = False  # `a and (x := f())`: it may not happen
                continue
            if kind is ast.Call:
                assert isinstance(child, ast.Call)
                if (_chain(child.func) or "").endswith("cast"):
                    first = child.args[0] if child.args else None
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        self.string_expr(first.value, first, scope)
            elif kind is ast.Subscript and not in_annotation:
                assert isinstance(child, ast.Subscript)
                base = _chain(child.value) or ""
                if base.rsplit(".", 1)[-1] in ("Literal",):
                    stack.append(child.value)
                    continue
            _push_children(child, stack)

    def comprehension(self, node: ast.AST, scope: Scope) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.expr(generators[0].iter, scope)  # the first iterable runs in the enclosing scope
        inner = self.new_scope("comprehension", node, scope)
        for index, gen in enumerate(generators):
            if index:
                self.expr(gen.iter, inner)
            self.target(gen.target, inner)
            for cond in gen.ifs:
                self.expr(cond, inner)
        if isinstance(node, ast.DictComp):
            self.expr(node.key, inner)
            self.expr(node.value, inner)
        else:
            self.expr(node.elt, inner)  # type: ignore[attr-defined]


def _lines_mentioning(
    tree: ast.Module, source: str, only: Iterable[str]
) -> tuple[list[int], list[int]]:
    """The sorted numbers of the lines of ``source`` that spell one of ``only``, or a name
    bound by an import statement of ``tree`` that names one of them (anywhere in the file: a
    read may come before its import), or a backslash that may matter (``ESCAPES``: an escape
    may spell a name inside a string read as a type); and the sorted lines of the import statements."""
    asked = {name for name in only if name}
    imports: list[int] = []
    words = set(asked)
    stack: list[ast.AST] = list(tree.body)
    while stack:  # statements only: an import is never inside an expression
        stmt = stack.pop()
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            imports.append(stmt.lineno)
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if asked.intersection(alias.name.split(".")):
                    words.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(stmt, ast.ImportFrom):
            spelled = (stmt.module or "").split(".")
            for alias in stmt.names:
                if alias.name != "*" and (
                    asked.intersection(spelled) or alias.name in asked or stmt.level
                ):
                    words.add(alias.asname or alias.name)
        else:
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                block = getattr(stmt, name, None)
                if block:
                    stack.extend(block)
    return lines_spelling(source, words, escapes=True), sorted(imports)


#: Expression nodes with a scope of their own.
_COMPREHENSIONS = frozenset({ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp})

#: Nodes that hold no other node and no name (``ast.Load``, ``ast.Add``, ...): never walked.
_LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


def _push_children(node: ast.AST, stack: list[ast.AST]) -> None:
    """Push ``node``'s child nodes so that they pop in ``ast.iter_child_nodes`` order,
    leaving out the leaves (:data:`_LEAVES`)."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST) and not isinstance(item, _LEAVES):
                    children.append(item)
        elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
            children.append(value)
    children.reverse()
    stack.extend(children)


def _note_direct(body: list[ast.stmt], scope: Scope) -> None:
    scope.direct.update(id(stmt) for stmt in body)


def _is_type_alias(annotation: ast.expr) -> bool:
    """``TypeAlias`` / ``typing.TypeAlias`` / ``typing_extensions.TypeAlias`` (also quoted)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.strip().rsplit(".", 1)[-1] == "TypeAlias"
    if isinstance(annotation, ast.Name):
        return annotation.id == "TypeAlias"
    return isinstance(annotation, ast.Attribute) and annotation.attr == "TypeAlias"


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def _all_args(args: ast.arguments) -> list[ast.arg]:
    out = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg:
        out.append(args.vararg)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def _own_statements(stmt: ast.AST) -> Iterator[ast.AST]:
    """``stmt`` and the statements nested in its blocks, not entering nested scopes."""
    yield stmt
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(stmt, name, None) or ():
            if isinstance(child, ast.stmt):
                yield from _own_statements(child)
            else:
                for inner in getattr(child, "body", ()):
                    yield from _own_statements(inner)
