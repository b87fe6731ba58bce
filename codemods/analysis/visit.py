"""Run a LibCST transformer with metadata over an already-parsed module (no re-parse, no copy)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

import libcst as cst
from libcst.metadata import BaseMetadataProvider, MetadataWrapper, PositionProvider

T = TypeVar("T", bound=cst.CSTVisitor | cst.CSTTransformer)
V = TypeVar("V")
_Visitor = cst.CSTVisitor | cst.CSTTransformer


class FileMetadata:
    """The metadata of one file's modules, shared by the steps run on it.

    Steps that run one after another on a module none of them changed share its wrapper
    (scopes, qualified names, positions) instead of each computing it again; a visitor run
    by :func:`transform_with_metadata` finds the module it visits here (for
    :func:`lazy_metadata`). The engine makes one per file (:func:`file_metadata`) and drops it
    with the file; without one, each :func:`transform_with_metadata` call gets its own.
    """

    def __init__(self) -> None:
        self._last: tuple[cst.Module, MetadataWrapper] | None = None
        self._visiting: dict[int, tuple[_Visitor, cst.Module]] = {}
        self._resolved: dict[tuple[int, type[Any]], Mapping[cst.CSTNode, Any]] = {}
        self._derived: dict[object, tuple[cst.Module, Any]] = {}

    def wrap(self, module: cst.Module) -> MetadataWrapper:
        if self._last is not None and self._last[0] is module:
            return self._last[1]
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._last = (module, wrapper)
        return wrapper

    def derived(self, module: cst.Module, key: object, build: Callable[[], V]) -> V:
        """``build()``'s value for ``module``, shared while it is the module steps see (one slot
        per ``key``, as :meth:`wrap`)."""
        slot = self._derived.get(key)
        if slot is not None and slot[0] is module:
            return cast(V, slot[1])
        value = build()
        self._derived[key] = (module, value)
        return value

    def visiting(self, visitor: _Visitor) -> cst.Module:
        found = self._visiting.get(id(visitor))
        if found is None or found[0] is not visitor:
            raise RuntimeError("lazy_metadata() needs a visitor run by transform_with_metadata()")
        return found[1]

    def resolved(
        self, visitor: _Visitor, provider: type[BaseMetadataProvider[Any]]
    ) -> Mapping[cst.CSTNode, Any]:
        key = (id(visitor), provider)
        if key not in self._resolved:
            self._resolved[key] = self.wrap(self.visiting(visitor)).resolve(provider)
        return self._resolved[key]


_CURRENT: ContextVar[FileMetadata | None] = ContextVar("codemods_file_metadata", default=None)


@contextmanager
def file_metadata() -> Iterator[FileMetadata]:
    """Share metadata between the steps run on one file, for the duration of the block."""
    metadata = FileMetadata()
    token = _CURRENT.set(metadata)
    try:
        yield metadata
    finally:
        _CURRENT.reset(token)


def _current() -> FileMetadata:
    current = _CURRENT.get()
    if current is None:
        raise RuntimeError("no file is being transformed (see file_metadata)")
    return current


def wrap(module: cst.Module) -> MetadataWrapper:
    """A metadata wrapper over ``module`` itself: node identity is kept, nothing is copied.

    Within :func:`file_metadata`, the same module gets the same wrapper, whose resolved
    metadata is cached; outside, a fresh one.
    """
    current = _CURRENT.get()
    if current is None:
        return MetadataWrapper(module, unsafe_skip_copy=True)
    return current.wrap(module)


def derived(module: cst.Module, key: object, build: Callable[[], V]) -> V:
    """Within :func:`file_metadata`, ``build()``'s value for ``module`` shared by the steps of
    the file (:meth:`FileMetadata.derived`); outside, built afresh."""
    current = _CURRENT.get()
    return build() if current is None else current.derived(module, key, build)


def remember_source(module: cst.Module, data: bytes) -> None:
    """Note that ``module`` was parsed from ``data`` (within :func:`file_metadata`), so that
    :func:`source_of` need not generate its code again."""
    current = _CURRENT.get()
    if current is not None:
        current.derived(module, _SOURCE, lambda: data)


def source_of(module: cst.Module) -> str | bytes:
    """``module``'s source: the bytes it was parsed from if the engine said so
    (:func:`remember_source`), else its generated code."""
    return derived(module, _SOURCE, lambda: module.code)


_SOURCE = "module-source"


def transform_with_metadata(module: cst.Module, transformer: cst.CSTTransformer) -> cst.Module:
    """Visit ``module`` with ``transformer``, resolving only the metadata it declares.

    Returns ``module`` itself when no ``leave_*`` of the transformer replaced a node: LibCST
    rebuilds every node on the way out even then, and the engine (and the next step's
    metadata) can then tell "unchanged" without generating code.
    """
    if _CURRENT.get() is None:
        with file_metadata():
            return transform_with_metadata(module, transformer)
    current = _current()
    replaced = False
    on_leave = transformer.on_leave

    def watching(original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        nonlocal replaced
        result = on_leave(original, updated)
        if result is not updated:
            replaced = True
        return result

    current._visiting[id(transformer)] = (transformer, module)  # for lazy_metadata
    transformer.on_leave = watching  # type: ignore[method-assign,assignment]
    try:
        if not transformer.get_inherited_dependencies():
            new = module.visit(transformer)
        else:
            new = current.wrap(module).visit(transformer)
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
    return _current().resolved(visitor, provider)


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


class LazyMetadata(Mapping[cst.CSTNode, Any]):
    """``provider``'s metadata for ``module``, resolved on the first lookup.

    For code that needs it only when something matched (the pattern step's scopes: a file
    where no rule holds never pays LibCST's scope analysis); resolved through :func:`wrap`,
    so it is shared with the other steps of the file.
    """

    def __init__(self, module: cst.Module, provider: type[BaseMetadataProvider[Any]]) -> None:
        self._module, self._provider = module, provider
        self._data: Mapping[cst.CSTNode, Any] | None = None

    def _get(self) -> Mapping[cst.CSTNode, Any]:
        if self._data is None:
            self._data = wrap(self._module).resolve(self._provider)
        return self._data

    def __getitem__(self, node: cst.CSTNode) -> Any:
        return self._get()[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())
