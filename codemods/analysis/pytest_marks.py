"""Recognise pytest marks in a LibCST module, however ``pytest`` or ``pytest.mark`` was imported.

``@pytest.mark.asyncio``, ``@pt.mark.asyncio(loop_scope="module")`` (``import pytest as pt``)
and ``@mark.asyncio`` (``from pytest import mark``) all name the mark ``asyncio``. A name that
is not bound by an import of pytest (a local ``mark`` object) is not a pytest mark.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.visit import OwnScopeOnly


@dataclass(frozen=True)
class PytestNames:
    """The names a module binds to ``pytest`` and to ``pytest.mark`` (module-level first)."""

    pytest: tuple[str, ...] = ()  # names bound to the pytest module; "pytest" first if bound
    mark: tuple[str, ...] = ()  # names bound to pytest.mark
    module_level_pytest: str | None = None  # a module-level name for pytest, if any
    module_level_mark: str | None = None  # a module-level name for pytest.mark, if any

    @classmethod
    def of(cls, module: cst.Module) -> PytestNames:
        pytest_names: list[str] = []
        mark_names: list[str] = []
        top_level: str | None = None
        top_mark: str | None = None
        top_ids = {
            id(s)
            for stmt in module.body
            if isinstance(stmt, cst.SimpleStatementLine)
            for s in stmt.body
        }
        for node in _imports(module):
            if isinstance(node, cst.Import):
                for alias in node.names:
                    if get_full_name_for_node(alias.name) != "pytest":
                        continue
                    bound = _bound(alias) or "pytest"
                    pytest_names.append(bound)
                    if id(node) in top_ids and top_level is None:
                        top_level = bound
            elif (
                isinstance(node, cst.ImportFrom)
                and not node.relative
                and node.module is not None
                and get_full_name_for_node(node.module) == "pytest"
                and not isinstance(node.names, cst.ImportStar)
            ):
                for alias in node.names:
                    if get_full_name_for_node(alias.name) == "mark":
                        mark_names.append(_bound(alias) or "mark")
                        if id(node) in top_ids and top_mark is None:
                            top_mark = mark_names[-1]
        # A file that spells `pytest.mark.x` without importing pytest still means pytest.
        ordered = sorted({*pytest_names, "pytest"}, key=lambda n: (n != "pytest", n))
        return cls(tuple(ordered), tuple(sorted(set(mark_names))), top_level, top_mark)

    def mark_name(self, node: cst.BaseExpression) -> str | None:
        """``asyncio`` for ``pytest.mark.asyncio`` or ``pytest.mark.asyncio(...)``; else None."""
        if isinstance(node, cst.Call):
            node = node.func
        if not isinstance(node, cst.Attribute) or node.attr.value.startswith("_"):
            return None
        if self.is_mark_object(node.value):
            return node.attr.value
        return None

    def is_mark_object(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` is ``pytest.mark`` (or an alias of it)."""
        if isinstance(node, cst.Name):
            return node.value in self.mark
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "mark"
            and isinstance(node.value, cst.Name)
            and node.value.value in self.pytest
        )

    def marks_in(self, expr: cst.BaseExpression | None) -> set[str]:
        """Marks in a ``pytestmark`` value: one mark, or a list/tuple of marks."""
        if expr is None:
            return set()
        if isinstance(expr, cst.List | cst.Tuple):
            return {
                name
                for element in expr.elements
                if (name := self.mark_name(element.value)) is not None
            }
        name = self.mark_name(expr)
        return {name} if name else set()

    def decorator_marks(self, decorators: Sequence[cst.Decorator]) -> set[str]:
        return {n for d in decorators if (n := self.mark_name(d.decorator)) is not None}

    def pytestmark_marks(self, body: Sequence[cst.CSTNode]) -> set[str]:
        """Marks assigned to ``pytestmark`` among the statements ``body`` (module or class)."""
        found: set[str] = set()
        for value in pytestmark_values(body):
            found |= self.marks_in(value)
        return found


def pytestmark_values(body: Sequence[cst.CSTNode]) -> Iterator[cst.BaseExpression]:
    """The values assigned (``=``, ``: T =``, ``+=``) to ``pytestmark`` in ``body``."""
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign | cst.AugAssign):
                targets = [small.target]
            value = getattr(small, "value", None)
            if value is not None and any(
                isinstance(t, cst.Name) and t.value == "pytestmark" for t in targets
            ):
                yield value


def _bound(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _imports(module: cst.Module) -> Iterator[cst.Import | cst.ImportFrom]:
    found: list[cst.Import | cst.ImportFrom] = []

    class _Collector(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            found.append(node)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            found.append(node)

    module.visit(_Collector())
    yield from found


class MarkUses(cst.CSTVisitor):
    """Collects the name of every ``pytest.mark.<name>`` used in a module."""

    def __init__(self, names: PytestNames) -> None:
        super().__init__()
        self.names = names
        self.found: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = self.names.mark_name(node)
        if name is not None:
            self.found.add(name)

    def visit_Call(self, node: cst.Call) -> None:
        """``item.add_marker("slow")``: a string is looked up on ``pytest.mark`` too."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "add_marker" and node.args:
            value = node.args[0].value
            text = value.evaluated_value if isinstance(value, cst.SimpleString) else None
            if isinstance(text, str) and text.isidentifier():
                self.found.add(text)


def mark_uses(module: cst.Module) -> set[str]:
    names = PytestNames.of(module)
    visitor = MarkUses(names)
    module.visit(visitor)
    return visitor.found


def has_own_await(node: cst.FunctionDef) -> tuple[list[cst.Await], bool]:
    """The ``await`` expressions of ``node``'s own body (not nested functions, lambdas or
    classes), and whether that body has ``async for`` / ``async with`` / async comprehensions."""
    visitor = _AwaitFinder()
    node.body.visit(visitor)
    return visitor.awaits, visitor.async_blocks


class _AwaitFinder(OwnScopeOnly, cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.awaits: list[cst.Await] = []
        self.async_blocks = False

    def visit_Await(self, node: cst.Await) -> None:
        self.awaits.append(node)

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self.async_blocks = True

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self.async_blocks = True

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self.async_blocks = True
