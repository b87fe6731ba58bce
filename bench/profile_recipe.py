"""Profile one recipe over a tree in this process (no workers): where does the time go?

    .venv/bin/python bench/profile_recipe.py RECIPE PATH [--limit N] [--top 25] [--sort tottime]

Runs the engine's per-file work (``process``) on every file of PATH (or the first ``--limit``
files the recipe's needles match), under cProfile, and prints the heaviest functions plus the
time per file that changed. Not part of the test run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codemods.analysis.project import Projects
from codemods.engine.prefilter import any_step_may_run
from codemods.engine.results import Status
from codemods.engine.run import _Worker, make_plan
from codemods.recipe import RecipeLoader


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("recipe")
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    loader = RecipeLoader()
    recipe = loader.load(args.recipe)
    plan = make_plan(recipe, [args.path], unsafe=True)
    files = [
        f for f in plan.files if any_step_may_run(plan.steps, f.path.read_bytes(), f.scan_relpath)
    ]
    if args.limit:
        files = files[: args.limit]
    profiler = cProfile.Profile()
    counts: dict[str, int] = {}
    start, cpu = time.perf_counter(), time.process_time()
    if not args.no_profile:
        profiler.enable()
    worker = _Worker(plan.steps, None, Projects())  # one per process, as in a run
    for source in files:
        result = worker.handle(source)[0]
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    profiler.disable()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    changed = counts.get(Status.CHANGED.value, 0)
    print(f"{len(files)} files past the needles of {len(plan.files)}: {counts}")
    print(
        f"{wall:.1f} s wall, {cpu:.1f} s CPU; {cpu / max(changed, 1) * 1000:.0f} ms CPU per changed file"
    )
    if not args.no_profile:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
