"""Run a LibCST transformer with metadata over an already-parsed module (no re-parse, no copy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import libcst as cst
from libcst.metadata import BaseMetadataProvider, MetadataWrapper, PositionProvider

T = TypeVar("T", bound=cst.CSTVisitor | cst.CSTTransformer)


#: The last module wrapped and its wrapper: steps that run one after another on a module none
#: of them changed share its metadata (scopes, qualified names, positions) instead of each
#: computing it again. One slot: a worker moves on to the next file.
_LAST: list[tuple[cst.Module, MetadataWrapper]] = []


def wrap(module: cst.Module) -> MetadataWrapper:
    """A metadata wrapper over ``module`` itself: node identity is kept, nothing is copied.

    The same module gets the same wrapper, whose resolved metadata is cached.
    """
    if _LAST and _LAST[0][0] is module:
        return _LAST[0][1]
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    _LAST[:] = [(module, wrapper)]
    return wrapper


def transform_with_metadata(module: cst.Module, transformer: cst.CSTTransformer) -> cst.Module:
    """Visit ``module`` with ``transformer``, resolving only the metadata it declares.

    Returns ``module`` itself when no ``leave_*`` of the transformer replaced a node: LibCST
    rebuilds every node on the way out even then, and the engine (and the next step's
    metadata) can then tell "unchanged" without generating code.
    """
    replaced = False
    on_leave = transformer.on_leave

    def watching(original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        nonlocal replaced
        result = on_leave(original, updated)
        if result is not updated:
            replaced = True
        return result

    transformer.__dict__["_visited_module"] = module  # for lazy_metadata
    transformer.on_leave = watching  # type: ignore[method-assign,assignment]
    try:
        if not transformer.get_inherited_dependencies():
            new = module.visit(transformer)
        else:
            new = wrap(module).visit(transformer)
    finally:
        del transformer.on_leave
    return new if replaced else module


def lazy_metadata(
    visitor: cst.CSTVisitor | cst.CSTTransformer, provider: type[BaseMetadataProvider[Any]]
) -> Mapping[cst.CSTNode, Any]:
    """``provider``'s metadata for the module ``visitor`` is visiting, resolved on first use.

    For metadata a step needs only in the rare file where it acts (positions for a
    diagnostic, parents of a few nodes): declaring it in ``METADATA_DEPENDENCIES`` would cost
    a pass over every module the step runs on. The visitor must be run by
    :func:`transform_with_metadata`.
    """
    cache = visitor.__dict__.setdefault("_lazy_metadata", {})
    if provider not in cache:
        cache[provider] = wrap(visitor.__dict__["_visited_module"]).resolve(provider)
    return cache[provider]  # type: ignore[no-any-return]


def line_col(visitor: cst.CSTVisitor | cst.CSTTransformer, node: cst.CSTNode) -> tuple[int, int]:
    """1-based line and column of an original node of the module ``visitor`` is visiting
    (positions cost a pass that generates the module's code: see :func:`lazy_metadata`)."""
    start = lazy_metadata(visitor, PositionProvider)[node].start
    return start.line, start.column + 1


class OwnScopeOnly:
    """Mixin for visitors and transformers that must stay in the body they are given.

    Nested functions, lambdas and classes are other scopes: an ``await`` or a ``super()``
    call inside them belongs to them, so they are not entered.
    """

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False
