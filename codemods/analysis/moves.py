"""The machinery shared by the steps that move modules and symbols (``rename_module``,
``rename_symbol``): find every import, plan edits up front from scope analysis, then apply
them in one pass over the tree.

A subclass implements :meth:`MoveTransformer.plan` using the helpers here: it calls
``replace_import`` / ``insert_after`` for import statements, ``replace_node`` for uses, and
``verify_target`` for the new module. This base class then applies the edits, keeps an import
from being duplicated inside the same block, rewrites strings that name the old path
(``patch("old.A")``), and reports comments, docstrings and other strings that still mention it
as ``mention`` diagnostics (they are text, not code, so they are never rewritten).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    Access,
    ImportAssignment,
    ParentNodeProvider,
    Scope,
    ScopeProvider,
)

from codemods.analysis.bindings import BindingModel, ImportStmt
from codemods.analysis.context import FileContext
from codemods.analysis.import_order import resort_imports
from codemods.analysis.imports import (
    ImportNode,
    binding_of,
    from_module_changes,
    import_from_module,
    import_from_stmt,
    iter_imports,
    line_comment,
    mentions,
    rewrite_path_string,
    with_line_comment,
    without_alias,
)
from codemods.analysis.isort_settings import DEFAULT as DEFAULT_ISORT
from codemods.analysis.isort_settings import IsortSettings, settings_for
from codemods.analysis.modules import importable_here
from codemods.analysis.text import word_re
from codemods.analysis.visit import lazy_metadata, line_col

#: Calls whose first argument names a module: a one-word string is rewritten only there.
_LOADERS = frozenset(
    {"import_module", "importorskip", "__import__", "find_spec", "patch", "setattr", "delattr"}
)


@dataclass(frozen=True)
class FoundImport:
    """One import statement of the file, with what it resolves to."""

    node: ImportNode
    line: cst.SimpleStatementLine | cst.SimpleStatementSuite  # `if x: import y` is a suite
    block: cst.CSTNode  # the Module, IndentedBlock or compound statement holding ``line``
    module: str | None  # absolute module of a ``from`` import (None: unresolvable / ``import``)


_TYPE_COMMENT = re.compile(r"#\s*type:(?!\s*ignore\b)")


def _no_blank_after_removed_imports(
    original: cst.IndentedBlock, updated: cst.IndentedBlock
) -> cst.IndentedBlock:
    """A block whose leading imports all went starts with its code, not with the blank line
    that used to separate the imports from it."""
    first = original.body[0] if original.body else None
    now = updated.body[0] if updated.body else None
    if (
        not isinstance(first, cst.SimpleStatementLine)
        or not isinstance(first.body[0], cst.Import | cst.ImportFrom)
        or not isinstance(now, cst.SimpleStatementLine | cst.BaseCompoundStatement)
        or (
            isinstance(now, cst.SimpleStatementLine)
            and isinstance(now.body[0], cst.Import | cst.ImportFrom)
        )
    ):
        return updated
    lines = list(now.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    if len(lines) == len(now.leading_lines):
        return updated
    return updated.with_changes(body=[now.with_changes(leading_lines=lines), *updated.body[1:]])


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


class MoveTransformer(cst.CSTTransformer):
    # Parents and positions are resolved on first use (a file with nothing to move needs
    # neither): see ``parent`` and ``line_of`` (``line_col``).
    METADATA_DEPENDENCIES = (ScopeProvider,)

    #: (old dotted prefix, new dotted prefix) pairs for strings naming the path.
    string_paths: tuple[tuple[str, str], ...] = ()
    #: Dotted paths whose remaining mentions in comments and strings are reported.
    mention_paths: tuple[str, ...] = ()
    #: Names and dotted chains renamed in the code (``OrderedDict`` -> ``OrderedMapping``,
    #: ``unittest.mock`` -> ``mock``), renamed in ``# type:`` comments too.
    type_comment_renames: dict[str, str]

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.is_package = ctx.path.name == "__init__.py"
        self._replace_small: dict[int, ImportNode | None] = {}
        self._insert: dict[int, list[cst.SimpleStatementLine]] = {}
        self._inserted: dict[int, set[tuple[str, str, str]]] = {}
        self._nodes: dict[int, cst.CSTNode] = {}
        self._rewritten_strings: set[int] = set()
        self._docstrings: set[int] = set()
        self.imports: list[FoundImport] = []
        self.stop = False  # a subclass sets this to leave the file unchanged
        self.type_comment_renames = {}
        self._model: BindingModel | bool | None = False  # built on first use
        self._module_node: cst.Module | None = None
        self._indents: list[str] = []  # the absolute indentation of each open block

    # -- planning ------------------------------------------------------------------------------
    def plan(self) -> None:
        """Fill in the edits (subclasses)."""

    def visit_Module(self, node: cst.Module) -> None:
        self._module_node = node
        for imp, line, block in iter_imports(node):
            module = (
                import_from_module(imp, self.ctx.module_name, self.is_package)
                if isinstance(imp, cst.ImportFrom)
                else None
            )
            self.imports.append(FoundImport(imp, line, block, module))
        self.plan()
        if self.stop:
            self._replace_small.clear()
            self._insert.clear()
            self._nodes.clear()
        self._note_docstring(node.body)

    # -- the binding model ---------------------------------------------------------------------
    @property
    def model(self) -> BindingModel | None:
        """The module's :class:`BindingModel` (built on first use; None if ``ast`` cannot read
        the code or sees other import statements than LibCST)."""
        if self._model is False:
            self._model = None
            assert self._module_node is not None
            try:
                model = BindingModel.from_source(
                    self._module_node.code, self.ctx.module_name, is_package=self.is_package
                )
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
            if len(model.imports) == len(self.imports):
                self._model = model
        return self._model if isinstance(self._model, BindingModel) else None

    def stmt_of(self, found: FoundImport) -> ImportStmt | None:
        """The model's view of import ``found`` (same source order in both trees)."""
        model = self.model
        return model.imports[self.imports.index(found)] if model is not None else None

    def left_alone(self, found: FoundImport, new_paths: Iterable[str]) -> bool:
        """Whether ``found`` is an alternative import this step must not rewrite: a fallback
        branch (``except ImportError:``, the ``else:`` of ``if sys.version_info`` /
        ``TYPE_CHECKING``), or any branch of a group where another branch already imports one
        of ``new_paths``. Reported as a mention when it is left alone."""
        stmt = self.stmt_of(found)
        if stmt is None or stmt.alternative is None or self.model is None:
            return False
        if not any(
            _under(path, old) or _under(old, path)
            for b in stmt.bindings
            for path in (b.target, b.module)
            if path is not None
            for old in self.mention_paths
        ):
            return False  # not an import of the old path
        paths = tuple(new_paths)
        has_new = any(
            _under(path, new)
            for other in self.model.alternatives_of(stmt)
            for b in other.bindings
            for path in (b.target, b.module)
            if path is not None
            for new in paths
        )
        if stmt.alternative.branch == 0 and not has_new:
            return False
        kind = "try/except ImportError" if stmt.alternative.kind == "try" else "if/else"
        why = (
            f"another branch of this {kind} already imports the new path"
            if has_new
            else f"the fallback branch of a {kind}"
        )
        self.ctx.report(
            "mention",
            f"alternative import left alone ({why})",
            self.line_of(found.node),
        )
        return True

    # -- helpers for ``plan`` ---------------------------------------------------------------------
    def from_changes(self, node: cst.ImportFrom, target: str) -> dict[str, object]:
        """Changes that point ``node`` at module ``target``: relative stays relative (with
        the dots the file's own module needs), absolute stays absolute."""
        return from_module_changes(node, target, self.ctx.module_name, is_package=self.is_package)

    def from_stmt_like(
        self, node: ImportNode, module: str, name: str, asname: str | None = None
    ) -> cst.SimpleStatementLine:
        """``from module import name [as asname]``, relative when ``node`` is."""
        line = import_from_stmt(module, name, asname)
        if isinstance(node, cst.ImportFrom) and node.relative:
            small = line.body[0]
            assert isinstance(small, cst.ImportFrom)
            line = line.with_changes(body=[small.with_changes(**self.from_changes(node, module))])
        return line

    def line_of(self, node: cst.CSTNode) -> int:
        return self._start(node)[0]

    def _start(self, node: cst.CSTNode) -> tuple[int, int]:
        line, column = line_col(self, node)
        return line, column - 1

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return lazy_metadata(self, ParentNodeProvider).get(node)

    def chain_at(self, node: cst.CSTNode, chain: str) -> cst.Attribute | None:
        """The attribute around ``node`` spelled ``chain`` or starting with it (``pkg.old``
        of ``pkg.old.A``), if any."""
        current: cst.CSTNode | None = node
        while current is not None:
            name = get_full_name_for_node(current)
            if name == chain and isinstance(current, cst.Attribute):
                return current
            if name is None or not chain.startswith(name + "."):
                return None
            parent = self.parent(current)
            if not isinstance(parent, cst.Attribute) or parent.value is not current:
                return None
            current = parent
        return None

    def scope_of(self, node: cst.CSTNode) -> Scope | None:
        return self.get_metadata(ScopeProvider, node, None)

    def references(self, found: FoundImport, name: str) -> list[Access]:
        """Uses of the name ``name`` bound by import ``found`` (scope-aware: shadowing respected)."""
        scope = self.scope_of(found.node)
        if scope is None:
            return []
        out: list[Access] = []
        for assignment in scope.assignments[name]:
            if isinstance(assignment, ImportAssignment) and assignment.node is found.node:
                out.extend(assignment.references)
        return sorted(out, key=lambda a: self._pos(a.node))

    def _pos(self, node: cst.CSTNode) -> tuple[int, int]:
        return self._start(node)

    def replace_import(self, found: FoundImport, new: ImportNode | None) -> None:
        """Replace the import statement in place (``None`` removes it)."""
        self._replace_small[id(found.node)] = new

    def insert_after(self, found: FoundImport, line: cst.SimpleStatementLine) -> None:
        """Add a statement right after the import's line, in the same block (never hoisted)."""
        if self.already_imported(found, line.body[0]):  # type: ignore[arg-type]
            return
        wanted = self._signatures(line.body[0], None)
        added = self._inserted.setdefault(id(found.block), set())
        if wanted and wanted <= added:
            return  # an earlier insertion in this block already binds it
        added |= wanted
        self._insert.setdefault(id(found.line), []).append(line)

    def move_name_out(
        self,
        found: FoundImport,
        node: cst.ImportFrom | cst.Import,
        index: int,
        line: cst.SimpleStatementLine,
    ) -> None:
        """Drop the ``index``-th name of the import ``node`` and add ``line`` (its new import)
        right after it, ending in the comment that was on the dropped name's line."""
        self.replace_import(found, without_alias(node, index))
        self.insert_after(found, with_line_comment(line, line_comment(node, index)))

    def replace_node(self, node: cst.CSTNode, new: cst.CSTNode) -> None:
        self._nodes[id(node)] = new

    def already_imported(self, found: FoundImport, new: cst.BaseSmallStatement) -> bool:
        """Whether the block of ``found`` already has import ``new`` (as written, or as rewritten
        by an edit of an earlier import)."""
        wanted = self._signatures(new, None)
        if not wanted:
            return False
        position = self.imports.index(found)
        for index, other in enumerate(self.imports):
            if other.node is found.node:
                if id(found.node) not in self._replace_small and wanted <= self._signatures(
                    found.node, found.module
                ):
                    return True  # the import stays and already binds it
                continue
            if other.block is not found.block:
                continue
            if id(other.node) in self._replace_small:  # as rewritten, if it comes first
                replacement = self._replace_small[id(other.node)]
                if replacement is None or index > position:
                    continue
                have = self._signatures(replacement, None)
            else:
                have = self._signatures(other.node, other.module)
                if index > position and not self._unread_between(found, other, wanted):
                    continue  # a use sits between them: dropping `found` would unbind it
            if wanted <= have:
                return True
        return self._bound_in_scope(found, wanted, position)

    def _unread_between(
        self, found: FoundImport, later: FoundImport, wanted: set[tuple[str, str, str]]
    ) -> bool:
        """Whether nothing reads the names of ``wanted`` between ``found`` and the later
        import ``later`` that binds them again (then ``found`` may go)."""
        model, stmt = self.model, self.stmt_of(found)
        if model is None or stmt is None:
            return False
        start = (stmt.node.lineno, stmt.node.col_offset)
        end_stmt = model.imports[self.imports.index(later)].node
        end = (end_stmt.lineno, end_stmt.col_offset)
        for _, _, name in wanted:
            for use in model.reads(stmt.scope, name):
                if use.deferred and use.scope is not stmt.scope:
                    continue  # a function body runs later, after both imports
                if start < (use.line, use.col) < end:
                    return False
        return True

    def _bound_in_scope(
        self, found: FoundImport, wanted: set[tuple[str, str, str]], position: int
    ) -> bool:
        """Whether an unchanged import elsewhere in the scope of ``found`` (or at module level,
        for an import inside a function or class) already makes every binding of ``wanted``:
        adding it again would be pyflakes' "redefinition of unused"."""
        stmt = self.stmt_of(found)
        model = self.model
        if stmt is None or model is None:
            return False
        have: set[tuple[str, str, str]] = set()
        for index, other in enumerate(model.imports):
            if index == position or id(self.imports[index].node) in self._replace_small:
                continue
            same_scope = other.scope is stmt.scope and index < position
            outer = other.scope is model.module_scope and stmt.scope is not model.module_scope
            if not (same_scope or outer):
                continue
            for b in other.bindings:
                assert b.alias is not None
                module = "" if isinstance(other.node, ast.Import) else (other.module or "")
                have.add((module, b.alias.name, b.name))
        return wanted <= have

    def _signatures(self, node: cst.CSTNode, module: str | None) -> set[tuple[str, str, str]]:
        if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            if module is None:
                if node.relative or node.module is None:
                    return set()
                module = get_full_name_for_node(node.module) or ""
            return {(module, a.evaluated_name, binding_of(a)) for a in node.names}
        if isinstance(node, cst.Import):
            return {("", a.evaluated_name, binding_of(a)) for a in node.names}
        return set()

    def verify_target(self, found: FoundImport, module: str, names: Iterable[str]) -> None:
        """See :func:`verify_target` (the warning is given at the import's line)."""
        if self.ctx.project is not None:
            verify_target(self.ctx, module, names, self.line_of(found.node))

    # -- applying ------------------------------------------------------------------------------
    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        """A leading import block that was in isort's order stays in it (see import_order)."""
        if self.stop or not (self._replace_small or self._insert):
            return updated
        return resort_imports(original, updated, self._first_party, self._isort(), "")

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        default = self._module_node.default_indent if self._module_node is not None else "    "
        step = node.indent if node.indent is not None else default
        self._indents.append((self._indents[-1] if self._indents else "") + step)

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        indent: str | None = self._indents.pop() if self._indents else None
        if "\t" in (indent or "\t"):
            indent = None  # a width we cannot measure as ruff does
        if self.stop or not (self._replace_small or self._insert) or original is updated:
            return updated
        updated = _no_blank_after_removed_imports(original, updated)
        return resort_imports(original, updated, self._first_party, self._isort(), indent)

    def _isort(self) -> IsortSettings:
        return isort_settings(self.ctx)

    def _first_party(self, top: str) -> bool:
        return first_party(self.ctx, top)

    def leave_Import(
        self, original: cst.Import, updated: cst.Import
    ) -> cst.BaseSmallStatement | cst.RemovalSentinel:
        return self._small(original, updated)

    def leave_ImportFrom(
        self, original: cst.ImportFrom, updated: cst.ImportFrom
    ) -> cst.BaseSmallStatement | cst.RemovalSentinel:
        return self._small(original, updated)

    def _small(
        self, original: ImportNode, updated: ImportNode
    ) -> cst.BaseSmallStatement | cst.RemovalSentinel:
        if id(original) not in self._replace_small:
            return updated
        new = self._replace_small[id(original)]
        if new is None:
            return cst.RemoveFromParent()
        found = next(f for f in self.imports if f.node is original)
        if self.already_imported(found, new):
            return cst.RemoveFromParent()
        return new

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        extra = self._insert.get(id(original), [])
        if not updated.body:
            if not extra:
                return cst.RemoveFromParent()
            first = extra[0].with_changes(leading_lines=original.leading_lines)
            return cst.FlattenSentinel([first, *extra[1:]])
        if len(updated.body) < len(original.body):  # drop a dangling `;`
            last = updated.body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            updated = updated.with_changes(body=[*updated.body[:-1], last])
        if extra:
            return cst.FlattenSentinel([updated, *extra])
        return updated

    def leave_SimpleStatementSuite(
        self, original: cst.SimpleStatementSuite, updated: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        """``if x: import a`` has no line to insert after: append ``; import b`` instead."""
        extra = [line.body[0] for line in self._insert.get(id(original), [])]
        body = list(updated.body)
        if len(body) < len(original.body) and body:
            body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        if extra and body:
            body[-1] = body[-1].with_changes(
                semicolon=cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))
            )
            for small in extra[:-1]:
                body.append(
                    small.with_changes(
                        semicolon=cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" "))
                    )
                )
            body.append(extra[-1])
        elif extra:
            body = extra
        if not body:
            body = [cst.Pass()]
        return updated.with_changes(body=body)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        result = super().on_leave(original, updated)
        replacement = self._nodes.get(id(original))
        if replacement is not None and isinstance(result, cst.CSTNode):
            return replacement
        return result  # type: ignore[return-value]

    # -- strings and mentions --------------------------------------------------------------------
    def _note_docstring(self, body: object) -> None:
        if isinstance(body, cst.IndentedBlock):
            body = body.body
        if (
            isinstance(body, (list, tuple))
            and body
            and isinstance(body[0], cst.SimpleStatementLine)
        ):
            first = body[0].body[0] if body[0].body else None
            if isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString):
                self._docstrings.add(id(first.value))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._note_docstring(node.body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._note_docstring(node.body)

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.BaseExpression:
        if self.stop or id(original) in self._nodes:
            return updated
        if id(original) not in self._docstrings:
            for old, new in self.string_paths:
                if "." not in old and original.evaluated_value == old and not self._loads(original):
                    continue  # a lone word such as "collections" is only a module where imported
                rewritten = rewrite_path_string(updated, old, new)
                if rewritten is not None:
                    return rewritten
        self._mention(
            original, original.value, "docstring" if id(original) in self._docstrings else "string"
        )
        return updated

    def _loads(self, node: cst.SimpleString) -> bool:
        """Whether ``node`` is the first argument of a call that imports or patches by name."""
        arg = self.parent(node)
        call = self.parent(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg:
            return False
        func = (get_full_name_for_node(call.func) or "").rsplit(".", 1)[-1]
        return func in _LOADERS

    def leave_Comment(self, original: cst.Comment, updated: cst.Comment) -> cst.Comment:
        """A ``# type:`` comment is code to mypy: the names it reads follow the rename
        (``type_comment_renames``); any other comment is only reported as a mention."""
        if not self.stop and self.type_comment_renames and _TYPE_COMMENT.match(original.value):
            value = original.value
            for old, new in self.type_comment_renames.items():
                value = word_re(old).sub(new, value)
            if value != original.value:
                return updated.with_changes(value=value)
        self._mention(original, original.value, "comment")
        return updated

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self._mention(node, node.value, "string")

    def mentioned(self, text: str) -> str | None:
        """Which old path ``text`` mentions, if any (subclasses may widen this)."""
        return next((p for p in self.mention_paths if mentions(text, p)), None)

    def _mention(self, node: cst.CSTNode, text: str, kind: str) -> None:
        path = self.mentioned(text)
        if path is not None:
            line, column = self._start(node)
            self.ctx.report(
                "mention",
                f"{kind} still mentions `{path}` (not code: left for you to review)",
                line,
                column + 1,
            )


def verify_target(ctx: FileContext, module: str, names: Iterable[str], line: int) -> None:
    """Warn when ``module`` is in the project (the whole project, not only the scanned
    paths) but missing, or lacks one of ``names``; or when it is neither in the project
    nor importable by the interpreter running ``codemod``."""
    project = ctx.project
    if project is None:
        return
    if not project.in_project(module):
        if not importable_here(module):
            top = module.split(".")[0]
            ctx.warn(
                f"rewrote the import to `{module}`, which is neither in "
                f"{project.root.name}/ nor importable here (no top-level `{top}` "
                f"on this interpreter's path)",
                line,
            )
        return
    if not project.exists(module):
        ctx.warn(
            f"rewrote the import to `{module}`, which does not exist in {project.root.name}/",
            line,
        )
        return
    for name in names:
        if project.defines(module, name) is False:
            ctx.warn(f"rewrote the import to `{module}`, which does not define `{name}`", line)


def isort_settings(ctx: FileContext) -> IsortSettings:
    """The isort/ruff settings of the closest config (see analysis/isort_settings), read once
    per folder."""
    project = ctx.project
    if project is None:
        return DEFAULT_ISORT
    folder = Path(os.path.realpath(ctx.path)).parent

    def read() -> IsortSettings:
        return settings_for(folder, Path(project.root), project.read_text)

    return project.memo(f"isort-settings:{folder}", read)


def first_party(ctx: FileContext, top: str) -> bool:
    """Whether top-level module ``top`` is the project's own (isort's first-party section)."""
    project = ctx.project
    if project is None:
        return False
    return project.module_file(top) is not None or project.package_dir(top) is not None
