"""The ``add_asyncio_marker`` step type. Its description is written once, in the docstring of
:class:`AddAsyncioMarker` (``codemod explain add_asyncio_marker`` shows it).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import ClassVar, Literal

import libcst as cst
from pydantic import Field

from codemods.analysis.imports import add_needed_import
from codemods.analysis.pytest_config import pytest_config_for, pytest_options_for
from codemods.analysis.pytest_facts import ASYNC_MARKS, name_matches
from codemods.analysis.pytest_marks import PytestNames, has_own_await, pytestmark_values
from codemods.analysis.quick import uses_async
from codemods.steps._base import Example, FileContext, Needles, Source, Step, StepOptions


class AddAsyncioMarkerOptions(StepOptions):
    style: Literal["decorator", "pytestmark"] = Field(
        default="decorator",
        description=(
            "`decorator`: `@pytest.mark.asyncio` above each uncovered async test. "
            "`pytestmark`: one module-level `pytestmark` entry instead, used only when every "
            "test in the module is async (pytest-asyncio warns about marked sync tests) and "
            "no test uses anyio/trio; otherwise decorators are added."
        ),
    )
    fix_await_in_sync_tests: bool = Field(
        default=True,
        description="Turn a `def test_*` whose own body uses `await` into `async def` (and mark it).",
    )


class AddAsyncioMarker(Step[AddAsyncioMarkerOptions]):
    """Mark async tests with @pytest.mark.asyncio where pytest-asyncio's strict mode needs it

    An ``async def test_*`` without the mark is not awaited in strict mode. Covered tests
    (own decorator, class decorator or ``pytestmark``, module ``pytestmark``, or
    ``asyncio_mode = auto`` in the effective pytest config) and anyio/trio tests are left as
    they are; ``import pytest`` is added after the docstring and ``__future__`` imports.

    Example::

        async def test_ping(client):        @pytest.mark.asyncio
            assert await client.ping()  ->  async def test_ping(client):
                                                assert await client.ping()
    """

    Options: ClassVar = AddAsyncioMarkerOptions
    order: ClassVar = 31
    examples: ClassVar = (
        Example(
            title="unmarked async test; import added after the docstring",
            options={},
            path="tests/test_ping.py",
            before=(
                '"""Ping tests."""\n'
                "from __future__ import annotations\n\n"
                "from app import client\n\n\n"
                "@client.retry(3)\n"
                "async def test_ping():\n"
                "    assert await client.ping()\n"
            ),
            after=(
                '"""Ping tests."""\n'
                "from __future__ import annotations\n\n"
                "from app import client\n"
                "import pytest\n\n\n"
                "@client.retry(3)\n"
                "@pytest.mark.asyncio\n"
                "async def test_ping():\n"
                "    assert await client.ping()\n"
            ),
        ),
        Example(
            title="covered by the module's pytestmark list",
            options={},
            path="tests/test_ping.py",
            before=(
                "import pytest\n\n"
                "pytestmark = [pytest.mark.integration, pytest.mark.asyncio]\n\n\n"
                "async def test_ping(client):\n"
                "    assert await client.ping()\n"
            ),
        ),
    )

    def needles(self) -> Needles:
        # Test names come from the config (`python_functions`), so only the keywords are certain:
        # the `async` keyword (`async def`; `async for`/`with`/comprehensions in a sync test) is
        # followed by whitespace, a line end (inside brackets), a comment or a continuation,
        # never by a name character as in `asyncio`/`asynchronous`; and there is a `def`.
        ends = (" ", "\t", "\x0c", "\n", "\r", "#", "\\")
        groups: list[list[str]] = [["async" + end, "def"] for end in ends]
        if self.options.fix_await_in_sync_tests:
            groups.append(["await", "def"])
        return groups

    def precheck(self, source: Source, ctx: FileContext) -> bool:
        # The needles pass every file with the `async` keyword (most of asyncio's own code):
        # only a test function where the planner looks (module level, `Test*` classes), async
        # or using `await`, can need the mark. A sync test with `await` is a SyntaxError, so
        # `source.tree` raises and the step runs. Before the `ast`: some `def` must have a name
        # pytest collects as a test (a bytes search finds every spelling, and more).
        functions, classes = _name_options(ctx)
        if not any(_may_be_test(m, functions) for m in _DEF_NAME.findall(source.data)):
            return False
        return _may_need_mark(
            source.tree.body, functions, classes, self.options.fix_await_in_sync_tests
        )

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        auto = (
            ctx.project is not None
            and pytest_config_for(ctx.project, ctx.path).asyncio_mode == "auto"
        )
        functions, classes = _name_options(ctx)
        names = PytestNames.of(module)
        module_marks = names.pytestmark_marks(module.body)
        plan = _Planner(names, self.options.fix_await_in_sync_tests, functions, classes)
        plan.index_classes(module.body)
        plan.scan(module.body, covered=auto or bool(module_marks & ASYNC_MARKS))
        if not plan.to_mark and not plan.to_async:
            return module
        use_pytestmark = (
            self.options.style == "pytestmark"
            and plan.to_mark
            and not plan.sync_tests
            and not plan.other_frameworks
        )
        if names.module_level_pytest is None and names.module_level_mark is not None:
            mark = cst.parse_expression(f"{names.module_level_mark}.asyncio")
            need_import = False
        else:
            prefix = names.module_level_pytest or "pytest"
            mark = cst.parse_expression(f"{prefix}.mark.asyncio")
            need_import = names.module_level_pytest is None
        decorate = set() if use_pytestmark else plan.to_mark
        module = module.visit(_Rewriter(decorate, plan.to_async, mark))
        if use_pytestmark:
            module = _add_pytestmark(module, names, mark)
        if (decorate or use_pytestmark) and need_import:
            module = add_needed_import(module, "pytest")
        return module


#: The name after every `def` (also `async def`, a backslash continuation between them, and
#: non-ASCII names as their UTF-8 bytes).
_DEF_NAME = re.compile(rb"\bdef(?:\s|\\\r?\n)+([\w\x80-\xff]+)")


def _may_be_test(name: bytes, functions: object) -> bool:
    """Whether the ``def`` name found in the bytes may be a test. A name that is not UTF-8 (a
    file with another encoding declared) cannot be judged from its bytes: it may."""
    try:
        return name_matches(name.decode("utf-8"), functions, "test")
    except UnicodeDecodeError:
        return True


def _name_options(ctx: FileContext) -> tuple[object, object]:
    """The effective ``python_functions`` and ``python_classes`` (None: pytest's defaults)."""
    if ctx.project is None:
        return None, None
    options = pytest_options_for(ctx.project, ctx.path)
    return options.get("python_functions"), options.get("python_classes")


def _may_need_mark(
    body: Sequence[ast.stmt],
    functions: object,
    classes: object,
    fix_sync: bool,
    module_classes: dict[str, ast.ClassDef] | None = None,
) -> bool:
    """The planner's walk over the stdlib ``ast``, answering only "could anything need it"."""
    if module_classes is None:
        module_classes = {s.name: s for s in body if isinstance(s, ast.ClassDef)}
    for stmt in body:
        if isinstance(stmt, ast.AsyncFunctionDef):
            if name_matches(stmt.name, functions, "test"):
                return True
        elif isinstance(stmt, ast.FunctionDef):
            if fix_sync and name_matches(stmt.name, functions, "test") and uses_async(stmt):
                return True
        elif (
            isinstance(stmt, ast.ClassDef)
            and name_matches(stmt.name, classes, "Test")
            and not _is_unittest(stmt, module_classes, set())
            and _may_need_mark(stmt.body, functions, classes, fix_sync, module_classes)
        ):
            return True
    return False


def _is_unittest(node: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: set[str]) -> bool:
    """``_Planner._is_unittest`` over the stdlib ``ast``: a ``*TestCase`` base, here or inherited."""
    seen.add(node.name)
    for base in node.bases:
        name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)
        if name is None:
            continue
        if name.endswith("TestCase"):
            return True
        parent = classes.get(name)
        if parent is not None and name not in seen and _is_unittest(parent, classes, seen):
            return True
    return False


class _Planner:
    """Which test functions need the mark, and which must become ``async def``."""

    def __init__(
        self, names: PytestNames, fix_sync: bool, functions: object, classes: object
    ) -> None:
        self.names = names
        self.is_test = lambda name: name_matches(name, functions, "test")
        self.is_test_class = lambda name: name_matches(name, classes, "Test")
        self.fix_sync = fix_sync
        self.to_mark: set[int] = set()  # ids of FunctionDef nodes
        self.to_async: set[int] = set()
        self.sync_tests = False
        self.other_frameworks = False
        self.classes: dict[str, cst.ClassDef] = {}

    def scan(self, body: Sequence[cst.CSTNode], covered: bool) -> None:
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef) and self.is_test(stmt.name.value):
                self._function(stmt, covered)
            elif isinstance(stmt, cst.ClassDef) and self.is_test_class(stmt.name.value):
                if self._is_unittest(stmt, set()):
                    continue  # unittest runs these (IsolatedAsyncioTestCase), not pytest-asyncio
                inner = getattr(stmt.body, "body", ())
                marks = self._class_marks(stmt, set())
                self.other_frameworks |= bool(marks & {"anyio", "trio"})
                self.scan(inner, covered or bool(marks & ASYNC_MARKS))

    def index_classes(self, body: Sequence[cst.CSTNode]) -> None:
        """Module-level classes by name: marks on a base class defined here are inherited."""
        self.classes = {s.name.value: s for s in body if isinstance(s, cst.ClassDef)}

    def _bases(self, node: cst.ClassDef) -> list[str]:
        names = []
        for arg in node.bases:
            value = arg.value
            if isinstance(value, cst.Name):
                names.append(value.value)
            elif isinstance(value, cst.Attribute):
                names.append(value.attr.value)
        return names

    def _class_marks(self, node: cst.ClassDef, seen: set[str]) -> set[str]:
        marks = self.names.decorator_marks(node.decorators)
        marks |= self.names.pytestmark_marks(getattr(node.body, "body", ()))
        seen.add(node.name.value)
        for base in self._bases(node):
            parent = self.classes.get(base)
            if parent is not None and base not in seen:
                marks |= self._class_marks(parent, seen)
        return marks

    def _is_unittest(self, node: cst.ClassDef, seen: set[str]) -> bool:
        seen.add(node.name.value)
        for base in self._bases(node):
            if base.endswith("TestCase"):
                return True
            parent = self.classes.get(base)
            if parent is not None and base not in seen and self._is_unittest(parent, seen):
                return True
        return False

    def _function(self, node: cst.FunctionDef, covered: bool) -> None:
        marks = self.names.decorator_marks(node.decorators)
        if any(_is_fixture(d.decorator, self.names) for d in node.decorators):
            return
        self.other_frameworks |= bool(marks & {"anyio", "trio"})
        covered = covered or bool(marks & ASYNC_MARKS)
        if node.asynchronous is None:
            awaits, async_blocks = has_own_await(node)
            if not (self.fix_sync and (awaits or async_blocks)):
                self.sync_tests = True
                return
            self.to_async.add(id(node))
        if not covered:
            self.to_mark.add(id(node))


def _is_fixture(expr: cst.BaseExpression, names: PytestNames) -> bool:
    if isinstance(expr, cst.Call):
        expr = expr.func
    return (
        isinstance(expr, cst.Attribute)
        and expr.attr.value == "fixture"
        and isinstance(expr.value, cst.Name)
        and expr.value.value in (*names.pytest, "pytest_asyncio")
    )


class _Rewriter(cst.CSTTransformer):
    def __init__(self, decorate: set[int], make_async: set[int], mark: cst.BaseExpression) -> None:
        super().__init__()
        self.decorate = decorate
        self.make_async = make_async
        self.mark = mark

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if id(original) in self.make_async:
            updated = updated.with_changes(asynchronous=cst.Asynchronous())
        if id(original) in self.decorate:
            # Directly above `def`: comments between the decorators and `def` go above it.
            decorator = cst.Decorator(
                decorator=self.mark, leading_lines=updated.lines_after_decorators
            )
            updated = updated.with_changes(
                decorators=[*updated.decorators, decorator], lines_after_decorators=()
            )
        return updated


def _add_pytestmark(module: cst.Module, names: PytestNames, mark: cst.BaseExpression) -> cst.Module:
    """Append the mark to the module's ``pytestmark``, or add ``pytestmark = <mark>``."""
    body = list(module.body)
    for index, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        small = stmt.body[0]
        if isinstance(small, cst.Assign | cst.AnnAssign) and small.value is not None:
            values = list(pytestmark_values([stmt]))
            if not values:
                continue
            value = values[0]
            if isinstance(value, cst.List | cst.Tuple) and value.elements:
                elements = list(value.elements)
                last = elements[-1]
                between = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                if len(elements) >= 2 and isinstance(elements[-2].comma, cst.Comma):
                    between = elements[-2].comma
                elements[-1] = last.with_changes(comma=between)
                elements.append(cst.Element(mark, comma=last.comma))
                new_value: cst.BaseExpression = value.with_changes(elements=elements)
            else:
                new_value = cst.List([cst.Element(value), cst.Element(mark)])
            body[index] = stmt.with_changes(
                body=[small.with_changes(value=new_value), *stmt.body[1:]]
            )
            return module.with_changes(body=body)
    # No pytestmark yet: put one after the leading docstring and imports.
    insert_at = 0
    for index, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, cst.Import | cst.ImportFrom) or _is_docstring(s) for s in stmt.body
        ):
            insert_at = index + 1
        else:
            break
    line = cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(cst.Name("pytestmark"))], mark)],
        leading_lines=[cst.EmptyLine()] if insert_at else [],
    )
    body.insert(insert_at, line)
    return module.with_changes(body=body)


def _is_docstring(small: cst.BaseSmallStatement) -> bool:
    return isinstance(small, cst.Expr) and isinstance(
        small.value, cst.SimpleString | cst.ConcatenatedString
    )
