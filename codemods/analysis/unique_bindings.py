"""What a name refers to when the file binds it once, at module level, by an import: decided
from CPython's ``ast`` instead of LibCST's scope analysis.

LibCST's ``ScopeProvider`` costs ~1 s on a large module; a pattern rule that asks what a class
base or a callee refers to (``qualified_name``) would pay it on every file it looks at. Most
names such a rule asks about are bound exactly once in the whole file, by a module-level
import (``import unittest``, ``from datetime import datetime as dt``), or not at all (a
builtin, an undefined name). For those, every read anywhere in the file refers to that one
binding, whatever the scope, so the answer needs no scopes: :func:`unique_bindings` reads the
file's :class:`~codemods.analysis.bindings.BindingModel` (the one model of what imports bind)
and returns the name's import target, and the caller falls back to the scopes for every other name (bound
twice, bound by an assignment, a parameter, a ``def``, in a function or class body, a relative
import, any file with ``from x import *``). tests/test_unique_bindings.py checks the answers
against LibCST's on every name of real stdlib files.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from codemods.analysis.bindings import Binding, BindingModel

#: A name no statement of the file binds (None: the file has a star import, so any may be bound).
UNBOUND = ""


@dataclass(frozen=True)
class Bindings:
    """``targets[name]``: the dotted path a once-imported name stands for (``=a.b`` for a plain
    ``import a.b``, which binds ``a``; ``UNBOUND`` when nothing binds it); names bound any other
    way are absent."""

    targets: dict[str, str]

    def resolve(self, chain: str) -> tuple[set[str], bool] | None:
        """(qualified names, whether the file binds the root) as LibCST's scopes would give for
        the dotted ``chain`` read anywhere in the file; None when only the scopes can say."""
        root, _, rest = chain.partition(".")
        target = self.targets.get(root)
        if target is None:
            return None
        if target == UNBOUND:
            if hasattr(builtins, root):
                return {root}, False  # LibCST names the builtin, not the attribute read off it
            return set(), False
        if target.startswith("="):  # `import a.b`: LibCST names only chains through `a.b`
            dotted = target[1:]
            if chain == dotted or chain.startswith(dotted + "."):
                return {chain}, True
            return None
        return {f"{target}.{rest}" if rest else target}, True


def unique_bindings(source: str | bytes) -> Bindings | None:
    """The table for ``source``, read off the file's :class:`BindingModel` (None: it does not
    parse, or it has a star import)."""
    try:
        model = BindingModel.from_source(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if any(stmt.star for stmt in model.imports):
        return None
    found: dict[str, list[Binding]] = {}
    declared: set[str] = set()
    for scope in model.scopes:
        for name, bindings in scope.bindings.items():
            found.setdefault(name, []).extend(bindings)
        declared |= scope.globals | scope.nonlocals
    targets: dict[str, str] = {}
    for name, bindings in found.items():
        if len(bindings) != 1 or name in declared:
            continue
        (one,) = bindings
        stmt, alias = one.stmt, one.alias
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
            targets[name] = alias.name if alias.asname else f"={alias.name}"
    for use in model.uses:
        if use.where == "code" and use.name not in found and use.name not in declared:
            targets[use.name] = UNBOUND
    return Bindings(targets)
