"""Every fixture case of the steps that move, rename or remove imports, checked by pyflakes.

The text comparison in ``test_fixture_cases`` says the output is what we expected; this says
it still runs: pyflakes on ``before.py`` and on the output, and nothing new may appear (an
undefined name or local, a redefinition of an unused import, an import shadowed by a loop
variable, an unused import of the old path). The output must compile too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.oracle import compiles, pyflakes_counts
from codemods.testing import iter_case_dirs, load_case_dir, run_source, step_from_options
from tests.conftest import FIXTURES

STEPS = ("rename_module", "rename_symbol", "rename_kwarg", "remove_import")
BROKEN = {"UndefinedName", "UndefinedLocal", "RedefinedWhileUnused", "ImportShadowedByLoopVar"}


def _cases() -> list[Path]:
    return [c for s in STEPS for c in iter_case_dirs(FIXTURES / "steps" / s)]


def _old_paths(options: dict[str, object]) -> list[str]:
    paths = [str(options[k]) for k in ("old", "module") if k in options]
    return [p.replace(":", ".") for p in paths]


@pytest.mark.parametrize("case_dir", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_output_gains_no_pyflakes_problem(case_dir: Path) -> None:
    case = load_case_dir(case_dir)
    if case.before is None:
        pytest.skip("tree case")
    steps = step_from_options(case_dir.parent.name, case.options)
    out, _, problem = run_source(case.before, steps, case.path)
    assert problem is None
    assert compiles(out) or not compiles(case.before)
    before, after = pyflakes_counts(case.before), pyflakes_counts(out)
    assert before is not None and after is not None
    new = after - before
    broken = {k: n for k, n in new.items() if k[0] in BROKEN}
    assert not broken, f"the rewrite introduced {broken}:\n{out.decode()}"
    old = _old_paths(case.options)
    new_path = str(case.options.get("new", "\0")).replace(":", ".")
    unused_old = [
        name
        for kind, name in new
        if kind == "UnusedImport"
        and any(_under(name, p) for p in old)
        and not _under(name, new_path)
    ]
    assert not unused_old, f"unused import of the old path left: {unused_old}\n{out.decode()}"


def _under(name: str, path: str) -> bool:
    return name == path or name.startswith(path + ".")
