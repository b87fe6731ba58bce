"""The ``positional_to_keyword`` step type. Its description is written once, in the docstring of
:class:`PositionalToKeyword` (``codemod explain positional_to_keyword`` shows it).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import ScopeProvider
from pydantic import Field, field_validator

from codemods.analysis.calls import call_target, check_callables, keyword_index
from codemods.analysis.names import DottedPattern
from codemods.analysis.visit import line_col, transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Step, StepOptions


class PositionalToKeywordOptions(StepOptions):
    callables: list[str] = Field(
        min_length=1,
        description="Dotted qualified names of the callables whose calls are rewritten; "
        "`*.Name` matches the name imported from any module.",
    )
    position: int = Field(
        ge=0, description="0-based index of the positional argument, as spelled in the call."
    )
    keyword: str = Field(description="The keyword to pass it as.", pattern=r"^[A-Za-z_]\w*$")

    @field_validator("callables")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        return check_callables(value)


class PositionalToKeyword(Step[PositionalToKeywordOptions]):
    """Pass a positional argument by keyword, in calls to given classes or functions

    The argument at ``position`` (0-based among the call's positional arguments) becomes
    ``keyword=value`` in calls that resolve to one of ``callables``. A ``*args`` at or before it,
    a later positional argument, or the keyword already passed leave the call unchanged, reported.
    """

    Options: ClassVar = PositionalToKeywordOptions
    examples: ClassVar = (
        Example(
            title="the second positional argument becomes a keyword",
            options={
                "callables": ["*.UserExecutionContext"],
                "position": 1,
                "keyword": "request_id",
            },
            before=(
                "from app.context import UserExecutionContext\n\n"
                'ctx = UserExecutionContext("u1", "r1", trace=True)\n'
            ),
            after=(
                "from app.context import UserExecutionContext\n\n"
                'ctx = UserExecutionContext("u1", request_id="r1", trace=True)\n'
            ),
        ),
        Example(
            title="a call that already passes it by keyword is left alone",
            options={
                "callables": ["*.UserExecutionContext"],
                "position": 1,
                "keyword": "request_id",
            },
            before=(
                "from app.context import UserExecutionContext\n\n"
                'ctx = UserExecutionContext("u1", request_id="r1")\n'
            ),
        ),
    )

    def needles(self) -> Needles:
        return [[DottedPattern(c).last] for c in self.options.callables]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        return transform_with_metadata(module, _ToKeyword(self.options, ctx))


class _ToKeyword(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, options: PositionalToKeywordOptions, ctx: FileContext) -> None:
        super().__init__()
        self.opts = options
        self.ctx = ctx
        self.patterns = [DottedPattern(c) for c in options.callables]

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        positional = [i for i, a in enumerate(updated.args) if a.keyword is None and a.star == ""]
        if len(positional) <= self.opts.position and not any(a.star == "*" for a in updated.args):
            return updated
        target = call_target(self, original, self.patterns, self.ctx.module_name)
        if target is None:
            return updated
        kw = self.opts.keyword
        stars = [i for i, a in enumerate(updated.args) if a.star == "*"]
        if len(positional) <= self.opts.position:
            if stars:
                self._report(
                    original,
                    f"call to {target.text} passes `*args`: which argument is `{kw}` cannot be known; left unchanged",
                )
            return updated
        index = positional[self.opts.position]
        if any(s < index for s in stars):
            self._report(
                original,
                f"call to {target.text} passes `*args` before argument {self.opts.position}; left unchanged",
            )
            return updated
        if keyword_index(updated.args, kw) is not None:
            self._report(
                original,
                f"call to {target.text} passes `{kw}` by position and by keyword; left unchanged",
            )
            return updated
        later = [i for i in positional if i > index] + [s for s in stars if s > index]
        if later:
            self._report(
                original,
                f"call to {target.text} has positional arguments after argument {self.opts.position}, which cannot follow `{kw}=`; left unchanged",
            )
            return updated
        args = list(updated.args)
        args[index] = args[index].with_changes(
            keyword=cst.Name(kw),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        return updated.with_changes(args=args)

    def _report(self, node: cst.CSTNode, message: str) -> None:
        line, col = line_col(self, node)
        self.ctx.warn(message, line, col)
