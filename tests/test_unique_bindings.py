"""The ast shortcut of the pattern step's name resolution gives LibCST's answer, on real code.

For every Name/Attribute chain read in a sample of the interpreter's standard library (plus
hand-made shapes where the shortcut must stand aside), :class:`Resolver` with the module
attached (the ``ast`` table of names bound once by an import) and without it (LibCST's scopes
only) must give the same qualified names and the same "bound" answer.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ScopeProvider

from codemods.analysis.pattern_match import Resolver, literal_chain
from codemods.analysis.pattern_rules import ModuleIndex
from codemods.analysis.unique_bindings import unique_bindings
from tests.stdlib_trees import stdlib_trees

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _compare(code: str) -> tuple[int, int]:
    """(chains compared, chains the shortcut answered); asserts every answer agrees."""
    module = cst.parse_module(code)
    scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    index = ModuleIndex.build(module, scopes, "pkg.mod")
    slow = Resolver(scopes, "pkg.mod", index.parents)
    fast = index.resolver
    table = unique_bindings(code)
    compared = answered = 0
    for node in index.order:
        if not isinstance(node, cst.Name | cst.Attribute):
            continue
        chain = literal_chain(node)
        if chain is None or not fast.is_reference(node):
            continue
        compared += 1
        if table is not None and table.resolve(chain) is not None:
            answered += 1
        assert fast.names(node) == slow.names(node), (chain, code[:200])
    return compared, answered


SHAPES = [
    "import a.b\nimport a.b as ab\nfrom c import d as e\nfrom c.f import g\nimport h\n"
    "class K(a.b.C, ab.D, e.F, g, h.I.J, e, list, unknown, a.x): pass\n",
    "from . import rel\nfrom .x import y\nx = rel.Z, y.W\n",  # relative: the scopes answer
    "import os\ndef f(os):\n    return os.path\nos.sep\n",  # also a parameter
    "import os\nclass C:\n    import sys\n    v = sys.argv\nos.sep\n",  # class-body import
    # star imports: LibCST's scopes bind nothing for them, nor does the table
    "from m import *\nimport os\nos.sep\nx = y\n",
    "try:\n    from _m import *\nexcept ImportError:\n    pass\nimport unittest\n"
    "class T(unittest.TestCase, Base, os.X):\n    pass\nBase = 1\n",
    "import os\nfrom os import *\nos.sep, path.join, sep\ndef f():\n    from sys import *\n",
    "import os\ndef f():\n    global os\n    os = 1\nos.sep\n",
    "import os\nfor os in []: pass\nos.sep\n",
    "try:\n    import json\nexcept ImportError:\n    json = None\njson.dumps\n",
    "if x:\n    import json\njson.dumps\n__name__, __file__, print, nowhere.attr\n",
    "def f():\n    import json\n    return json.dumps\njson.loads\n",  # function-local import
    "import json\n[json for json in ()]\njson.dumps\n",
    "import json\nmatch v:\n    case {**json}: pass\njson.dumps\n",
    "import json\ntry:\n    pass\nexcept E as json:\n    pass\njson.dumps\n",
    "import typing\nx: typing.List[int]\ndef f(a: typing.Any) -> typing.Optional[int]: ...\n",
    # several plain module-level imports of one package
    "import unittest\nimport unittest.mock\nclass T(unittest.TestCase, unittest.mock.Mock):\n"
    "    pass\nunittest.main\nunittest.mock\n",
    "import a.b\nimport a.c\nimport a.b\na.b.x, a.c.y, a.d\n",
    "import a.b\nimport a\na.b.x, a.d\ndef f():\n    import a.e\n    return a.e\n",
    "import a.b\nimport a.c as a\na.b.x\n",
    # the file's own module-level class, def or assignment, bound once
    "class Base: pass\nclass TestX(Base):\n    def f(self):\n        return Base.x\nBase.y.z\n",
    "def f(): pass\nf.attr\nclass C:\n    g = f\n    def h(self):\n        return f()\n",
    "X = 1\ndef f():\n    return X.real\nY: int = 2\nY\nA, B = 1, 2\nA.b\n",
    "X = 1\ndel X\nZ += 1\nZ\n(W := 1)\nW\nT = [V for V in ()]\nT\n",
    "class C: pass\nC = 1\nC\nif a:\n    def g(): pass\ng()\n",
    "def outer():\n    Inner = 1\n    return Inner\nInner\nclass K:\n    Q = 1\n    R = Q\nQ\n",
    "import typing\nT = typing.TypeVar('T')\nclass G(typing.Generic[T]):\n    x: T\n",
    "def f():\n    global G2\n    G2 = 1\nG2\nclass D:\n    pass\ndef m():\n    D = 2\n    return D\n",
    "def f(Pm=1):\n    return Pm\nPm = 3\nPm\n",
    # read at module level before the binding: LibCST's scopes see no binding there
    "import unittest\nclass T(unittest.TestCase, Base):\n    pass\nBase = 1\nBase\n",
    "class T(unittest.TestCase):\n    pass\nimport unittest\nunittest.main\n",
    "import a\nx = a.b.c\nimport a.b\ny = a.b.c\ndef f():\n    return a.b.c\n",
    "def f():\n    return Later.x\nclass Later: pass\n",  # a function body reads it later
]


@pytest.mark.parametrize("code", SHAPES)
def test_the_shortcut_agrees_with_libcst_on_every_shape(code: str) -> None:
    _compare(code)


def test_the_shortcut_agrees_with_libcst_on_stdlib_code() -> None:
    files = sorted((STDLIB / "test").glob("test_*.py"))[::90] + sorted(STDLIB.glob("*.py"))[::50]
    compared = answered = 0
    for path in files:
        try:
            code = path.read_text(encoding="utf-8")
            cst.parse_module(code)
        except (UnicodeDecodeError, cst.ParserSyntaxError, RecursionError):
            continue
        c, a = _compare(code)
        compared, answered = compared + c, answered + a
    assert compared > 2_000
    # most reads are locals, `self` and parameters (the scopes answer those); the shortcut
    # must still really answer (on the whole stdlib: ~16% of all chains, most import uses)
    assert answered > compared // 10, (answered, compared)


def test_the_table_from_an_already_parsed_tree_is_the_table_from_the_source() -> None:
    """The pattern step's anchors hand over the ``ast`` the engine parsed (no type comments)
    instead of parsing again: the table must not change, type comments included."""
    import ast

    from codemods.analysis import unique_bindings as ub

    shapes = [
        "import a\nx = 1  # type: a.B\ndef f(y):\n    # type: (a.C) -> None\n    pass\n",
        "from typing import List\nz = []  # type: List[int]\nprint(q)\n",
    ]
    files = sorted(STDLIB.glob("*.py"))[::12] + sorted(STDLIB.glob("test/test_*.py"))[::25]
    for data in [s.encode() for s in shapes] + [f.read_bytes() for f in files]:
        ub._LAST.clear()
        from_source = unique_bindings(data)
        ub._LAST.clear()
        from_tree = unique_bindings(data, ast.parse(data))
        assert from_tree == from_source


def test_the_table_narrowed_to_class_bases_answers_as_the_whole_one() -> None:
    """The pattern step's anchors ask the table about class bases alone, so it is built for
    their roots (``only``): for every base chain of the stdlib's classes it must answer as
    the table of every name does, and leave any other root to the scopes."""
    import ast

    from codemods.analysis import per_file
    from codemods.analysis.signatures import dotted

    compared = 0
    files = [*sorted(STDLIB.glob("[a-h]*.py")), *sorted((STDLIB / "test").glob("test_[a-c]*.py"))]
    for path, text, tree in stdlib_trees(files):
        chains = {
            chain
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            for chain in map(dotted, node.bases)
            if chain is not None
        }
        roots = frozenset(c.partition(".")[0] for c in chains)
        with per_file.one_file():
            full = unique_bindings(text, tree)
            narrow = unique_bindings(text, tree, roots)
        if full is None:
            assert narrow is None
            continue
        assert narrow is not None and narrow is not full
        for chain in chains:
            assert narrow.resolve(chain, "m") == full.resolve(chain, "m"), (path, chain)
            compared += 1
        outside = next((n for n in full.targets if n not in roots), None)
        if outside is not None:
            assert narrow.resolve(outside, "m") is None
    assert compared > 300
