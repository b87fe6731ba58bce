"""A LibCST node's children in source order, without rebuilding the node.

LibCST's ``node.children`` visits the node with a collecting visitor, which re-creates the
node (dataclass construction and validation): over a whole module that costs about as much
as the parse. The order of a node type's fields in ``children`` is fixed by its
``_visit_and_replace_children``, so it is learnt once per node type and set of filled fields
(by asking ``children`` of the first such node) and then read straight off the fields.
tests/test_cst_children.py checks the result against ``children`` on every node of real
stdlib files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import libcst as cst

_Key = tuple[type[cst.CSTNode], frozenset[str]]
#: (type, filled fields) -> the fields in ``children`` order; None: ``children`` interleaves
#: them or repeats a node, so always ask it.
_ORDER: dict[_Key, tuple[str, ...] | None] = {}
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _filled(node: cst.CSTNode) -> dict[str, list[cst.CSTNode]]:
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
    out: dict[str, list[cst.CSTNode]] = {}
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            out[name] = [value]
        elif isinstance(value, Sequence) and not isinstance(value, str) and value:
            nodes = [v for v in value if isinstance(v, cst.CSTNode)]
            if nodes:
                out[name] = nodes
    return out


def children(node: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """``node.children``, the same nodes in the same order."""
    filled = _filled(node)
    key = (type(node), frozenset(filled))
    if key in _ORDER:
        order = _ORDER[key]
        if order is not None:
            return [child for name in order for child in filled[name]]
        return node.children
    real = node.children
    _ORDER[key] = _learn(real, filled)
    return real


def _learn(
    real: Sequence[cst.CSTNode], filled: dict[str, list[cst.CSTNode]]
) -> tuple[str, ...] | None:
    owner: dict[int, str] = {}
    for name, nodes in filled.items():
        for child in nodes:
            if id(child) in owner:
                return None  # one node in two fields: ask ``children`` every time
            owner[id(child)] = name
    order: list[str] = []
    for child in real:
        field_name = owner.get(id(child))
        if field_name is None:
            return None
        if not order or order[-1] != field_name:
            if field_name in order:
                return None  # interleaved fields
            order.append(field_name)
    if [id(c) for name in order for c in filled[name]] != [id(c) for c in real]:
        return None
    return tuple(order)
