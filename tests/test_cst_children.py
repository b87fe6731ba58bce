"""``cst_children.children`` gives LibCST's ``node.children`` (same nodes, same order) on
every node of real stdlib files and of odd shapes."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from codemods.analysis.cst_children import children

STDLIB = Path(sysconfig.get_paths()["stdlib"])

SHAPES = [
    "@d\n@e(1)\nasync def f(a, /, b: int = 1, *c, d, e=2, **g) -> T: ...\n",
    "def f(*, a): ...\ndef g(a, /): ...\nlambda a, *b, c=1, **d: (a, b)\n",
    "x = [*a, *b]\ny = {**a, 'k': v, **b}\nz = f(*a, k=1, *b, **c)\n",
    "with (a as b, c as d):\n    pass\nmatch p:\n    case [1, *rest] | {'k': v, **kw} if g:\n        pass\n",
    "a < b <= c != d\nx = a if b else c\n(yield)\nf'{a!r:>{w}} {b=}'\n",
    "try:\n    pass\nexcept* E as e:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
    "from . import (a,\n    b as c,  # note\n)\nimport x.y as z, w\nglobal q\n",
    "x: int\ny: 'A' = 1\nz[1:2, ::3] += 1\ndel a, (b), [c]\nassert x, 'm'\n",
    "class C(B, metaclass=M):\n    x = 1; y = 2\n    @property\n    def p(self): return self\n",
    "for a, *b in c:\n    break\nelse:\n    continue\nwhile x: pass\nif a: pass\nelif b: pass\n",
    "print(a, sep='', end='\\n')\n[x async for x in y if x]\n{k: v for k, v in d}\n(await x)\n",
]


def _same(code: str) -> int:
    module = cst.parse_module(code)
    stack: list[cst.CSTNode] = [module]
    count = 0
    while stack:
        node = stack.pop()
        fast, real = children(node), node.children
        assert [id(c) for c in fast] == [id(c) for c in real], (type(node).__name__, code[:80])
        count += 1
        stack.extend(real)
    return count


@pytest.mark.parametrize("code", SHAPES)
def test_children_on_every_shape(code: str) -> None:
    _same(code)


def test_children_on_stdlib_code() -> None:
    total = 0
    for path in (
        sorted(STDLIB.glob("*.py"))[::15] + sorted((STDLIB / "test").glob("test_*.py"))[::80]
    ):
        try:
            code = path.read_text(encoding="utf-8")
            total += _same(code)
        except (UnicodeDecodeError, cst.ParserSyntaxError, RecursionError):
            continue
    assert total > 100_000
