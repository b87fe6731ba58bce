"""A per-file time and memory budget: a file that needs more is skipped with a reason, in
this process (small runs), in worker processes, and for files whose cost is in native code."""

from __future__ import annotations

import importlib
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest

from codemods.engine import Status, make_plan, run
from codemods.engine.budget import Budget
from codemods.recipe import CompiledStep, Recipe
from codemods.steps import FileContext, Step, StepOptions
from tests.cli_helpers import CODEMOD, RECIPE, codemod

OLD = "from app import UserExecutionContext\nx = UserExecutionContext(session_id=1)\n"


class _Spins(Step[StepOptions]):
    """Loop forever on files that say so (test step)"""

    id: ClassVar[str] = "spins"

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        if "SPIN" in module.code:
            while True:  # pure Python: only the watchdog can stop it
                pass
        return module


class _Grows(Step[StepOptions]):
    """Allocate without end on files that say so (test step)"""

    id: ClassVar[str] = "grows"

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        hoard = []
        if "GROW" in module.code:
            for _ in range(2_000):  # 10 MB every 10 ms: at most 20 GB, never reached
                hoard.append(bytearray(10_000_000))
                time.sleep(0.01)
        return module


def _plan(tmp_path: Path, step: Step[StepOptions], bad: str, files: int) -> object:
    for n in range(files):
        (tmp_path / f"f{n:02d}.py").write_text(f"x = {n}\n")
    (tmp_path / "bad.py").write_text(f"# {bad}\nx = 1\n")
    recipe = Recipe("t", "t", "t", "", (CompiledStep(step, "test"),), fingerprint="t")
    return make_plan(recipe, [tmp_path])


@pytest.mark.parametrize(("jobs", "files"), [(1, 3), (2, 6)], ids=["in-process", "workers"])
def test_a_file_over_time_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int, files: int
) -> None:
    monkeypatch.setattr(importlib.import_module("codemods.engine.run"), "PARALLEL_MIN_FILES", 4)
    plan = _plan(tmp_path, _Spins(StepOptions()), "SPIN", files)
    results = {r.relpath: r for r in run(plan, jobs=jobs, budget=Budget(1.0, None))}  # type: ignore[arg-type]
    bad = results["bad.py"]
    assert bad.status is Status.SKIPPED and bad.reason == "over budget"
    assert bad.detail is not None and "took more than 1 s" in bad.detail
    assert all(r.status is Status.UNCHANGED for p, r in results.items() if p != "bad.py")
    assert len(results) == files + 1


@pytest.mark.parametrize(("jobs", "files"), [(1, 3), (2, 6)], ids=["in-process", "workers"])
def test_a_file_over_memory_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int, files: int
) -> None:
    monkeypatch.setattr(importlib.import_module("codemods.engine.run"), "PARALLEL_MIN_FILES", 4)
    plan = _plan(tmp_path, _Grows(StepOptions()), "GROW", files)
    results = {r.relpath: r for r in run(plan, jobs=jobs, budget=Budget(None, 150))}  # type: ignore[arg-type]
    bad = results["bad.py"]
    assert bad.status is Status.SKIPPED and bad.reason == "over budget"
    assert bad.detail is not None and "needed more than 150 MB" in bad.detail
    assert all(r.status is Status.UNCHANGED for p, r in results.items() if p != "bad.py")


def test_native_parser_blowups_are_stopped_by_the_budget(tmp_path: Path) -> None:
    """LibCST's own cost (not a step's): a 5,900-deep unary chain needs ~2 GB, a one-line
    1,000,000-element list well over the 3 s allowed here (300,000 did too while the cyclic
    collector ran during a file's work; ~3 s without it). Such files run in a child process with hard limits."""
    (tmp_path / "chain.py").write_text(OLD.replace("=1)", "=" + "-" * 5_900 + "1)"))
    (tmp_path / "ok.py").write_text(OLD)
    run = ("preview", RECIPE, ".", "--no-cache")
    done = codemod(tmp_path, *run, "--file-memory", "400", "--file-timeout", "0")
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert "chain.py: skipped: over budget: needed more than 400 MB (--file-memory)" in err
    assert "+++ b/ok.py" in done.stdout.decode()
    (tmp_path / "chain.py").unlink()
    (tmp_path / "biglist.py").write_text(OLD + "y = [" + "1, " * 1_000_000 + "]\n")
    done = codemod(tmp_path, *run, "--file-memory", "0", "--file-timeout", "3")
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert "biglist.py: skipped: over budget: took more than 3 s (--file-timeout)" in err
    assert "+++ b/ok.py" in done.stdout.decode()


def test_a_sparse_huge_file_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.py"
    with big.open("wb") as handle:
        handle.write(OLD.encode())
        handle.truncate(30 * 1024**3)  # 30 GB, sparse: nothing is stored
    (tmp_path / "ok.py").write_text(OLD)

    def limit() -> None:  # whatever the code does, it cannot take the machine down
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))

    done = subprocess.run(
        [*CODEMOD, "preview", RECIPE, ".", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=limit,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # used to be "internal error: MemoryError"
    assert b"huge.py: skipped: too large: 32,212.3 MB" in done.stderr
    assert b"+++ b/ok.py" in done.stdout
