"""Run a LibCST transformer with metadata over an already-parsed module (no re-parse, no copy)."""

from __future__ import annotations

from typing import TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

T = TypeVar("T", bound=cst.CSTVisitor | cst.CSTTransformer)


def wrap(module: cst.Module) -> MetadataWrapper:
    """A metadata wrapper over ``module`` itself: node identity is kept, nothing is copied."""
    return MetadataWrapper(module, unsafe_skip_copy=True)


def transform_with_metadata(module: cst.Module, transformer: cst.CSTTransformer) -> cst.Module:
    """Visit ``module`` with ``transformer``, resolving only the metadata it declares."""
    if not transformer.get_inherited_dependencies():
        return module.visit(transformer)
    return wrap(module).visit(transformer)


def line_col(visitor: cst.MetadataDependent, node: cst.CSTNode) -> tuple[int, int]:
    """1-based line and column of ``node`` (needs ``PositionProvider`` in the dependencies)."""
    pos = visitor.get_metadata(PositionProvider, node).start
    return pos.line, pos.column + 1


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
