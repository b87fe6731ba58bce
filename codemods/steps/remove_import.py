"""The ``remove_import`` step type. Its description is written once, in the docstring of
:class:`RemoveImport` (``codemod explain remove_import`` shows it).
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from typing import ClassVar

import libcst as cst
from pydantic import Field, field_validator

from codemods.analysis.bindings import BindingModel
from codemods.analysis.imports import (
    DOTTED_RE,
    import_from_module,
    iter_imports,
    remove_unused_imports,
    resolve_module,
)
from codemods.analysis.quick import Reads, scoped_statements
from codemods.steps._base import Example, FileContext, Needles, Source, Step, StepOptions

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

    def precheck(self, source: Source, ctx: FileContext) -> bool:
        # The needles only say `import` and `resource` both occur somewhere (`importlib.resources`
        # in prose, `self.resource = ...`): an import statement of the module must exist, and
        # what it binds must not already be read in its scope (the removal keeps any import
        # with a use; CPython's symtable is a cheap judge of uses). When unsure: True.
        # (A non-ASCII name is spelled in the file's declared encoding: left to the `ast`.)
        module = self.options.module
        if module.isascii() and not _import_line(module).search(source.data):
            return False  # no line where an import statement could name it: no `ast` needed
        is_package = ctx.path.name == "__init__.py"
        found = [
            (node, scope)
            for node, scope in scoped_statements(source.tree.body)
            if self._matches(node, ctx.module_name, is_package)
        ]
        if not found:
            return False
        try:
            reads = Reads(source.data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
        for node, scope in found:
            bound = self._bound_names(node)
            if bound is None:
                return True
            if scope is None:
                used: set[str] | None = reads.of_globals()
            elif isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
                used = reads.of_function(scope)
            else:
                return True  # a class body: not worth the bookkeeping
            if used is None or not bound <= used:
                return True
        return False

    def _matches(self, node: ast.stmt, file_module: str | None, is_package: bool) -> bool:
        """``_removable``'s test over the stdlib ``ast``."""
        module = self.options.module
        if isinstance(node, ast.Import):
            return any(alias.name == module for alias in node.names)
        if not isinstance(node, ast.ImportFrom) or not self.options.names:
            return False
        if any(alias.name == "*" for alias in node.names):
            return False
        spelled = "." * node.level + (node.module or "")
        return resolve_module(spelled, file_module, is_package=is_package) == module

    def _bound_names(self, node: ast.stmt) -> set[str] | None:
        """The names a matching import binds, or None when that is not a plain name."""
        module, wanted = self.options.module, self.options.names
        if isinstance(node, ast.ImportFrom):
            return {a.asname or a.name for a in node.names if "*" in wanted or a.name in wanted}
        bound: set[str] = set()
        for alias in getattr(node, "names", ()):
            if alias.name == module:
                if alias.asname is None and "." in module:
                    return None  # `import a.b` binds `a`, shared with other imports
                bound.add(alias.asname or alias.name)
        return bound

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        found = _removable(module, self.options, ctx)
        if found:
            found = _without_uses_libcst_misses(module, found)
        if not found:
            return module
        is_package = ctx.path.name == "__init__.py"
        return remove_unused_imports(module, found, ctx.module_name, is_package)


@lru_cache(maxsize=64)
def _import_line(module: str) -> re.Pattern[bytes]:
    """Where an import statement of ``module`` could be: its last component as a word after
    `import`/`from` on the same line, or on a line a backslash continues (`import os, \\`)."""
    word = re.escape(module.rsplit(".", 1)[-1].encode())
    return re.compile(rb"(?:\b(?:import|from)\b[^\n]*?|\\\r?\n[^\n]*?)(?<!\w)" + word + rb"(?!\w)")


def _removable(
    module: cst.Module, opts: RemoveImportOptions, ctx: FileContext
) -> list[tuple[str, str | None, str | None]]:
    """The ``(module, name, asname)`` triples of the imports this step may remove."""
    is_package = ctx.path.name == "__init__.py"
    found: list[tuple[str, str | None, str | None]] = []
    for node, _, _ in iter_imports(module):
        if isinstance(node, cst.Import):
            found += [
                (opts.module, None, alias.evaluated_alias)
                for alias in node.names
                if alias.evaluated_name == opts.module
            ]
        elif (
            opts.names
            and not isinstance(node.names, cst.ImportStar)
            and import_from_module(node, ctx.module_name, is_package) == opts.module
        ):
            found += [
                (opts.module, alias.evaluated_name, alias.evaluated_alias)
                for alias in node.names
                if "*" in opts.names or alias.evaluated_name in opts.names
            ]
    return found


def _without_uses_libcst_misses(
    module: cst.Module, found: list[tuple[str, str | None, str | None]]
) -> list[tuple[str, str | None, str | None]]:
    """``found`` minus the imports whose name a ``# type:`` comment or the string of a
    ``X: TypeAlias = "A | B"`` reads (mypy and pyflakes read them; LibCST's visitor does not),
    by the binding model."""
    code = module.code
    if "type:" not in code and "TypeAlias" not in code:
        return found
    try:
        model = BindingModel.from_source(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    typed = {u.name for u in model.uses if u.where in ("type_comment", "string")}

    def bound(item: tuple[str, str | None, str | None]) -> str:
        dotted, name, asname = item
        return asname or name or dotted.split(".")[0]

    return [item for item in found if bound(item) not in typed]
