"""Make async xunit-style setup/teardown methods synchronous

pytest calls ``setup_method``, ``teardown_method``, ``setup_class``, ``teardown_class`` (and
the module-level ``setup_module``/``teardown_module``/``setup_function``/``teardown_function``)
but never awaits them: an ``async def setup_method`` only creates a coroutine, so what it
sets is missing (``AttributeError: ... has no attribute '_metrics'``) and Python warns
"coroutine ... was never awaited". This step drops ``async`` and, together with it, the
``await`` on ``super().<same method>(...)``. When the body awaits anything else (or uses
``async with`` / ``async for``), dropping ``async`` would break it: the method is left
unchanged and reported for manual review, with its location.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider
from pydantic import Field

from codemods.analysis.pytest_marks import has_own_await
from codemods.analysis.visit import line_col, transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Step, StepOptions

CLASS_METHODS = ("setup_method", "teardown_method", "setup_class", "teardown_class")
MODULE_FUNCTIONS = ("setup_module", "teardown_module", "setup_function", "teardown_function")


class SyncSetupMethodsOptions(StepOptions):
    methods: list[str] = Field(
        default=list(CLASS_METHODS),
        description="Method names, inside classes, that pytest calls without awaiting.",
    )
    module_functions: list[str] = Field(
        default=list(MODULE_FUNCTIONS),
        description="Module-level function names that pytest calls without awaiting.",
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

    def needles(self) -> Needles:
        names = [*self.options.methods, *self.options.module_functions]
        return [["async", name] for name in names]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        return transform_with_metadata(module, _Syncer(self.options, ctx))


class _Syncer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, options: SyncSetupMethodsOptions, ctx: FileContext) -> None:
        super().__init__()
        self.methods = set(options.methods)
        self.functions = set(options.module_functions)
        self.ctx = ctx
        self.scopes: list[str] = []  # "class" / "def" for each enclosing scope
        self.classes: list[cst.ClassDef] = []
        self.left_async: set[tuple[str, str]] = set()  # (class, method) kept async here

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


class _DropSuperAwait(cst.CSTTransformer):
    """Replace ``await super().<name>(...)`` by the call itself, in the method's own body."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_Await(self, original: cst.Await, updated: cst.Await) -> cst.BaseExpression:
        if not _is_super_call(updated.expression, self.name):
            return updated
        return updated.expression.with_changes(
            lpar=[*updated.lpar, *updated.expression.lpar],
            rpar=[*updated.expression.rpar, *updated.rpar],
        )
