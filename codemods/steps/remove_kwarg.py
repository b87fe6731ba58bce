"""The ``remove_kwarg`` step type. Its description is written once, in the docstring of
:class:`RemoveKwarg` (``codemod explain remove_kwarg`` shows it).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import ScopeProvider
from pydantic import Field, field_validator

from codemods.analysis.calls import (
    call_target,
    check_callables,
    keyword_index,
    star_dict_key,
    without_args,
)
from codemods.analysis.names import DottedPattern
from codemods.analysis.visit import line_col, transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Step, StepOptions

_PURE = (cst.Name, cst.Attribute, cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)


class RemoveKwargOptions(StepOptions):
    callables: list[str] = Field(
        min_length=1,
        description="Dotted qualified names of the callables whose calls lose the argument, e.g. "
        "`pkg.schemas.AgentExecutionResult`; `*.Name` matches the name imported from any module.",
    )
    keyword: str = Field(description="The keyword argument to remove.", pattern=r"^[A-Za-z_]\w*$")
    match_bare_name: bool = Field(
        default=False,
        description="Also match calls by their spelled name alone, whatever they resolve to.",
    )

    @field_validator("callables")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        return check_callables(value)


class RemoveKwarg(Step[RemoveKwargOptions]):
    """Remove a keyword argument from calls to given classes or functions

    ``keyword=...`` (and a ``"keyword"`` key of a literal ``**{...}``) is removed from every call
    that resolves to one of ``callables`` through imports, aliases and module attributes, with
    its comma, keeping the call's layout. A value that is more than a name or a literal (a call,
    say) is no longer evaluated: the removal is reported so a person can check it.
    """

    Options: ClassVar = RemoveKwargOptions
    examples: ClassVar = (
        Example(
            title="aliased import, multi-line call",
            options={"callables": ["*.AgentExecutionResult"], "keyword": "context"},
            before=(
                "from app.schemas import AgentExecutionResult as Result\n\n"
                "r = Result(\n    success=True,\n    context=ctx,\n)\n"
            ),
            after=(
                "from app.schemas import AgentExecutionResult as Result\n\n"
                "r = Result(\n    success=True,\n)\n"
            ),
        ),
        Example(
            title="another callable keeps its keyword",
            options={"callables": ["*.AgentExecutionResult"], "keyword": "context"},
            before="from app.agents import run\n\nrun(context=ctx)\n",
        ),
    )

    def needles(self) -> Needles:
        return [[self.options.keyword, DottedPattern(c).last] for c in self.options.callables]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        return transform_with_metadata(module, _Remover(self.options, ctx))


class _Remover(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, options: RemoveKwargOptions, ctx: FileContext) -> None:
        super().__init__()
        self.opts = options
        self.ctx = ctx
        self.patterns = [DottedPattern(c) for c in options.callables]

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = self.opts.keyword
        index = keyword_index(updated.args, name)
        in_dict = [i for i, a in enumerate(updated.args) if star_dict_key(a, name) is not None]
        if index is None and not in_dict:
            return updated
        target = call_target(
            self, original, self.patterns, self.ctx.module_name, bare=self.opts.match_bare_name
        )
        if target is None:
            return updated
        args = list(updated.args)
        drop: set[int] = set()
        if index is not None:
            drop.add(index)
            value = args[index].value
            if not isinstance(value, _PURE):
                line, col = line_col(self, original)
                self.ctx.report(
                    "review",
                    f"removed `{name}=` from a call to {target.text}; its value was an expression "
                    "that is no longer evaluated",
                    line,
                    col,
                )
        for i in in_dict:
            arg = args[i]
            assert isinstance(arg.value, cst.Dict)
            at = star_dict_key(arg, name)
            elements = [e for j, e in enumerate(arg.value.elements) if j != at]
            if not elements:
                drop.add(i)
                continue
            if at == len(arg.value.elements) - 1:
                elements[-1] = elements[-1].with_changes(comma=arg.value.elements[-1].comma)
            args[i] = arg.with_changes(value=arg.value.with_changes(elements=elements))
        return updated.with_changes(args=without_args(args, drop))
