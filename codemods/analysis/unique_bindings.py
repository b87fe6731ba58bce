"""What a name refers to when the file binds it once, at module level, by an import: decided
from CPython's ``ast`` instead of LibCST's scope analysis.

LibCST's ``ScopeProvider`` costs ~1 s on a large module; a pattern rule that asks what a class
base or a callee refers to (``qualified_name``) would pay it on every file it looks at. Most
names such a rule asks about are bound exactly once in the whole file, by a module-level
import (``import unittest``, ``from datetime import datetime as dt``), or not at all (a
builtin, an undefined name). For those, every read anywhere in the file refers to that one
binding, whatever the scope, so the answer needs no scopes: :func:`unique_bindings` returns
the name's import target, and the caller falls back to the scopes for every other name (bound
twice, bound by an assignment, a parameter, a ``def``, in a function or class body, a relative
import, any file with ``from x import *``). tests/test_unique_bindings.py checks the answers
against LibCST's on every name of real stdlib files.
"""

from __future__ import annotations

import ast
import builtins
import warnings
from dataclasses import dataclass

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
    """The table for ``source`` (None: it does not parse, or it has a star import)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    counts: dict[str, int] = {}
    imported: dict[str, str] = {}

    def bind(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    def walk(node: ast.AST, module_level: bool) -> bool:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for alias in child.names:
                    if alias.name == "*":
                        return False
                    name = alias.asname or alias.name.partition(".")[0]
                    bind(name)
                    if not module_level:
                        continue
                    if isinstance(child, ast.ImportFrom):
                        if child.level or not child.module:
                            continue  # relative: LibCST spells it with dots; leave it to the scopes
                        imported[name] = f"{child.module}.{alias.name}"
                    else:
                        imported[name] = alias.name if alias.asname else f"={alias.name}"
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bind(child.name)
            elif isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
                bind(child.id)
            elif isinstance(child, ast.arg):
                bind(child.arg)
            elif isinstance(child, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and child.name:
                bind(child.name)
            elif isinstance(child, ast.MatchMapping) and child.rest:
                bind(child.rest)
            elif isinstance(child, ast.Global | ast.Nonlocal):
                for name in child.names:
                    bind(name)
                    bind(name)  # a declared name is never "once, by an import"
            nested = module_level and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            )
            if not walk(child, nested):
                return False
        return True

    if not walk(tree, True):
        return None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    targets = {name: UNBOUND for name in names if name not in counts}
    for name, target in imported.items():
        if counts.get(name) == 1:
            targets[name] = target
    return Bindings(targets)
