"""Time the warm path on the whole corpus without paying for a cold run first.

    .venv/bin/python bench/warm_probe.py [--corpus /tmp/codemod-corpus] [--jobs 2]

A real warm run needs a cold run of the catalog first (tens of CPU-minutes on 20,000 files).
This probe fills the cache directly instead: it computes, for every file the pre-check lets
through, the exact cache entry a no-change result would have stored, then times a real
``codemod preview`` of the catalog over the corpus with that cache, in a fresh process. So it
measures precisely what a warm re-run over an unchanged tree costs (start-up, discovery, the
read, the pre-check, hashing, the lookups, results streamed back), not whether the entries
are right: that is what tests/test_cache.py checks. The cache is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, timed

sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(tempfile.gettempdir()) / "codemod-corpus"
    )
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    from codemods.engine import make_plan
    from codemods.engine.cache import ResultCache, entry_key, project_state, run_fingerprint
    from codemods.engine.discover import module_name_for
    from codemods.engine.prefilter import any_step_may_run
    from codemods.recipe import RecipeLoader

    corpus = args.corpus.resolve()
    meta = json.loads(corpus.with_name(corpus.name + ".json").read_text())
    catalog = meta["catalog_file"]
    plan = make_plan(RecipeLoader().load(catalog), [corpus], unsafe=True)
    store = ResultCache(plan.root, run_fingerprint(plan.recipe, plan.steps))
    view = store.view(project_state(plan.files))
    filled = 0
    for source in plan.files:
        data = source.path.read_bytes()
        if not any_step_may_run(plan.steps, data, source.scan_relpath):
            continue
        where = f"{source.scan_relpath}\0{getattr(source, 'generated_marker', None)}"
        key = entry_key(data, where, module_name_for(source.path))
        for touched in (False, True):
            entry = view.entry(key, (), touched=touched)
            assert entry is not None
            store.add(*entry)
        filled += 1
    store.save()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    try:
        cmd = [sys.executable, "-m", "codemods", "preview", catalog, str(corpus), "--unsafe", *jobs]
        t = timed(cmd, env={"NO_COLOR": "1"})
    finally:
        shutil.rmtree(corpus / ".codemod_cache", ignore_errors=True)
    summary = [line for line in t.stderr.splitlines() if "unchanged" in line]
    print(
        f"warm re-run over {len(plan.files):,} files ({filled:,} would be parsed cold): "
        f"{t.seconds:.1f} s wall, {t.cpu:.1f} s CPU, peak {t.peak_rss_mb:.0f} MB "
        f"(process tree); {summary[-1] if summary else t.stderr[-300:]}; "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
