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


CHAINS = [
    [
        ("rename_module", {"old": "pkg.util", "new": "pkg.utils"}),
        ("rename_symbol", {"old": "pkg.utils.helper", "new": "pkg.utils.assist"}),
    ],
    [
        ("rename_symbol", {"old": "a.old1.f", "new": "a.h.f"}),
        ("rename_symbol", {"old": "a.old2.f", "new": "a.h.f"}),
        ("remove_import", {"module": "a.h", "names": ["*"]}),
    ],
    [
        ("rename_module", {"old": "unittest.mock", "new": "mock"}),
        ("rename_kwarg", {"callables": ["mock.patch"], "old": "new", "new": "replacement"}),
    ],
]
CHAIN_SOURCE = b"""import unittest.mock
from pkg.util import helper
from a.old1 import f
from pkg import util

print(f(), helper(), util.helper())

from a.old2 import f

print(f())


class T(unittest.TestCase):
    @unittest.mock.patch("os.sep", new="/")
    def test_it(self):
        pass
"""


@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: "+".join(s for s, _ in c))
def test_chains_same_with_and_without_precheck(
    chain: list[tuple[str, dict[str, object]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later step that matches only what an earlier one wrote runs with the pre-check on
    (the output equals the unfiltered one), and the chain's output passes pyflakes."""
    steps = [s for step_id, options in chain for s in step_from_options(step_id, dict(options))]
    filtered, _, problem = run_source(CHAIN_SOURCE, steps, "app/x.py")
    assert problem is None
    monkeypatch.setenv("CODEMOD_NO_PREFILTER", "1")
    unfiltered, _, _ = run_source(CHAIN_SOURCE, steps, "app/x.py")
    assert filtered == unfiltered
    assert filtered != CHAIN_SOURCE
    before, after = pyflakes_counts(CHAIN_SOURCE), pyflakes_counts(filtered)
    assert before is not None and after is not None
    assert not {k: n for k, n in (after - before).items() if k[0] in BROKEN}, filtered.decode()


def _ruff_isort_clean(tmp: Path, files: dict[str, bytes]) -> set[str]:
    """Which of ``files`` ``ruff check --select I`` (default settings) finds nothing in."""
    import json
    import subprocess
    import sys

    for name, data in files.items():
        (tmp / name).write_bytes(data)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "I",
            "--output-format",
            "json",
            "--no-cache",
            ".",
        ],
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )
    flagged = {Path(item["filename"]).name for item in json.loads(result.stdout or "[]")}
    return set(files) - flagged


def test_isort_clean_files_stay_isort_clean(tmp_path: Path) -> None:
    """A file that ``ruff check --select I`` passed still passes after the rewrite."""
    befores: dict[str, bytes] = {}
    afters: dict[str, bytes] = {}
    for case_dir in _cases():
        case = load_case_dir(case_dir)
        if case.before is None or case_dir.parent.name == "rename_kwarg":
            continue
        name = f"{case_dir.parent.name}__{case_dir.name}.py"
        out, _, problem = run_source(
            case.before, step_from_options(case_dir.parent.name, case.options), case.path
        )
        assert problem is None
        befores[name], afters[name] = case.before, out
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    clean = _ruff_isort_clean(tmp_path / "before", befores)
    assert len(clean) > 30  # the check checks something
    still = _ruff_isort_clean(tmp_path / "after", {n: afters[n] for n in clean})
    assert clean == still, f"no longer isort-clean: {sorted(clean - still)}"
