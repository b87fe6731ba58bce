"""Worker processes: the same results as a single-process run, in the same order, streamed."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, ClassVar

import libcst as cst
import pytest
from typer.testing import CliRunner

from codemods.analysis.project import ProjectIndex
from codemods.cli import app
from codemods.engine import Status, make_plan, run
from codemods.engine.prefilter import NO_PREFILTER_ENV
from codemods.recipe import CompiledStep, Recipe, RecipeLoader
from codemods.steps import FileContext, FileEdit, Needles, Step, StepOptions

# the package exports the function `run`, which hides the module of the same name
run_module = importlib.import_module("codemods.engine.run")

CHANGES = (
    "from app.context import UserExecutionContext as UEC\n\n"
    "ctx = UEC(\n    user_id='u',\n    session_id='s{n}',  # keep me\n)\n"
)
LOCAL_CLASS = (
    "class UserExecutionContext:\n    def __init__(self, session_id):\n        pass\n\n"
    "ctx = UserExecutionContext(session_id='s{n}')\n"
)
DUPLICATE = (
    "from app.context import UserExecutionContext\n\n"
    "ctx = UserExecutionContext(session_id='a', request_id='b{n}')\n"
)
BROKEN = "def f(:\n    UserExecutionContext(session_id='{n}')\n"
PLAIN = "import os\n\nprint(os.getcwd(), {n})\n"


def make_tree(root: Path, count: int = 60) -> Path:
    kinds = (CHANGES, LOCAL_CLASS, DUPLICATE, BROKEN, PLAIN, PLAIN)
    for n in range(count):
        package = root / f"pkg{n % 4}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod_{n:03d}.py").write_text(kinds[n % len(kinds)].format(n=n))
    (root / "pkg0" / "blob.py").write_bytes(b"session_id\0UserExecutionContext")
    return root


def signature(results: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (r.relpath, r.status, r.new, r.reason, r.line, r.diagnostics, r.fired, r.parsed)
        for r in results
    ]


@pytest.fixture
def recipe() -> Recipe:
    return RecipeLoader().load("session-id-to-request-id")


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Run even small trees in workers, and count the worker pools started."""
    started: list[int] = []
    real = run_module.ProcessPoolExecutor

    def counting(*args: Any, **kwargs: Any) -> Any:
        started.append(kwargs.get("max_workers", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(run_module, "ProcessPoolExecutor", counting)
    return started


def test_workers_give_the_same_results_in_the_same_order(
    tmp_path: Path, recipe: Recipe, pools: list[int]
) -> None:
    plan = make_plan(recipe, [make_tree(tmp_path)])
    single = list(run(plan, jobs=1))
    assert pools == []
    parallel = list(run(plan, jobs=2))
    assert pools == [2]
    assert signature(parallel) == signature(single)
    assert [r.relpath for r in parallel] == [f.relpath for f in plan.files]
    statuses = {r.status for r in parallel}
    assert statuses == {Status.CHANGED, Status.UNCHANGED, Status.SKIPPED}
    changed = [r for r in parallel if r.status is Status.CHANGED]
    assert len(changed) == 10
    assert all(b"request_id='u'" not in r.new and b"# keep me" in r.new for r in changed)
    assert sum(bool(r.diagnostics) for r in parallel) == 10  # the duplicate-keyword warnings


def test_unchanged_results_do_not_carry_the_file_bytes(tmp_path: Path, recipe: Recipe) -> None:
    plan = make_plan(recipe, [make_tree(tmp_path, 12)])
    for result in run(plan, jobs=1):
        if result.status is Status.UNCHANGED:
            assert result.old is None
        if result.status is Status.CHANGED:
            assert result.old == Path(result.path).read_bytes()


def test_few_files_stay_in_process(tmp_path: Path, recipe: Recipe, monkeypatch: Any) -> None:
    started: list[int] = []
    monkeypatch.setattr(
        run_module, "ProcessPoolExecutor", lambda *a, **k: started.append(1) or None
    )
    plan = make_plan(recipe, [make_tree(tmp_path, 6)])
    assert len(list(run(plan, jobs=2))) == 7
    assert started == []


def test_stopping_early_shuts_the_workers_down(
    tmp_path: Path, recipe: Recipe, pools: list[int]
) -> None:
    plan = make_plan(recipe, [make_tree(tmp_path, 200)])
    results = run(plan, jobs=2)
    first = next(results)
    assert first.relpath == plan.files[0].relpath
    results.close()  # must return promptly, leaving no pool behind
    assert pools == [2]


class _CountDefs(Step[StepOptions]):
    """Count function definitions per file and write the totals to a report file (test step)"""

    id: ClassVar[str] = "count_defs"

    def needles(self) -> Needles:
        return [["def "]]

    def collect(self, module: cst.Module, ctx: FileContext) -> Any:
        return sum(isinstance(s, cst.FunctionDef) for s in module.body)

    def finish(self, collected: list[tuple[str, Any]], project: ProjectIndex) -> list[FileEdit]:
        lines = "".join(f"{path}: {count}\n" for path, count in sorted(collected))
        return [FileEdit(project.root / "defs.txt", None, lines.encode())]


class _Explodes(Step[StepOptions]):
    """Fail on one file (test step)"""

    id: ClassVar[str] = "explodes"

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        if ctx.relpath.endswith("mod_007.py"):
            raise RuntimeError("boom")
        return module


def _plan_with(root: Path, *steps: Step[Any]) -> Any:
    compiled = tuple(CompiledStep(s, "test") for s in steps)
    recipe = Recipe("test", "test", "test", "", compiled, fingerprint="t")
    return make_plan(recipe, [root])


def test_whole_tree_steps_see_every_files_data_from_workers(
    tmp_path: Path, pools: list[int]
) -> None:
    root = make_tree(tmp_path)
    plan = _plan_with(root, _CountDefs(StepOptions()), _Explodes(StepOptions()))
    single = list(run(plan, jobs=1))
    parallel = list(run(plan, jobs=2))
    assert pools == [2]
    assert signature(parallel) == signature(single)
    report = parallel[-1]
    assert report.relpath == "defs.txt" and report.status is Status.CHANGED
    assert report.new == single[-1].new
    assert report.new is not None
    # the files with "def " that parsed (BROKEN ones do not), less the one that failed
    assert report.new.count(b": ") == 9
    assert b"mod_007" not in report.new
    failed = [r for r in parallel if r.status is Status.FAILED]
    assert [r.relpath for r in failed] == ["pkg3/mod_007.py"]
    assert failed[0].detail == "explodes: RuntimeError: boom"
    assert all(not r.collected for r in parallel)


def test_unfiltered_run_gives_the_same_changes(
    tmp_path: Path, recipe: Recipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(recipe, [make_tree(tmp_path, 30)])
    filtered = list(run(plan, jobs=1))
    monkeypatch.setenv(NO_PREFILTER_ENV, "1")
    unfiltered = list(run(plan, jobs=1))
    assert sum(r.parsed for r in unfiltered) > sum(r.parsed for r in filtered)
    key = [(r.relpath, r.status, r.new) for r in filtered if r.status is not Status.UNCHANGED]
    assert key == [
        (r.relpath, r.status, r.new) for r in unfiltered if r.status is not Status.UNCHANGED
    ]


def test_cli_jobs_option(tmp_path: Path) -> None:
    make_tree(tmp_path, 60)
    runner = CliRunner()
    one = runner.invoke(app, ["preview", "session-id-to-request-id", str(tmp_path), "--jobs", "1"])
    two = runner.invoke(app, ["preview", "session-id-to-request-id", str(tmp_path), "-j", "2"])
    assert one.exit_code == two.exit_code == 0, one.output
    assert one.stdout == two.stdout
    assert one.stdout.count("+++ b/") == 10
    bad = runner.invoke(app, ["apply", "session-id-to-request-id", str(tmp_path), "--jobs", "0"])
    assert bad.exit_code == 2


def test_the_shared_needle_search_agrees_with_each_steps_own(recipe: Recipe) -> None:
    from codemods.engine.prefilter import any_step_may_run, needles_match

    steps = recipe.steps
    for text in (
        b"",
        b"session_id",
        b"session_id UserExecutionContext",
        b"from_request(session_id=1)",
        b"UserExecutionContext only",
    ):
        expected = any(s.applies_to("a.py") and needles_match(s, text) for s in steps)
        assert any_step_may_run(steps, text, "a.py") is expected, text


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_workers_do_not_outlive_a_killed_main_process(tmp_path: Path) -> None:
    """SIGKILL on `codemod` must not leave its worker processes running forever."""
    import os
    import signal
    import subprocess
    import sys
    import time

    body = "".join(f"value_{i} = connect('h{i}', timeout={i})\n" for i in range(400))
    for index in range(400):
        (tmp_path / f"mod_{index}.py").write_text("from net import connect\n" + body)
    recipe = tmp_path / "slow-rename.yaml"
    recipe.write_text(
        "title: Rename timeout\ndescription: Renames a keyword.\nsteps:\n"
        "  - rename_kwarg:\n      callables: ['*.connect']\n      old: timeout\n      new: deadline\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "codemods",
            "preview",
            str(recipe),
            str(tmp_path),
            "--jobs",
            "2",
            "--no-cache",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the run never started its workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


def test_settle_heap_again_gives_back_what_it_froze() -> None:
    """A Ray worker serves one run after another and settles its heap before each: cyclic
    garbage left by the previous run must still be collected (frozen objects never are)."""
    import subprocess
    import sys

    script = (
        "import gc, weakref\n"
        "from codemods.engine.executors import settle_heap\n"
        "class Node: pass\n"
        "a = Node(); a.me = a\n"
        "gone = weakref.ref(a)\n"
        "settle_heap()\n"
        "del a\n"
        "gc.collect()\n"
        "assert gone() is not None, 'frozen: not collected until the next settle'\n"
        "settle_heap()\n"
        "assert gone() is None, 'the previous run\\'s cycle outlived the next settle'\n"
        "assert gc.get_freeze_count() > 0\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


class _Cycle:
    def __init__(self) -> None:
        self.me = self


class _WatchesCollector(Step[StepOptions]):
    """Record whether the cyclic collector runs during each file, and leave a cycle behind
    (test step)"""

    id: ClassVar[str] = "watches_collector"
    seen: ClassVar[list[bool]] = []
    cycles: ClassVar[list[Any]] = []

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        import gc
        import weakref

        self.seen.append(gc.isenabled())
        self.cycles.append(weakref.ref(_Cycle()))  # garbage only the collector can free
        if ctx.relpath.endswith("mod_007.py"):
            raise RuntimeError("boom")
        return module


def test_the_collector_is_paused_per_file_and_collects_what_the_file_left() -> None:
    """In this process (-j1) the collector does not run during a file's work, the cycles a
    file leaves are collected when it is done (memory stays bounded by one file's garbage),
    and the collector is running again after the run, also after a step raised; a caller
    that disabled it keeps it disabled."""
    import gc
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = make_tree(Path(tmp), count=12)
        plan = _plan_with(root, _WatchesCollector(StepOptions()))
        _WatchesCollector.seen.clear()
        _WatchesCollector.cycles.clear()
        assert gc.isenabled()
        results = list(run(plan, jobs=1))
        assert gc.isenabled()
        assert [r.relpath for r in results if r.status is Status.FAILED] == ["pkg3/mod_007.py"]
        assert _WatchesCollector.seen and not any(_WatchesCollector.seen)
        assert all(ref() is None for ref in _WatchesCollector.cycles)

        _WatchesCollector.seen.clear()
        _WatchesCollector.cycles.clear()
        gc.disable()
        try:
            list(run(plan, jobs=1))
            assert not gc.isenabled()
            assert all(ref() is not None for ref in _WatchesCollector.cycles)
        finally:
            gc.enable()
            _WatchesCollector.cycles.clear()
            gc.collect()


MOVES_TREE = {
    "test_a.py": (
        "import os\nimport unittest\nfrom unittest import TestCase, mock\n\n\n"
        "class T(unittest.TestCase):\n    def test(self):\n        with mock.patch('os.sep'):\n"
        "            self.assertTrue(os.sep)\n\n\nclass U(TestCase):\n    pass\n"
    ),
    "test_b.py": (
        "import unittest\nimport unittest.mock as m\n\n\ndef f():\n"
        "    return unittest.TestCase, m.Mock\n"
    ),
}


@pytest.mark.parametrize(
    "step",
    [
        "rename_module:\n      old: unittest\n      new: unittest2",
        "rename_symbol:\n      old: unittest.TestCase\n      new: unittest.BaseTestCase",
    ],
    ids=["rename_module", "rename_symbol"],
)
def test_a_move_leaves_no_garbage_for_the_collector(tmp_path: Path, step: str) -> None:
    """The moves' binding models break their own cycles once the edits are known: a changed
    file the ``ast`` decides leaves nothing for the cyclic collector to find (it walked
    ~4.5 ms of binding-model garbage per stdlib test module). LibCST's own scope analysis,
    on the files it still decides, is cyclic by design (not covered here)."""
    import gc

    for name, text in MOVES_TREE.items():
        (tmp_path / name).write_text(text)
    recipe_file = tmp_path / "recipe.yaml"
    recipe_file.write_text(f"title: t\ndescription: t\nsteps:\n  - {step}\n")
    plan = make_plan(RecipeLoader().load(str(recipe_file)), [tmp_path])
    list(run(plan, jobs=1))  # imports and caches warmed
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        results = list(run(plan, jobs=1))
        gc.collect()
        garbage = sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert {r.relpath for r in results if r.status is Status.CHANGED} == set(MOVES_TREE)
    assert garbage == []


def test_no_file_s_tree_outlives_its_file(tmp_path: Path) -> None:
    """The pattern steps keep one file's walk and binding table while its steps run; once the
    engine is done with the file they are gone (kept, a file's tree was walked by the cyclic
    collector after every file and again in the older generations)."""
    import ast
    import gc

    for n in range(6):
        (tmp_path / f"test_{n}.py").write_text(
            "from base import Base\n\n\nclass TestA:\n"
            f"    def setUp(self):\n        self.n = {n}\n\n    def test_x(self):\n"
            "        assert self.n == self.n\n\n\nclass TestB(Base):\n"
            "    def setUp(self):\n        self.m = 1\n"
        )
    recipe = RecipeLoader().load("unittest-setup-to-pytest")
    plan = make_plan(recipe, [tmp_path])

    def modules() -> int:
        gc.collect()
        return sum(isinstance(o, ast.Module) for o in gc.get_objects())

    before = modules()
    results = list(run(plan, jobs=1))
    assert sum(r.status is Status.CHANGED for r in results) == 6  # the steps ran on each
    assert all(r.diagnostics for r in results)  # and the review rule too
    assert modules() <= before
