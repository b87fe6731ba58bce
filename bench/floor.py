"""The floor under any run of ours on a tree, measured beside ruff and ours in one run.

    .venv/bin/python bench/floor.py RECIPE PATH [--jobs 2] [--json OUT]

Whatever the engine decides, a run that verifies what it writes has to do at least this in
Python: read every file and test the recipe's needles on its bytes; parse with CPython's
``ast`` every file past the needles (the engine's one parse; ruff parses in Rust); and
``compile()`` every file it changes (the guarantee that no output that does not compile is
written). This script times those three phases alone, each in a child process of its own
(CPU seconds of that child, default garbage collector), then ``ruff check --select UP,I
--diff --no-cache`` and ``codemod preview RECIPE PATH --no-cache --jobs J`` on the same tree,
and prints:

- ruff's wall and CPU seconds;
- ours: wall, CPU, and the ratios to ruff;
- the floor: CPU of each phase, their sum, the sum divided by the jobs (the best wall time on
  that many idle cores), and that wall against ruff's wall;
- ours above the floor: the CPU our analysis, LibCST and rendering add.

The compile phase compiles the *old* bytes of the files ours changes (the changed files come
from ours' JSON report): the edits change a few bytes of each, so the cost is the same to
within the noise. Not part of the test run; no timing goes into a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, timed

sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent


def load() -> str:
    loadavg = Path("/proc/loadavg")
    return loadavg.read_text().split(" ", 1)[0] if loadavg.exists() else "?"


def phase(name: str, recipe: str, tree: Path, changed_list: Path | None, unsafe: bool) -> None:
    """One phase in this (child) process; prints its CPU seconds and file count as JSON."""
    from codemods.engine.prefilter import any_step_may_run
    from codemods.engine.run import make_plan
    from codemods.recipe import RecipeLoader

    plan = make_plan(RecipeLoader().load(recipe), [tree], unsafe=unsafe)
    warnings.simplefilter("ignore")
    if name == "needles":
        start = time.process_time()
        passed = sum(
            1
            for f in plan.files
            if any_step_may_run(plan.steps, f.path.read_bytes(), f.scan_relpath)
        )
        print(json.dumps({"cpu": time.process_time() - start, "files": passed}))
        return
    if name == "parse":
        todo = [
            f.path
            for f in plan.files
            if any_step_may_run(plan.steps, f.path.read_bytes(), f.scan_relpath)
        ]
        data = [path.read_bytes() for path in todo]
        start = time.process_time()
        for blob in data:
            with contextlib.suppress(SyntaxError, ValueError):
                compile(blob, "<floor>", "exec", 0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
        print(json.dumps({"cpu": time.process_time() - start, "files": len(data)}))
        return
    assert changed_list is not None
    paths = [tree / rel for rel in changed_list.read_text().split("\n") if rel]
    data = [path.read_bytes() for path in paths]
    start = time.process_time()
    for blob in data:
        with contextlib.suppress(SyntaxError, ValueError):
            compile(blob, "<floor>", "exec", dont_inherit=True)
    print(json.dumps({"cpu": time.process_time() - start, "files": len(data)}))


def child(name: str, recipe: str, tree: Path, changed_list: Path | None, unsafe: bool) -> dict:
    cmd = [sys.executable, "-W", "ignore", __file__, recipe, str(tree), "--phase", name]
    cmd += ["--unsafe"] if unsafe else []
    if changed_list is not None:
        cmd += ["--changed-list", str(changed_list)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("recipe")
    parser.add_argument("path", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--no-ours",
        action="store_true",
        help="skip ours (and the compile phase, which needs ours' changed files): the floor "
        "of a long run measured elsewhere",
    )
    parser.add_argument("--unsafe", action="store_true", help="run the unsafe steps too")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--changed-list", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    tree = args.path.resolve()
    if args.phase:
        phase(args.phase, args.recipe, tree, args.changed_list, args.unsafe)
        return
    rows: dict[str, object] = {"recipe": args.recipe, "tree": str(tree), "jobs": args.jobs}
    rows["load_before"] = load()
    exe = shutil.which("ruff", path=str(VENV_BIN)) or "ruff"
    ruff = timed([exe, "check", "--isolated", "--select", "UP,I", "--diff", "--no-cache", str(tree)])
    ours = None
    changed: list[str] = []
    if not args.no_ours:
        ours = timed(
            [sys.executable, "-W", "ignore", "-m", "codemods", "preview", args.recipe, str(tree),
             "--no-cache", "--jobs", str(args.jobs), "--format", "json",
             *(["--unsafe"] if args.unsafe else [])],
            env={"NO_COLOR": "1"},
        )  # fmt: skip
        report = json.loads(ours.stdout)
        changed = [f["path"] for f in report["files"] if f["status"] == "changed"]
    listing = tree.parent / f".floor-changed-{os.getpid()}.txt"
    listing.write_text("\n".join(changed) + "\n")
    try:
        needles = child("needles", args.recipe, tree, None, args.unsafe)
        parse = child("parse", args.recipe, tree, None, args.unsafe)
        compiled = (
            child("compile", args.recipe, tree, listing, args.unsafe)
            if ours
            else {"cpu": 0.0, "files": 0}
        )
    finally:
        listing.unlink()
    floor = needles["cpu"] + parse["cpu"] + compiled["cpu"]
    rows.update(
        ruff_wall=ruff.seconds, ruff_cpu=ruff.cpu,
        ours_wall=ours.seconds if ours else None, ours_cpu=ours.cpu if ours else None,
        ours_changed=len(changed), needles_cpu=needles["cpu"], past_needles=parse["files"],
        parse_cpu=parse["cpu"], compile_cpu=compiled["cpu"], floor_cpu=floor,
        load_after=load(),
    )  # fmt: skip
    print(f"tree: {tree}, recipe {args.recipe}")
    print(f"load {rows['load_before']} -> {rows['load_after']}")
    print(f"ruff:  {ruff.seconds:7.1f} s wall {ruff.cpu:7.1f} CPU-s")
    if ours:
        print(
            f"ours:  {ours.seconds:7.1f} s wall {ours.cpu:7.1f} CPU-s  "
            f"({ours.seconds / ruff.seconds:.1f}x / {ours.cpu / ruff.cpu:.1f}x ruff), "
            f"{len(changed)} changed"
        )
    print(
        f"floor: needles {needles['cpu']:.1f} + ast parse of {parse['files']} files "
        f"{parse['cpu']:.1f} + compile of {compiled['files']} changed {compiled['cpu']:.1f} "
        f"= {floor:.1f} CPU-s ({floor / ruff.cpu:.1f}x ruff's CPU); on {args.jobs} idle cores "
        f">= {floor / args.jobs:.1f} s wall ({floor / args.jobs / ruff.seconds:.1f}x ruff's wall)"
    )
    if ours:
        print(f"ours above the floor: {ours.cpu - floor:.1f} CPU-s ({ours.cpu / floor:.1f}x the floor)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
