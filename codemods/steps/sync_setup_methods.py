"""The ``sync_setup_methods`` step type. Its description is written once, in the docstring of
:class:`SyncSetupMethods` (``codemod explain sync_setup_methods`` shows it).
"""

from __future__ import annotations

import ast
from typing import ClassVar, Literal

import libcst as cst
from pydantic import Field

from codemods.analysis.imports import add_needed_import
from codemods.analysis.pytest_facts import CLASS_HOOKS, MODULE_HOOKS
from codemods.analysis.pytest_marks import has_own_await
from codemods.analysis.quick import scoped_statements
from codemods.analysis.visit import OwnScopeOnly, line_col, transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Source, Step, StepOptions


class SyncSetupMethodsOptions(StepOptions):
    methods: list[str] = Field(
        default=list(CLASS_HOOKS),
        description="Method names, inside classes, that pytest calls without awaiting.",
    )
    module_functions: list[str] = Field(
        default=list(MODULE_HOOKS),
        description="Module-level function names that pytest calls without awaiting.",
    )
    other_awaits: Literal["review", "fixture"] = Field(
        default="review",
        description=(
            "What to do with a `setup_method`/`teardown_method` that awaits more than its "
            "parent: `review` leaves it unchanged and reports it; `fixture` (unsafe: needs "
            "--unsafe and pytest-asyncio) turns it into a `@pytest_asyncio.fixture(autouse=True)` "
            "method with the same body (teardown code after `yield`). It is done only when "
            "pytest's own call of the inherited method keeps the order: the parent's "
            "`setup_method` awaited first, the parent's `teardown_method` awaited last, or a "
            "class without bases; otherwise the method is reported. Subclasses in other files "
            "that call `super().setup_method(...)` are not seen: check them."
        ),
    )


class SyncSetupMethods(Step[SyncSetupMethodsOptions]):
    """Make async xunit-style setup/teardown methods synchronous

    pytest never awaits ``async def setup_method`` (nor ``teardown_method``, ``setup_class``,
    ``teardown_class``, ``setup_module``, ...), so everything it sets up is silently missing.
    The step removes ``async`` and the ``await`` in front of ``super().<same name>(...)``.
    A body that awaits anything else is left unchanged and reported for manual review.

    Example::

        async def setup_method(self, method):      def setup_method(self, method):
            await super().setup_method(method)  ->     super().setup_method(method)
            self._metrics = {}                         self._metrics = {}
    """

    Options: ClassVar = SyncSetupMethodsOptions
    order: ClassVar = 30  # pytest fixes last
    examples: ClassVar = (
        Example(
            title="await on the parent's setup_method goes with async",
            options={},
            path="tests/test_metrics.py",
            before=(
                "class TestMetrics(BaseTest):\n"
                "    async def setup_method(self, method):\n"
                "        await super().setup_method(method)\n"
                "        self._metrics = {}\n"
            ),
            after=(
                "class TestMetrics(BaseTest):\n"
                "    def setup_method(self, method):\n"
                "        super().setup_method(method)\n"
                "        self._metrics = {}\n"
            ),
        ),
        Example(
            title="other awaits: left for manual review",
            options={},
            path="tests/test_client.py",
            before=(
                "class TestClient:\n"
                "    async def setup_method(self):\n"
                "        self.client = make_client()\n"
                "        await self.client.connect()\n"
            ),
        ),
    )

    def is_safe(self) -> bool:
        return self.options.other_awaits == "review"

    def needles(self) -> Needles:
        names = [*self.options.methods, *self.options.module_functions]
        return [["async", name] for name in names]

    def precheck(self, source: Source, ctx: FileContext) -> bool:
        # The needles find `async` and `setup_method` anywhere; only an `async def` of one of
        # the names, directly in a class (methods) or in module-level code (functions), matters.
        methods, functions = set(self.options.methods), set(self.options.module_functions)
        for node, scope in scoped_statements(source.tree.body):
            if isinstance(node, ast.AsyncFunctionDef) and (
                (isinstance(scope, ast.ClassDef) and node.name in methods)
                or (scope is None and node.name in functions)
            ):
                return True
        return False

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        syncer = _Syncer(self.options, ctx)
        module = transform_with_metadata(module, syncer)
        if syncer.made_fixtures:
            module = add_needed_import(module, "pytest_asyncio")
        return module


class _Syncer(cst.CSTTransformer):
    def __init__(self, options: SyncSetupMethodsOptions, ctx: FileContext) -> None:
        super().__init__()
        self.methods = set(options.methods)
        self.functions = set(options.module_functions)
        self.ctx = ctx
        self.scopes: list[str] = []  # "class" / "def" for each enclosing scope
        self.classes: list[cst.ClassDef] = []
        self.left_async: set[tuple[str, str]] = set()  # (class, method) kept async here
        self.fixture_mode = options.other_awaits == "fixture"
        self.made_fixtures = False
        self.fixtured: set[tuple[str, str]] = set()  # (class, method) turned into fixtures

    def visit_Module(self, node: cst.Module) -> None:
        # Fixtures an earlier run made (`_async_setup_method`) count like ones made now.
        for stmt in node.body:
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                for item in stmt.body.body:
                    if isinstance(item, cst.FunctionDef) and item.name.value.startswith("_async_"):
                        self.fixtured.add((stmt.name.value, item.name.value[len("_async_") :]))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append("class")
        self.classes.append(node)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.scopes.pop()
        self.classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append("def")

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.scopes.pop()
        if original.asynchronous is None:
            return updated
        name = original.name.value
        in_class = bool(self.scopes) and self.scopes[-1] == "class"
        at_module = not self.scopes
        if not ((in_class and name in self.methods) or (at_module and name in self.functions)):
            return updated
        awaits, async_blocks = has_own_await(original)
        others = [a for a in awaits if not _is_super_call(a.expression, name)]
        if others or async_blocks:
            where = others[0] if others else original
            line, _ = line_col(self, where)
            what = "`async with`/`async for`" if not others else "`await` of something else"
            if in_class and self.fixture_mode and name in _FIXTURE_ABLE:
                fixture, why = _as_fixture(updated, name, bool(self.classes[-1].bases))
                if fixture is not None:
                    self.made_fixtures = True
                    self.fixtured.add((self.classes[-1].name.value, name))
                    return fixture
                what += f"; not made a fixture: {why}"
            if in_class:
                self.left_async.add((self.classes[-1].name.value, name))
            self.ctx.report(
                "review",
                f"`async def {name}` uses {what} (line {line}); pytest never awaits it. "
                "Left unchanged: move that work into an async autouse fixture by hand.",
                *line_col(self, original),
            )
            return updated
        if in_class and awaits:
            bases = {b.value.value for b in self.classes[-1].bases if isinstance(b.value, cst.Name)}
            still_async = sorted(c for c, m in self.left_async if m == name and c in bases)
            fixtured = sorted(c for c, m in self.fixtured if m == name and c in bases)
            if fixtured:
                self.left_async.add((self.classes[-1].name.value, name))
                self.ctx.report(
                    "review",
                    f"`async def {name}` calls `{fixtured[0]}.{name}`, which became the async "
                    f"fixture `_async_{name}`: left unchanged (the order of the two would change)",
                    *line_col(self, original),
                )
                return updated
            if still_async:
                self.left_async.add((self.classes[-1].name.value, name))
                self.ctx.report(
                    "review",
                    f"`async def {name}` awaits `{still_async[0]}.{name}`, which stays async "
                    "(it needs manual review): left unchanged; fix the parent first, then "
                    "run again",
                    *line_col(self, original),
                )
                return updated
        return updated.with_changes(
            asynchronous=None, body=updated.body.visit(_DropSuperAwait(name))
        )


def _is_super_call(expr: cst.BaseExpression, name: str) -> bool:
    """``super().<name>(...)`` or ``super(Cls, self).<name>(...)``."""
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == name
        and isinstance(expr.func.value, cst.Call)
        and isinstance(expr.func.value.func, cst.Name)
        and expr.func.value.func.value == "super"
    )


class _DropSuperAwait(OwnScopeOnly, cst.CSTTransformer):
    """Replace ``await super().<name>(...)`` by the call itself, in the method's own body."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def leave_Await(self, original: cst.Await, updated: cst.Await) -> cst.BaseExpression:
        if not _is_super_call(updated.expression, self.name):
            return updated
        return updated.expression.with_changes(
            lpar=[*updated.lpar, *updated.expression.lpar],
            rpar=[*updated.expression.rpar, *updated.rpar],
        )


_FIXTURE_ABLE = ("setup_method", "teardown_method")


def _is_super_statement(stmt: cst.CSTNode, name: str) -> bool:
    """A statement that is only ``await super().<name>(...)``."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.Await)
        and _is_super_call(stmt.body[0].value.expression, name)
    )


def _as_fixture(
    func: cst.FunctionDef, name: str, has_bases: bool
) -> tuple[cst.FunctionDef | None, str]:
    """``async def setup_method(self, method)`` as an async autouse fixture, or why not.

    pytest keeps calling the *inherited* ``setup_method`` (before any other autouse fixture
    of the class) and ``teardown_method`` (after): so the parent call can only be dropped
    where it already was first (setup) or last (teardown).
    """
    if func.decorators:
        return None, "it has decorators"
    if not isinstance(func.body, cst.IndentedBlock):
        return None, "its body is on the def line"
    stmts = list(func.body.body)
    docstring = stmts[:1] if stmts and _is_docstring_line(stmts[0]) else []
    stmts = stmts[len(docstring) :]
    supers = [i for i, stmt in enumerate(stmts) if _is_super_statement(stmt, name)]
    edge = 0 if name == "setup_method" else len(stmts) - 1
    if supers and supers != [edge]:
        return None, f"`super().{name}(...)` is not awaited {'first' if edge == 0 else 'last'}"
    if not supers and has_bases:
        return None, f"pytest would also call the inherited `{name}`, which this one overrides"
    if supers:
        del stmts[edge]
    params = list(func.params.params)
    if not params:
        return None, "it has no `self` parameter"
    prologue: list[cst.BaseStatement] = []
    new_params = [params[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    if len(params) > 1:
        method = params[1].name.value
        if _uses_name(stmts, method):
            new_params.append(cst.Param(cst.Name("request")))
            prologue.append(cst.parse_statement(f"{method} = request.function"))
    if name == "teardown_method":
        prologue.insert(0, cst.parse_statement("yield"))
    body = [*docstring, *prologue, *stmts] or [cst.parse_statement("pass")]
    decorator = cst.Decorator(cst.parse_expression("pytest_asyncio.fixture(autouse=True)"))
    return (
        func.with_changes(
            name=cst.Name(f"_async_{name}"),
            decorators=[decorator],
            params=func.params.with_changes(params=new_params),
            body=func.body.with_changes(body=body),
        ),
        "",
    )


def _is_docstring_line(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _uses_name(stmts: list[cst.BaseStatement], name: str) -> bool:
    found = False

    class _Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            found = found or node.value == name

    for stmt in stmts:
        stmt.visit(_Finder())
    return found
