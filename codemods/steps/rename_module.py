"""The ``rename_module`` step type. Its description is written once, in the docstring of
:class:`RenameModule` (``codemod explain rename_module`` shows it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import libcst as cst
from libcst.helpers import get_full_name_for_node
from pydantic import Field, model_validator

from codemods.analysis.bindings import BUILTINS, Binding, BindingModel
from codemods.analysis.imports import (
    DOTTED_RE,
    binding_of,
    dotted_expr,
    import_from_stmt,
    import_module_stmt,
    import_stmt,
    with_asname,
    without_alias,
)
from codemods.analysis.move_edits import module_move_edits
from codemods.analysis.moves import FoundImport, MoveTransformer
from codemods.analysis.text import TextEdit
from codemods.analysis.visit import transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Source, Step, StepOptions


class RenameModuleOptions(StepOptions):
    old: str = Field(
        description="The module's old dotted path, e.g. `netra_backend.app.core.agent_registry`; "
        "its submodules move with it.",
        examples=["netra_backend.app.core.agent_registry"],
    )
    new: str = Field(
        description="The new dotted path, e.g. `netra_backend.app.agents.supervisor.agent_registry`.",
        examples=["netra_backend.app.agents.supervisor.agent_registry"],
    )

    @model_validator(mode="after")
    def _dotted(self) -> RenameModuleOptions:
        for key in ("old", "new"):
            if not DOTTED_RE.match(getattr(self, key)):
                raise ValueError(f"`{key}` must be a dotted module path such as `pkg.mod`")
        if self.old == self.new:
            raise ValueError("`old` and `new` are the same module")
        return self


class RenameModule(Step[RenameModuleOptions]):
    """Move a module (and its submodules) to a new dotted path in every import and string

    Rewrites every spelling of an import of the module: ``from old import A`` (layout and
    aliases kept), ``from old.sub import A``, ``import old`` with its dotted uses ``old.A``,
    ``import old as o``, ``from pkg import old``, relative imports and ``from old import *``,
    plus strings naming the path (``patch("old.A")``, ``importlib.import_module("old")``).
    Comments and docstrings that mention the path are reported, not rewritten. When the new
    module lies in the scanned tree, a missing module or name is reported.
    """

    Options: ClassVar = RenameModuleOptions
    order: ClassVar = 10  # moves first: later steps see the new module paths
    examples: ClassVar = (
        Example(
            title="multi-line import, dotted import and a patch() string",
            options={"old": "app.core.agent_registry", "new": "app.agents.agent_registry"},
            path="tests/test_registry.py",
            before=(
                "import app.core.agent_registry\n"
                "from unittest import mock\n"
                "from app.core.agent_registry import (\n"
                "    AgentRegistry,\n"
                "    get_registry,  # the shared one\n"
                ")\n\n"
                "# app.core.agent_registry is gone\n"
                '@mock.patch("app.core.agent_registry.AgentRegistry.register")\n'
                "def test_register(register):\n"
                "    assert app.core.agent_registry.AgentRegistry is AgentRegistry\n"
            ),
            after=(
                "import app.agents.agent_registry\n"
                "from unittest import mock\n"
                "from app.agents.agent_registry import (\n"
                "    AgentRegistry,\n"
                "    get_registry,  # the shared one\n"
                ")\n\n"
                "# app.core.agent_registry is gone\n"
                '@mock.patch("app.agents.agent_registry.AgentRegistry.register")\n'
                "def test_register(register):\n"
                "    assert app.agents.agent_registry.AgentRegistry is AgentRegistry\n"
            ),
        ),
        Example(
            title="a module whose name merely starts the same is another module",
            options={"old": "app.core.agent_registry", "new": "app.agents.agent_registry"},
            before=(
                "from app.core.agent_registry_v2 import AgentRegistry\n"
                'NOTE = "see app.core.agent_registry_v2"\n'
            ),
        ),
    )

    def needles(self) -> Needles:
        return [[self.options.old.rsplit(".", 1)[-1]]]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        return transform_with_metadata(module, _ModuleMover(self.options, ctx))

    def edit(self, source: Source, ctx: FileContext) -> list[TextEdit] | None:
        """The common shapes of a move decided from the ``ast`` (see
        :mod:`codemods.analysis.move_edits`); None (LibCST decides) for anything unusual."""
        text = source.text
        if text is None:
            return None
        return module_move_edits(source.tree, text, self.options.old, self.options.new, ctx)


class _ModuleMover(MoveTransformer):
    def __init__(self, options: RenameModuleOptions, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.old, self.new = options.old, options.new
        self.string_paths = ((self.old, self.new),)
        self.mention_paths = (self.old,)

    def moved(self, dotted: str | None) -> str | None:
        """Where module ``dotted`` lives now, or ``None`` if it is not (under) the old module."""
        old, new = self.old, self.new
        if dotted is None or not (dotted == old or dotted.startswith(old + ".")):
            return None
        if new.startswith(old + ".") and (dotted == new or dotted.startswith(new + ".")):
            return None  # already moved (the new path extends the old one)
        return new + dotted[len(old) :]

    def plan(self) -> None:
        for found in self.imports:
            if self.left_alone(found, [self.new]):
                continue
            if isinstance(found.node, cst.ImportFrom):
                self._plan_from(found, found.node)
            else:
                self._plan_import(found, found.node)
            if id(found.node) not in self._replace_small and not self.stop:
                self._plan_parent_chains(found)

    def _plan_parent_chains(self, found: FoundImport) -> None:
        """``import pkg; pkg.old.A``, ``from pkg import sub; sub.old.A``, ``import a.b as ab;
        ab.old.A``: the old module reached as an attribute of a parent package. The chain
        is rewritten (``pkg.new.A``, importing ``pkg.new`` so the attribute exists)."""
        node = found.node
        names = [] if isinstance(node.names, cst.ImportStar) else node.names
        for alias in names:
            if isinstance(node, cst.Import):
                spelled = binding_of(alias) if alias.asname else alias.evaluated_name
                path = alias.evaluated_name
            elif found.module is not None:
                spelled = binding_of(alias)
                path = f"{found.module}.{alias.evaluated_name}"
            else:
                continue
            if not self.old.startswith(path + ".") or self.moved(path) is not None:
                continue
            old_chain = spelled + self.old[len(path) :]
            if self.new.startswith(path + "."):
                new_chain, needed = spelled + self.new[len(path) :], self.new
            else:
                new_chain, needed = self.new, self.new
            attributes = []
            for access in self.references(found, spelled):
                attribute = self.chain_at(access.node, old_chain)
                if attribute is not None:
                    attributes.append(attribute)
            if not attributes:
                continue
            if new_chain.split(".")[0] != spelled.split(".")[0] and not self._can_rebind(
                found, old_chain, new_chain
            ):
                self.stop = True
                return
            for attribute in attributes:
                self.replace_node(
                    attribute,
                    dotted_expr(new_chain).with_changes(lpar=attribute.lpar, rpar=attribute.rpar),
                )
            self.type_comment_renames[old_chain] = new_chain
            if (isinstance(node, cst.Import) and alias.asname is None) or new_chain == self.new:
                self.insert_after(found, import_stmt(needed))
            if new_chain == self.new and not self._read_otherwise(found, spelled, old_chain):
                index = list(names).index(alias)
                self.replace_import(found, without_alias(node, index))
                return

    def _read_otherwise(self, found: FoundImport, spelled: str, chain: str) -> bool:
        """Whether the file reads the binding of ``spelled`` other than as ``chain...``."""
        stmt, model = self.stmt_of(found), self.model
        if stmt is None or model is None:
            return True
        top = spelled.split(".")[0]
        return any(
            not (u.chain == chain or u.chain.startswith(chain + "."))
            for u in model.reads(stmt.scope, top)
        )

    def _plan_from(self, found: FoundImport, node: cst.ImportFrom) -> None:
        target = self.moved(found.module)
        if node.relative and target is not None and self.moved(self.ctx.module_name) is not None:
            return  # a relative import inside the moved package moves with it
        if target is not None:
            self.replace_import(found, node.with_changes(**self.from_changes(node, target)))
            names = [] if isinstance(node.names, cst.ImportStar) else node.names
            self.verify_target(found, target, [a.evaluated_name for a in names])
            return
        if isinstance(node.names, cst.ImportStar) or found.module is None:
            return
        for index, alias in enumerate(node.names):  # `from pkg import old [as o]`
            target = self.moved(f"{found.module}.{alias.evaluated_name}")
            if target is None:
                continue
            binding = binding_of(alias)
            parent, _, last = target.rpartition(".")
            if len(node.names) == 1 and parent:
                new_alias = with_asname(
                    alias.with_changes(name=cst.Name(last)), None if binding == last else binding
                )
                self.replace_import(
                    found, node.with_changes(**self.from_changes(node, parent), names=[new_alias])
                )
            else:
                self.move_name_out(found, node, index, import_module_stmt(target, binding))
            self.verify_target(found, target, [])
            return

    def _plan_import(self, found: FoundImport, node: cst.Import) -> None:
        names: list[cst.ImportAlias | None] = list(node.names)
        changed = False
        keep: list[str] = []  # parent packages the file still reads through the old binding
        for index, alias in enumerate(node.names):
            dotted = alias.evaluated_name
            target = self.moved(dotted)
            if target is None:
                continue
            uses = self._uses(found, index, dotted, target) if alias.asname is None else []
            if uses is None:
                self.stop = True
                return
            attributes = sorted({attr for _node, attr in uses if attr})
            parent = self._still_read(found, dotted, target) if alias.asname is None else None
            needed = parent is not None or self._needs_module(found, index, uses)
            if attributes and needed and self._loop_shadows(found, target):
                self.stop = True
                return
            changed = True
            names[index] = alias.with_changes(name=dotted_expr(target))
            self.verify_target(found, target, [])
            if alias.asname is not None:
                continue
            if parent is not None:
                names[index] = alias.with_changes(name=dotted_expr(parent))
                keep.append(target)
            self.type_comment_renames[dotted] = target
            for access_node, attr in uses:
                if attr is None:  # `old.A` -> `new.A`
                    self.replace_node(access_node, dotted_expr(target))
                else:  # `old.A` -> `A`, from `from new import A`: `new`'s name is a local here
                    self.replace_node(access_node, cst.Name(attr))
            for attr in attributes:
                self.insert_after(found, import_from_stmt(target, attr))
            if attributes and not needed:
                names[index] = None  # every use is spelled through `from new import A`
        if changed:
            kept = [a for a in names if a is not None]
            if kept:
                last = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                self.replace_import(found, node.with_changes(names=[*kept[:-1], last]))
            else:
                self.replace_import(found, None)
            for target in keep:
                self.insert_after(found, import_stmt(target))

    def _uses(
        self, found: FoundImport, index: int, dotted: str, target: str
    ) -> list[tuple[cst.CSTNode, str | None]] | None:
        """The uses of ``import dotted`` to rewrite, as ``(node, None)`` (spell it ``target``)
        or ``(attribute node, name)`` (spell it ``name``, imported ``from target``), asking the
        binding model which binding each read sees: a read of a later rebinding of the name
        (``mock = mock.Mock()`` at module level, then ``mock.x`` in a function) keeps the
        local's meaning and is left alone; where the new path's first name is another thing
        (``mock = unittest.mock.Mock()`` in a function), ``unittest.mock.Mock`` becomes
        ``Mock`` with ``from mock import Mock`` when nothing in the file uses that name. None
        (with a warning): a read whose binding cannot be known, or no spelling left."""
        refs = [
            a for a in self.references(found, dotted) if get_full_name_for_node(a.node) == dotted
        ]
        stmt, model = self.stmt_of(found), self.model
        if stmt is None or model is None:
            return [(a.node, None) for a in refs]
        binding = stmt.bindings[index]
        top, new_top = dotted.split(".")[0], target.split(".")[0]
        out: list[tuple[cst.CSTNode, str | None]] = []
        for access in refs:
            line, col = self._start(access.node)
            use = model.use_at(stmt.scope, top, line, col)
            if use is None:
                self.ctx.warn(
                    f"cannot tell which binding of `{top}` line {line} reads; "
                    "this module is not moved in this file",
                    line,
                )
                return None
            seen = model.sees(use.scope, top, use.line, use.col, lambda b: _same_import(b, binding))
            if seen is False:
                continue  # a local rebinding of the name: its meaning is kept
            if seen is None:
                self.ctx.warn(
                    f"`{use.chain}` may read `{top}` imported at line {binding.line} or a "
                    "binding of it that may run first; this module is not moved in this file",
                    line,
                )
                return None
            if new_top == top or model.sees(
                use.scope, new_top, use.line, use.col, self._binds_new(new_top), [binding]
            ):
                out.append((access.node, None))
                continue
            attr = self._free_attribute(model, use.chain, dotted)
            node = self.chain_at(access.node, f"{dotted}.{attr}") if attr else None
            if node is None or attr is None:
                other = model.scope_of_name(use.scope, new_top)
                where = ""
                if other is not None and other.bindings.get(new_top):
                    where = f" at line {other.bindings[new_top][-1].line}"
                self.ctx.warn(
                    f"`{use.chain}` cannot become `{target}{use.chain[len(dotted) :]}`: "
                    f"`{new_top}` is another name{where}; this module is not moved in this file",
                    use.line,
                )
                return None
            out.append((node, attr))
        return out

    def _binds_new(self, new_top: str) -> Callable[[Binding], bool]:
        def binds(b: Binding) -> bool:
            return b.kind == "import" and (
                b.target == new_top or (b.target is not None and self.moved(b.target) == new_top)
            )

        return binds

    @staticmethod
    def _free_attribute(model: BindingModel, chain: str, dotted: str) -> str | None:
        """The name after ``dotted`` in ``chain`` if the file neither binds nor reads it."""
        rest = chain[len(dotted) + 1 :] if chain.startswith(dotted + ".") else ""
        attr = rest.split(".")[0]
        if not attr or attr in BUILTINS or model.bound_anywhere(attr):
            return None
        if any(u.name == attr for u in model.uses):
            return None
        return attr

    def _loop_shadows(self, found: FoundImport, target: str) -> bool:
        """Whether a ``for`` loop variable spelled like the new module's first name would
        shadow the rewritten ``import new`` (pyflakes: "import shadowed by loop variable");
        then the file is left unchanged, with a warning."""
        model, new_top = self.model, target.split(".")[0]
        if model is None:
            return False
        for scope in model.scopes:
            for binding in scope.bindings.get(new_top, []):
                if binding.loop:
                    self.ctx.warn(
                        f"`{new_top}` is a loop variable at line {binding.line}: it would shadow "
                        f"`import {target}`; this module is not moved in this file",
                        binding.line,
                    )
                    return True
        return False

    def _needs_module(
        self, found: FoundImport, index: int, uses: list[tuple[cst.CSTNode, str | None]]
    ) -> bool:
        """Whether the rewritten ``import new`` is still read: a use spelled ``new.A``, or a
        read in a string or a type comment."""
        if any(attr is None for _node, attr in uses):
            return True
        stmt, model = self.stmt_of(found), self.model
        if stmt is None or model is None:
            return True
        binding = stmt.bindings[index]
        return any(u.where != "code" for u in model.reads(stmt.scope, binding.name))

    def _still_read(self, found: FoundImport, dotted: str, target: str) -> str | None:
        """``import a.b`` binds ``a``: when the rewrite binds another name (``import c.b``) and
        the file still reads ``a`` other than as ``a.b...`` with no other import binding it,
        the package to keep importing (``a``'s part of the old path, ``import a``)."""
        top, new_top = dotted.split(".")[0], target.split(".")[0]
        if "." not in dotted or top == new_top:
            return None
        stmt, model = self.stmt_of(found), self.model
        if stmt is None or model is None:
            return dotted.rpartition(".")[0]  # unsure: keep the parent bound
        others = [
            b
            for b in stmt.scope.bindings.get(top, [])
            if b.stmt is not stmt and not (b.module and self.moved(b.module))
        ]
        if others:
            return None  # `import a` (or `import a.x`) elsewhere keeps `a` bound
        if any(
            b.stmt is not stmt and b.kind == "import" and b.module == top == b.target
            for b in stmt.scope.bindings.get(top, [])
        ):
            return None  # `import a` moves too: its rewrite renames every other read of `a`
        for use in model.reads(stmt.scope, top):
            if not (use.chain == dotted or use.chain.startswith(dotted + ".")):
                return dotted.rpartition(".")[0]
        return None

    def _can_rebind(self, found: FoundImport, dotted: str, target: str) -> bool:
        """Whether ``old.X`` can become ``new.X`` at every use: the new path's first name must
        not be another thing (a local, a parameter, a class) where the use is. Otherwise the
        file is left unchanged with a warning (``mock = unittest.mock.Mock()`` in a function
        cannot become ``mock = mock.Mock()``)."""
        stmt, model = self.stmt_of(found), self.model
        if stmt is None or model is None:
            return True
        top, new_top = dotted.split(".")[0], target.split(".")[0]
        if top == new_top:
            return True
        for use in model.reads(stmt.scope, top):
            if not (use.chain == dotted or use.chain.startswith(dotted + ".")):
                continue
            scope = model.scope_of_name(use.scope, new_top)
            if scope is None:
                continue
            for binding in scope.bindings[new_top]:
                if binding.kind == "import" and (
                    binding.target == new_top
                    or (binding.target is not None and self.moved(binding.target) == new_top)
                ):
                    continue
                self.ctx.warn(
                    f"`{use.chain}` cannot become `{target}{use.chain[len(dotted) :]}`: `{new_top}` "
                    f"is another name at line {binding.line}; this module is not moved in this file",
                    use.line,
                )
                return False
        return True


def _same_import(candidate: Binding, binding: Binding) -> bool:
    """Whether ``candidate`` binds the name to what ``binding`` does (``import a.b`` and
    ``import a`` both bind ``a`` to the package ``a``)."""
    return candidate.kind == "import" and candidate.target == binding.target
