"""Remove an import of a given module or name when nothing in the file uses it

Left-over imports are not always harmless: ``import resource`` is POSIX-only, so a test module
that imports it without using it fails to import on Windows. This step removes
``import module`` (also ``import module as m`` and ``import a, module``) and, with ``names``,
``from module import name`` (relative spellings resolved from the file's package), but only when
no code, string annotation or ``__all__`` entry in the file refers to what the import binds
(LibCST's ``RemoveImportsVisitor`` decides; it is conservative: any use of the name anywhere in
the file keeps the import). Only name modules whose import has no side effects you rely on.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from pydantic import Field, field_validator

from codemods.analysis.imports import (
    DOTTED_RE,
    import_from_module,
    remove_unused_imports,
)
from codemods.steps._base import Example, FileContext, Needles, Step, StepOptions

#: What may follow a module name in an import statement (Python's whitespace, line ends,
#: separators, a comment, a line continuation).
_NAME_ENDS = (" ", "\t", "\x0c", "\n", "\r", ",", ";", "#", "\\")


class RemoveImportOptions(StepOptions):
    module: str = Field(
        description="Dotted module whose unused imports are removed, e.g. `resource`.",
        examples=["resource"],
    )
    names: list[str] = Field(
        default_factory=list,
        description="Names imported `from module import ...` to remove when unused; `*` means "
        "every name. Empty (the default): only `import module` statements.",
    )

    @field_validator("module")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not DOTTED_RE.match(value):
            raise ValueError(f"{value!r} is not a dotted module name such as `resource`")
        return value


class RemoveImport(Step[RemoveImportOptions]):
    """Remove an import of a given module or name when nothing in the file uses it

    Removes ``import module`` (also ``import module as m`` and one name out of
    ``import os, module``) and, with ``names``, ``from module import name``, but only when
    nothing in the file refers to what the import binds (code, string annotations or
    ``__all__``). ``import resource`` left unused breaks collection on platforms without it.
    """

    Options: ClassVar = RemoveImportOptions
    examples: ClassVar = (
        Example(
            title="unused POSIX-only import",
            options={"module": "resource"},
            before="import os, resource\nimport sys\n\nprint(os.sep, sys.argv)\n",
            after="import os\nimport sys\n\nprint(os.sep, sys.argv)\n",
        ),
        Example(
            title="a used import stays",
            options={"module": "resource"},
            before=(
                "import resource\n\n\n"
                "def test_limits():\n"
                "    assert resource.getrlimit(resource.RLIMIT_NOFILE)\n"
            ),
        ),
    )

    def needles(self) -> Needles:
        # In `import a, mod as m` and `from mod import x` the module's last component is followed
        # by whitespace, a line end (the pre-check sees a final newline even where the file has
        # none), `,`, `;`, `#` or a backslash continuation, never by a name character as in
        # `importlib.resources` or `resource_x`.
        last = self.options.module.rsplit(".", 1)[-1]
        return [["import", last + end] for end in _NAME_ENDS]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        wanted = _Finder(self.options, ctx)
        module.visit(wanted)
        if not wanted.found:
            return module
        return remove_unused_imports(module, wanted.found, ctx.module_name)


class _Finder(cst.CSTVisitor):
    """The ``(module, name, asname)`` triples of the imports this step may remove."""

    def __init__(self, options: RemoveImportOptions, ctx: FileContext) -> None:
        super().__init__()
        self.opts = options
        self.ctx = ctx
        self.found: list[tuple[str, str | None, str | None]] = []

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.evaluated_name == self.opts.module:
                self.found.append((self.opts.module, None, alias.evaluated_alias))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self.opts.names or isinstance(node.names, cst.ImportStar):
            return
        is_package = self.ctx.path.name == "__init__.py"
        if import_from_module(node, self.ctx.module_name, is_package) != self.opts.module:
            return
        for alias in node.names:
            if "*" in self.opts.names or alias.evaluated_name in self.opts.names:
                self.found.append((self.opts.module, alias.evaluated_name, alias.evaluated_alias))
