"""The cheap start positions give exactly what LibCST's ``PositionProvider`` gives."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods.analysis.positions import start_position, start_positions

STDLIB = Path(sysconfig.get_paths()["stdlib"])

SHAPES = [
    "x = 1\n",
    "@deco\n# comment\nclass A(B):\n    '''doc'''\n\n    def f(self):  # c\n        return (\n            1 +\n 2)\n",
    "if a:\n    pass\nelif b:\n    x = [\n        i for i in y\n    ]\nelse:\n    pass\n",
    "x = 1\r\ny = '''a\r\nb'''\r\ndef f():\r\n    return x\r\n",
    "s = 'é' + \"ü\"; t = f'{s!r:>{w}}'\nasync def g():\n    async with a as b:\n        await c\n",
    "try:\n    pass\nexcept* E as e:\n    raise\nfinally:\n    del x\n",
    "match p:\n    case [1, *rest] if rest:\n        pass\n    case {'k': v, **kw}:\n        pass\n",
    "\n\n# only comments and blank lines before\n\nimport os\n",
    "def f(a, /, b=1, *args, c: int = 2, **kw) -> 'T':\n    lambda x: (yield)\n",
    "class C: x = 1; y = 2\nwith (a as b, c as d): pass\n",
]


def _compare(code: str) -> int:
    module = cst.parse_module(code)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = list(expected)
    got = start_positions(module, nodes)
    for node in nodes:
        start = expected[node].start
        assert got[node] == (start.line, start.column), (type(node).__name__, code[:80])
    return len(nodes)


@pytest.mark.parametrize("code", SHAPES, ids=range(len(SHAPES)))
def test_every_node_of_each_shape(code: str) -> None:
    assert _compare(code) > 0


def test_every_node_of_stdlib_files() -> None:
    files = sorted(STDLIB.glob("*.py"))[::25] + sorted((STDLIB / "test").glob("test_*.py"))[::120]
    compared = sum(_compare(path.read_text(encoding="utf-8")) for path in files)
    assert compared > 50_000


def test_a_few_nodes_and_a_stranger() -> None:
    module = cst.parse_module("import os\n\n\ndef f():\n    return os.sep\n")
    func = module.body[1]
    assert isinstance(func, cst.FunctionDef)
    assert start_position(module, func) == (4, 0)
    assert start_position(module, func.body) == (5, 4)  # a block starts at its first statement
    assert start_position(module, cst.Name("elsewhere")) is None
