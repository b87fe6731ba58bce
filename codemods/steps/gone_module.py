"""The ``gone_module`` step type. Its description is written once, in the docstring of
:class:`GoneModule` (``codemod explain gone_module`` shows it).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider
from pydantic import Field, field_validator

from codemods.analysis.imports import DOTTED_RE, import_from_module, iter_imports
from codemods.analysis.visit import wrap
from codemods.steps._base import Example, FileContext, Needles, Step, StepOptions
from codemods.steps.rename_symbol import RenameSymbol, RenameSymbolOptions


class GoneModuleOptions(StepOptions):
    module: str = Field(description="The dotted name of the module that no longer exists.")
    moved: dict[str, str] = Field(
        default_factory=dict,
        description="Each name of the gone module that lives on, and the dotted module it lives in now "
        "(`AgentExecutionResult: pkg.schemas.agent_result_types`).",
    )
    hint: str = Field(
        default="",
        description="Text added to each report, e.g. where to look for the names' new homes.",
    )

    @field_validator("module")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not DOTTED_RE.match(value):
            raise ValueError(f"{value!r} is not a dotted module name")
        return value

    @field_validator("moved")
    @classmethod
    def _targets(cls, value: dict[str, str]) -> dict[str, str]:
        for name, target in value.items():
            if not name.isidentifier() or not DOTTED_RE.match(target):
                raise ValueError(f"`{name}: {target}` must map a name to a dotted module")
        return value


class GoneModule(Step[GoneModuleOptions]):
    """A module is gone: move its names to their new homes, report the ones with no known home

    Each name in ``moved`` is moved to its new module at every import and use (the
    ``rename_symbol`` machinery: partial imports split, module aliases, relative imports,
    ``patch()`` strings). Every import of the gone module that is left after that names
    something the recipe does not map: it is reported at the import, naming the module, never
    guessed.
    """

    Options: ClassVar = GoneModuleOptions
    examples: ClassVar = (
        Example(
            title="mapped names move to their new homes; an unmapped one is reported at its import",
            options={
                "module": "app.schemas.agent_schemas",
                "moved": {
                    "AgentExecutionResult": "app.schemas.agent_result_types",
                    "AgentRequest": "app.schemas.request",
                },
            },
            path="app/services/run.py",
            before=(
                "from app.schemas.agent_schemas import AgentExecutionResult, AgentRequest, LegacyThing\n\n"
                "result = AgentExecutionResult(request=AgentRequest(), thing=LegacyThing())\n"
            ),
            after=(
                "from app.schemas.agent_result_types import AgentExecutionResult\n"
                "from app.schemas.agent_schemas import LegacyThing\n"
                "from app.schemas.request import AgentRequest\n\n"
                "result = AgentExecutionResult(request=AgentRequest(), thing=LegacyThing())\n"
            ),
        ),
        Example(
            title="a module with a similar name is another module",
            options={"module": "app.schemas.agent_schemas"},
            before="from app.schemas.agent_schemas_v2 import Thing\n",
        ),
    )

    def needles(self) -> Needles:
        return [[self.options.module.rsplit(".", 1)[-1]]]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        gone = self.options.module
        for name, target in self.options.moved.items():
            mover = RenameSymbol(RenameSymbolOptions(old=f"{gone}:{name}", new=f"{target}:{name}"))
            module = mover.transform(module, ctx)
        parent, _, last = gone.rpartition(".")
        is_package = ctx.path.name == "__init__.py"
        found: list[tuple[cst.CSTNode, str]] = []
        for node, _line, _block in iter_imports(module):
            if isinstance(node, cst.Import):
                for alias in node.names:
                    name = cst.helpers.get_full_name_for_node(alias.name) or ""
                    if name == gone or name.startswith(gone + "."):
                        found.append((alias, f"`import {name}`"))
                continue
            resolved = import_from_module(node, ctx.module_name, is_package)
            if resolved is None:
                continue
            if isinstance(node.names, cst.ImportStar):
                if resolved == gone or resolved.startswith(gone + "."):
                    found.append((node, f"`from {resolved} import *`"))
                continue
            for alias in node.names:
                name = cst.helpers.get_full_name_for_node(alias.name) or ""
                if resolved == gone or resolved.startswith(gone + "."):
                    found.append((alias, f"`{name}`"))
                elif resolved == parent and name == last:
                    found.append((alias, f"`from {parent} import {last}`"))
        if not found:
            return module
        positions = wrap(module).resolve(PositionProvider)
        hint = f" {self.options.hint}" if self.options.hint else ""
        for where, what in found:
            start = positions[where].start
            if what.startswith("`import ") or what.startswith("`from "):
                message = (
                    f"{what} imports `{gone}`, which no longer exists; names this recipe does not "
                    f"map must be fixed by hand.{hint}"
                )
            else:
                message = (
                    f"{what} is imported from `{gone}`, which no longer exists, and this recipe "
                    f"does not say where it went: fix this import by hand.{hint}"
                )
            ctx.warn(message, start.line, start.column + 1)
        return module
