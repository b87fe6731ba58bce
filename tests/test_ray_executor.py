"""``--executor ray``: on a local Ray cluster (2 CPUs, loopback), the same results as the pool.

One cluster serves the module (``ray.init(num_cpus=2)``) and is shut down at its end. In CI
(``CI`` set) Ray must be installed (.ci/run installs ``codemods[ray]``); elsewhere these
tests are skipped without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from codemods.engine import make_plan, run
from codemods.engine.executor_ray import RayExecutor
from codemods.engine.results import FileResult, Status
from codemods.recipe import RecipeLoader
from tests.cli_helpers import codemod, make_repo

if os.environ.get("CI"):
    import ray
else:
    ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow

LOOPBACK = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
DEMO = Path(__file__).resolve().parent.parent / "examples" / "netra-demo"


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    before = os.environ.get(LOOPBACK)
    os.environ[LOOPBACK] = "0"  # the cluster listens on 127.0.0.1 only
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()
        if before is None:
            os.environ.pop(LOOPBACK, None)
        else:
            os.environ[LOOPBACK] = before


def signature(results: Sequence[FileResult]) -> list[tuple[Any, ...]]:
    return [
        (r.relpath, r.status, r.old, r.new, r.reason, r.detail, r.line, r.diagnostics, r.fired)
        for r in results
    ]


def _copy_demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    return target


def test_the_example_project_gives_what_the_process_pool_gives(tmp_path: Path) -> None:
    demo = _copy_demo(tmp_path)
    plan = make_plan(RecipeLoader().load("netra-remediation"), [demo])
    pool = list(run(plan, jobs=2))
    executor = RayExecutor(batch=2)  # several tasks even for this small tree
    on_ray = list(run(plan, jobs=2, executor=executor))
    assert signature(on_ray) == signature(pool)
    assert sum(r.status is Status.CHANGED for r in pool) >= 5  # a real run, config edit included
    assert any(r.relpath == "pyproject.toml" for r in on_ray)


def test_a_stdlib_sample_gives_what_the_process_pool_gives(tmp_path: Path) -> None:
    from tests.test_safety_corpus import FULL_CONFIGS, STDLIB, corpus_files, sample

    files = sample(corpus_files())
    for path in files:
        target = tmp_path / "lib" / path.relative_to(STDLIB)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    for config in FULL_CONFIGS:
        plan = make_plan(config.recipe, [tmp_path / "lib"])
        pool = list(run(plan, jobs=2))
        on_ray = list(run(plan, jobs=2, executor=RayExecutor()))
        assert signature(on_ray) == signature(pool), config.name
        assert len(pool) >= 40
    assert any(r.status is Status.CHANGED for r in pool)  # the real-change chain: real changes


def _busy_workers() -> list[int]:
    """PIDs of Ray worker processes running one of our tasks right now (by process title)."""
    ps = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True)
    return [
        int(line.split(None, 1)[0])
        for line in ps.stdout.splitlines()
        if "ray::_run_batch" in line and "IDLE" not in line
    ]


def test_a_worker_killed_mid_run_has_its_batch_retried(tmp_path: Path) -> None:
    from tests.test_safety_corpus import FULL_CONFIGS, STDLIB, corpus_files, sample

    for path in sample(corpus_files()):
        target = tmp_path / "lib" / path.relative_to(STDLIB)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    plan = make_plan(FULL_CONFIGS[1].recipe, [tmp_path / "lib"])
    pool = list(run(plan, jobs=2, cache=False))
    killed: list[int] = []
    done = threading.Event()

    def killer() -> None:
        while not done.is_set() and not killed:
            for pid in _busy_workers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.01)

    thread = threading.Thread(target=killer)
    executor = RayExecutor(batch=1)
    thread.start()
    try:
        on_ray = list(run(plan, jobs=2, executor=executor))
    finally:
        done.set()
        thread.join()
    assert killed, "no worker was seen running a task: nothing was killed"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)  # it really died
    assert signature(on_ray) == signature(pool)  # its batch ran again: nothing lost or failed


def test_a_file_that_kills_every_worker_fails_alone(tmp_path: Path) -> None:
    """A batch that dies on every retry is split: only the file that kills it fails."""
    for n in range(6):
        (tmp_path / f"m{n}.py").write_text(f"x = {n}\n")
    plan = make_plan(RecipeLoader().load("netra-remediation"), [tmp_path])

    class Deadly:  # pickled by value to the workers: a per-file loop that dies on m3.py
        def batch(self, sources: Sequence[Any]) -> list[Any]:
            if any(s.path.name == "m3.py" for s in sources):
                os._exit(1)
            return [
                (FileResult(str(s.path), s.relpath, Status.UNCHANGED), None, None) for s in sources
            ]

    executor = RayExecutor(batch=3)
    results = [r for r, _entry, _known in executor.results(plan.files, Deadly)]
    assert [r.relpath for r in results] == [f"m{n}.py" for n in range(6)]
    failed = [r for r in results if r.status is Status.FAILED]
    assert [(r.relpath, r.reason) for r in failed] == [("m3.py", "worker died")]
    assert executor.retried_files == 3  # m3.py's batch (m3, m4, m5), each file alone


def test_the_cli_on_ray_writes_the_same_patch(tmp_path: Path) -> None:
    demo = make_repo(_copy_demo(tmp_path))
    pool = codemod(demo, "preview", "netra-remediation", "--patch", str(tmp_path / "p.patch"))
    on_ray = codemod(
        demo,
        "preview",
        "netra-remediation",
        "--executor",
        "ray",
        "--patch",
        str(tmp_path / "r.patch"),
    )
    assert pool.returncode == on_ray.returncode == 0, on_ray.stderr
    assert on_ray.stdout == pool.stdout
    assert (tmp_path / "r.patch").read_bytes() == (tmp_path / "p.patch").read_bytes()
    applied = codemod(demo, "apply", "netra-remediation", "--executor", "ray", "--no-cache")
    assert applied.returncode == 0, applied.stderr
    check = subprocess.run(["git", "diff"], cwd=demo, capture_output=True, check=True)
    assert check.stdout.replace(b"diff --git ", b"").count(b"\n+++ b/") >= 5
    again = codemod(demo, "preview", "netra-remediation", "--executor", "ray", "--check")
    # applied once, nothing left to do but the half-written file, which --check does not let
    # pass green (it could match and did not parse): the same answer as the process pool
    assert again.returncode == 1, again.stderr
    assert b"0 files would be changed" in again.stderr
    assert b"1 file the recipe could change did not parse" in again.stderr


def test_a_bad_address_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    done = codemod(
        tmp_path,
        "preview",
        "netra-remediation",
        "--executor",
        "ray",
        "--ray-address",
        "127.0.0.1:1",
        real=True,
    )
    assert done.returncode == 2, done.stderr
    assert b"cannot start or reach Ray (127.0.0.1:1)" in done.stderr
    assert b"Traceback" not in done.stderr
