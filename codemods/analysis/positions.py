"""Start positions of a few nodes of a LibCST module, in one cheap code-generation pass.

LibCST's ``PositionProvider`` generates the module's code while tracking the line and column
after every token and building a ``CodeRange`` for every node: ~1 s for a large test module,
paid by a step that only reports a handful of matches. :func:`start_positions` generates the
code once with a state that only notes, for the nodes asked about, how many tokens came before
their start, and turns those counts into lines and columns at the end. The answer is exactly
``PositionProvider``'s ``start`` (its syntactic start, or, for a node that records none, the
whitespace-inclusive one; an indented block starts at its first statement):
tests/test_positions.py compares the two on every node of real stdlib files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE = re.compile(r"\r\n?|\n")  # as libcst.metadata.position_provider counts lines
_NULL = nullcontext()


@dataclass(frozen=False)
class _State(CodegenState):
    wanted: set[int] = field(default_factory=set)
    inclusive: dict[int, int] = field(default_factory=dict)
    syntactic: dict[int, int] = field(default_factory=dict)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self.inclusive.setdefault(id(node), len(self.tokens))

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> AbstractContextManager[None]:
        if id(node) not in self.wanted:
            return _NULL
        if start_node is not None:
            self.wanted.add(id(start_node))
        return _Record(self, node, start_node)


class _Record:
    __slots__ = ("node", "start", "start_node", "state")

    def __init__(self, state: _State, node: cst.CSTNode, start_node: cst.CSTNode | None) -> None:
        self.state, self.node, self.start_node = state, node, start_node
        self.start = len(state.tokens)

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        state = self.state
        start = self.start
        if self.start_node is not None:
            key = id(self.start_node)
            start = state.syntactic.get(key, state.inclusive.get(key, start))
        state.syntactic[id(self.node)] = start  # the last record wins, as in PositionProvider


def start_positions(
    module: cst.Module, nodes: Iterable[cst.CSTNode]
) -> dict[cst.CSTNode, tuple[int, int]]:
    """(1-based line, 0-based column) where each of ``nodes`` starts, as ``PositionProvider``
    gives it; nodes not in ``module`` are left out."""
    asked = list(dict.fromkeys(nodes))
    state = _State(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        wanted={id(n) for n in asked},
    )
    module._codegen(state)
    tokens = state.tokens
    found: list[tuple[int, cst.CSTNode]] = []
    for node in asked:
        key = id(node)
        index = state.syntactic.get(key, state.inclusive.get(key))
        if index is not None:
            found.append((index, node))
    found.sort(key=lambda pair: pair[0])
    out: dict[cst.CSTNode, tuple[int, int]] = {}
    line, column, done = 1, 0, 0
    for index, node in found:
        if index > done:
            chunk = "".join(tokens[done:index])
            breaks = list(_NEWLINE.finditer(chunk))
            if breaks:
                line += len(breaks)
                column = len(chunk) - breaks[-1].end()
            else:
                column += len(chunk)
            done = index
        out[node] = (line, column)
    return out


def start_position(module: cst.Module, node: Any) -> tuple[int, int] | None:
    """:func:`start_positions` for one node (None: not in ``module``)."""
    return start_positions(module, [node]).get(node)
