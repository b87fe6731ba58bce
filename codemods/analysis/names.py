"""Resolve what a name in a module refers to, and match it against dotted patterns.

Patterns are dotted qualified names, optionally starting with ``*.`` to mean "this name
imported from any module": ``*.UserExecutionContext`` matches
``netra_backend.app.services.user_execution_context.UserExecutionContext`` and
``other.UserExecutionContext``, but not a class defined in the file being changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import QualifiedName, QualifiedNameSource, ScopeProvider

from codemods.analysis.imports import resolve_module


@dataclass(frozen=True)
class DottedPattern:
    """A dotted name pattern such as ``pkg.mod.Cls``, ``*.Cls`` or ``*.Cls.method``."""

    text: str

    @property
    def is_glob(self) -> bool:
        return any(ch in self.text for ch in "*?[")

    @property
    def last(self) -> str:
        return self.text.rsplit(".", 1)[-1]

    def bare_tail(self) -> str:
        """The part of the pattern matched by bare-name matching.

        ``*.Cls.method`` -> ``Cls.method``; ``pkg.mod.Cls`` -> ``Cls``;
        ``pkg.mod.Cls.method`` -> ``Cls.method`` (a capitalised segment is taken as a class).
        """
        parts = self.text.split(".")
        if "*" in parts:
            return ".".join(parts[len(parts) - parts[::-1].index("*") :])
        if len(parts) >= 2 and parts[-2][:1].isupper():
            return ".".join(parts[-2:])
        return parts[-1]

    def matches_qualified(self, qname: str) -> bool:
        return fnmatchcase(qname, self.text)


def qualified_names_of(visitor: cst.MetadataDependent, node: cst.CSTNode) -> set[QualifiedName]:
    """What LibCST's ``QualifiedNameProvider`` says of ``node``, for this node alone.

    The provider computes the names of every node of the module in one more pass over it;
    the steps ask about a few call targets, so they declare only ``ScopeProvider`` and ask
    the node's scope directly, as the provider itself does.
    """
    scope = visitor.get_metadata(ScopeProvider, node, None)
    if not scope:
        return set()
    return set(scope.get_qualified_names_for(node))


def qualified_names_for(
    names: Iterable[QualifiedName], module_name: str | None, *, is_package: bool = False
) -> set[str]:
    """Qualified names as dotted strings; names defined in this file get the module prefix,
    and names imported relatively (``from .api import make`` -> ``.api.make``) are resolved
    with the file's own module name (``pkg.api.make`` in ``pkg/sub.py``).

    A local definition only matches a fully spelled pattern, never ``*.Name``: a test double
    called ``UserExecutionContext`` in ``tests/test_x.py`` is not the real class.
    """
    out: set[str] = set()
    for qn in names:
        if qn.source is QualifiedNameSource.LOCAL:
            if module_name and "<locals>" not in qn.name:
                out.add(f"\0{module_name}.{qn.name}")
        elif qn.source is QualifiedNameSource.IMPORT:
            if qn.name.startswith("."):
                resolved = resolve_module(qn.name, module_name, is_package=is_package)
                if resolved is not None:
                    out.add(resolved)
            else:
                out.add(qn.name)
    return out


def matches_any(
    patterns: Iterable[DottedPattern],
    qnames: set[str],
    node: cst.BaseExpression,
    *,
    bare: bool = False,
) -> DottedPattern | None:
    """The first pattern that ``node`` (with resolved ``qnames``) matches, if any."""
    return matches_names(patterns, qnames, get_full_name_for_node(node) if bare else None)


def matches_names(
    patterns: Iterable[DottedPattern], qnames: set[str], dotted: str | None
) -> DottedPattern | None:
    """:func:`matches_any` for a node already spelled out: ``dotted`` is its full name when
    bare-name matching is on (None: off)."""
    for pattern in patterns:
        for qname in qnames:
            if qname.startswith("\0"):
                if not pattern.is_glob and qname[1:] == pattern.text:
                    return pattern
            elif pattern.matches_qualified(qname):
                return pattern
        if dotted is not None:
            tail = pattern.bare_tail()
            if dotted == tail or dotted.endswith("." + tail):
                return pattern
    return None
