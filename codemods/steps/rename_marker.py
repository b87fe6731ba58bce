"""The ``rename_marker`` step type. Its description is written once, in the docstring of
:class:`RenameMarker` (``codemod explain rename_marker`` shows it).
"""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst
from pydantic import Field

from codemods.analysis.pytest_marks import PytestNames
from codemods.analysis.visit import line_col, transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Step, StepOptions

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_READERS = frozenset({"add_marker", "get_closest_marker", "iter_markers", "iter_markers_with_node"})


class RenameMarkerOptions(StepOptions):
    old: str = Field(description="The marker's current name.", pattern=_NAME)
    new: str = Field(description="Its new name.", pattern=_NAME)


class RenameMarker(Step[RenameMarkerOptions]):
    """Rename a pytest marker wherever the code uses it

    Renames ``pytest.mark.<old>`` in decorators, ``pytestmark`` lists,
    ``pytest.param(..., marks=...)`` and anywhere else it is used as a mark, plus the name
    string given to ``add_marker``/``get_closest_marker``/``iter_markers`` and a conftest's
    ``addinivalue_line("markers", ...)``. Comments are reported, not rewritten.

    Example::

        @pytest.mark.auth_handshake    ->   @pytest.mark.websocket_authentication
    """

    Options: ClassVar = RenameMarkerOptions
    order: ClassVar = 32
    examples: ClassVar = (
        Example(
            title="decorator and pytestmark list",
            options={"old": "auth_handshake", "new": "websocket_authentication"},
            path="tests/test_ws.py",
            before=(
                "import pytest\n\n"
                "pytestmark = [pytest.mark.integration, pytest.mark.auth_handshake]\n\n\n"
                "@pytest.mark.auth_handshake(timeout=5)\n"
                "def test_token():\n"
                "    pass\n"
            ),
            after=(
                "import pytest\n\n"
                "pytestmark = [pytest.mark.integration, pytest.mark.websocket_authentication]\n\n\n"
                "@pytest.mark.websocket_authentication(timeout=5)\n"
                "def test_token():\n"
                "    pass\n"
            ),
        ),
        Example(
            title="an attribute of some other object with the same name",
            options={"old": "auth_handshake", "new": "websocket_authentication"},
            path="tests/test_ws.py",
            before=(
                "import pytest\n\n\n"
                "def test_flags(flags):\n"
                "    assert flags.mark.auth_handshake  # not a pytest mark\n"
            ),
        ),
    )

    def needles(self) -> Needles:
        return [[self.options.old]]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        return transform_with_metadata(module, _Renamer(PytestNames.of(module), self.options, ctx))


class _Renamer(cst.CSTTransformer):
    def __init__(self, names: PytestNames, options: RenameMarkerOptions, ctx: FileContext) -> None:
        super().__init__()
        self.names = names
        self.old = options.old
        self.new = options.new
        self.ctx = ctx
        self.word = re.compile(rf"\b{re.escape(options.old)}\b")

    def visit_Comment(self, node: cst.Comment) -> None:
        if self.word.search(node.value):
            self.ctx.report(
                "mention",
                f"comment mentions marker `{self.old}`; left as is",
                *line_col(self, node),
            )

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if original.attr.value == self.old and self.names.is_mark_object(original.value):
            return updated.with_changes(attr=updated.attr.with_changes(value=self.new))
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Attribute) and func.attr.value == "addinivalue_line":
            return self._registration(updated)
        if not (isinstance(func, cst.Attribute) and func.attr.value in _READERS):
            return updated
        args = []
        changed = False
        for arg in updated.args:
            value = arg.value
            positional_or_name = arg.keyword is None or arg.keyword.value == "name"
            if (
                positional_or_name
                and isinstance(value, cst.SimpleString)
                and value.evaluated_value == self.old
            ):
                quote = value.quote
                arg = arg.with_changes(
                    value=value.with_changes(value=f"{value.prefix}{quote}{self.new}{quote}")
                )
                changed = True
            args.append(arg)
        return updated.with_changes(args=args) if changed else updated

    def _registration(self, call: cst.Call) -> cst.Call:
        """``config.addinivalue_line("markers", "old: ...")`` registers the new name instead."""
        if len(call.args) != 2:
            return call
        kind, line = call.args[0].value, call.args[1].value
        if not (
            isinstance(kind, cst.SimpleString)
            and kind.evaluated_value == "markers"
            and isinstance(line, cst.SimpleString)
        ):
            return call
        text = line.evaluated_value
        if not isinstance(text, str) or not re.match(rf"\s*{re.escape(self.old)}\s*[:(]", text):
            return call
        inner = line.value[len(line.prefix) + len(line.quote) : -len(line.quote)]
        renamed = inner.replace(self.old, self.new, 1)
        new_line = line.with_changes(value=f"{line.prefix}{line.quote}{renamed}{line.quote}")
        return call.with_changes(args=[call.args[0], call.args[1].with_changes(value=new_line)])
