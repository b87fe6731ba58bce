"""``rename_symbol`` decided from CPython's ``ast`` alone: the text edits its LibCST path
(``_SymbolMover`` in :mod:`codemods.steps.rename_symbol`) would make, or None where that is
not certain.

Decided here, for ``old = pkg.mod.A`` and ``new = pkg2.mod2.B`` (module, name or both
changed): ``from pkg.mod import A`` (relative too when only the name changes), ``A as X`` and
``A`` inside a multi-name import (layout kept), a name moving out of a one-line multi-name
import (``from pkg2.mod2 import B`` added after it), every read the import binds renamed
(code, a quoted annotation of its own, ``__all__``), the new name already a class or function
of the module (``from pkg.mod import B as A``, with the same info), ``import pkg.mod`` (beside
``import pkg.mod.sub`` too, or alone: ``import pkg.mod`` added; one in a function that
nothing reads is left as it is), ``import pkg.mod as m``,
``from pkg import mod`` and ``import pkg`` with their ``mod.A`` / ``m.A`` / ``pkg.mod.A``
uses, strings naming the path (``patch("pkg.mod.A.x")``), and the comments, docstrings and
other strings that the LibCST path reports as mentions. The leading import block is re-sorted
by the LibCST path's own function, as for ``rename_module``
(:class:`codemods.analysis.move_edits.TextEditPlan`).

Everything unusual is left to LibCST's full tree (the caller gets None): a name bound more than
once in the file (a local, a parameter, a second import, ``global``), reads the binding model
does not resolve to the import, a read inside an f-string's braces when the f-string
spells the name elsewhere too (its text, a string in it), ``# type:`` comments naming
it, a string a type checker may read (``cast("A", x)``, ``List["A"]``) naming a renamed
binding, alternative imports (``try/except ImportError``), ``from pkg.mod import *``, a module
moved out of the package it is reached through, ``patch.object(mod, "A")``, a module alias with
other uses, a parenthesised or nested multi-name import a name moves out of, the new name bound
in a function, another from-import of the same module where the rewritten one is not among
its block's leading imports (the LibCST path may merge it into that one; among the leading
imports, the re-sort by the LibCST path's own function merges it the same way), and nested
import blocks whose re-sort the text cannot tell (see ``TextEditPlan._check_nested_blocks``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from codemods.analysis.bindings import Binding, BindingModel, ImportStmt
from codemods.analysis.context import FileContext
from codemods.analysis.imports import Symbol, mentions, rename_in_annotation
from codemods.analysis.move_edits import (
    TextEditPlan,
    Undecided,
    _leading_imports,
    _name_tail,
    _string_tokens,
)
from codemods.analysis.text import TextEdit, TextMap, word_re

#: Calls whose first two arguments are an object and an attribute name (``patch.object``).
_SETTERS = frozenset({"object", "setattr", "getattr", "hasattr", "delattr"})

#: Calls whose string arguments LibCST's scopes read as types.
_HINT_CALLS = frozenset({"cast", "TypeVar", "NewType"})

#: A test sets this to a list to learn where each fallback was decided.
_WHY: list | None = None


def symbol_move_edits(
    tree: ast.Module,
    text_map: TextMap,
    old: Symbol,
    new: Symbol,
    alias_old_name: bool,
    ctx: FileContext,
) -> list[TextEdit] | None:
    """The edits ``rename_symbol old -> new`` makes to this file (diagnostics reported on
    ``ctx``), or None when LibCST's full tree must decide."""
    plan = _SymbolEdits(tree, text_map, old, new, alias_old_name, ctx)
    try:
        return plan.run()
    except Undecided as exc:
        if _WHY is not None:
            _WHY.append(exc.__traceback__)
        return None
    finally:
        plan.release()


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _word(name: str) -> re.Pattern[str]:
    return word_re(name)


class _SymbolEdits(TextEditPlan):
    def __init__(
        self,
        tree: ast.Module,
        text_map: TextMap,
        old: Symbol,
        new: Symbol,
        alias_old_name: bool,
        ctx: FileContext,
    ) -> None:
        super().__init__(tree, text_map, ctx)
        self.old, self.new, self.alias_old_name = old, new, alias_old_name
        self.string_old, self.string_new = old.dotted, new.dotted
        self.mention_path = old.dotted
        self.needle = old.name
        self.trigger = word_re(old.name, r"\w")
        self.renamed: dict[str, str] = {}  # bindings renamed at every read (for `__all__`)
        self.later: list[tuple[str, list[str], int]] = []  # verify_target after the first loop

    def mentioned(self, text: str) -> bool:
        old = self.old
        return mentions(text, old.dotted) or (
            mentions(text, old.module) and mentions(text, old.name)
        )

    # -- the whole decision ----------------------------------------------------------------
    def run(self) -> list[TextEdit]:
        old, text, ctx = self.old, self.text, self.ctx
        if "\r" in text:
            raise Undecided
        model = BindingModel(
            self.tree,
            ctx.module_name,
            is_package=ctx.path.name == "__init__.py",
            source=text,
            only={*old.dotted.split("."), *self.new.dotted.split(".")},
        )
        self.model = model
        self.models.append(model)
        names: list[tuple[ImportStmt, int, ast.alias]] = []  # `from old import A`
        modules: list[tuple[ImportStmt, int, ast.alias]] = []  # `import old [as m]`
        chains: list[tuple[ImportStmt, ast.alias]] = []  # `import pkg`, read as `pkg.mod.A`
        for stmt in model.imports:
            node = stmt.node
            if stmt.alternative is not None and self._of_old_path(stmt):
                raise Undecided  # the LibCST path may leave it alone, with a mention
            if isinstance(node, ast.ImportFrom):
                module = stmt.module
                if module is None:
                    if any(a.name == old.name for a in node.names):
                        raise Undecided  # an unresolvable relative import of the name
                    continue
                if module == old.module:
                    if stmt.star:
                        raise Undecided  # reported by the LibCST path
                    for index, alias in enumerate(node.names):
                        if alias.name == old.name:
                            names.append((stmt, index, alias))
                            break
                    continue
                for index, alias in enumerate(node.names):
                    path = f"{module}.{alias.name}"
                    if path == old.module and self._same_module_binding(node):
                        modules.append((stmt, index, alias))
                    elif path == old.module or old.module.startswith(path + "."):
                        raise Undecided  # `from pkg import mod`: the module under another name
                continue
            for index, alias in enumerate(node.names):
                if alias.name == old.module or (
                    alias.asname is None and alias.name.startswith(old.module + ".")
                ):
                    modules.append((stmt, index, alias))
                elif old.module.startswith(alias.name + "."):
                    if alias.asname is not None or not _under(self.new.module, alias.name):
                        raise Undecided  # `import pkg; pkg.mod.A` moved out of the package
                    chains.append((stmt, alias))
        tops = {alias.asname or alias.name.split(".")[0] for _, _, alias in names + modules}
        tops |= {alias.name.split(".")[0] for _, alias in chains}
        self._index(tops)
        for stmt, index, alias in names:
            self._plan_name(stmt, index, alias)
        for stmt, index, alias in modules:
            self._plan_module(stmt, index, alias)
        for stmt, alias in chains:
            self._plan_chain(stmt, alias)
        self.planned += self.later
        if self.renamed:
            self._dunder_all()
            self._annotation_strings()
        if self.renamed_imports:
            self._check_nested_blocks()
        return self.finish()

    def _of_old_path(self, stmt: ImportStmt) -> bool:
        dotted = self.old.dotted
        return any(
            path == dotted or path.startswith(dotted + ".") or dotted.startswith(path + ".")
            for b in stmt.bindings
            for path in (b.target, b.module)
            if path is not None
        )

    # -- what a name binds and who reads it ---------------------------------------------------
    def _reads(
        self, stmt: ImportStmt, name: str, bound: int = 1, *, before: bool = False
    ) -> list[ast.Name]:
        """Every read of ``name``, all of them seeing this import: the name must be bound
        ``bound`` times in the whole file (once, or by ``import old`` and ``import old.sub``
        together: then no shadowing or later rebinding can make a read see something else)
        and every ``Name`` spelled so must be a read the binding model resolves to it."""
        model = self.model
        if sum(len(s.bindings.get(name, ())) for s in model.scopes) != bound:
            raise Undecided
        if name in self.declared or any(
            name in s.globals or name in s.nonlocals for s in model.scopes
        ):
            raise Undecided
        last = max(((b.line, b.col) for b in stmt.scope.bindings.get(name, ())), default=None)
        if last is None or (
            not before
            and any(
                u.scope is stmt.scope and u.where != "all" and (u.line, u.col) < last
                for u in model.reads(stmt.scope, name)
            )
        ):
            raise Undecided  # read before it in its own scope: not one of LibCST's references
        found = self.names.get(name, [])
        code = [u for u in model.reads(stmt.scope, name) if u.where == "code"]
        if any(u.where in ("type_comment",) for u in model.reads(stmt.scope, name)):
            raise Undecided
        nodes = []
        for node, in_fstring in found:
            if not isinstance(node.ctx, ast.Load):
                raise Undecided
            if in_fstring is not None:
                self.fstring_read(node, in_fstring)
            nodes.append(node)
        if len(nodes) != len(code):
            raise Undecided  # a read elsewhere (unbound there) or one the model reads otherwise
        positions = {(u.line, u.col) for u in code}
        if any((n.lineno, n.col_offset) not in positions for n in nodes):
            raise Undecided
        return sorted(nodes, key=lambda n: (n.lineno, n.col_offset))

    def _taken(self, name: str) -> bool:
        """Whether ``name`` appears anywhere in the file as a word."""
        return _word(name).search(self.text) is not None

    # -- `from old import A [as B]` ---------------------------------------------------------
    def _plan_name(self, stmt: ImportStmt, index: int, alias: ast.alias) -> None:
        old, new = self.old, self.new
        node = stmt.node
        assert isinstance(node, ast.ImportFrom)
        binding = alias.asname or alias.name
        reads = self._reads(stmt, binding)
        rename_to: str | None = None
        if alias.asname is not None:
            new_as = None if binding == new.name else binding
        elif old.name == new.name:
            new_as = None
        elif self.alias_old_name:
            new_as = old.name
        elif self._defined_here(stmt, new.name):
            new_as = old.name  # `from old import B as A`, as the LibCST path does
            self.ctx.report(
                "info",
                f"`{new.name}` already names something else here; imported it as `{old.name}`",
                node.lineno,
            )
        else:
            if self._taken(new.name):
                raise Undecided  # the new name may be something else here (or imported already)
            new_as, rename_to = None, new.name
        if new.module != old.module:
            if node.level:
                raise Undecided  # a relative import to re-spell
            if (
                self._from_imports_of(new.module, node) or self._from_imports_of(old.module, node)
            ) and not self._in_a_leading_run(node):
                raise Undecided  # the LibCST path may merge the rewritten import into that one
            if len(node.names) == 1:
                self._rename_from_module(node, old.module, new.module)
                self._rename_alias(node, alias, new.name, new_as)
            else:
                self._move_out(node, index, new.module, new.name, new_as)
        elif self._from_imports_of(old.module, node) and not self._in_a_leading_run(node):
            raise Undecided  # the LibCST path may merge the rewritten import into that one
        else:
            self._rename_alias(node, alias, new.name, new_as)
        if rename_to is not None:
            self.renamed[binding] = rename_to
            for read in reads:
                self._replace(read, binding, rename_to)
        self.planned.append((new.module, [new.name], node.lineno))

    def _defined_here(self, stmt: ImportStmt, name: str) -> bool:
        """Whether a module-level import ``stmt`` shares the module scope with another thing
        named ``name`` (a class, a function, an assignment): the moved name must keep its
        old name there."""
        scope = self.model.module_scope
        return stmt.scope is scope and any(b.kind != "import" for b in scope.bindings.get(name, []))

    def _in_a_leading_run(self, node: ast.ImportFrom) -> bool:
        """Whether ``node`` is among the leading imports of its block (the module's or an
        indented block's): the only run of import lines where the LibCST path merges a
        rewritten from-import into another (``merge_from_imports``, in ``resort_imports``),
        and the run the text path hands to that same function."""
        parent = self.parents.get(id(node))
        for field in ("body", "orelse", "finalbody"):
            body = getattr(parent, field, None)
            if isinstance(body, list) and any(stmt is node for stmt in body):
                return any(stmt is node for stmt in _leading_imports(body))
        return False

    def _from_imports_of(self, module: str, node: ast.ImportFrom) -> bool:
        """Whether another ``from module import ...`` is in the file."""
        return any(
            s.node is not node and isinstance(s.node, ast.ImportFrom) and s.module == module
            for s in self.model.imports
        )

    def _move_out(
        self, node: ast.ImportFrom, index: int, module: str, name: str, asname: str | None
    ) -> None:
        """``from old import A, C`` -> ``from old import C`` with ``from new import A`` on the
        next line (the LibCST path's ``without_alias`` and ``insert_after``): a module-level
        import on one line, without parentheses or a backslash."""
        names = node.names
        start, end = self.tm.span(node)
        if node.lineno != node.end_lineno or "(" in self.text[start:end]:
            raise Undecided  # parenthesised: the layout and comments of the names decide
        if "\\" in self.text[start:end] or id(node) not in {id(s) for s in self.tree.body}:
            raise Undecided
        if index < len(names) - 1:
            cut, upto = self.tm.span(names[index])[0], self.tm.span(names[index + 1])[0]
            between = self.text[self.tm.span(names[index])[1] : upto]
        else:
            cut, upto = self.tm.span(names[index - 1])[1], self.tm.span(names[index])[1]
            between = self.text[cut : self.tm.span(names[index])[0]]
        if not re.fullmatch(r"[ \t]*,[ \t]*", between):
            raise Undecided
        self._import_edit(node, TextEdit(cut, upto, ""))
        spelled = f"from {module} import {name}" + (f" as {asname}" if asname else "")
        self._insert_after(node, spelled)

    def _rename_from_module(self, node: ast.ImportFrom, module: str, target: str) -> None:
        start = self.tm.offset(node.lineno, node.col_offset)
        match = re.compile(rf"from([ \t]+)({re.escape(module)})(?=[ \t\\(])").match(
            self.text, start
        )
        if match is None:
            raise Undecided  # spelled across lines or with spaces: LibCST normalises it
        self._import_edit(node, TextEdit(match.start(2), match.end(2), target))

    def _rename_alias(
        self, node: ast.ImportFrom | ast.Import, alias: ast.alias, name: str, asname: str | None
    ) -> None:
        """``alias`` becomes ``name`` [``as asname``], as ``with_asname`` spells it."""
        start, end = self.tm.span(alias)
        name_end = start + len(alias.name)
        if self.text[start:name_end] != alias.name:
            raise Undecided  # `import a . b`: LibCST would normalise the spelling
        if asname is None:
            edit = TextEdit(start, end, name)  # an `as` name the rename makes redundant goes
        elif alias.asname is not None:
            edit = TextEdit(start, name_end, name)
        else:
            edit = TextEdit(start, name_end, f"{name} as {asname}")
        self._import_edit(node, edit)

    def _import_edit(self, node: ast.Import | ast.ImportFrom, edit: TextEdit) -> None:
        self.edits.append(edit)
        self.import_edits.append(edit)
        self.renamed_imports.add(id(node))

    def _replace(self, node: ast.expr, spelled: str, new: str) -> None:
        start, end = self.tm.span(node)
        if self.text[start:end] != spelled:
            raise Undecided  # a comment or a line continuation inside the chain
        self.edits.append(TextEdit(start, end, new))

    # -- `import old`, `import old as m` ----------------------------------------------------
    def _same_module_binding(self, node: ast.ImportFrom) -> bool:
        """``from pkg import mod`` alone, the name renamed in its own module: the import
        stays as it is, its ``mod.A`` uses follow."""
        return not node.level and len(node.names) == 1 and self.new.module == self.old.module

    def _plan_from_module(self, stmt: ImportStmt, alias: ast.alias) -> None:
        """``from pkg import mod [as m]`` read as ``m.A`` (every read), ``A`` renamed."""
        old, new = self.old, self.new
        binding = alias.asname or alias.name
        reads = self._reads(stmt, binding)
        moved = self._moved(reads)
        if not moved:
            return
        if len(moved) != len(reads):
            raise Undecided  # other uses: the LibCST path imports the name itself
        self._no_hint_strings(binding)
        self.renamed_imports.add(id(stmt.node))  # replaced by itself: the blocks re-sort
        if new.name != old.name:
            for attribute in moved:
                self._rename_attr(attribute)
        self.later.append((new.module, [new.name], stmt.node.lineno))

    def _rename_attr(self, attribute: ast.Attribute) -> None:
        old, new = self.old.name, self.new.name
        end = self.tm.offset(attribute.end_lineno or 0, attribute.end_col_offset or 0)
        if self.text[end - len(old) : end] != old:
            raise Undecided
        self.edits.append(TextEdit(end - len(old), end, new))

    def _no_hint_strings(self, name: str) -> None:
        """A string LibCST's scopes may read as a type naming ``name`` is a read of it too
        (which the moved attributes would not cover): then LibCST's full tree decides."""
        pattern = _word(name)
        annotations = self._direct_annotations()
        for node in self.strings:
            if id(node) in self.docstrings:
                continue
            start, end = self.tm.span(node)
            if pattern.search(self.text[start:end]) and (
                id(node) in annotations or self._may_be_a_type_hint(node, annotations)
            ):
                raise Undecided

    def _plan_module(self, stmt: ImportStmt, index: int, alias: ast.alias) -> None:
        old, new = self.old, self.new
        node = stmt.node
        if isinstance(node, ast.ImportFrom):
            self._plan_from_module(stmt, alias)
            return
        if alias.asname is None:
            rest, moved = self._dotted()
            if id(node) in self._idle:
                return  # nothing reads it: the LibCST path's plan of it stops at once
            rest, moved = (self._each or {}).get(id(node), (rest, moved))
        else:
            rest = list[ast.expr](self._reads(stmt, alias.asname))
            moved = self._moved(rest)
        if not moved:
            return
        if alias.asname is None:
            if alias.name != old.module and new.module != old.module:
                raise Undecided  # `import old.sub; old.A`: the LibCST path adds `import new`
            if alias.name == old.module and len(moved) == len(rest):
                self._rename_module_alias(node, alias)
            elif alias.name == old.module and new.module != old.module:
                raise Undecided  # `import new` is added after it
        else:
            if len(moved) != len(rest):
                raise Undecided  # other uses: the LibCST path imports the name itself
            if old.module.rsplit(".", 1)[-1] != new.module.rsplit(".", 1)[-1]:
                raise Undecided  # the alias would name another module: the name is imported
            self._no_hint_strings(alias.asname)
            self._rename_module_alias(node, alias)
            if new.name != old.name:
                for attribute in moved:
                    self._rename_attr(attribute)
        self.later.append((new.module, [new.name], node.lineno))

    def _moved(self, reads: Sequence[ast.expr]) -> list[ast.Attribute]:
        """The ``m.A`` attributes among ``reads`` (``A`` the old name)."""
        moved: list[ast.Attribute] = []
        for read in reads:
            parent = self.parents.get(id(read))
            if isinstance(parent, ast.Attribute) and parent.value is read:
                if parent.attr == self.old.name:
                    moved.append(parent)
            elif self._setter_argument(read, parent):
                raise Undecided  # `patch.object(mod, "A")`
        return moved

    _dotted_plan: tuple[list[ast.expr], list[ast.Attribute]] | None = None
    #: ``id`` of the ``import old[.sub]`` statements in a function that nothing reads.
    _idle: frozenset[int] = frozenset()
    #: The same ``import old`` in several blocks: ``id`` of each -> its reads, as LibCST's
    #: scopes count them (see :meth:`_dotted_twice`), and their ``old.A`` attributes.
    _each: dict[int, tuple[list[ast.expr], list[ast.Attribute]]] | None = None

    def _dotted(self) -> tuple[list[ast.expr], list[ast.Attribute]]:
        """``import old`` (with any ``import old.sub``, as LibCST's scopes see them: a read
        ``old.sub.x`` belongs to ``import old.sub``, every other read of ``old`` to each of
        these imports): the reads of ``old`` that are not through a submodule, and their
        ``old.A`` attributes, rewritten once to the new path."""
        if self._dotted_plan is not None:
            return self._dotted_plan
        old = self.old
        top = old.module
        if "." in top:
            return self._dotted_deep()
        imports = [
            b
            for b in self.model.import_bindings()
            if b.name == top and b.alias is not None and b.alias.asname is None
        ]
        if not imports:
            raise Undecided
        bound = len(imports)
        # `import old.sub` in a function that reads none of it (every read of the name there
        # would resolve to it): the LibCST path finds no reference of it and leaves it
        module_scope = self.model.module_scope
        idle = [
            b for b in imports if b.scope is not module_scope and not self.model.reads(b.scope, top)
        ]
        if idle:
            self._idle = frozenset(id(b.stmt.node) for b in idle if b.stmt)
            imports = [b for b in imports if b not in idle]
            if not imports:
                self._dotted_plan = [], []
                return self._dotted_plan
        plain = imports[0].alias.name == top  # type: ignore[union-attr]
        if len(imports) > 1 and all(
            b.alias is not None and b.alias.name == top and b.scope is module_scope for b in imports
        ):
            return self._dotted_twice(imports, bound)
        body = {id(stmt) for stmt in self.tree.body}
        if (len(imports) > 1 or not plain) and any(
            id(b.stmt.node) not in body for b in imports if b.stmt
        ):
            raise Undecided  # not in one block: `import old` may be added after one of them
        subs = [b.alias.name for b in imports[1 if plain else 0 :] if b.alias is not None]
        if top in subs:
            raise Undecided  # `import old` after `import old.sub`, or twice
        reads = self._reads(imports[0].stmt, top, bound)  # type: ignore[arg-type]
        rest: list[ast.expr] = [
            r for r in reads if not any(_under(self._chain(r), sub) for sub in subs)
        ]
        moved = self._moved(rest)
        for attribute in moved:
            self._replace(attribute, f"{top}.{old.name}", self.new.dotted)
        if moved and not plain:
            if self.new.module != old.module:
                raise Undecided
            self._insert_after(imports[0].stmt.node, f"import {top}")  # type: ignore[union-attr]
        self._dotted_plan = rest, moved
        return rest, moved

    def _dotted_twice(
        self, imports: list[Binding], bound: int
    ) -> tuple[list[ast.expr], list[ast.Attribute]]:
        """The same ``import old`` at module level in several blocks (``if __name__ ==
        "__main__": import unittest``), the name renamed in its own module. The LibCST path
        plans each import over its own references: a read at module level after it, or any
        read in a class or function body. Each ``old.A`` read is renamed once. An import all
        of whose references move would be replaced by itself (its block re-sorts), and a
        later one an earlier one binds already dropped: decided only where a read that stays
        comes after them all at module level (then none has only moving references)."""
        old = self.old
        top = old.module
        if self.new.module != old.module:
            raise Undecided  # `import new` would be added after some of them
        blocks = {id(self.parents.get(id(b.stmt.node))) for b in imports if b.stmt}
        if len(blocks) != len(imports):
            raise Undecided  # twice in one block: the LibCST path drops one
        reads = self._reads(imports[0].stmt, top, bound, before=True)  # type: ignore[arg-type]
        scope = self.model.module_scope
        uses = {(u.line, u.col): u for u in self.model.reads(scope, top) if u.where == "code"}
        each: dict[int, tuple[list[ast.expr], list[ast.Attribute]]] = {
            id(b.stmt.node): ([], []) for b in imports if b.stmt
        }
        moved: list[ast.Attribute] = []
        for read in reads:
            use = uses.get((read.lineno, read.col_offset))
            if use is None:
                raise Undecided
            counted = [
                b
                for b in imports
                if use.scope is not b.scope or (b.line, b.col) < (use.line, use.col)
            ]
            if not counted:
                raise Undecided  # a read before every one of them: not a reference
            attributes = self._moved([read])
            for attribute in attributes:
                self._replace(attribute, f"{top}.{old.name}", self.new.dotted)
            moved += attributes
            for binding in counted:
                refs, its_moved = each[id(binding.stmt.node)]  # type: ignore[union-attr]
                refs.append(read)
                its_moved += attributes
        if not any(
            not self._moved([read])
            and uses[(read.lineno, read.col_offset)].scope is scope
            and all((b.line, b.col) < (read.lineno, read.col_offset) for b in imports)
            for read in reads
        ):
            # no read every one of them surely counts that stays (`unittest.main()` after
            # them all): one all of whose references move is replaced by itself, and a later
            # one an earlier one binds already is then dropped
            raise Undecided
        self._each = each
        self._dotted_plan = list[ast.expr](reads), moved
        return self._dotted_plan

    def _dotted_deep(self) -> tuple[list[ast.expr], list[ast.Attribute]]:
        """``import a.b`` read as ``a.b.A`` (``old`` is ``a.b.A``), the only binding of ``a``:
        LibCST's scopes see the ``a.b`` of each ``a.b...`` read as a use of the import."""
        old = self.old
        top = old.module.split(".")[0]
        imports = [b for b in self.model.import_bindings() if b.name == top]
        alias = imports[0].alias if len(imports) == 1 else None
        if alias is None or alias.asname is not None or alias.name != old.module:
            raise Undecided  # `import a.b` beside `import a[.c]`: LibCST's scopes decide
        reads = self._reads(imports[0].stmt, top)  # type: ignore[arg-type]
        heads: list[ast.expr] = []
        for read in reads:
            if not _under(self._chain(read), old.module):
                if self.new.module != old.module:
                    raise Undecided  # `a.x` read too: `a` must stay bound
                continue
            head: ast.expr = read
            for _ in range(old.module.count(".")):
                parent = self.parents[id(head)]
                assert isinstance(parent, ast.Attribute)
                head = parent
            heads.append(head)
        moved = self._moved(heads)
        for attribute in moved:
            self._replace(attribute, f"{old.module}.{old.name}", self.new.dotted)
        self._dotted_plan = heads, moved
        return heads, moved

    def _plan_chain(self, stmt: ImportStmt, alias: ast.alias) -> None:
        """``import pkg`` read as ``pkg.mod.A`` (``old`` is ``pkg.mod.A``, ``new`` in the same
        package): the chain is renamed in place and ``import pkg.mod2`` added after the import
        so that the attribute exists, as the LibCST path does."""
        old, new = self.old, self.new
        spelled = alias.name.split(".")[0]
        if alias.name != spelled:
            raise Undecided  # `import pkg.sub` read as `pkg.mod.A`
        old_chain = old.dotted
        new_chain = new.dotted
        uses = [r for r in self._reads(stmt, spelled) if _under(self._chain(r), old_chain)]
        if not uses:
            return
        for read in uses:
            head: ast.expr = read
            for _ in range(old_chain.count(".")):
                parent = self.parents[id(head)]
                assert isinstance(parent, ast.Attribute)
                head = parent
            self._replace(head, old_chain, new_chain)
        if any(self._setter_argument(r, self.parents.get(id(r))) for r in uses):
            raise Undecided
        self._insert_after(stmt.node, f"import {new.module}")

    def _insert_after(self, node: ast.stmt, statement: str) -> None:
        """``statement`` on a line of its own after ``node``'s line (a module-level statement
        alone on its line), as the LibCST path's ``insert_after`` places it."""
        if not any(stmt is node for stmt in self.tree.body):
            raise Undecided  # in an indented block: the LibCST path indents it (and re-sorts)
        line_end = self.line_end_alone(node)
        self._import_edit(node, TextEdit(line_end + 1, line_end + 1, f"{statement}\n"))  # type: ignore[arg-type]

    def _chain(self, node: ast.Name) -> str:
        """The dotted chain ``node`` heads (``a.b.c`` for the ``a`` of ``a.b.c(x)``)."""
        chain: ast.expr = node
        spelled = node.id
        while True:
            parent = self.parents.get(id(chain))
            if not isinstance(parent, ast.Attribute) or parent.value is not chain:
                return spelled
            spelled += "." + parent.attr
            chain = parent

    def _rename_module_alias(self, node: ast.Import, alias: ast.alias) -> None:
        """The import is replaced (by the new module's path): the LibCST path then re-sorts
        the import blocks, even when the text stays the same."""
        new = self.new.module
        if new != self.old.module:
            top = new.split(".")[0]
            if self.model.bindings_of_module(new) or self.model.bound_anywhere(top):
                raise Undecided  # the new module imported already: duplicates to avoid
            start = self.tm.offset(alias.lineno, alias.col_offset)
            if self.text[start : start + len(alias.name)] != alias.name:
                raise Undecided
            self._import_edit(node, TextEdit(start, start + len(alias.name), new))
        else:
            self.renamed_imports.add(id(node))

    def _setter_argument(self, node: ast.expr, parent: ast.AST | None) -> bool:
        call = self.parents.get(id(parent)) if isinstance(parent, ast.keyword) else parent
        return isinstance(call, ast.Call) and _name_tail(call.func) in _SETTERS

    # -- strings the rename reads as code ---------------------------------------------------
    def _dunder_all(self) -> None:
        """``__all__ = ["A", ...]`` at module level: a renamed binding's entry follows."""
        for stmt in self.tree.body:
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
                targets = [stmt.target]
            if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                continue
            value = getattr(stmt, "value", None)
            if isinstance(value, ast.Dict):
                raise Undecided
            for item in getattr(value, "elts", []):
                if not (isinstance(item, ast.Constant) and item.value in self.renamed):
                    continue
                self._rename_string(item, self.renamed[item.value])

    def _rename_string(self, node: ast.Constant, value: str) -> None:
        """``node`` holding ``value``, in its own quotes (``replace_string_value``)."""
        start, end = self.tm.span(node)
        segment = self.text[start:end]
        if _string_tokens(segment) != 1:
            raise Undecided
        match = re.match(r"([A-Za-z]*)('''|\"\"\"|'|\")", segment)
        if match is None:
            raise Undecided
        prefix, quote = match.groups()
        inner = segment[len(prefix) + len(quote) : -len(quote)]
        if any(c in prefix.lower() for c in "bf") or inner != node.value:
            raise Undecided
        if "\\" in value or quote[0] in value:
            raise Undecided
        self.edits.append(TextEdit(start, end, f"{prefix}{quote}{value}{quote}"))
        self.replaced_strings.add(id(node))

    def _annotation_strings(self) -> None:
        """A string holding a renamed binding is renamed when it is an annotation of its own
        (``def f(x: "A")``), as LibCST's scopes read it; any other (``cast("A", x)``,
        ``List["A"]``, a TypeVar bound) is left to the LibCST path."""
        patterns = {name: _word(name) for name in self.renamed}
        annotations = self._direct_annotations()
        for node in self.strings:
            if id(node) in self.replaced_strings or id(node) in self.docstrings:
                continue
            if isinstance(node, ast.JoinedStr):
                # a string in its braces may be a type to LibCST's scopes, and so may a plain
                # part of a concatenation in a hint (`x: "A" f""`); its own text never is
                if any(p.search(v) for v in _braced_strings(node) for p in patterns.values()):
                    raise Undecided
                if (id(node) in annotations or self._may_be_a_type_hint(node, annotations)) and any(
                    p.search(self.tm.segment(node)) for p in patterns.values()
                ):
                    raise Undecided
                continue
            value = node.value
            if not isinstance(value, str):
                continue
            hits = [name for name, p in patterns.items() if p.search(value)]
            if not hits:
                continue
            if id(node) not in annotations:
                if self._may_be_a_type_hint(node, annotations):
                    raise Undecided  # `cast("A", x)`, `List["A"]`: LibCST's scopes may read it
                continue  # text, not code: a mention at most
            if self.model.module_scope is not self._import_scope:
                raise Undecided
            try:
                parsed = ast.parse(value)
            except (SyntaxError, ValueError) as exc:
                raise Undecided from exc
            renamed = value
            for name in hits:
                count = sum(1 for n in ast.walk(parsed) if isinstance(n, ast.Name) and n.id == name)
                if count == 0 or count != len(patterns[name].findall(value)):
                    raise Undecided
                renamed = rename_in_annotation(renamed, name, self.renamed[name])
            self._rename_string(node, renamed)

    def _may_be_a_type_hint(self, node: ast.AST, annotations: set[int]) -> bool:
        """Whether LibCST's scope analysis may read the string ``node`` as a type: inside an
        annotation, a subscript (``Optional["A"]``) or a call of ``cast``, ``TypeVar`` or
        ``NewType`` (under any name an import gives them)."""
        hint_calls = set(_HINT_CALLS)
        for binding in self.model.import_bindings():
            if binding.target and binding.target.rsplit(".", 1)[-1] in _HINT_CALLS:
                hint_calls.add(binding.name)
        current: ast.AST | None = node
        while current is not None and not isinstance(current, ast.stmt):
            if id(current) in annotations or isinstance(current, ast.Subscript):
                return True
            if isinstance(current, ast.Call) and _name_tail(current.func) in hint_calls:
                return True
            current = self.parents.get(id(current))
        return False

    @property
    def _import_scope(self) -> object:
        scopes = {
            id(s.scope) for s in self.model.imports for b in s.bindings if b.name in self.renamed
        }
        return self.model.module_scope if scopes == {id(self.model.module_scope)} else None

    def _direct_annotations(self) -> set[int]:
        out: set[int] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
                out.add(id(node.annotation))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
                out.add(id(node.returns))
        return out


def _braced_strings(node: ast.JoinedStr) -> list[str]:
    """The strings inside the braces of an f-string (in its expressions, at any depth; its
    own text parts and those of its format specs are not among them)."""
    out: list[str] = []
    for value in node.values:
        if not isinstance(value, ast.FormattedValue):
            continue
        out += [
            n.value
            for n in ast.walk(value.value)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        if isinstance(value.format_spec, ast.JoinedStr):
            out += _braced_strings(value.format_spec)
    return out
