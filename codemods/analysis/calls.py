"""Helpers for steps that edit the arguments of calls to given callables.

A call is matched by what its callee resolves to (imports, aliases, module attributes; see
:mod:`codemods.analysis.names`). Removing an argument keeps the call's layout: the argument's
own comma goes with it, and when the last argument goes, the new last one takes over its comma
(a trailing comma in a multi-line call stays, ``f(a, b=1)`` becomes ``f(a)``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

import libcst as cst

from codemods.analysis.names import (
    DottedPattern,
    matches_any,
    qualified_names_for,
    qualified_names_of,
)

NodeT = TypeVar("NodeT", bound=cst.CSTNode)
CALLABLE_RE = re.compile(r"^(\*\.)?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_*][A-Za-z0-9_]*)*$")


def check_callables(value: list[str]) -> list[str]:
    for item in value:
        if not CALLABLE_RE.match(item):
            raise ValueError(
                f"{item!r} is not a dotted name such as `pkg.mod.Cls` or `*.Cls.method`"
            )
    return value


def call_target(
    visitor: cst.MetadataDependent,
    call: cst.Call,
    patterns: Sequence[DottedPattern],
    module_name: str | None,
    *,
    bare: bool = False,
) -> DottedPattern | None:
    """The pattern ``call``'s callee matches (the visitor must declare ``ScopeProvider``)."""
    qnames = qualified_names_for(qualified_names_of(visitor, call.func), module_name)
    return matches_any(patterns, qnames, call.func, bare=bare)


def without_args(args: Sequence[cst.Arg], drop: set[int]) -> list[cst.Arg]:
    """``args`` minus the indexes in ``drop``, commas kept right."""
    kept = [a for i, a in enumerate(args) if i not in drop]
    if kept and (len(args) - 1) in drop:
        kept[-1] = as_new_last(kept[-1], args[-1])
    return kept


def as_new_last(own: NodeT, removed: cst.CSTNode) -> NodeT:
    """``own`` (an argument, element, parameter, ...) made the last of its list in place of
    ``removed``: it takes over the removed one's ending (its comma, or the space before ``)``)."""
    changes: dict[str, object] = {}
    if hasattr(own, "comma") and hasattr(removed, "comma"):
        changes["comma"] = taken_over_comma(own.comma, removed.comma)
    if not isinstance(getattr(removed, "comma", None), cst.Comma):
        for name in ("whitespace_after_arg", "whitespace_after_param"):
            if hasattr(own, name) and hasattr(removed, name):
                changes[name] = getattr(removed, name)
    return own.with_changes(**changes) if changes else own


def taken_over_comma(own: object, removed: object) -> object:
    """The comma of an element that became the last one when ``removed`` (the old last's
    comma) went: ``f(a, b)`` -> ``f(a)``; in a multi-line call with a trailing comma the
    element keeps its own comment and the closing line's indentation."""
    if (
        isinstance(own, cst.Comma)
        and isinstance(removed, cst.Comma)
        and isinstance(own.whitespace_after, cst.ParenthesizedWhitespace)
        and isinstance(removed.whitespace_after, cst.ParenthesizedWhitespace)
    ):
        return own.with_changes(
            whitespace_after=removed.whitespace_after.with_changes(
                first_line=own.whitespace_after.first_line
            )
        )
    return removed


def keyword_index(args: Sequence[cst.Arg], name: str) -> int | None:
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == name:
            return index
    return None


def star_dict_key(arg: cst.Arg, name: str) -> int | None:
    """The index of the ``"name": ...`` element of a ``**{...}`` argument, if it has one."""
    if arg.star != "**" or not isinstance(arg.value, cst.Dict):
        return None
    for index, element in enumerate(arg.value.elements):
        key = getattr(element, "key", None)
        if isinstance(key, cst.SimpleString) and key.evaluated_value == name:
            return index
    return None
