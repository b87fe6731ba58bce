"""The pattern step's ``ast`` anchors never rule out a file LibCST would find a match in.

:mod:`codemods.analysis.pattern_anchors` lets the pattern step skip a file on its ``ast``
(no ``def``/``class`` of the rule's name, bases that cannot satisfy a constraint...). Every
file it rules out must give exactly nothing when the step runs unfiltered (LibCST's parse
and the full rule walk): no change, no diagnostic. Checked on hand-made shapes around each
thing the anchors read, and on real stdlib files the built-in recipes' needles let through.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from codemods.engine.prefilter import NO_PREFILTER_ENV
from codemods.recipe import CompiledStep, RecipeLoader
from codemods.steps import Source
from codemods.steps.pattern import Pattern
from codemods.testing import case_context, run_source, step_from_options

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _pattern_steps(recipe: str) -> list[CompiledStep]:
    return [s for s in RecipeLoader().load(recipe).steps if isinstance(s.step, Pattern)]


def _lets_through(step: CompiledStep, code: bytes, path: str) -> bool:
    return step.step.precheck(Source(code), case_context(path))


def _finds_something(
    step: CompiledStep, code: bytes, path: str, monkeypatch: pytest.MonkeyPatch
) -> bool:
    """Whether the step, run on every file (no needles, no pre-checks), changes, reports or
    skips anything."""
    with monkeypatch.context() as m:
        m.setenv(NO_PREFILTER_ENV, "1")
        out, messages, problem = run_source(code, [step], path)
    return out != code or bool(messages) or problem is not None


SETUP_SHAPES = {
    # shape -> whether the anchors must let it through (True) or must rule it out (False);
    # None: either is right, only "ruled out => nothing found" is checked
    "class TestA:\n    def setUp(self):\n        self.x = 1\n": True,
    "class TestA(object):\n    def tearDown(self):\n        pass\n": True,
    "import unittest\nclass TestA(unittest.TestCase):\n    def setUp(self):\n        pass\n": False,
    "import unittest as u\nclass TestA(u.TestCase):\n    def setUp(self):\n        pass\n": False,
    "from unittest import TestCase as T\nclass TestA(T):\n    def setUp(self):\n        pass\n": False,
    "from unittest import mock, TestCase\nclass TestA(TestCase, object):\n    def setUpClass(cls):\n        pass\n": False,
    "class Base:\n    pass\nclass TestA(Base):\n    def setUp(self):\n        pass\n": True,
    "import unittest\nBase = unittest.TestCase\nclass TestA(Base):\n    def setUp(self):\n        pass\n": True,
    "from .base import B\nclass TestA(B):\n    def setUp(self):\n        pass\n": True,
    "class TestA((object)):\n    def setUp(self):\n        pass\n": None,
    "class TestA(object,  # plain\n):\n    def setUp(self):\n        pass\n": None,
    "class TestA(\n    object,\n):\n    def setUp(self):\n        pass\n": None,
    "class TestA(object, metaclass=M):\n    def setUp(self):\n        pass\n": None,
    "class Test1(object):\n    def setUp(self):\n        pass\n": True,
    "class TestA(object):\n    async def setUp(self):\n        pass\n": None,
    "class TestOuter:\n    class Inner:\n        def setUp(self):\n            pass\n": None,
    "class Outer:\n    class TestInner:\n        def setUp(self):\n            pass\n": True,
    "def setUp(self):\n    pass\nclass TestA:\n    x = 1\n": False,
    "class HelperTest:\n    def setUp(self):\n        pass\n": False,
    "if x:\n    class TestA:\n        def setUp(self):\n            pass\n": True,
    "try:\n    pass\nexcept E:\n    class TestA:\n        def setUp(self):\n            pass\n": True,
    "import unittest\nclass TestA(unittest.TestCase):\n    pass\nclass TestB(TestA):\n    def setUp(self):\n        pass\n": True,
    "from unittest import *\nclass TestA(TestCase):\n    def setUp(self):\n        pass\n": None,
    "import unittest\nclass TestA(unittest.TestCase):\n    def setUp(self):\n        pass\nunittest = 1\n": None,
    "class TestA(typing.Generic[T]):\n    def setUp(self):\n        pass\n": None,
    "class TestA(*bases):\n    def setUp(self):\n        pass\n": None,
}


@pytest.mark.parametrize("code", list(SETUP_SHAPES), ids=range(len(SETUP_SHAPES)))
def test_setup_recipe_shapes(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = code.encode()
    through = [
        _lets_through(s, data, "tests/test_a.py")
        for s in _pattern_steps("unittest-setup-to-pytest")
    ]
    expected = SETUP_SHAPES[code]
    if expected is not None:
        assert any(through) is expected
    for step, passed in zip(_pattern_steps("unittest-setup-to-pytest"), through, strict=True):
        if not passed:
            assert not _finds_something(step, data, "tests/test_a.py", monkeypatch), (step, code)


RULE_SHAPES = [
    # (options, code, must it be let through)
    (
        {"pattern": "def $F($$$): $$$", "constraints": {"F": {"regex": "^test_"}}, "message": "x"},
        "def helper():\n    pass\n",
        False,
    ),
    (
        {
            "pattern": "def $F($$$): $$$",
            "constraints": {"F": {"not": {"regex": "^_"}}},
            "message": "x",
        },
        "def _private():\n    pass\ndef public():\n    pass\n",
        True,
    ),
    (
        {
            "pattern": "class Config: $$$",
            "rule": {"inside": {"pattern": "class $_($$$): $$$"}},
            "message": "x",
        },
        "class Config:\n    pass\n",
        False,
    ),
    (
        {
            "pattern": "class Config: $$$",
            "rule": {"inside": {"pattern": "class $_($$$): $$$"}},
            "message": "x",
        },
        "class User:\n    class Config:\n        pass\n",
        True,
    ),
    (
        {
            "pattern": "class $C($$$B): $$$",
            "constraints": {"B": {"qualified_name": ["enum.Enum"]}},
            "message": "x",
        },
        "import enum\nclass C(enum.IntEnum):\n    pass\n",
        False,
    ),
    (
        {
            "pattern": "class $C($$$B): $$$",
            "constraints": {"B": {"qualified_name": ["enum.Enum"]}},
            "message": "x",
        },
        "from enum import Enum as E\nclass C(E):\n    pass\n",
        True,
    ),
    (
        # the own class spelled as the module's dotted path: LibCST names it `pkg.mod.Base`
        {
            "pattern": "class $C($$$B): $$$",
            "constraints": {"B": {"qualified_name": ["pkg.mod.Base"]}},
            "message": "x",
        },
        "class Base:\n    pass\nclass C(Base):\n    pass\n",
        True,
    ),
    (
        {
            "pattern": "class $C($$$B): $$$",
            "constraints": {"C": {"regex": "^Test"}, "B": {"regex": "^Base$"}},
            "rule": {
                "any": [
                    {"has": {"pattern": "def setUp($$$): $$$"}},
                    {"has": {"pattern": "def tearDown($$$): $$$"}},
                ]
            },
            "message": "x",
        },
        "class TestA(Other):\n    def setUp(self):\n        pass\n",
        False,
    ),
    (
        # LibCST's text of a base ends with what follows it on the line: a comment is read
        {"pattern": "class $C($$$B): $$$", "constraints": {"B": {"regex": "plain"}},
         "message": "x"},
        "class A(object,  # plain\n):\n    pass\n",
        True,
    ),
    (
        {"pattern": "class $C($$$B): $$$", "constraints": {"B": {"regex": "^\\(B\\)$"}},
         "message": "x"},
        "class A((B)):\n    pass\n",
        True,
    ),
    (
        # a base only LibCST's scopes can name (a relative import) is not ruled out
        {"pattern": "class $C($$$B): $$$",
         "constraints": {"B": {"not": {"qualified_name": ["pkg.base.B"]}}}, "message": "x"},
        "from .base import B\nclass C(B):\n    pass\n",
        True,
    ),
    (
        {"pattern": "class $C($$$B): $$$",
         "constraints": {"B": {"not": {"qualified_name": ["unittest.TestCase"]}}}, "message": "x"},
        "import unittest\nclass C(unittest.TestCase):\n    pass\n",
        False,
    ),
    (
        # the same metavariable in two patterns: its constraint is not read off either
        {
            "pattern": "def $F($$$): $$$",
            "rule": {"inside": {"pattern": "class $F($$$): $$$"}},
            "constraints": {"F": {"regex": "^zzz$"}},
            "message": "x",
        },
        "class A:\n    def A(self):\n        pass\n",
        True,
    ),
]


@pytest.mark.parametrize("options,code,through", RULE_SHAPES, ids=range(len(RULE_SHAPES)))
def test_rule_shapes(
    options: dict[str, object], code: str, through: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    (step,) = step_from_options("pattern", options)
    data = code.encode()
    passed = _lets_through(step, data, "pkg/mod.py")
    assert passed is through
    if not passed:
        assert not _finds_something(step, data, "pkg/mod.py", monkeypatch)


def _stdlib_ruled_out(recipe: str, limit: int) -> list[tuple[CompiledStep, Path]]:
    """Stdlib files the step's needles let through and its anchors rule out."""
    steps = _pattern_steps(recipe)
    out: list[tuple[CompiledStep, Path]] = []
    files = sorted(STDLIB.glob("test/test_*.py")) + sorted(STDLIB.glob("unittest/test/*.py"))
    for path in files:
        data = path.read_bytes()
        if len(data) > 40_000:
            continue  # keep LibCST's share of the test small; the shapes above cover the rest
        source = Source(data)
        ctx = case_context("tests/" + path.name)
        try:
            source.tree  # noqa: B018
        except SyntaxError:
            continue
        for step in steps:
            needles = step.step.needles()
            if needles is not None and not any(all(n.encode() in data for n in g) for g in needles):
                continue
            if not step.step.precheck(source, ctx):
                out.append((step, path))
    return out[:: max(1, len(out) // limit)][:limit]


def test_stdlib_files_the_anchors_rule_out_have_no_match(monkeypatch: pytest.MonkeyPatch) -> None:
    ruled_out = _stdlib_ruled_out("unittest-setup-to-pytest", 24)
    assert len(ruled_out) >= 20  # the anchors really do rule out unittest code
    for step, path in ruled_out:
        data = path.read_bytes()
        assert not _finds_something(step, data, "tests/" + path.name, monkeypatch), path
