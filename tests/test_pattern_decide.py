"""The pattern step decides review-only and no-match files on the ``ast`` exactly as LibCST does.

:mod:`codemods.analysis.pattern_decide` lets a pattern step rooted at a ``def``/``class``
answer a file from CPython's ``ast`` alone (no LibCST parse) when every match only reports,
or nothing matches. Its result must be the LibCST path's, to the byte and the diagnostic
(code, message, line, column, order): each case runs through the engine with the decision
on and off (:data:`pattern_decide.ENABLED`) and the outcomes are compared; where the ``ast``
must decide, LibCST's parser is made to fail, so a fall-back would show.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from codemods.analysis import pattern_decide
from codemods.engine import transform as engine_transform
from codemods.engine.transform import transform_source
from codemods.recipe import CompiledStep, RecipeLoader
from codemods.testing import case_context, step_from_options

STDLIB = Path(sysconfig.get_paths()["stdlib"])
RECIPE = "unittest-setup-to-pytest"


def _outcome(data: bytes, steps: list[CompiledStep], path: str, *, on: bool) -> tuple[Any, ...]:
    saved = pattern_decide.ENABLED
    pattern_decide.ENABLED = on
    try:
        out = transform_source(data, steps, case_context(path), path)
    finally:
        pattern_decide.ENABLED = saved
    return out.status, out.new, out.reason, out.detail, out.diagnostics


def _without_libcst(
    data: bytes, steps: list[CompiledStep], path: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, ...]:
    def refuse(*args: Any, **kwargs: Any) -> cst.Module:
        raise AssertionError("LibCST was asked to parse a file the ast decides")

    with monkeypatch.context() as m:
        m.setattr(engine_transform.cst, "parse_module", refuse)
        return _outcome(data, steps, path, on=True)


def _check(
    code: str, steps: list[CompiledStep], expect: str | None, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, ...]:
    data = code.encode()
    path = "tests/test_shape.py"
    slow = _outcome(data, steps, path, on=False)
    fast = _outcome(data, steps, path, on=True)
    assert fast == slow
    if expect == "ast":
        assert _without_libcst(data, steps, path, monkeypatch) == slow
    elif expect == "libcst":
        with pytest.raises(AssertionError, match="LibCST was asked"):
            _without_libcst(data, steps, path, monkeypatch)
    return slow


def _recipe_steps() -> list[CompiledStep]:
    return list(RecipeLoader().load(RECIPE).steps)


HELPER = "class Base:\n    pass\n"
SETUP_SHAPES: dict[str, str | None] = {
    # code -> "ast": decided without LibCST; "libcst": must fall back; None: either
    HELPER + "class TestA(Base):\n    def setUp(self):\n        pass\n": "ast",
    HELPER + "class TestA(Base, Base):\n    def tearDown(self):\n        pass\n": "ast",
    HELPER
    + "class TestA(Base):\n    @dec\n    def setUp(self, x=1, *a, **k):\n        pass\n": "ast",
    HELPER
    + "class TestA(Base):\n\tdef setUp(self):\n\t\tpass\n\tdef tearDown(self): pass\n": "ast",
    HELPER + "class TestA(Base):\n    async def setUp(self):\n        pass\n": "ast",
    HELPER + "class TestA(Base):\n    def setUp(self, *args):\n        pass\n": "ast",
    HELPER + "class TestA(Base):\n    def setUp(self, /):\n        pass\n": "ast",
    HELPER + "class TestA(Base):\n    def setUp(self, *, k):\n        pass\n": "ast",
    HELPER + "class TestA(Base):\n    def setUp(**k):\n        pass\n": "ast",
    HELPER
    + "class TestA(Base):\n    def setUp(self):\n        def setUp():\n            pass\n": "ast",
    HELPER
    + "class TestA(Base):\n    def test(self):\n        def setUp():\n            pass\n": "ast",
    HELPER
    + "class TestA(Base):\n    class Inner:\n        def setUp(self):\n            pass\n": "ast",
    HELPER
    + "class Inner(Base):\n    class TestA(Base):\n        def setUp(self):\n            pass\n": "ast",
    HELPER
    + "class TestA(Base):\n    class Inner(Base, metaclass=M):\n        def setUp(self): pass\n": "ast",
    HELPER + "try:\n    pass\nexcept E:\n    class TestB(Base):\n        def tearDown(self): pass\n"
    "else:\n    class TestC(Base):\n        def setUp(self): pass\n"
    "finally:\n    class TestD(Base):\n        def setUp(self): pass\n": "ast",
    "import unittest\nclass TestA(unittest.TestCase):\n    def setUp(self):\n        pass\n": "ast",
    "import unittest as u\nclass TestA(u.TestCase, Mixin):\n    def setUp(self):\n        pass\n": "ast",
    HELPER + "class TestA(Base):  # a comment\n    def setUp(self):\n        pass\n": "libcst",
    HELPER + "class TestA(\n    Base,\n):\n    def setUp(self):\n        pass\n": "libcst",
    HELPER + "class TestA((Base)):\n    def setUp(self):\n        pass\n": "libcst",
    "from .base import B\nclass TestA(B):\n    def setUp(self):\n        pass\n": "libcst",
    "class TestA(*bases):\n    def setUp(self):\n        pass\n": "libcst",
    # a fix to make: LibCST's
    "class TestA:\n    def setUp(self):\n        pass\n": "libcst",
    "class TestA(object):\n    def tearDownClass(cls):\n        pass\n": "libcst",
    HELPER
    + "class TestA(Base):\n    def setUp(self):\n        pass\nclass TestB:\n    def setUp(self): pass\n": "libcst",
    # names the ast normalises (NFKC): only the source says
    HELPER + "# setUp\nclass TestA(Base):\n    def \uff53etUp(self):\n        pass\n": "libcst",
    HELPER + "class \uff34est(Base):\n    def setUp(self):\n        pass\n": None,
    HELPER + "x = 'é'\nclass TestÀ(Base):\n    def setUp(self):\n        pass\n": "ast",
    "class TestA(B):\n    def setUp(self):\n        pass\n": "ast",  # B: unbound
    HELPER + "class TestA(Base):\n    def setUp(self):\n        pass\nBase = 2\n": "libcst",
}


@pytest.mark.parametrize("code", list(SETUP_SHAPES), ids=range(len(SETUP_SHAPES)))
def test_setup_recipe_shapes(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _check(code, _recipe_steps(), SETUP_SHAPES[code], monkeypatch)


def test_review_findings_come_from_the_ast_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    code = (
        HELPER
        + "class TestA(Base, Mixin):\n    def tearDown(self):\n        pass\n\n"
        + "    def setUp(self):\n        pass\n"
        + "class TestB(Base):\n    @decorated\n    def setUp(self):\n        pass\n"
    )
    status, new, _reason, _detail, diagnostics = _check(code, _recipe_steps(), "ast", monkeypatch)
    assert (status.value, new) == ("unchanged", None)
    assert [(d.kind, d.line, d.column) for d in diagnostics] == [
        ("review", 4, 5),
        ("review", 7, 5),
        ("review", 11, 5),
    ]
    assert diagnostics[0].message.startswith("TestA has base classes (Base, Mixin): ")
    assert diagnostics[2].message.startswith("TestB has base classes (Base): ")


RULES: list[tuple[dict[str, Any], dict[str, str | None]]] = [
    (
        {
            "pattern": "def $F(self, $$$): $$$",
            "rule": {"inside": {"pattern": "class $C($$$B): $$$"}},
            "constraints": {"F": {"regex": "^test_"}, "C": {"regex": "Case$"}},
            "message": "$C.$F takes self ($$$B)",
        },
        {
            "class MyCase(A, b.C):\n    def test_x(self, y=2): pass\n    def test_y(self, z): pass\n"
            "    def helper(self): pass\n": "ast",
            "class MyCase:\n    def test_x(self): pass\n    def test_y(cls): pass\n": "ast",
            "class MyCase:\n    def test_x(self, *, k): pass\n    def test_y(self, /): pass\n": "ast",
            "class Other:\n    def test_x(self): pass\n": "ast",
            "def test_x(self): pass\n": "ast",
            "class MyCase:\n    def test_x(self: 'MyCase'): pass\n": "ast",
            "class MyCase:\n    def test_x(self=None): pass\n    def test_y(self, a=1): pass\n": "ast",
        },
    ),
    (
        {
            "rule": {
                "any": [{"pattern": "async def $F($$$): $$$"}, {"pattern": "class $F: $$$"}],
                "not_inside": {"pattern": "class $_($$$): $$$"},
            },
            "message": "top: $F $_ $UNKNOWN",
        },
        {
            "async def a(): pass\nclass K:\n    async def b(): pass\n    class L: pass\n": "ast",
            "def a(): pass\nif x:\n    class K(M): pass\n": "ast",
            "class K(M):\n    async def b(): pass\n": "ast",
            "@dec\nclass K:\n    pass\n": "ast",
        },
    ),
    (
        {"pattern": "class $C($$$B): $$$", "message": "$C: $$$B"},
        {
            "class K(*bases, A): pass\nclass J(* more): pass\n": "ast",
            "class K(A, *bases, metaclass=M): pass\n": "ast",
            "class K(\n    A,\n): pass\n": "libcst",  # the bases' text: LibCST's
        },
    ),
    (
        # the rule's own capture wins over the one its `inside` / `any` part makes
        {
            "pattern": "class $C: $$$",
            "rule": {"inside": {"pattern": "class $C($$$): $$$"}},
            "message": "$C",
        },
        {"class Outer:\n    class Inner: pass\n": "ast"},
    ),
    (
        {
            "pattern": "class $C: $$$",
            "rule": {"any": [{"inside": {"pattern": "class $C($$$): $$$"}}]},
            "message": "$C",
        },
        {"class Outer:\n    class Inner: pass\n": "ast"},
    ),
    (
        {
            "pattern": "def $F($$$): $$$",
            "rule": {"not": {"pattern": "def helper($$$): $$$"}},
            "message": "$F",
        },
        {"def helper(): pass\ndef other(): pass\n": "ast"},
    ),
    (
        # a name the ast normalises (NFKC) in the pattern itself: only LibCST can compare it
        {"pattern": "def \uff53etUp($$$): $$$", "message": "$$$"},
        {"def \uff53etUp(self): pass\ndef setUp(self): pass\n": "libcst"},
    ),
    (
        {"pattern": "class $C($$$B, metaclass=M): $$$", "message": "$C"},
        {"class K(A, metaclass=M): pass\n": "libcst"},
    ),
    (
        {"pattern": "def $F($$$X): $$$X", "message": "$F"},  # one capture twice
        {"def f(a): pass\n": "libcst"},
    ),
    (
        # `inside` a rule any ancestor satisfies (the module): not only defs and classes
        {
            "pattern": "def $F($$$): $$$",
            "rule": {"inside": {"not": {"pattern": "class X: $$$"}}},
            "message": "$F",
        },
        {"def f(a): pass\n": "libcst"},
    ),
    (
        {
            "pattern": "def run($$$ARGS): $$$",
            "message": "run with $$$ARGS",
        },
        {
            "def run(a, b): pass\n": "libcst",  # the message names parameters: LibCST's text
            "def walk(a, b): pass\n": "ast",
        },
    ),
    (
        {
            "pattern": "def run(self): $$$BODY",
            "fix": "def go(self): $$$BODY",
        },
        {
            "def walk(self): pass\n": "ast",
            "def run(self, x): pass\ndef run(): pass\n": "ast",
            "def run(self): pass\n": "libcst",
        },
    ),
]


@pytest.mark.parametrize(
    ("options", "code"),
    [(options, code) for options, shapes in RULES for code in shapes],
    ids=range(sum(len(shapes) for _, shapes in RULES)),
)
def test_rule_shapes(options: dict[str, Any], code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expect = next(shapes[code] for o, shapes in RULES if o is options)
    _check(code, step_from_options("pattern", options), expect, monkeypatch)


def test_unmodelled_rules_always_go_to_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    for options in (
        {"pattern": "def setUp(self):\n    self.x = 1", "message": "m"},  # the body decides
        {"pattern": "def setUp(self) -> None: $$$", "message": "m"},
        {"pattern": "@dec\ndef setUp(self): $$$", "message": "m"},
        {"pattern": "def setUp(self): $$$", "rule": {"has": {"kind": "Return"}}, "message": "m"},
        {"pattern": "def $F($X): $$$", "message": "m"},
        {"pattern": "foo($$$)", "message": "m"},
        {"pattern": "def setUp(self):\n    $$$\n    return foo(1)", "message": "m"},
        {
            "pattern": "def $F($$$ARGS): $$$",
            "constraints": {"ARGS": {"regex": "x"}},
            "message": "m",
        },
    ):
        steps = step_from_options("pattern", options)
        code = "@dec\ndef setUp(self) -> None:\n    self.x = 1\n    return foo(1)\n"
        _check(code, steps, "libcst", monkeypatch)


def _stdlib_files(limit: int) -> list[Path]:
    files = sorted(STDLIB.glob("test/test_*.py")) + sorted(STDLIB.glob("unittest/test/*.py"))
    return [f for f in files if b"setUp" in f.read_bytes()][:limit]


def test_stdlib_test_modules_give_the_same_result_both_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps = _recipe_steps()
    decided = 0
    files = _stdlib_files(16)
    assert files
    for path in files:
        data = path.read_bytes()
        rel = f"test/{path.name}"
        slow = _outcome(data, steps, rel, on=False)
        assert _outcome(data, steps, rel, on=True) == slow, path
        try:
            assert _without_libcst(data, steps, rel, monkeypatch) == slow
            decided += 1
        except AssertionError as exc:
            assert "LibCST was asked" in str(exc)
    assert decided >= len(files) // 2  # most of them need no LibCST tree at all
