"""``BindingModel(..., only=names)`` walks only the expressions and bodies whose lines can
read or bind the asked names: its answers about those names, about the names their imports
bind, and about every import statement must be the full model's, on code nobody here wrote
(the interpreter's own standard library)."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest

from codemods.analysis.bindings import Binding, BindingModel, Scope, Use
from tests.stdlib_trees import stdlib_trees

STDLIB = Path(os.__file__).parent

#: (asked names, the text a file must contain to be compared), as the moves ask them.
ASKED = [
    ({"unittest", "unittest2"}, "unittest"),  # rename_module unittest -> unittest2
    ({"unittest", "TestCase", "BaseTestCase"}, "TestCase"),  # rename_symbol
    ({"os", "path", "ospath"}, "os.path"),  # rename_module os.path -> ospath
    ({"collections", "abc", "OrderedDict", "odict"}, "collections"),
]


def _files() -> list[Path]:
    found = [
        *sorted((STDLIB / "unittest").rglob("*.py")),
        *sorted((STDLIB / "test").glob("test_[a-f]*.py")),
        *sorted((STDLIB / "asyncio").glob("*.py")),
        *sorted(STDLIB.glob("[a-m]*.py")),
    ]
    return found


def _scope(scope: Scope | None) -> Any:
    if scope is None:
        return None
    node = scope.node
    return (scope.kind, getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _binding(b: Binding) -> Any:
    return (b.name, _scope(b.scope), b.kind, b.line, b.col, b.target, b.module, b.direct, b.loop)


def _use(model: BindingModel, u: Use) -> Any:
    resolved = model.scope_read(u.scope, u.name, u.line, u.col)
    seen = sorted(_binding(b) for b in model.may_see(u))
    return (u.name, _scope(u.scope), u.line, u.col, u.chain, u.where, u.deferred,
            _scope(resolved), seen)  # fmt: skip


def _answers(model: BindingModel, names: set[str]) -> Any:
    groups: dict[int, int] = {}  # the groups numbered by first appearance (skipped bodies
    # of the narrow model number none)
    for s in model.imports:
        if s.alternative is not None:
            groups.setdefault(s.alternative.group, len(groups))
    imports = [
        (
            s.node.lineno,
            s.node.col_offset,
            s.index,
            _scope(s.scope),
            s.module,
            [_binding(b) for b in s.bindings],
            None
            if s.alternative is None
            else (groups[s.alternative.group], s.alternative.branch, s.alternative.kind),
            s.star,
        )
        for s in model.imports
    ]
    bindings = sorted(
        _binding(b) for s in model.scopes for n in names for b in s.bindings.get(n, ())
    )
    declared = sorted(
        (_scope(s), n) for s in model.scopes for n in names if n in s.globals | s.nonlocals
    )
    uses = [_use(model, u) for u in model.uses if u.name in names]
    reads = sorted(
        (_scope(s), n, len(model.reads(s, n))) for s in model.scopes for n in names
        if s.bindings.get(n)
    )  # fmt: skip
    return imports, bindings, declared, uses, reads, [model.bound_anywhere(n) for n in names]


def _import_names(model: BindingModel, asked: set[str]) -> set[str]:
    """The names bound by the imports that name an asked name (the model answers for them)."""
    out = set()
    for b in model.import_bindings():
        spelled = {*(b.module or "").split("."), *(b.target or "").split(".")}
        if asked & spelled:
            out.add(b.name)
    return out


@pytest.mark.parametrize(("asked", "needle"), ASKED, ids=[n for _, n in ASKED])
def test_the_asked_names_are_answered_as_by_the_full_model(asked: set[str], needle: str) -> None:
    compared = 0
    for path, text, tree in stdlib_trees(_files(), needle):
        full = BindingModel(tree, source=text)
        narrow = BindingModel(tree, source=text, only=asked)
        names = asked | _import_names(full, asked)
        assert _answers(narrow, names) == _answers(full, names), path
        compared += 1
    assert compared >= 20  # the corpus really has such files


def test_a_read_before_its_import_and_a_body_with_an_import_are_kept() -> None:
    """The shapes the narrowing must not lose: a read of an imported alias above the import,
    an import inside a function that spells no asked name, a string annotation, and an
    escape inside a string read as a type."""
    text = (
        "def early():\n    return TC\n\n\n"
        "def setup():\n    import json\n    return json\n\n\n"
        "from unittest import TestCase as TC\n\n\n"
        "def annotated(x: 'TC') -> None:\n    pass\n\n\n"
        "def escaped(x: '\\x54C') -> None:\n    pass\n\n\n"
        "def other():\n    return [y for y in range(3)]\n"
    )
    tree = ast.parse(text)
    asked = {"unittest", "TestCase"}
    full = BindingModel(tree, source=text)
    narrow = BindingModel(tree, source=text, only=asked)
    names = asked | _import_names(full, asked)
    assert names == {"unittest", "TestCase", "TC"}
    assert _answers(narrow, names) == _answers(full, names)
    assert [s.node.lineno for s in narrow.imports] == [10, 6]  # function bodies after
    assert sorted(u.line for u in narrow.uses if u.name == "TC") == [2, 13, 17]
    # the narrow model did skip what cannot matter: `other`'s comprehension scope
    assert len(narrow.scopes) < len(full.scopes)
