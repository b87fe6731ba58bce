"""The differential oracle over real code: the composed recipe of issue 19, pyflakes-checked.

:data:`codemods.oracle.COMPOSED` (rename_kwarg of ``warnings.warn`` / ``subprocess.run``
keywords, rename_symbol of ``collections.OrderedDict`` and ``functools.wraps``, rename_module
``unittest.mock -> mock`` and ``getopt``, remove_import of ``os``/``sys``/``typing`` where
unused) runs as one chain over real files: the interpreter's stdlib and the installed
``rich``, ``pydantic`` and ``hypothesis`` packages. For each changed file pyflakes runs before
and after, and the oracle fails on a new undefined name or local, a new redefinition of an
unused name, an unused import of an old path, a file that stops compiling, a second run that
changes it again.

The default suite checks a small fixed sample; ``-m slow`` (CI) every candidate file of the
whole corpus (two worker processes); ``bench/oracle_corpus.py`` the stdlib plus a pinned set
of other packages (attrs, httpx, requests, rich, click) in a throwaway venv.
"""

from __future__ import annotations

import functools
import importlib.util
import sysconfig
from pathlib import Path

import pytest

from codemods.oracle import Report, composed_steps, run_corpus, run_corpus_parallel
from tests.conftest import SAFETY_REPORT

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PACKAGES = ("rich", "pydantic", "hypothesis")
NEEDLES = (
    b"OrderedDict",
    b"wraps",
    b"unittest.mock",
    b"getopt",
    b"warn(",
    b"subprocess",
    b"typing",
    b"import os",
    b"import sys",
)
#: Files that once broke (kept in the fast sample whatever the sampling picks).
KNOWN = ("distutils/tests/test_spawn.py", "test/test_call.py", "unittest/test/testmock/support.py")


@functools.cache
def candidates() -> tuple[tuple[Path, str], ...]:
    roots = [(STDLIB, STDLIB)]
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            package = Path(next(iter(spec.submodule_search_locations)))
            roots.append((package, package.parent))
    out = []
    for top, base in roots:
        for path in sorted(top.rglob("*.py")):
            rel = path.relative_to(base)
            if {"site-packages", "dist-packages", "__pycache__"} & set(rel.parts[:-1]):
                continue
            if path.is_file() and any(n in path.read_bytes() for n in NEEDLES):
                out.append((path, rel.as_posix()))
    return tuple(out)


def _assert_clean(report: Report) -> None:
    assert report.changed, "the composed recipe changed nothing: the oracle tested nothing"
    assert not report.failed and not report.by_kind, "\n".join(map(str, report.findings))


def test_oracle_sample() -> None:
    files = candidates()
    small = [f for f in files if f[0].stat().st_size < 8_000]
    sample = dict.fromkeys([*small[::25], *(f for f in files if f[1] in KNOWN)])
    report = run_corpus(sample, composed_steps())
    _assert_clean(report)


@pytest.mark.slow
def test_oracle_corpus(request: pytest.FixtureRequest) -> None:
    files = candidates()
    report = run_corpus_parallel(files, jobs=2)
    lines = request.config.stash.setdefault(SAFETY_REPORT, [])
    lines.append(f"oracle (composed recipe, every candidate file): {report.summary()}")
    lines += [f"  {step}: {n} files changed" for step, n in sorted(report.per_step.items())]
    _assert_clean(report)
    for step_id in ("rename_kwarg", "rename_symbol", "rename_module", "remove_import"):
        assert report.per_step[step_id], f"{step_id} changed nothing"


def test_parallel_oracle_reports_what_the_serial_one_does() -> None:
    """The slow pass runs the oracle in two processes: same files, findings and counts."""
    files = [f for f in candidates() if f[0].stat().st_size < 6_000][::60][:8]
    files += [f for f in candidates() if f[1] in KNOWN]
    serial = run_corpus(files, composed_steps())
    parallel = run_corpus_parallel(files, jobs=2)
    assert serial.changed, "the sample changed nothing: the comparison compares nothing"
    assert (parallel.files, parallel.changed, parallel.changed_paths) == (
        serial.files,
        serial.changed,
        serial.changed_paths,
    )
    assert [str(f) for f in parallel.findings] == [str(f) for f in serial.findings]
    assert parallel.per_step == serial.per_step
