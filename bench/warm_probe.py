"""Time a warm re-run of the whole catalog over the corpus: wall and CPU seconds.

    .venv/bin/python bench/warm_probe.py [--corpus /tmp/codemod-corpus] [--jobs 2] [--runs 2]
    .venv/bin/python bench/warm_probe.py --cold        # a real cold run first (slow)
    .venv/bin/python bench/warm_probe.py --apply-copy  # a real cold `apply`, on a copy (slowest)

By default the probe fills both caches directly, exactly as a cold run over an *unchanged*
tree would have left them: for every file, its stat entry (the file's size, mtime, ctime and
inode, and either "no step's needles matched" or its content key), and for every file the
pre-check lets through, the content entry of a no-change result. Then it times ``--runs``
real ``codemod preview`` runs of the catalog over the corpus, each in a fresh process. So it
measures what a warm re-run over an unchanged tree costs (start-up, recipe loading,
discovery, the stat check, rendering 21,456 results), not whether the entries are right: that
is what tests/test_cache.py checks. (The corpus's injected files would change; the direct
fill treats them as applied already, which is what "unchanged tree" means here.)

``--cold`` instead times a real cold ``preview`` first, which fills the caches itself, then
the warm runs. Those warm runs read and parse the injected files again every time (a pending
change is never cached), so they cost more than a re-run after ``apply``.

``--apply-copy`` is the whole real sequence: it copies the corpus to a temporary directory
(keeping mtimes), runs a real cold ``apply`` there, then the warm runs. The first warm run
parses the files ``apply`` rewrote (their results were changes, so nothing was cached for
them); from the second on, the tree is unchanged and warm. The copy is deleted afterwards.

The cache is removed afterwards; the corpus itself is never modified. The cache's
fingerprint covers the tool's own source: if the code changes while the probe runs, the
timed run starts from an empty cache (the probe says so).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Timed, timed

sys.path.insert(0, str(ROOT))


def fill(corpus: Path, catalog: str) -> tuple[int, int]:
    """Write the stat and content entries a cold run over the unchanged corpus would leave.

    Returns (files, files that pass the needles)."""
    from codemods.analysis.project import Projects
    from codemods.engine import make_plan
    from codemods.engine.cache import (
        NO_MATCH,
        ResultCache,
        StatCache,
        entry_key,
        project_state,
        run_fingerprint,
        stat_context,
        stat_files,
    )
    from codemods.engine.prefilter import any_step_may_run
    from codemods.engine.results import FileResult, Status
    from codemods.recipe import RecipeLoader

    plan = make_plan(RecipeLoader().load(catalog), [corpus], unsafe=True)
    fingerprint = run_fingerprint(plan.recipe, plan.steps)
    store = ResultCache(plan.root, fingerprint)
    stat_cache = StatCache(plan.root, fingerprint, started_ns=time.time_ns())
    stats = stat_files(plan.files)  # taken before reading, as a run does
    view = store.view(project_state(plan.files, stats))
    passing = 0
    projects = Projects()
    for source, st in zip(plan.files, stats, strict=True):
        data = source.path.read_bytes()
        if not any_step_may_run(plan.steps, data, source.scan_relpath):
            stat_cache.record(source, st, (NO_MATCH, stat_context(source, None)))
            continue
        module = projects.module_of(source.path, source.scan_root)
        where = f"{source.scan_relpath}\0{source.generated_marker}"
        key = entry_key(data, where, module)
        for touched in (False, True):
            unchanged = FileResult(str(source.path), source.relpath, Status.UNCHANGED)
            entry = view.entry(key, unchanged, touched=touched)
            assert entry is not None
            store.add(*entry)
        stat_cache.record(source, st, (key, stat_context(source, module)))
        passing += 1
    store.save()
    stat_cache.save(plan.files, plan.root, plan.scan_roots)
    return len(plan.files), passing


def show(label: str, t: Timed) -> None:
    summary = [line for line in t.stderr.splitlines() if "unchanged" in line]
    print(
        f"{label}: {t.seconds:.2f} s wall, {t.cpu:.2f} s CPU, peak {t.peak_rss_mb:.0f} MB "
        f"(process tree); {summary[-1] if summary else t.stderr[-300:]}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(tempfile.gettempdir()) / "codemod-corpus"
    )
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--runs", type=int, default=2, help="warm runs to time (default 2)")
    parser.add_argument(
        "--cold", action="store_true", help="a real cold run fills the caches (slow)"
    )
    parser.add_argument(
        "--apply-copy",
        action="store_true",
        help="copy the corpus, run a real cold `apply` on the copy, then the warm runs",
    )
    args = parser.parse_args()

    corpus = args.corpus.resolve()
    meta = json.loads(corpus.with_name(corpus.name + ".json").read_text())
    catalog = meta["catalog_file"]
    copy_dir = None
    if args.apply_copy:
        copy_dir = Path(tempfile.mkdtemp(prefix="codemod-warm-"))
        target = copy_dir / corpus.name
        shutil.copytree(corpus, target, symlinks=True)  # copy2: mtimes are kept
        corpus = target
        args.runs = max(args.runs, 2)
    cache_dir = corpus / ".codemod_cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    cmd = [sys.executable, "-m", "codemods", "preview", catalog, str(corpus), "--unsafe", *jobs]
    env = {"NO_COLOR": "1"}
    try:
        if copy_dir is not None:
            apply = [*cmd[:3], "apply", *cmd[4:], "--allow-dirty"]
            show(f"cold apply on a copy ({corpus})", timed(apply, env=env))
        elif args.cold:
            # the racy-clean guard skips files modified in the last 2 s; the corpus is older
            show("cold run (fills both caches)", timed(cmd, env=env))
        else:
            files, passing = fill(corpus, catalog)
            print(
                f"filled both caches directly: {files:,} files, {passing:,} pass the needles",
                flush=True,
            )
        for n in range(1, args.runs + 1):
            show(f"warm re-run {n}", timed(cmd, env=env))
        fingerprints = sorted(p.stem for p in cache_dir.glob("*.keys"))
        if len(fingerprints) > 1:
            print(
                "warning: the tool's source changed during the probe "
                f"({len(fingerprints)} cache fingerprints): the figures above are not warm"
            )
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
        if copy_dir is not None:
            shutil.rmtree(copy_dir, ignore_errors=True)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
