"""The ``rename_symbol`` step type. Its description is written once, in the docstring of
:class:`RenameSymbol` (``codemod explain rename_symbol`` shows it).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import ClassVar

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    Access,
    Assignment,
    BuiltinAssignment,
    FunctionScope,
    GlobalScope,
    ImportAssignment,
)
from pydantic import Field, model_validator

from codemods.analysis.imports import (
    Symbol,
    binding_of,
    dotted_expr,
    import_from_stmt,
    import_module_stmt,
    import_stmt,
    mentions,
    parse_symbol,
    rename_in_annotation,
    replace_string_value,
    with_asname,
    without_alias,
)
from codemods.analysis.moves import FoundImport, MoveTransformer
from codemods.analysis.names import (
    DottedPattern,
    matches_any,
    qualified_names_for,
    qualified_names_of,
)
from codemods.analysis.symbol_edits import symbol_move_edits
from codemods.analysis.text import TextEdit
from codemods.analysis.visit import transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Source, Step, StepOptions
from codemods.steps._rename_symbol_extras import (
    check_extended,
    extended_needles,
    extended_transform,
    is_extended,
)

#: Calls whose first two arguments are an object and an attribute name, like ``patch.object``.
_SETTERS = frozenset({"object", "setattr", "getattr", "hasattr", "delattr"})


class RenameSymbolOptions(StepOptions):
    old: str = Field(
        description="What is renamed: a module-level name `pkg.mod.Name` (write `pkg.mod:Name` "
        "if the module path has a capitalised segment), or a class attribute "
        "`pkg.mod.Cls.attr` / `*.Cls.attr` (the class imported from any module). A wildcard module "
        "(`pkg.models.**.Param`: `*` one segment, `**` any) moves the name from every matching module.",
        examples=["netra_backend.app.core.agent_registry.AgentRegistry"],
    )
    new: str = Field(
        description="Its new dotted path, same form as `old`: the module, the name, or both may "
        "change; for a class attribute only the attribute name may change. `pkg.mod:obj.attr` "
        "makes a module-level name an attribute of an imported object (`airflow.configuration:conf.get`).",
        examples=["netra_backend.app.agents.supervisor.agent_registry.AgentRegistry"],
    )
    alias_old_name: bool = Field(
        default=False,
        description="When the name changes, import the new name under the old one "
        "(`from new import B as A`) instead of renaming the uses in the file.",
    )
    reused_name_attributes: list[str] = Field(
        default_factory=list,
        description="Glob patterns of attribute names (e.g. `[A-Z]*` for enum members) that show "
        "a file already uses the old name with its NEW meaning (the name was reused, e.g. "
        "`PipelineStep` became an Enum): such files are left unchanged and reported for review.",
    )

    @model_validator(mode="after")
    def _check(self) -> RenameSymbolOptions:
        if is_extended(self.old, self.new):  # `pkg.**.Name`, or a name becoming `mod:obj.attr`
            check_extended(self.old, self.new)
            return self
        old, new = parse_symbol(self.old), parse_symbol(self.new)
        if (old.attr is None and new.attr is not None) or (
            old.attr is not None and new.attr is None
        ):
            raise ValueError(
                "`old` and `new` must both be module-level names or both class attributes"
            )
        if old.attr is not None and (old.module, old.name) != (new.module, new.name):
            raise ValueError(
                "for a class attribute only the attribute may change: "
                f"`{new.module}.{new.name}` must equal `{old.module}.{old.name}`"
            )
        if old.attr is None and old.module == "*":
            raise ValueError("`*.` is only allowed for class attributes (`*.Cls.attr`)")
        if old == new:
            raise ValueError("`old` and `new` name the same thing")
        return self


class RenameSymbol(Step[RenameSymbolOptions]):
    """Move or rename a module-level name, or rename a class attribute, at every import and use

    Every spelling of the import is rewritten in place (inside functions, ``if TYPE_CHECKING:``
    and ``try`` blocks too): ``from old import A`` (layout kept), ``from old import A as B``,
    partial moves ``from old import A, C`` (two imports), ``import old`` / ``import old as o``
    with ``o.A`` uses, and relative imports. A renamed name is renamed at every use the import
    binds (annotations, quoted annotations, decorators, ``__all__``), or kept as an alias with
    ``alias_old_name``; shadowing local names are left alone. Strings naming the path
    (``patch("old.A.method")``) follow; comments and docstrings are reported as mentions;
    ``from old import *`` is reported, not guessed. The class-attribute form
    (``pkg.mod.Cls.old_method`` -> ``pkg.mod.Cls.new_method``) renames a method at the places
    it is reached through the class.
    """

    Options: ClassVar = RenameSymbolOptions
    order: ClassVar = 11
    examples: ClassVar = (
        Example(
            title="partial move out of a multi-name import, with a patch() string",
            options={
                "old": "app.core.registry.AgentRegistry",
                "new": "app.agents.registry.AgentRegistry",
            },
            path="tests/test_registry.py",
            before=(
                "from unittest.mock import patch\n\n"
                "from app.core.registry import AgentRegistry, get_registry\n\n\n"
                '@patch("app.core.registry.AgentRegistry.register")\n'
                "def test_register(register):\n"
                "    assert isinstance(get_registry(), AgentRegistry)\n"
            ),
            after=(
                "from unittest.mock import patch\n\n"
                "from app.agents.registry import AgentRegistry\n"
                "from app.core.registry import get_registry\n\n\n"
                '@patch("app.agents.registry.AgentRegistry.register")\n'
                "def test_register(register):\n"
                "    assert isinstance(get_registry(), AgentRegistry)\n"
            ),
        ),
        Example(
            title="renamed class: import and every use follow",
            options={"old": "app.ctx.PipelineStep", "new": "app.ctx.PipelineStepConfig"},
            before=(
                "from app.ctx import PipelineStep\n\n\n"
                'def build(name: str) -> "PipelineStep":\n'
                "    return PipelineStep(name=name)\n"
            ),
            after=(
                "from app.ctx import PipelineStepConfig\n\n\n"
                'def build(name: str) -> "PipelineStepConfig":\n'
                "    return PipelineStepConfig(name=name)\n"
            ),
        ),
        Example(
            title="method renamed at call sites through the class",
            options={
                "old": "*.UserExecutionContext.create_for_user",
                "new": "*.UserExecutionContext.from_request",
            },
            before=(
                "from app.context import UserExecutionContext as UEC\n\n"
                'ctx = UEC.create_for_user(user_id="u1", request_id="r1")\n'
            ),
            after=(
                "from app.context import UserExecutionContext as UEC\n\n"
                'ctx = UEC.from_request(user_id="u1", request_id="r1")\n'
            ),
        ),
        Example(
            title="a local name that shadows the import is another object",
            options={"old": "app.ctx.PipelineStep", "new": "app.ctx.PipelineStepConfig"},
            before=(
                "class PipelineStep:\n    pass\n\n\n"
                "step = PipelineStep()  # app.ctx.PipelineStep is not imported here\n"
            ),
        ),
    )

    def needles(self) -> Needles:
        if is_extended(self.options.old, self.options.new):
            return extended_needles(self.options.old)
        old = parse_symbol(self.options.old)
        if old.attr is not None:
            return [[old.name, old.attr]]
        last = old.module.rsplit(".", 1)[-1]
        own = [[f"class {old.name}"], [f"def {old.name}"], [f"{old.name} ="], [f"{old.name}:"]]
        return [[last, old.name], ["from .", old.name], *own]  # `own`: its defining module

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        if is_extended(self.options.old, self.options.new):
            return extended_transform(self, module, ctx)
        old, new = parse_symbol(self.options.old), parse_symbol(self.options.new)
        if old.attr is not None:
            return transform_with_metadata(module, _AttributeRenamer(old, new, ctx))
        return transform_with_metadata(module, _SymbolMover(self.options, old, new, ctx))

    def edit(self, source: Source, ctx: FileContext) -> list[TextEdit] | None:
        """The common shapes of a move or rename of a module-level name decided from the
        ``ast`` (see :mod:`codemods.analysis.symbol_edits`); None (LibCST decides) for the
        extended forms, class attributes, reused names, builtins targets, the defining module
        and anything unusual."""
        opts = self.options
        text = source.text
        if text is None or opts.reused_name_attributes or is_extended(opts.old, opts.new):
            return None
        old, new = parse_symbol(opts.old), parse_symbol(opts.new)
        if old.attr is not None or new.module == "builtins":
            return None
        if ctx.module_name in (old.module, new.module):  # a definition may be renamed there
            return None
        return symbol_move_edits(source.tree, text, old, new, opts.alias_old_name, ctx)


class _SymbolMover(MoveTransformer):
    def __init__(
        self, options: RenameSymbolOptions, old: Symbol, new: Symbol, ctx: FileContext
    ) -> None:
        super().__init__(ctx)
        self.opts = options
        self.old, self.new = old, new
        self.string_paths = ((old.dotted, new.dotted),)
        self.mention_paths = (old.dotted,)

    def mentioned(self, text: str) -> str | None:
        found = super().mentioned(text)
        if found is None and mentions(text, self.old.module) and mentions(text, self.old.name):
            return self.old.dotted
        return found

    # -- planning ------------------------------------------------------------------------------
    def plan(self) -> None:
        old = self.old
        later = []  # module bindings after name imports: they may reuse a name import's binding
        for found in self.imports:
            node = found.node
            if self.left_alone(found, [self.new.module]):
                continue
            if isinstance(node, cst.ImportFrom):
                if found.module == old.module:
                    if isinstance(node.names, cst.ImportStar):
                        self.ctx.warn(
                            f"`from {old.module} import *` may bring in `{old.name}`, which is now "
                            f"`{self.new.dotted}`; not rewritten: import it explicitly",
                            self.line_of(node),
                        )
                        continue
                    for index, alias in enumerate(node.names):
                        if alias.evaluated_name == old.name:
                            self._plan_name(found, node, index, alias)
                            break
                elif found.module is not None and not isinstance(node.names, cst.ImportStar):
                    for index, alias in enumerate(node.names):
                        path = f"{found.module}.{alias.evaluated_name}"
                        if path == old.module:
                            later.append((self._plan_module_binding, found, index, alias))
                        elif old.module.startswith(path + "."):
                            later.append((self._plan_chain, found, index, alias))
            else:
                for index, alias in enumerate(node.names):
                    name = alias.evaluated_name
                    if name == old.module and alias.asname is not None:
                        later.append((self._plan_module_binding, found, index, alias))
                    elif alias.asname is None and (
                        name == old.module or name.startswith(old.module + ".")
                    ):  # `import old` or `import old.sub`, used as `old.A`
                        later.append((self._plan_dotted, found, index, alias))  # type: ignore[arg-type]
                    elif old.module.startswith(name + "."):  # `import pkg; pkg.mod.A`
                        later.append((self._plan_chain, found, index, alias))
            if self.stop:
                return
        for method, found, index, alias in later:
            method(found, index, alias)
            if self.stop:
                return
        if self.ctx.module_name == old.module and self.new.module == old.module:
            self._plan_own_definition()
        if self._renamed_bindings:
            self._plan_dunder_all()

    def _plan_own_definition(self) -> None:
        """In the module that defines it (``pkg/mod.py`` for ``pkg.mod.Old``), a renamed
        name is renamed at its definition (``class``, ``def``, assignment) and every read."""
        old, new = self.old, self.new
        if old.name == new.name:
            return
        scope = self.scope_of(self._module)
        if scope is None:
            return
        defined = [
            a
            for a in scope.assignments[old.name]
            if isinstance(a, Assignment) and not isinstance(a, ImportAssignment)
        ]
        if not defined:
            return
        if new.name in scope.assignments:
            return  # the module already has the new name (renamed by hand, or the old reused)
        for assignment in defined:
            node = assignment.node
            target = node.name if isinstance(node, cst.ClassDef | cst.FunctionDef) else node
            if isinstance(target, cst.Name):
                self.replace_node(target, target.with_changes(value=new.name))
            for ref in assignment.references:
                self._rename_use(ref.node, old.name, new.name)
        self._renamed_bindings[old.name] = new.name
        self.type_comment_renames[old.name] = new.name

    _renamed_bindings: dict[str, str]

    def visit_Module(self, node: cst.Module) -> None:
        self._renamed_bindings = {}
        self._module = node
        super().visit_Module(node)

    def _reused_at(self, value: cst.CSTNode) -> bool:
        """``_reused`` for ``value`` and its parent (looked up only if the option is set)."""
        return bool(self.opts.reused_name_attributes) and self._reused(self.parent(value), value)

    def _reused(self, attribute: cst.CSTNode | None, value: cst.CSTNode) -> bool:
        """Whether ``value.attr`` shows the old name used with its new meaning (then: stop)."""
        if not isinstance(attribute, cst.Attribute) or attribute.value is not value:
            return False
        attr = attribute.attr.value
        if any(fnmatchcase(attr, p) for p in self.opts.reused_name_attributes):
            self.ctx.report(
                "review",
                f"`{get_full_name_for_node(attribute)}` uses `{self.old.name}` with its new meaning "
                f"(matches reused_name_attributes); file left unchanged",
                self.line_of(attribute),
            )
            self.stop = True
            return True
        return False

    def _plan_name(
        self, found: FoundImport, node: cst.ImportFrom, index: int, alias: cst.ImportAlias
    ) -> None:
        """``from old import A [as B]``."""
        old, new = self.old, self.new
        binding = binding_of(alias)
        refs = self.references(found, binding)
        if any(self._reused_at(r.node) for r in refs):
            return
        if new.module == "builtins":  # `from typing import List` -> the builtin `list`
            if any(self._binds_new(r.node) is False for r in refs):
                self.ctx.warn(
                    f"`{new.name}` names something else here; `{binding}` left unchanged",
                    self.line_of(node),
                )
                return
            for ref in refs:
                self._rename_use(ref.node, binding, new.name)
            self.type_comment_renames[binding] = new.name
            self.replace_import(found, without_alias(node, index))
            return
        rename_to: str | None = None
        if alias.asname is not None:
            new_as = None if binding == new.name else binding
        elif old.name == new.name:
            new_as = None
        elif self.opts.alias_old_name:
            new_as = old.name
        elif any(self._binds_new(n) is False for n in [found.node, *(r.node for r in refs)]):
            new_as = old.name
            self.ctx.report(
                "info",
                f"`{new.name}` already names something else here; imported it as `{old.name}`",
                self.line_of(node),
            )
        else:
            new_as, rename_to = None, new.name
        new_alias = with_asname(alias.with_changes(name=cst.Name(new.name)), new_as)
        names = list(node.names)  # type: ignore[arg-type]
        if new.module == old.module:
            names[index] = new_alias
            self.replace_import(found, node.with_changes(names=names))
        elif len(names) == 1:
            self.replace_import(
                found,
                node.with_changes(**self.from_changes(node, new.module), names=[new_alias]),
            )
        else:
            self.move_name_out(
                found, node, index, self.from_stmt_like(node, new.module, new.name, new_as)
            )
        if rename_to is not None:
            self._renamed_bindings[binding] = rename_to
            self.type_comment_renames[binding] = rename_to
            for ref in self._seeing(found, binding, refs):
                self._rename_use(ref.node, binding, rename_to)
        self.verify_target(found, new.module, [new.name])

    def _seeing(self, found: FoundImport, binding: str, refs: list[Access]) -> list[Access]:
        """The reads in ``refs`` that see this import, not a later rebinding of the name
        (``class OrderedDict(OrderedDict)``: the base reads the import, ``OrderedDict()`` in
        a function the class): by the binding model, in source order."""
        stmt, model = self.stmt_of(found), self.model
        if stmt is None or model is None or len(stmt.scope.bindings.get(binding, [])) < 2:
            return refs
        ours = {
            id(b)
            for b in stmt.scope.bindings[binding]
            if b.kind == "import" and b.target == self.old.dotted
        }
        out = []
        for ref in refs:
            if isinstance(ref.node, cst.SimpleString):
                out.append(ref)  # an annotation string: read when evaluated, keep the rename
                continue
            line, col = self._start(ref.node)
            seen = model.binding_seen(stmt.scope, binding, line, col, self._deferred(ref.node))
            if seen is None or id(seen) in ours:
                out.append(ref)
        return out

    def _deferred(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` sits in a function or lambda body (it runs later)."""
        scope = self.scope_of(node)
        while scope is not None and not isinstance(scope, GlobalScope):
            if isinstance(scope, FunctionScope):
                return True
            scope = scope.parent
        return False

    def _rename_use(self, node: cst.CSTNode, old: str, new: str) -> None:
        if isinstance(node, cst.Name):
            self.replace_node(node, node.with_changes(value=new))
        elif isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            renamed = None
            if isinstance(value, str):
                renamed = replace_string_value(node, rename_in_annotation(value, old, new))
            if renamed is None:
                self.ctx.warn(
                    f"could not rename `{old}` inside this string annotation", self.line_of(node)
                )
            else:
                self.replace_node(node, renamed)
        else:
            self.ctx.warn(f"could not rename this use of `{old}`", self.line_of(node))

    def _plan_dunder_all(self) -> None:
        for stmt in self._module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, (cst.AugAssign, cst.AnnAssign)):
                    targets = [small.target]
                value = getattr(small, "value", None)
                if not any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
                    continue
                for element in getattr(value, "elements", []):
                    item = element.value
                    if (
                        isinstance(item, cst.SimpleString)
                        and item.evaluated_value in self._renamed_bindings
                    ):
                        renamed = replace_string_value(
                            item, self._renamed_bindings[str(item.evaluated_value)]
                        )
                        if renamed is not None:
                            self.replace_node(item, renamed)

    def _plan_module_binding(self, found: FoundImport, index: int, alias: cst.ImportAlias) -> None:
        """``import old as o`` or ``from pkg import old [as o]``, used as ``o.A``."""
        old, new = self.old, self.new
        binding = binding_of(alias)
        refs = self.references(found, binding)
        moved = [r for r in refs if self._attr_of(r.node) is not None]
        patched = [r for r in refs if self._setattr_call(r.node) is not None]
        if not moved and not patched:
            return
        attributes = [a for r in moved if (a := self._attr_of(r.node)) is not None]
        if any(self._reused_at(a) for a in attributes):
            return
        node = found.node
        same_module_name = old.module.rsplit(".", 1)[-1] == new.module.rsplit(".", 1)[-1]
        if len(moved) + len(patched) == len(refs) and not same_module_name:
            # `from a import b; b.X`, X now in `c.d`: `b` must not become another module
            # (`from c import d as b` misreads as the old one): import X itself instead
            if self._plan_mixed(found, binding, moved, patched):
                self.replace_import(found, without_alias(node, index))  # type: ignore[arg-type]
        elif len(moved) + len(patched) == len(refs):
            # only the moved name is used: point the binding at the module of the same name
            if isinstance(node, cst.Import):
                names = list(node.names)
                names[index] = alias.with_changes(name=dotted_expr(new.module))
                self.replace_import(found, node.with_changes(names=names))
            else:
                parent, _, last = new.module.rpartition(".")
                assert isinstance(node.names, (list, tuple))
                if len(node.names) == 1 and parent:
                    new_alias = with_asname(
                        alias.with_changes(name=cst.Name(last)),
                        None if binding == last else binding,
                    )
                    self.replace_import(
                        found,
                        node.with_changes(**self.from_changes(node, parent), names=[new_alias]),
                    )
                else:
                    self.move_name_out(found, node, index, import_module_stmt(new.module, binding))
            if new.name != old.name:
                for ref in moved:
                    attribute = self._attr_of(ref.node)
                    assert attribute is not None
                    self.replace_node(attribute, attribute.with_changes(attr=cst.Name(new.name)))
            for ref in patched:
                self._rename_setattr_string(ref.node)
        else:  # the old module is still used for other names: import the moved one directly
            self._plan_mixed(found, binding, moved, patched)
        self.verify_target(found, new.module, [new.name])

    def _plan_mixed(
        self, found: FoundImport, binding: str, moved: list[Access], patched: list[Access]
    ) -> bool:
        """Import the moved name itself for ``binding.A`` uses; False if it is taken."""
        old, new = self.old, self.new
        bound = {self._binds_new(r.node) for r in moved}
        if False in bound:
            self.ctx.warn(
                f"`{new.name}` already names something else here; `{binding}.{old.name}` "
                f"left unchanged (it is now `{new.dotted}`)",
                self.line_of(moved[0].node),
            )
            return False
        if moved:
            if None in bound and new.module != "builtins":
                self.insert_after(found, import_from_stmt(new.module, new.name))
            for ref in moved:
                attribute = self._attr_of(ref.node)
                assert attribute is not None
                self.replace_node(
                    attribute, cst.Name(new.name, lpar=attribute.lpar, rpar=attribute.rpar)
                )
        if patched:  # `patch.object(o, "A")` needs the new module itself
            self.insert_after(found, import_stmt(new.module))
            for ref in patched:
                self.replace_node(ref.node, dotted_expr(new.module))
                self._rename_setattr_string(ref.node)
        return True

    def _setattr_call(self, node: cst.CSTNode) -> cst.Call | None:
        """The ``patch.object(node, "A")`` / ``monkeypatch.setattr(node, "A", ...)`` around
        ``node`` (a module), when ``"A"`` is the old name."""
        arg = self.parent(node)
        call = self.parent(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(call, cst.Call) or len(call.args) < 2 or call.args[0] is not arg:
            return None
        func = get_full_name_for_node(call.func) or ""
        second = call.args[1].value
        if (
            func.rsplit(".", 1)[-1] in _SETTERS
            and isinstance(second, cst.SimpleString)
            and second.evaluated_value == self.old.name
        ):
            return call
        return None

    def _rename_setattr_string(self, node: cst.CSTNode) -> None:
        call = self._setattr_call(node)
        if call is None or self.new.name == self.old.name:
            return
        string = call.args[1].value
        assert isinstance(string, cst.SimpleString)
        renamed = replace_string_value(string, self.new.name)
        if renamed is not None:
            self.replace_node(string, renamed)

    def _plan_dotted(self, found: FoundImport, index: int, alias: cst.ImportAlias) -> None:
        """``import old`` (binding the top package), used as ``old.A``."""
        old, new = self.old, self.new
        node = found.node
        assert isinstance(node, cst.Import)
        refs = [
            r
            for r in self.references(found, old.module)
            if get_full_name_for_node(r.node) == old.module
        ]
        moved = [r for r in refs if self._attr_of(r.node) is not None]
        patched = [r for r in refs if self._setattr_call(r.node) is not None]
        if not moved and not patched:
            return
        if new.module == "builtins":
            self._plan_dotted_to_builtin(found, index, alias, refs, moved)
            return
        self.type_comment_renames[old.dotted] = new.dotted
        for ref in moved:
            attribute = self._attr_of(ref.node)
            assert attribute is not None
            if self._reused_at(attribute):
                return
            self.replace_node(
                attribute,
                dotted_expr(new.dotted).with_changes(lpar=attribute.lpar, rpar=attribute.rpar),
            )
        for ref in patched:
            self.replace_node(ref.node, dotted_expr(new.module))
            self._rename_setattr_string(ref.node)
        if len(moved) + len(patched) == len(refs) and alias.evaluated_name == old.module:
            names = list(node.names)
            names[index] = alias.with_changes(name=dotted_expr(new.module))
            self.replace_import(found, node.with_changes(names=names))
        else:
            self.insert_after(found, import_stmt(new.module))
        self.verify_target(found, new.module, [new.name])

    def _plan_dotted_to_builtin(
        self,
        found: FoundImport,
        index: int,
        alias: cst.ImportAlias,
        refs: list[Access],
        moved: list[Access],
    ) -> None:
        """``import typing; typing.List`` -> ``list`` (the import goes if nothing else reads it)."""
        old, new = self.old, self.new
        attributes = [a for r in moved if (a := self._attr_of(r.node)) is not None]
        if any(self._binds_new(a) is False for a in attributes):
            self.ctx.warn(
                f"`{new.name}` names something else here; `{old.dotted}` left unchanged",
                self.line_of(attributes[0]),
            )
            return
        for attribute in attributes:
            self.replace_node(
                attribute, cst.Name(new.name, lpar=attribute.lpar, rpar=attribute.rpar)
            )
        self.type_comment_renames[old.dotted] = new.name
        node = found.node
        if (
            alias.evaluated_name == old.module
            and len(moved) == len(refs)
            and not self._read_otherwise(found, old.module, old.dotted)
        ):
            assert isinstance(node, cst.Import)
            self.replace_import(found, without_alias(node, index))

    def _plan_chain(self, found: FoundImport, index: int, alias: cst.ImportAlias) -> None:
        """``import pkg; pkg.mod.A``, ``from a.b.c import d; d.e.f``, ``import a.b as ab;
        ab.c.X``: the old module reached through a parent package bound here."""
        old, new = self.old, self.new
        node = found.node
        if isinstance(node, cst.Import):
            spelled = binding_of(alias) if alias.asname else alias.evaluated_name
            path = alias.evaluated_name
        else:
            spelled, path = binding_of(alias), f"{found.module}.{alias.evaluated_name}"
        old_chain = spelled + old.dotted[len(path) :]
        uses = [
            a
            for r in self.references(found, spelled)
            if (a := self.chain_at(r.node, old_chain)) is not None
        ]
        if not uses or any(self._reused_at(a) for a in uses):
            return
        if new.module == path or new.module.startswith(path + "."):
            new_chain = spelled + new.dotted[len(path) :]
            for attribute in uses:
                self.replace_node(
                    attribute,
                    dotted_expr(new_chain).with_changes(lpar=attribute.lpar, rpar=attribute.rpar),
                )
            self.type_comment_renames[old_chain] = new_chain
            if isinstance(node, cst.Import) and alias.asname is None:
                self.insert_after(found, import_stmt(new.module))  # so `pkg.mod2` exists
            return
        if any(self._binds_new(a) is False for a in uses):
            self.ctx.warn(
                f"`{new.name}` already names something else here; `{old_chain}` left unchanged "
                f"(it is now `{new.dotted}`)",
                self.line_of(uses[0]),
            )
            return
        self.insert_after(found, import_from_stmt(new.module, new.name))
        for attribute in uses:
            self.replace_node(
                attribute, cst.Name(new.name, lpar=attribute.lpar, rpar=attribute.rpar)
            )
        self.type_comment_renames[old_chain] = new.name
        self.verify_target(found, new.module, [new.name])
        if not self._read_otherwise(found, spelled, old_chain):  # nothing else needs it
            assert not isinstance(node.names, cst.ImportStar)
            self.replace_import(found, without_alias(node, list(node.names).index(alias)))

    def _read_otherwise(self, found: FoundImport, spelled: str, chain: str) -> bool:
        """Whether the file reads the binding of ``spelled`` other than as ``chain...``
        (code, strings, type comments, ``__all__``)."""
        stmt, model = self.stmt_of(found), self.model
        if stmt is None or model is None:
            return True
        top = spelled.split(".")[0]
        others = [b for b in stmt.scope.bindings.get(top, []) if b.stmt is not stmt]
        if others and "." in spelled:
            return True  # `import a.b` beside another `import a...`: keep it simple
        return any(
            not (u.chain == chain or u.chain.startswith(chain + "."))
            for u in model.reads(stmt.scope, top)
        )

    def _binds_new(self, node: cst.CSTNode) -> bool | None:
        """Whether the new name, where ``node`` is, is unbound (None), the moved symbol (True:
        imported from the new module, or from the old one by an import this step rewrites),
        or something else (False)."""
        scope = self.scope_of(node)
        new = self.new
        if scope is None or new.name not in scope:
            return None
        assignments = [a for a in scope[new.name] if not isinstance(a, BuiltinAssignment)]
        if not assignments:
            return None  # only the builtin of that name
        for assignment in assignments:
            if not isinstance(assignment, ImportAssignment):
                return False
            found = next((f for f in self.imports if f.node is assignment.node), None)
            if found is None or not isinstance(found.node, cst.ImportFrom):
                return False
            names = found.node.names
            aliases = [] if isinstance(names, cst.ImportStar) else names
            if not any(
                binding_of(a) == new.name
                and (
                    (found.module == new.module and a.evaluated_name == new.name)
                    or (found.module == self.old.module and a.evaluated_name == self.old.name)
                )
                for a in aliases
            ):
                return False
        return True

    def _attr_of(self, node: cst.CSTNode) -> cst.Attribute | None:
        """The ``node.A`` attribute access around ``node``, when ``A`` is the old name."""
        parent = self.parent(node)
        if (
            isinstance(parent, cst.Attribute)
            and parent.value is node
            and parent.attr.value == self.old.name
        ):
            return parent
        return None


class _AttributeRenamer(MoveTransformer):
    """``Cls.old_attr`` -> ``Cls.new_attr`` where ``Cls`` resolves to the given class."""

    def __init__(self, old: Symbol, new: Symbol, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.old, self.new = old, new
        assert old.attr is not None and new.attr is not None
        self.old_attr, self.new_attr = old.attr, new.attr
        self.pattern = DottedPattern(f"{old.module}.{old.name}")
        if old.module != "*":
            self.string_paths = ((old.dotted, new.dotted),)
            self.mention_paths = (old.dotted,)

    def _is_class(self, node: cst.BaseExpression) -> bool:
        qnames = qualified_names_for(
            qualified_names_of(self, node),
            self.ctx.module_name,
            is_package=self.ctx.path.name == "__init__.py",
        )
        return matches_any([self.pattern], qnames, node) is not None

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if original.attr.value == self.old_attr and self._is_class(original.value):
            return updated.with_changes(attr=updated.attr.with_changes(value=self.new_attr))
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """``patch.object(Cls, "old")``, ``monkeypatch.setattr(Cls, "old", ...)``, ``getattr(...)``."""
        func = get_full_name_for_node(original.func) or ""
        if func.rsplit(".", 1)[-1] not in _SETTERS or len(original.args) < 2:
            return updated
        first, second = original.args[0].value, updated.args[1].value
        if (
            isinstance(second, cst.SimpleString)
            and second.evaluated_value == self.old_attr
            and self._is_class(first)
        ):
            renamed = replace_string_value(second, self.new_attr)
            if renamed is not None:
                args = list(updated.args)
                args[1] = args[1].with_changes(value=renamed)
                return updated.with_changes(args=args)
        return updated
