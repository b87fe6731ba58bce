"""The pytest half of the one-pass collector: marks, async tests and async setup hooks.

``pytest.mark.X``, ``mark.X`` (``from pytest import mark``) and ``pt.mark.X`` are recognised;
tests are named as ``python_functions``/``python_classes`` say; a test's marks are its own decorators plus its class's (and the class's ``pytestmark``) plus
the module's ``pytestmark`` (applied when the module is done, wherever it was assigned).
"""

from __future__ import annotations

import ast

from codemods.analysis.facts import AsyncHook, ModuleFacts, TestFunction
from codemods.analysis.pytest_facts import HOOKS, is_test_class, is_test_function
from codemods.analysis.signatures import dotted


class PytestFacts:
    """Mixed into the collector, which owns these attributes."""

    f: ModuleFacts
    scopes: list[set[str]]
    classes: list[tuple[str, frozenset[str]]]
    pytest_names: set[str]
    mark_names: set[str]
    module_marks: frozenset[str]
    python_functions: object  # the effective pytest options (None: pytest's default)
    python_classes: object

    def _mark_name(self, parts: list[str]) -> str | None:
        if len(parts) == 3 and parts[0] in self.pytest_names and parts[1] == "mark":
            return parts[2]
        if len(parts) == 2 and parts[0] in self.mark_names:
            return parts[1]
        return None

    def _marks_in(self, exprs: list[ast.expr]) -> set[str]:
        found: set[str] = set()
        for expr in exprs:
            for sub in ast.walk(expr):
                if isinstance(sub, ast.Attribute):
                    chain = dotted(sub)
                    mark = self._mark_name(chain.split(".")) if chain else None
                    if mark is not None:
                        found.add(mark)
        return found

    def _pytestmark(self, value: ast.expr) -> None:
        if not self.scopes and not self.classes:
            self.module_marks = self.module_marks | self._marks_in([value])

    def _pytest_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.scopes:
            return
        qualname = ".".join([*(c for c, _ in self.classes), node.name])
        is_async = isinstance(node, ast.AsyncFunctionDef)
        if node.name in HOOKS and is_async:  # also in base classes that tests inherit from
            awaits = [n for n in _own_nodes(node) if isinstance(n, ast.Await)]
            only_super = all(_awaits_super_hook(a) for a in awaits) and not any(
                isinstance(n, ast.AsyncFor | ast.AsyncWith) for n in _own_nodes(node)
            )
            self.f.hooks.append(AsyncHook(qualname, node.lineno, only_super))
            return
        if self.classes and not is_test_class(self.classes[-1][0], self.python_classes):
            return
        if not is_test_function(node.name, self.python_functions):
            return
        awaits_inside = not is_async and any(
            isinstance(n, ast.Await | ast.AsyncFor | ast.AsyncWith) for n in _own_nodes(node)
        )
        if not is_async and not awaits_inside:
            return
        marks = set(self._marks_in(node.decorator_list))
        if self.classes:
            marks |= self.classes[-1][1]
        self.f.tests.append(
            TestFunction(
                node.name,
                qualname,
                node.lineno,
                is_async,
                awaits_inside,
                frozenset(marks),
                end_line=node.end_lineno or node.lineno,
            )
        )


def _own_nodes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Nodes of a function's body, not descending into nested functions, lambdas or classes."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        out.append(child)
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(child))
    return out


def _awaits_super_hook(node: ast.Await) -> bool:
    call = node.value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in HOOKS
        and isinstance(call.func.value, ast.Call)
        and isinstance(call.func.value.func, ast.Name)
        and call.func.value.func.id == "super"
    )
