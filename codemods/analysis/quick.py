"""Helpers for steps' pre-checks over the stdlib ``ast`` (see :meth:`Step.precheck`).

These run on every file whose needles match, before any LibCST parse, so they stay cheap:
they walk statements, not expressions, unless a step asks for more, and leave scope analysis
to CPython's own ``symtable``.
"""

from __future__ import annotations

import ast
import symtable
import warnings
from collections.abc import Iterable, Iterator

#: Fields of a statement that hold nested statements (or handlers/cases holding them).
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def uses_async(node: ast.AST) -> bool:
    """Whether ``node`` (a function, usually) contains ``await``, ``async for``/``with`` or an
    async comprehension anywhere, nested scopes included (a superset of "its own body does")."""
    for child in ast.walk(node):
        if isinstance(child, ast.Await | ast.AsyncFor | ast.AsyncWith):
            return True
        if isinstance(child, ast.comprehension) and child.is_async:
            return True
    return False


def scoped_statements(
    body: Iterable[ast.stmt], scope: ast.stmt | None = None
) -> Iterator[tuple[ast.stmt, ast.stmt | None]]:
    """Every statement in ``body`` and, recursively, in the blocks of those statements, each
    with its innermost enclosing function or class (None: the module).

    Expressions are not entered (a lambda or comprehension holds no statements), which makes
    this several times cheaper than ``ast.walk`` over a whole module.
    """
    for stmt in body:
        yield stmt, scope
        inner = stmt if isinstance(stmt, _SCOPES) else scope
        for name in _BLOCKS:
            for child in getattr(stmt, name, None) or ():
                if isinstance(child, ast.stmt):
                    yield from scoped_statements([child], inner)
                else:  # an except handler or a match case
                    yield from scoped_statements(child.body, inner)


class Reads:
    """Which names each scope of a module reads, by CPython's own scope analysis (``symtable``).

    Raises ``SyntaxError`` (and the like) when the module does not parse.
    """

    def __init__(self, data: bytes) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.table = symtable.symtable(data, "<precheck>", "exec")  # type: ignore[arg-type]
        self._global: set[str] | None = None

    def _scopes(self) -> Iterator[symtable.SymbolTable]:
        stack = [self.table]
        while stack:
            scope = stack.pop()
            yield scope
            stack.extend(scope.get_children())

    def of_globals(self) -> set[str]:
        """Names read as module globals: by module-level code, or by a function or class body
        that does not bind them itself (so an import of them at module level is used)."""
        if self._global is None:
            self._global = {
                symbol.get_name()
                for scope in self._scopes()
                for symbol in scope.get_symbols()
                if symbol.is_referenced() and (scope.get_type() == "module" or symbol.is_global())
            }
        return self._global

    def of_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str] | None:
        """Names the function's own body reads (None: its scope was not found)."""
        for scope in self._scopes():
            if (
                scope.get_type() == "function"
                and scope.get_name() == node.name
                and scope.get_lineno() == node.lineno
            ):
                return {s.get_name() for s in scope.get_symbols() if s.is_referenced()}
        return None
