"""What a name refers to when the file binds it once, at module level, by an import: decided
from CPython's ``ast`` instead of LibCST's scope analysis.

LibCST's ``ScopeProvider`` costs ~1 s on a large module; a pattern rule that asks what a class
base or a callee refers to (``qualified_name``) would pay it on every file it looks at. Most
names such a rule asks about are bound exactly once in the whole file, by a module-level
import (``import unittest``, ``from datetime import datetime as dt``), by a module-level
``class``, ``def`` or assignment (a test base class of the file), or not at all (a builtin, an
undefined name). For those, every read anywhere in the file refers to that one binding,
whatever the scope, so the answer needs no scopes: :func:`unique_bindings` reads the file's
:class:`~codemods.analysis.bindings.BindingModel` (the one model of what imports bind) and
returns the name's import target (or that it is the file's own), and the caller falls back to
the scopes for every other name (bound twice, a parameter, bound in a function or class body,
a relative import, any file with ``from x import *``). tests/test_unique_bindings.py checks the answers
against LibCST's on every name of real stdlib files.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from codemods.analysis.bindings import Binding, BindingModel
from codemods.analysis.per_file import one_file_cache

#: A name no statement of the file binds (a star import binds none, as in LibCST's scopes).
UNBOUND = ""
#: A name bound once, by a module-level ``def``, ``class`` or assignment: the file's own object.
OWN = "@"
#: Marks a qualified name defined in the file itself (``\0pkg.mod.Name``, as the pattern step's
#: resolver writes it): it matches a fully spelled name, never a glob such as ``*.Cls`` (a test
#: double called ``Cls`` is not the imported class).
LOCAL_MARK = "\0"


@dataclass(frozen=True)
class Bindings:
    """``targets[name]``: the dotted path a once-imported name stands for (``from m import n
    [as x]``, ``import a.b as x``), ``OWN`` for the file's own module-level name, ``UNBOUND``
    when nothing binds it; ``plain[name]``: the modules of the module-level ``import a``,
    ``import a.b``... that are its only bindings. Names bound any other way are in neither."""

    targets: dict[str, str]
    plain: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The names the table answers for (None: every name); another root is left to the scopes.
    asked: frozenset[str] | None = None

    def resolve(self, chain: str, module_name: str | None = None) -> tuple[set[str], bool] | None:
        """(qualified names, whether the file binds the root) as LibCST's scopes would give for
        the dotted ``chain`` read anywhere in the file; None when only the scopes can say.
        The file's own names are given as ``LOCAL_MARK`` + ``module_name`` + chain (none
        without a module name), as the pattern step's resolver gives them."""
        root, _, rest = chain.partition(".")
        if self.asked is not None and root not in self.asked:
            return None
        modules = self.plain.get(root)
        if modules is not None:
            # `import a` names every chain from `a`; `import a.b` only those through `a.b`
            if any(chain == m or chain.startswith(m + ".") for m in modules):
                return {chain}, True
            return None
        target = self.targets.get(root)
        if target is None:
            return None
        if target == OWN:
            return ({f"{LOCAL_MARK}{module_name}.{chain}"} if module_name else set()), True
        if target == UNBOUND:
            if hasattr(builtins, root):
                return {root}, False  # LibCST names the builtin, not the attribute read off it
            return set(), False
        return {f"{target}.{rest}" if rest else target}, True


#: Binding kinds whose module-level name LibCST qualifies as the file's own (``pkg.mod.Name``).
_OWN_KINDS = frozenset({"def", "class", "assign"})


def unique_bindings(
    source: str | bytes, tree: ast.Module | None = None, only: frozenset[str] | None = None
) -> Bindings | None:
    """The table for ``source``, read off the file's :class:`BindingModel` (None: it does not
    parse). ``tree``: the file's ``ast`` already parsed (without type
    comments: they bind nothing, and the table reads only bindings and uses in code), so the
    file is not parsed a second time. The last file's table is kept: the pattern step's
    ``ast`` anchors and its resolver ask for the same file one after the other."""
    if tree is None:
        only = None  # narrowing needs the tree and the text
    if _LAST and _LAST[0][0] == source and _LAST[0][1] == only:
        return _LAST[0][2]
    table = _table(source, tree, only)
    _LAST[:] = [(source, only, table)]
    return table


_LAST: list[tuple[str | bytes, frozenset[str] | None, Bindings | None]] = (
    one_file_cache()
)  # emptied after each file


def _table(
    source: str | bytes, tree: ast.Module | None = None, only: frozenset[str] | None = None
) -> Bindings | None:
    try:
        if tree is None:
            model = BindingModel.from_source(source)
        else:
            text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
            model = BindingModel(tree, source=text, only=only)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        return _read_table(model, only)
    finally:
        model.release()  # the table is plain data: nothing asks the model again


def _read_table(model: BindingModel, only: frozenset[str] | None = None) -> Bindings:
    # a star import binds nothing LibCST's scopes see (they skip `from m import *`), and the
    # binding model skips it the same way: the table stays LibCST's answer
    found: dict[str, list[Binding]] = {}
    declared: set[str] = set()
    for scope in model.scopes:
        for name, bindings in scope.bindings.items():
            if only is None or name in only:  # a narrowed model answers for these alone
                found.setdefault(name, []).extend(bindings)
        declared |= scope.globals | scope.nonlocals
    # LibCST's scopes pair a read with the bindings made before it in their walk (function
    # bodies walked after the module): a module-level read that comes before a binding of its
    # name (`class T(Base)` above `Base = ...`) is left to them
    last = {name: max((b.line, b.col) for b in bound) for name, bound in found.items()}
    early = {
        use.name
        for use in model.uses
        if use.where == "code"
        and not use.deferred
        and use.name in last
        and (use.line, use.col) < last[use.name]
    }
    targets: dict[str, str] = {}
    plain: dict[str, tuple[str, ...]] = {}
    for name, bindings in found.items():
        if name in declared or name in early:
            continue
        modules = [_plain_import(one, model) for one in bindings]
        if all(modules):
            plain[name] = tuple(dict.fromkeys(m for m in modules if m))
            continue
        if len(bindings) != 1:
            continue
        (one,) = bindings
        stmt, alias = one.stmt, one.alias
        if one.kind in _OWN_KINDS and one.scope is model.module_scope:
            targets[name] = OWN
            continue
        if (
            one.kind != "import"
            or stmt is None
            or alias is None
            or one.scope is not model.module_scope
        ):
            continue
        if isinstance(stmt.node, ast.ImportFrom):
            if stmt.node.level or not stmt.node.module:
                continue  # relative: LibCST spells it with dots; leave it to the scopes
            targets[name] = f"{stmt.node.module}.{alias.name}"
        else:
            targets[name] = alias.name  # `import a.b as x`
    for use in model.uses:
        if use.where != "code" or (only is not None and use.name not in only):
            continue
        if use.name not in found and use.name not in declared:
            targets[use.name] = UNBOUND
    return Bindings(targets, plain, only)


def _plain_import(one: Binding, model: BindingModel) -> str | None:
    """``a.b`` for a module-level ``import a.b`` (no ``as``), else None."""
    if (
        one.kind == "import"
        and one.scope is model.module_scope
        and one.alias is not None
        and one.alias.asname is None
        and one.stmt is not None
        and isinstance(one.stmt.node, ast.Import)
    ):
        return one.alias.name
    return None
