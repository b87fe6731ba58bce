"""The ``map_kwarg`` step type. Its description is written once, in the docstring of
:class:`MapKwarg` (``codemod explain map_kwarg`` shows it).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import ScopeProvider
from pydantic import Field, field_validator, model_validator

from codemods.analysis.calls import call_target, check_callables, keyword_index
from codemods.analysis.names import DottedPattern
from codemods.analysis.pattern_fix import FixError, FixTemplate, fill
from codemods.analysis.pattern_match import CompiledPattern, Matcher, Resolver
from codemods.analysis.pattern_syntax import parse_pattern
from codemods.analysis.visit import line_col, transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Step, StepOptions


class MapKwargOptions(StepOptions):
    callables: list[str] = Field(
        min_length=1,
        description="Dotted qualified names of the callables whose calls are rewritten, e.g. "
        "`pydantic.Field`; `*.Name` matches the name imported from any module.",
    )
    old: str = Field(
        description="The keyword argument as the code passes it now.", pattern=r"^[A-Za-z_]\w*$"
    )
    new: str = Field(
        default="", description="Its new name (empty: keep the name, map only the value)."
    )
    values: dict[str, str] = Field(
        min_length=1,
        description='Value pattern -> new value, tried in order, e.g. `{"False": "True", "True": '
        '"False"}` or `{"$V": "not $V"}` (metavariables as in the `pattern` step).',
    )

    @field_validator("callables")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        return check_callables(value)

    @field_validator("new")
    @classmethod
    def _name(cls, value: str) -> str:
        if value and not value.isidentifier():
            raise ValueError(f"{value!r} is not a keyword name")
        return value

    @model_validator(mode="after")
    def _compile(self) -> MapKwargOptions:
        compiled_values(self)
        return self


def compiled_values(options: MapKwargOptions) -> list[tuple[CompiledPattern, FixTemplate]]:
    out = []
    for key, value in options.values.items():
        parsed = parse_pattern(key)
        if parsed.kind != "expression":
            raise ValueError(f"value pattern {key!r} is not an expression")
        out.append(
            (CompiledPattern(parsed.nodes, parsed.kind), FixTemplate.parse(value, "expression"))
        )
    return out


class MapKwarg(Step[MapKwargOptions]):
    """Rename a keyword argument and map its value, in calls to given classes or functions

    ``values`` maps value patterns (with metavariables) to new values, tried in order;
    ``new`` renames the keyword (``allow_mutation=False`` -> ``frozen=True``). Calls are matched
    by what their callee resolves to, so a local function of the same name is left alone. A
    value no pattern matches, or a call already passing the new keyword, is left unchanged and
    reported.
    """

    Options: ClassVar = MapKwargOptions
    examples: ClassVar = (
        Example(
            title="pydantic allow_mutation=False -> frozen=True, through an alias",
            options={
                "callables": ["pydantic.Field"],
                "old": "allow_mutation",
                "new": "frozen",
                "values": {"False": "True", "True": "False", "$V": "not $V"},
            },
            before=(
                "from pydantic import Field as F\n\n"
                "class User:\n    id: int = F(1, allow_mutation=False)\n    name: str = F(allow_mutation=flag)\n"
            ),
            after=(
                "from pydantic import Field as F\n\n"
                "class User:\n    id: int = F(1, frozen=True)\n    name: str = F(frozen=not flag)\n"
            ),
        ),
        Example(
            title="a dataclasses.field call is another callable",
            options={
                "callables": ["pydantic.Field"],
                "old": "allow_mutation",
                "new": "frozen",
                "values": {"False": "True"},
            },
            before="from dataclasses import field\n\nx = field(allow_mutation=False)\n",
        ),
    )

    def __init__(self, options: MapKwargOptions) -> None:
        super().__init__(options)
        self.values = compiled_values(options)

    def needles(self) -> Needles:
        return [[self.options.old, DottedPattern(c).last] for c in self.options.callables]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        return transform_with_metadata(module, _Mapper(self, ctx))


class _Mapper(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, step: MapKwarg, ctx: FileContext) -> None:
        super().__init__()
        self.step = step
        self.opts = step.options
        self.ctx = ctx
        self.patterns = [DottedPattern(c) for c in self.opts.callables]

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        old, new = self.opts.old, self.opts.new or self.opts.old
        index = keyword_index(updated.args, old)
        if index is None:
            return updated
        target = call_target(self, original, self.patterns, self.ctx.module_name)
        if target is None:
            return updated
        if new != old and keyword_index(updated.args, new) is not None:
            self._report(
                original, f"call to {target.text} passes both `{old}` and `{new}`; left unchanged"
            )
            return updated
        arg = updated.args[index]
        resolver = Resolver(self.metadata.get(ScopeProvider, {}), self.ctx.module_name)  # type: ignore[arg-type]
        value = original.args[index].value
        for pattern, template in self.step.values:
            caps = Matcher(pattern, resolver).match(value)
            if caps is None:
                continue
            try:
                (expr,) = fill(template, caps)
            except (FixError, ValueError):
                continue
            assert isinstance(expr, cst.BaseExpression)
            keyword = (
                arg.keyword.with_changes(value=new) if arg.keyword is not None else cst.Name(new)
            )
            args = list(updated.args)
            args[index] = arg.with_changes(keyword=keyword, value=expr)
            return updated.with_changes(args=args)
        code = cst.Module([]).code_for_node(value)
        self._report(
            original,
            f"call to {target.text}: no value pattern matches `{old}={code}`; left unchanged",
        )
        return updated

    def _report(self, node: cst.CSTNode, message: str) -> None:
        line, col = line_col(self, node)
        self.ctx.warn(message, line, col)
