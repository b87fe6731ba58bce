"""The process pool against Ray (a local cluster) on one corpus: per-task overhead, batch size.

    .venv/bin/pip install -e '.[ray]'
    .venv/bin/python bench/make_corpus.py --out "$(mktemp -d)/tree"      # ~21k files
    .venv/bin/python bench/ray_executor.py --corpus DIR/tree [--batches 32,128]

In one process, on the same tree, the whole built-in catalog (``netra-remediation`` and the
other top-level recipes, ``--unsafe``, cache off, nothing written):

1. the overhead of one empty task: ``ProcessPoolExecutor.submit`` vs a Ray task, both with
   ``--jobs`` workers, submitted ``--tasks`` at a time and awaited in order as the engine does;
2. the catalog on the process pool (``--jobs`` workers, the engine's own batch size);
3. the catalog on Ray, on one local cluster of ``--jobs`` CPUs (started once, its start-up
   timed apart), for each batch size of ``--batches``. Every Ray run must give exactly the
   pool's results (status, new bytes, reasons, diagnostics of every file), or the script fails.

Prints a Markdown table: wall seconds, files per second, the ratio to the pool, and the CPU
time of the driver process alone per file (what bounds how many workers one driver can feed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, write_catalog

sys.path.insert(0, str(ROOT))


def _noop(x: int) -> int:
    return x


def task_overhead(jobs: int, tasks: int) -> dict[str, float]:
    """Milliseconds per empty task, pool and Ray (Ray must be initialised)."""
    import ray

    out: dict[str, float] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_noop, range(jobs * 4)))  # workers up
        start = time.perf_counter()
        futures = deque(pool.submit(_noop, i) for i in range(tasks))
        while futures:
            futures.popleft().result()
        out["pool"] = (time.perf_counter() - start) * 1000 / tasks
    remote = ray.remote(num_cpus=1)(_noop)
    ray.get([remote.remote(i) for i in range(jobs * 4)])  # workers up
    start = time.perf_counter()
    refs = deque(remote.remote(i) for i in range(tasks))
    while refs:
        ray.get(refs.popleft())
    out["ray"] = (time.perf_counter() - start) * 1000 / tasks
    return out


def signature(results: list[Any]) -> list[tuple[Any, ...]]:
    return [(r.relpath, r.status, r.new, r.reason, r.detail, r.diagnostics) for r in results]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--batches", default="32,128")
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args()

    import ray

    from codemods.engine import Status, make_plan, run
    from codemods.engine.executor_ray import RayExecutor
    from codemods.recipe import RecipeLoader

    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "bench-catalog.yaml"
        write_catalog(catalog)
        recipe = RecipeLoader().load(str(catalog))
    plan = make_plan(recipe, [args.corpus], unsafe=True)
    files = len(plan.files)
    rows: list[tuple[str, float, float]] = []  # name, wall s, driver CPU s

    start, cpu = time.perf_counter(), time.process_time()
    pool = list(run(plan, jobs=args.jobs, cache=False))
    pool_s = time.perf_counter() - start
    changed = sum(r.status is Status.CHANGED for r in pool)
    rows.append(
        (
            f"process pool, {args.jobs} workers (engine batch size)",
            pool_s,
            time.process_time() - cpu,
        )
    )
    print(f"pool: {pool_s:.1f} s, {changed} changed", file=sys.stderr)

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only
    start = time.perf_counter()
    ray.init(address="local", num_cpus=args.jobs, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - start
    try:
        overhead = task_overhead(args.jobs, args.tasks)
        for size in (int(b) for b in args.batches.split(",")):
            executor = RayExecutor(batch=size)
            start, cpu = time.perf_counter(), time.process_time()
            results = list(run(plan, jobs=args.jobs, cache=False, executor=executor))
            took, cpu = time.perf_counter() - start, time.process_time() - cpu
            if signature(results) != signature(pool):
                print(f"ray batch {size}: results differ from the pool's", file=sys.stderr)
                return 1
            rows.append((f"Ray local cluster, {args.jobs} CPUs, {size} files/task", took, cpu))
            print(f"ray {size}: {took:.1f} s", file=sys.stderr)
    finally:
        ray.shutdown()

    print(f"corpus: {files:,} files, {changed} changed; jobs={args.jobs}")
    print(f"Ray local cluster start-up: {startup:.1f} s (not in the runs below)")
    print(
        f"empty task, submitted {args.tasks} at a time and awaited in order: "
        f"pool {overhead['pool']:.3f} ms, Ray {overhead['ray']:.3f} ms"
    )
    print()
    print("| executor | wall s | files/s | vs pool | driver CPU ms/file |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, driver in rows:
        print(
            f"| {name} | {seconds:.1f} | {files / seconds:,.0f} | {seconds / pool_s:.2f}x "
            f"| {driver * 1000 / files:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
