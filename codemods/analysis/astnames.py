"""What a dotted expression such as ``sp.Popen`` refers to, from CPython's ``ast`` and ``symtable``.

The ``ast`` twin of :func:`codemods.analysis.names.qualified_names_of` for the steps that
decide without LibCST (:meth:`Step.edit`). CPython's own scope analysis (``symtable``) says
which scope binds a name; the import statements of that scope say what it is bound to:

>>> text = "import subprocess as sp\\ndef f(sp2):\\n    sp.Popen()\\n"
>>> r = Resolver.of(ast.parse(text), text)
>>> call, scope = next((n, s) for n, s in r.walk() if isinstance(n, ast.Call))
>>> r.qualified_names(call.func, scope)
{'subprocess.Popen'}

Import bindings give dotted paths (as LibCST's ``QualifiedNameSource.IMPORT``); a name bound by
anything else at module or class level (a def, an assignment) gives its qualified name in the
module prefixed with ``"\\0"`` (``"\\0Cls.attr"``, as LibCST's ``LOCAL``; a function's locals
give nothing), and a use whose scope cannot be told for certain raises :class:`Undecided`, so
the caller can let LibCST decide. This module knows nothing about what a step rewrites.
"""

from __future__ import annotations

import ast
import symtable
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from codemods.analysis.quick import scoped_statements

#: Prefix of a local qualified name in :meth:`Resolver.qualified_names`' answer.
LOCAL = "\0"

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, *_COMPREHENSIONS)
_TABLE_NAMES = {ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp",
                ast.GeneratorExp: "genexpr", ast.Lambda: "lambda"}  # fmt: skip


class Undecided(Exception):
    """The ``ast`` and ``symtable`` cannot say for certain: let LibCST's analysis decide."""


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for ``a.b.c`` (as LibCST's ``get_full_name_for_node``: ``f().g`` -> ``f.g``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted_name(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    if isinstance(node, ast.Call):
        return dotted_name(node.func)
    if isinstance(node, ast.Subscript):
        return dotted_name(node.value)
    return None


def _chain(node: ast.expr) -> str | None:
    """``a.b.c`` only for a pure chain of names (LibCST gives no qualified name otherwise)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _chain(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


@dataclass(frozen=True, eq=False)
class _Scope:
    node: ast.AST  # the Module, function, lambda, comprehension or class
    table: symtable.SymbolTable
    parent: _Scope | None


class Resolver:
    """Scopes of one module, for resolving dotted uses to what their imports bind."""

    def __init__(self, tree: ast.Module, table: symtable.SymbolTable) -> None:
        self.tree = tree
        self.table = table
        self._scope_of: dict[int, _Scope] = {}  # id(expression node) -> its scope, on demand
        self._imports: dict[tuple[int, str], list[str | None]] = {}

    @classmethod
    def of(cls, tree: ast.Module, text: str) -> Resolver:
        """``tree`` parsed from ``text``, the module's source."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                table = symtable.symtable(text, "<edit>", "exec")
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                raise Undecided(str(exc)) from exc
        return cls(tree, table)

    # -- scopes ----------------------------------------------------------------------------------
    def walk(
        self, around: Sequence[tuple[int, int]] | None = None
    ) -> Iterator[tuple[ast.AST, _Scope]]:
        """Every node of the module with the scope its names are looked up in; with ``around``
        ((line, UTF-8 column) positions), only the nodes whose span holds one of them (and
        nodes without a position on the way there)."""
        scope = _Scope(self.tree, self.table, None)
        stack: list[tuple[ast.AST, _Scope]] = [(self.tree, scope)]
        kids: dict[_Scope, _Children] = {scope: _Children(scope.table)}
        while stack:
            current, where = stack.pop()
            yield current, where
            for child in reversed(list(self._children(current, where, kids))):
                if around is None or _holds(child[0], around):
                    stack.append(child)

    def _children(
        self, node: ast.AST, where: _Scope, kids: dict[_Scope, _Children]
    ) -> Iterator[tuple[ast.AST, _Scope]]:
        """The node's children, each with its scope: a function's body is its own scope, its
        decorators, defaults and annotations the enclosing one's (and so on for classes,
        lambdas and comprehensions, whose first iterable is evaluated outside)."""
        if isinstance(node, _SCOPES):
            inner = self._enter(node, where, kids)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                outside = [
                    *node.decorator_list,
                    node.args,
                    *([node.returns] if node.returns else []),
                ]
                yield from ((c, where) for c in outside)
                yield from ((c, inner) for c in node.body)
            elif isinstance(node, ast.ClassDef):
                outside = [*node.decorator_list, *node.bases, *node.keywords]
                yield from ((c, where) for c in outside)
                yield from ((c, inner) for c in node.body)
            elif isinstance(node, ast.Lambda):
                yield node.args, where
                yield node.body, inner
            else:
                first, *rest = node.generators
                yield first.iter, where
                yield first.target, inner
                yield from ((c, inner) for c in first.ifs)
                yield from ((c, inner) for c in rest)
                elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]  # type: ignore[attr-defined]
                yield from ((c, inner) for c in elements)
            return
        if isinstance(node, ast.arguments):  # defaults outside, annotations outside too
            yield from ((c, where) for c in ast.iter_child_nodes(node))
            return
        yield from ((c, where) for c in ast.iter_child_nodes(node))

    def _enter(self, node: ast.AST, where: _Scope, kids: dict[_Scope, _Children]) -> _Scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = node.name
        else:
            name = _TABLE_NAMES[type(node)]
        table = kids[where].take(name, node.lineno, _own_locals(node))  # type: ignore[attr-defined]
        inner = _Scope(node, table, where)
        kids[inner] = _Children(table)
        return inner

    # -- names -------------------------------------------------------------------------------------
    def qualified_names(self, node: ast.expr, scope: _Scope) -> set[str]:
        """What the chain ``node`` (``a.b.C``) names through the imports binding ``a`` where it
        is used: dotted paths (a relative import's as LibCST spells it, ``.m.C``, for the caller
        to resolve against the file's module), plus :data:`LOCAL` when ``a`` has a binding that
        is no import.
        Empty for a builtin, an unbound name or an expression that is not a chain of names."""
        full = _chain(node)
        if full is None:
            return set()
        root = full.split(".", 1)[0]
        binder = self._binding_scope(root, scope)
        if binder is None:
            return set()
        symbol = binder.table.lookup(root)
        out: set[str] = set()
        if symbol.is_assigned() or symbol.is_parameter() or not symbol.is_imported():
            prefix = _qualname_prefix(binder)
            if prefix is not None:
                out.add(LOCAL + prefix + full)
        if symbol.is_imported():
            for target in self._import_targets(binder, root):
                if target is None:
                    raise Undecided(f"import binding {root} not found")
                out.add(_qualify(target, root, full))  # relative: as LibCST spells it
        return out

    def _binding_scope(self, name: str, scope: _Scope) -> _Scope | None:
        """The scope whose binding of ``name`` a use in ``scope`` sees (None: builtin/unbound)."""
        try:
            symbol = scope.table.lookup(name)
        except KeyError:
            symbol = None
        if symbol is not None:
            if symbol.is_declared_global() or (symbol.is_global() and not symbol.is_local()):
                return self._module_binding(name)
            if symbol.is_local():
                return self._checked(scope, name)
            if symbol.is_free():
                outer = scope.parent
                while outer is not None:
                    if outer.table.get_type() != "class":
                        try:
                            found = outer.table.lookup(name)
                        except KeyError:
                            found = None
                        if found is not None and found.is_local():
                            return outer
                    outer = outer.parent
                raise Undecided(f"free variable {name} without an enclosing binding")
        if scope.table.get_type() == "module":
            return None
        return self._module_binding(name)

    def _checked(self, scope: _Scope, name: str) -> _Scope:
        if scope.parent is None and _assigned_global_elsewhere(self.table, name):
            raise Undecided(f"{name} is bound through a `global` declaration")
        return scope

    def _module_binding(self, name: str) -> _Scope | None:
        try:
            symbol = self.table.lookup(name)
        except KeyError:
            return None
        if not (symbol.is_local() or symbol.is_imported() or symbol.is_assigned()):
            return None
        return self._checked(_Scope(self.tree, self.table, None), name)

    def _import_targets(self, scope: _Scope, name: str) -> list[str | None]:
        """The dotted targets of the imports binding ``name`` in ``scope``'s own statements."""
        key = (id(scope.node), name)
        if key not in self._imports:
            body = scope.node.body if hasattr(scope.node, "body") else []
            found: list[str | None] = []
            if isinstance(body, list):
                owner = scope.node if scope.parent is not None else None
                for stmt, inner in scoped_statements(body, owner):  # type: ignore[arg-type]
                    if inner is not owner or not isinstance(stmt, ast.Import | ast.ImportFrom):
                        continue
                    found += _targets(stmt, name)
            if not found:
                found = [None]  # symtable says imported: an import we cannot see (e.g. in a lambda)
            self._imports[key] = found
        return self._imports[key]


class _Children:
    """A symbol table's child tables, taken in source order by (name, line)."""

    def __init__(self, table: symtable.SymbolTable) -> None:
        self._left: dict[tuple[str, int], list[symtable.SymbolTable]] = {}
        for child in table.get_children():
            self._left.setdefault((child.get_name(), child.get_lineno()), []).append(child)

    def take(self, name: str, line: int, own: set[str] | None) -> symtable.SymbolTable:
        """The table for a scope named ``name`` on ``line``; several (comprehensions or lambdas
        on one line) are told apart by the names they bind (``own``)."""
        tables = self._left.get((name, line))
        if not tables:
            raise Undecided(f"no symbol table for {name} at line {line}")
        if len(tables) > 1:
            fits = [
                t for t in tables
                if own is not None
                and {s.get_name() for s in t.get_symbols() if s.is_local()} == own
            ]  # fmt: skip
            shapes = {_shape(t) for t in fits}
            if len(fits) > 1 and len(shapes) == 1 and None not in shapes:
                fits = fits[:1]  # alike in every way a lookup can tell: either will do
            if len(fits) != 1:
                raise Undecided(f"several {name} scopes on line {line}")
            tables.remove(fits[0])
            return fits[0]
        return tables.pop(0)


def _shape(table: symtable.SymbolTable) -> tuple[object, ...] | None:
    """What a lookup in ``table`` can tell (None: it has nested scopes, which could differ)."""
    if table.has_children():
        return None
    return tuple(
        sorted(
            (s.get_name(), s.is_local(), s.is_free(), s.is_global(), s.is_imported(),
             s.is_assigned(), s.is_parameter(), s.is_declared_global())
            for s in table.get_symbols()
        )
    )  # fmt: skip


def _own_locals(node: ast.AST) -> set[str] | None:
    """The names a lambda or comprehension binds in its own scope (None: a def or class)."""
    if isinstance(node, ast.Lambda):
        a = node.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
        return {p.arg for p in params}
    if isinstance(node, _COMPREHENSIONS):
        names = {".0"}
        for generator in node.generators:
            names |= {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
        return names
    return None


def _holds(node: ast.AST, positions: Sequence[tuple[int, int]]) -> bool:
    start = getattr(node, "lineno", None)
    if start is None:
        return True
    begin, end = (start, node.col_offset), (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return any(begin <= p <= end for p in positions)  # type: ignore[operator]


def _qualname_prefix(scope: _Scope) -> str | None:
    """``"Outer.Inner."`` for names bound in a class body, ``""`` at module level, None inside
    a function, lambda or comprehension (``<locals>``: no qualified name)."""
    parts: list[str] = []
    current: _Scope | None = scope
    while current is not None and current.parent is not None:
        if not isinstance(current.node, ast.ClassDef):
            return None
        parts.append(current.node.name)
        current = current.parent
    return "".join(f"{p}." for p in reversed(parts))


def _assigned_global_elsewhere(table: symtable.SymbolTable, name: str) -> bool:
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        try:
            symbol = child.lookup(name)
        except KeyError:
            symbol = None
        if symbol is not None and symbol.is_declared_global() and symbol.is_assigned():
            return True
        stack.extend(child.get_children())
    return False


def _targets(stmt: ast.Import | ast.ImportFrom, name: str) -> list[str | None]:
    """What ``stmt`` binds ``name`` to: ``import a.b`` -> ``a`` as ``"a"`` (the use spells the
    rest), ``import a.b as m`` -> ``"a.b"``, ``from .m import A as n`` -> ``".m.A"``."""
    out: list[str | None] = []
    for alias in stmt.names:
        bound = alias.asname or alias.name.split(".", 1)[0]
        if bound != name or alias.name == "*":
            continue
        if isinstance(stmt, ast.Import):
            out.append("" if alias.asname is None else alias.name)
        else:
            prefix = "." * stmt.level + (stmt.module or "")
            out.append(f"{prefix}.{alias.name}" if stmt.module else f"{prefix}{alias.name}")
    return out


def _qualify(target: str, root: str, full: str) -> str:
    """``full`` (``m.c.d``) with its root ``m`` replaced by the import's target (``a.b``);
    ``""``: a plain ``import a.b`` binding ``a``, whose use is spelled in full already."""
    if target == "":
        return full
    return target + full[len(root) :]
