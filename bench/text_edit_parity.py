"""Run a recipe over real files both ways: with its steps' ``ast`` text edits (``Step.edit``)
and with them switched off (LibCST's full tree decides), and compare every result.

    .venv/bin/python bench/text_edit_parity.py RECIPE PATH [--sample N] [--seed S] [--only REL]...

Prints how many files the text path decided, how many it handed to LibCST and why (the line
of ``codemods/analysis/move_edits.py`` or ``symbol_edits.py`` that decided it, for the
moves), the CPU seconds of
each way, and every file whose status, bytes or diagnostics differ (there must be none: the
exit code is 1 if any does). Not part of the test run (the tests do the same on every fixture
case); this is the same check on code nobody wrote for the tests.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import codemods.analysis.move_edits as move_edits
import codemods.analysis.symbol_edits as symbol_edits
from codemods.analysis.project import Projects
from codemods.engine.prefilter import any_step_may_run
from codemods.engine.run import _Worker, make_plan
from codemods.recipe import RecipeLoader
from codemods.steps import Step


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("recipe")
    parser.add_argument("path", type=Path)
    parser.add_argument("--sample", type=int, default=0, help="random files past the needles")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--only", action="append", default=[], help="only these paths (relative; repeatable)"
    )
    parser.add_argument(
        "--why-only", action="store_true", help="only the text path: count what fell back, why"
    )
    parser.add_argument(
        "--files", action="store_true", help="name each file handed to LibCST and the line why"
    )
    args = parser.parse_args()
    recipe = RecipeLoader().load(args.recipe)
    plan = make_plan(recipe, [args.path], unsafe=True)
    files = [
        f for f in plan.files if any_step_may_run(plan.steps, f.path.read_bytes(), f.scan_relpath)
    ]
    if args.only:
        files = [f for f in files if str(f.scan_relpath) in args.only]
    if args.sample and args.sample < len(files):
        files = random.Random(args.seed).sample(files, args.sample)
    text_steps = {type(s.step) for s in plan.steps if not s.step.needs_libcst()}
    decided: Counter[str] = Counter()
    why: list = []
    move_edits._WHY = symbol_edits._WHY = why
    fast = []
    worker = _Worker(plan.steps, None, Projects())  # one per process, as in a run
    cpu = time.process_time()
    for source in files:
        why.clear()
        fast.append(worker.handle(source)[0])
        for tb in why:
            frame = traceback.extract_tb(tb)[-1]
            where = f"{Path(frame.filename).stem} line {frame.lineno}"
            decided[f"LibCST: {where}: {(frame.line or '').strip()}"] += 1
            if args.files:
                print(f"  LibCST: {source.scan_relpath}: {where}")
        if not why:
            decided["text edits"] += 1
    fast_cpu = time.process_time() - cpu
    if args.why_only:
        for what, count in decided.most_common():
            print(f"  {count:5d}  {what}")
        print(f"CPU: text edits on {fast_cpu:.1f} s (one process)")
        return 0
    saved = {t: t.__dict__["edit"] for t in text_steps}
    for step_type in text_steps:
        step_type.edit = Step.edit  # type: ignore[method-assign]
    cpu = time.process_time()
    slow = [worker.handle(source)[0] for source in files]
    slow_cpu = time.process_time() - cpu
    for step_type, edit in saved.items():
        step_type.edit = edit  # type: ignore[method-assign]
    differ = 0
    for source, a, b in zip(files, fast, slow, strict=True):
        seen_a = (a.status, a.new, a.diagnostics, a.reason)
        seen_b = (b.status, b.new, b.diagnostics, b.reason)
        if seen_a != seen_b:
            differ += 1
            print(f"DIFFERS: {source.scan_relpath}: {a.status.value} vs {b.status.value}")
    changed = sum(1 for r in slow if r.status.value == "changed")
    print(f"{len(files)} files past the needles ({changed} change); decided by:")
    for what, count in decided.most_common():
        print(f"  {count:5d}  {what}")
    print(f"CPU: text edits on {fast_cpu:.1f} s, LibCST only {slow_cpu:.1f} s (one process)")
    print(f"identical: {len(files) - differ} of {len(files)}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
