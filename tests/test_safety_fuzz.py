"""Property-based fuzzing: small generated modules full of what the steps look for.

Hypothesis builds modules from calls with keyword arguments (aliased, through modules,
with ``**kwargs``), every import spelling, async defs and setup methods that await, pytest
decorators and marks, comments and strings that mention the names, CRLF line endings and
missing final newlines. Every step type (with options that match the generated code), and a
recipe chaining them, must then keep the same invariants as the real-corpus test:

* nothing fails (a crash, a step error, or output that does not parse is a bug);
* changed output parses, and compiles when the input did;
* a second run changes nothing;
* an unchanged file comes back as "unchanged", not rewritten.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemods.engine.results import Status
from codemods.engine.transform import transform_source
from codemods.recipe import CompiledStep
from codemods.steps import FileContext, all_steps

OPTIONS: dict[str, dict[str, Any]] = {
    # the chained test runs these in this order: the await goes before sync_setup_methods looks
    "pattern": {
        "pattern": "await $CALL",
        "constraints": {"CALL": {"kind": "Call", "qualified_name": ["*.connect", "pkg.make"]}},
        "fix": "$CALL",
    },
    "remove_kwarg": {"callables": ["*.connect", "pkg.make"], "keyword": "timeout"},
    "map_kwarg": {
        "callables": ["*.connect", "pkg.make"],
        "old": "timeout",
        "new": "deadline",
        "values": {"1": "2", "$V": "($V)"},
    },
    "positional_to_keyword": {"callables": ["*.connect", "pkg.make"], "position": 0, "keyword": "x"},
    "gone_module": {"module": "pkg", "moved": {"make": "pkg.factory"}},
    "rename_kwarg": {"callables": ["*.connect", "pkg.make"], "old": "timeout", "new": "deadline"},
    "rename_symbol": {"old": "pkg.make", "new": "pkg.factory.build"},
    "rename_module": {"old": "pkg", "new": "newpkg.core"},
    "remove_import": {"module": "os"},
    "rename_marker": {"old": "slow", "new": "sluggish"},
    "sync_setup_methods": {},
    "add_asyncio_marker": {},
    "register_markers": {},
}

IMPORTS = [
    "import os",
    "import os.path",
    "import pytest",
    "import asyncio",
    "import pkg",
    "import pkg as p",
    "import pkg.sub",
    "from pkg import make",
    "from pkg import make as mk",
    "from pkg import make, other",
    "from pkg import (\n    make,\n    other,  # keep\n)",
    "from pkg.sub import thing",
    "from net import connect",
    "from net import connect as conn",
    "from . import pkg",
    "from __future__ import annotations",
]
CALLEES = ["connect", "conn", "make", "mk", "pkg.make", "p.make", "other", "os.getcwd", "thing"]
ARGS = ["x", "timeout=1", "deadline=2", "**kw", "*a", "flag=True", "timeout=(1, 2)"]
BODIES = [
    "pass",
    "return {call}",
    "await {call}",
    "await super().setup_method(method)",
    "self.value = {call}",
    "assert {call}",
    "x = [\n        {call},\n    ]",
]
DECORATORS = [
    "@pytest.mark.asyncio",
    "@pytest.mark.slow",
    "@pytest.mark.parametrize('a', [1, 2])",
    "@decorator",
    "@pkg.make",
]
SIGNATURES = [
    "def test_{n}()",
    "async def test_{n}()",
    "async def helper_{n}(x)",
    "def f_{n}(timeout=1)",
]
METHODS = [
    "async def setup_method(self, method)",
    "async def teardown_method(self)",
    "def setup_method(self, method)",
    "async def test_m{n}(self)",
    "async def setup_class(cls)",
]
TRAILERS = [
    "# connect(timeout=1) and pkg.make in a comment",
    "'''pkg.make and os in a docstring'''",
    "pytestmark = pytest.mark.slow",
    "pytestmark = [pytest.mark.asyncio, pytest.mark.slow]",
    "if True:\n    import os\n    os.getcwd()",
    "print(os.sep)",
    "",
]


@st.composite
def calls(draw: st.DrawFn) -> str:
    callee = draw(st.sampled_from(CALLEES))
    args = draw(st.lists(st.sampled_from(ARGS), max_size=4, unique=True))
    positional = [a for a in args if "=" not in a and not a.startswith("*")]
    star = [a for a in args if a.startswith("*") and not a.startswith("**")]
    keywords = [a for a in args if "=" in a]
    double = [a for a in args if a.startswith("**")]
    joined = ", ".join(positional + star + keywords + double)
    if draw(st.booleans()) and joined:
        joined = "\n    " + joined.replace(", ", ",\n    ") + ",\n"
    return f"{callee}({joined})"


@st.composite
def functions(draw: st.DrawFn, n: int) -> str:
    decorators = draw(st.lists(st.sampled_from(DECORATORS), max_size=2, unique=True))
    signature = draw(st.sampled_from(SIGNATURES)).format(n=n)
    body = draw(st.sampled_from(BODIES)).format(call=draw(calls()))
    if "await" in body and not signature.startswith("async"):
        body = "pass" if draw(st.booleans()) else body  # sometimes a sync test that awaits
    return "\n".join([*decorators, f"{signature}:", f"    {body}"])


@st.composite
def classes(draw: st.DrawFn, n: int) -> str:
    bases = draw(st.sampled_from(["", "(Base)", "(unittest.TestCase)"]))
    lines = [f"class Test{n}{bases}:"]
    for i, method in enumerate(draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3))):
        body = draw(st.sampled_from(BODIES)).format(call=draw(calls()))
        if "await" in body and not method.startswith("async"):
            body = "pass"
        lines += [f"    {method.format(n=i)}:", f"        {body}", ""]
    return "\n".join(lines)


@st.composite
def modules(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.sampled_from(IMPORTS), max_size=5, unique=True))
    parts.sort(key=lambda line: not line.startswith("from __future__"))
    for n in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["call", "function", "class", "trailer"]))
        if kind == "call":
            parts.append(f"result_{n} = {draw(calls())}")
        elif kind == "function":
            parts.append(draw(functions(n)))
        elif kind == "class":
            parts.append(draw(classes(n)))
        else:
            parts.append(draw(st.sampled_from(TRAILERS)))
    text = "\n\n".join(parts) + "\n"
    if draw(st.booleans()):
        text = text.rstrip("\n")  # no final newline
    data = text.encode()
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    return data


def _steps(ids: list[str]) -> list[CompiledStep]:
    steps = all_steps()
    out = []
    for step_id in ids:
        step_type = steps[step_id]
        out.append(
            CompiledStep(step_type(step_type.Options.model_validate(OPTIONS[step_id])), "fuzz")
        )
    return out


def _compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _run(data: bytes, steps: list[CompiledStep], path: str) -> Any:
    ctx = FileContext(path=Path(path), relpath=path, module_name=path[:-3].replace("/", "."))
    return transform_source(data, steps, ctx, path)


def check_invariants(data: bytes, steps: list[CompiledStep], path: str) -> Any:
    outcome = _run(data, steps, path)
    assert outcome.status is not Status.FAILED, (outcome.reason, outcome.detail, data.decode())
    if outcome.status is not Status.CHANGED:
        assert outcome.new is None
        return outcome
    new = outcome.new
    assert new is not None and new != data
    cst.parse_module(new)
    if _compiles(data):
        assert _compiles(new), new.decode()
    if b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""):
        assert b"\n" not in new.replace(b"\r\n", b""), "line endings were changed"
    again = _run(new, steps, path)
    assert again.status is not Status.CHANGED, (
        f"second run changed it again:\n{new.decode()}\n---\n{(again.new or b'').decode()}"
    )
    return outcome


def _known(ids: list[str]) -> list[str]:
    return [i for i in ids if i in all_steps()]


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@pytest.mark.parametrize("step_id", _known(list(OPTIONS)))
@FUZZ
@given(data=modules(), path=st.sampled_from(["tests/test_mod.py", "pkg_user.py"]))
def test_each_step_keeps_the_invariants(step_id: str, data: bytes, path: str) -> None:
    check_invariants(data, _steps([step_id]), path)


@FUZZ
@given(data=modules(), path=st.sampled_from(["tests/test_mod.py", "app/service.py"]))
def test_all_steps_chained_keep_the_invariants(data: bytes, path: str) -> None:
    check_invariants(data, _steps(_known(list(OPTIONS))), path)


def test_every_step_type_is_fuzzed() -> None:
    """A new step type needs options here that match the generated code."""
    missing = sorted(set(all_steps()) - set(OPTIONS))
    assert not missing, f"add fuzzing options for: {missing}"
