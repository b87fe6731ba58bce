"""Time the built-in catalog against ruff and LibCST's own codemod runner, on one corpus.

    .venv/bin/python bench/run.py                  # prints the table and the ratios

(The first run builds the corpus, /tmp/codemod-corpus, with ``bench/make_corpus.py``'s
defaults; run that script yourself for another size or injection rate.)

In one run over the same tree (see bench/RESULTS.md for what each figure means):

1. ``ruff check --select UP,I --diff --no-cache`` over the corpus: the speed reference.
2. Our whole built-in catalog (one composed recipe): ``apply --diff``, cold (an empty cache,
   which it fills), every core; the change count is checked against the injected count and
   the exact list of files. Then a warm re-run (``preview``) over the tree ``apply`` left:
   only the files it rewrote have new content. The injected files are restored afterwards.
3. Our rename recipe over the whole corpus, and, on a random sample of the same tree,
   the same recipe and ``python -m libcst.tool codemod rename.RenameCommand`` for an
   equivalent rename (LibCST's runner needs ~0.2 CPU-s per file: the whole tree would take
   most of an hour, so its whole-tree time is extrapolated from its per-file rate).
4. On 60 random files plus 18 injected ones: an unfiltered (``CODEMOD_NO_PREFILTER=1``:
   every step on every file), single-process run of the catalog must print exactly the same
   diff as the filtered parallel run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Timed, timed

VENV_BIN = Path(sys.executable).parent
CODEMOD = [sys.executable, "-m", "codemods"]

#: (our recipe, LibCST old name, LibCST new name): the same rename for both tools.
RENAMES = (
    (
        "agent-registry-imports",
        "netra_backend.app.core.agent_registry.AgentRegistry",
        "netra_backend.app.agents.supervisor.agent_registry.AgentRegistry",
    ),
    (
        "session-id-to-request-id",
        "netra_backend.app.services.user_execution_context.UserExecutionContext",
        "netra_backend.app.services.user_execution_context.UserContext",
    ),
)


def changed_paths(diff: str) -> list[str]:
    return re.findall(r"^\+\+\+ b/(.+)$", diff, flags=re.M)


def summary_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "unchanged" in line]
    return lines[-1].strip() if lines else stderr.strip().splitlines()[-1:][0] if stderr else ""


def show(name: str, t: Timed, files: int, extra: str = "") -> dict[str, object]:
    rate = t.cpu / files * 1000 if files else 0.0
    print(
        f"  {name:<44} {t.seconds:8.1f} s wall {t.cpu:8.1f} s CPU "
        f"{rate:7.2f} ms CPU/file  peak {t.peak_rss_mb:6.0f} MB  {extra}"
    )
    return {
        "name": name,
        "wall_s": round(t.seconds, 2),
        "cpu_s": round(t.cpu, 2),
        "files": files,
        "cpu_ms_per_file": round(rate, 3),
        "peak_rss_mb_tree": round(t.peak_rss_mb, 1),
        "returncode": t.returncode,
        "extra": extra,
    }


def make_sample(corpus: Path, files: list[str], size: int, seed: int) -> tuple[Path, list[str]]:
    rng = random.Random(seed)
    chosen = sorted(rng.sample(files, min(size, len(files))))
    sample = Path(tempfile.mkdtemp(prefix="codemod-sample-"))
    for rel in chosen:
        target = sample / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / rel, target)
    return sample, chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(tempfile.gettempdir()) / "codemod-corpus"
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--jobs", type=int, default=None, help="default: every core")
    parser.add_argument("--sample", type=int, default=300, help="files for LibCST's runner")
    parser.add_argument(
        "--unfiltered-sample",
        type=int,
        default=60,
        help="random files of the corpus for the unfiltered single-process run (it runs every "
        "step on every file: ~2 CPU-s per file)",
    )
    parser.add_argument(
        "--unfiltered-injected",
        type=int,
        default=18,
        help="injected files added to that sample, so that it has changes to compare",
    )
    parser.add_argument(
        "--catalog-sample",
        type=int,
        default=0,
        help="run the catalog (and ruff again) on a random sample of this many files instead "
        "of the whole tree, and compare CPU time per file (for busy machines: see RESULTS.md)",
    )
    parser.add_argument(
        "--catalog-only",
        action="store_true",
        help="only ruff and the catalog (cold, re-run, warm): e.g. for a second corpus with "
        "another injection rate",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still restore the corpus

    corpus = args.corpus.resolve()
    meta_file = corpus.with_name(corpus.name + ".json")
    if not meta_file.exists():  # first run: build the default corpus (~15 s)
        print(f"no corpus at {corpus}: building it with bench/make_corpus.py (12 copies, 1%)")
        build = [sys.executable, str(Path(__file__).with_name("make_corpus.py")), "--out"]
        subprocess.run([*build, str(corpus)], check=True)
    meta = json.loads(meta_file.read_text())
    catalog = meta["catalog_file"]
    jobs = args.jobs or len(os.sched_getaffinity(0))
    j = ["--jobs", str(jobs)]
    n_files, n_bytes = meta["files"], meta["bytes"]
    expected = set(meta["expected_changed"])
    rows: list[dict[str, object]] = []
    print(
        f"corpus {corpus}: {n_files:,} files, {n_bytes / 1e6:,.0f} MB, "
        f"{len(expected):,} injected; {jobs} jobs; catalog: {', '.join(meta['catalog'])}"
    )
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}")

    # 1. ruff, the speed reference (exit code 1 = it has fixes to show)
    ruff = shutil.which("ruff", path=str(VENV_BIN)) or "ruff"
    t_ruff = timed(
        [ruff, "check", "--isolated", "--select", "UP,I", "--diff", "--no-cache", str(corpus)]
    )
    rows.append(show("ruff check --select UP,I --diff --no-cache", t_ruff, n_files))

    # 2. the catalog, cold (empty cache, filling it), and the change count; a re-run over
    # the tree apply left (it re-parses what apply rewrote and what depends on the project);
    # a warm re-run over the now unchanged tree. Injected files are restored afterwards.
    all_files = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.py"))
    target, n_target, t_ruff_t = corpus, n_files, t_ruff
    if args.catalog_sample:
        target, picked = make_sample(corpus, all_files, args.catalog_sample, args.seed + 1)
        n_target = len(picked)
        expected = expected & set(picked)
        t_ruff_t = timed(
            [ruff, "check", "--isolated", "--select", "UP,I", "--diff", "--no-cache", str(target)]
        )
        rows.append(
            show("ruff check --select UP,I --diff --no-cache (catalog sample)", t_ruff_t, n_target)
        )
    backup = {rel: (target / rel).read_bytes() for rel in expected}
    shutil.rmtree(target / ".codemod_cache", ignore_errors=True)
    got: list[str] = []
    where = "" if target == corpus else " (catalog sample)"
    try:
        cmd = [*CODEMOD, "apply", catalog, str(target), "--unsafe", "--diff", *j]
        t_cat = timed(cmd, env={"NO_COLOR": "1"})
        rows.append(
            show(
                f"codemod apply <catalog>, cold{where}", t_cat, n_target, summary_line(t_cat.stderr)
            )
        )
        got = changed_paths(t_cat.stdout)
        got_py = {p for p in got if p.endswith(".py")}
        count_ok = got_py == expected
        print(
            f"    changes: {len(got):,} files ({len(got_py):,} .py), injected: {len(expected):,}: "
            f"{'EQUAL' if count_ok else 'DIFFERENT'}"
            + (
                ""
                if count_ok
                else f" (missing {sorted(expected - got_py)[:5]}, extra {sorted(got_py - expected)[:5]})"
            )
        )
        preview = [*CODEMOD, "preview", catalog, str(target), "--unsafe", *j]
        t_after = timed(preview, env={"NO_COLOR": "1"})
        rows.append(
            show(f"re-run after apply{where}", t_after, n_target, summary_line(t_after.stderr))
        )
        t_warm = timed(preview, env={"NO_COLOR": "1"})
        rows.append(
            show(
                f"warm re-run, unchanged tree{where}", t_warm, n_target, summary_line(t_warm.stderr)
            )
        )
    finally:
        for rel, data in backup.items():
            (target / rel).write_bytes(data)
        shutil.rmtree(target / ".codemod_cache", ignore_errors=True)
        for path in got:
            if not path.endswith(".py") and (target / path).exists():
                print(f"    note: the catalog also wrote {path} (a config edit); removed")
                (target / path).unlink()
        if target != corpus:
            shutil.rmtree(target, ignore_errors=True)

    if args.catalog_only:
        ratios = {
            "catalog / ruff, wall (target <= 1.5)": t_cat.seconds / t_ruff_t.seconds,
            "catalog / ruff, CPU (same files)": t_cat.cpu / max(t_ruff_t.cpu, 1e-9),
            "warm re-run seconds (target <= 3)": t_warm.seconds,
            "change count == injected (target: equal)": float(count_ok),
        }
        print("\nratios:")
        for name, value in ratios.items():
            print(f"  {name:<76} {value:10.2f}")
        return

    # 4. the rename: ours on the whole tree and on a sample; LibCST's runner on the sample
    from codemods.recipe import RecipeLoader

    available = {i.id for i in RecipeLoader().available()}
    recipe, old, new = next(r for r in RENAMES if r[0] in available)
    sample, chosen = make_sample(corpus, all_files, args.sample, args.seed)
    small = sample
    try:
        t_ren = timed(
            [*CODEMOD, "preview", recipe, str(corpus), "--no-cache", *j], env={"NO_COLOR": "1"}
        )
        rows.append(
            show(
                f"codemod preview {recipe} (whole tree)", t_ren, n_files, summary_line(t_ren.stderr)
            )
        )
        t_ren_s = timed(
            [*CODEMOD, "preview", recipe, str(sample), "--no-cache", *j], env={"NO_COLOR": "1"}
        )
        rows.append(
            show(
                f"codemod preview {recipe} (sample)",
                t_ren_s,
                len(chosen),
                summary_line(t_ren_s.stderr),
            )
        )
        libcst_cmd = [
            sys.executable, "-P", "-m", "libcst.tool", "codemod", "rename.RenameCommand",
            "--old_name", old, "--new_name", new, "-u", "1", "--no-format", "-j", str(jobs),
            "--hide-progress", ".",  # an absolute path makes it change nothing (libcst 1.9)
        ]  # fmt: skip
        t_lib = timed(libcst_cmd, cwd=sample)
        rows.append(show("libcst.tool codemod rename.RenameCommand (sample)", t_lib, len(chosen)))

        # 5. unfiltered single-process vs filtered parallel, on random files plus injected ones
        rng = random.Random(args.seed + 2)
        injected = rng.sample(sorted(meta["expected_changed"]), args.unfiltered_injected)
        others = [f for f in all_files if f not in set(meta["expected_changed"])]
        picked_small = sorted({*injected, *rng.sample(others, args.unfiltered_sample)})
        small, _ = make_sample(corpus, picked_small, len(picked_small), args.seed)
        base = [*CODEMOD, "preview", catalog, str(small), "--unsafe", "--no-cache"]
        t_f = timed([*base, *j], env={"NO_COLOR": "1"})
        t_u = timed([*base, "--jobs", "1"], env={"NO_COLOR": "1", "CODEMOD_NO_PREFILTER": "1"})
        n_small = len(picked_small)
        rows.append(show("catalog, filtered, parallel (unfiltered sample)", t_f, n_small))
        rows.append(show("catalog, unfiltered, 1 process (unfiltered sample)", t_u, n_small))
        same = t_f.stdout == t_u.stdout and t_f.returncode == t_u.returncode
        small_changed = {p for p in changed_paths(t_f.stdout) if p.endswith(".py")}
        print(
            f"    unfiltered single-process diff == filtered parallel diff: {same} "
            f"({len(small_changed)} files changed, {len(injected)} injected in the sample)"
        )
        same = same and len(small_changed) == len(injected)
    finally:
        shutil.rmtree(sample, ignore_errors=True)
        if small != sample:
            shutil.rmtree(small, ignore_errors=True)

    lib_rate = t_lib.seconds / len(chosen)
    lib_full = lib_rate * n_files
    ours_rate_s = t_ren_s.seconds / len(chosen)
    peak = max(t_cat.peak_rss_mb, t_warm.peak_rss_mb, t_ren.peak_rss_mb)
    ratios = {
        "catalog / ruff, wall (target <= 1.5)": t_cat.seconds / t_ruff_t.seconds,
        "catalog / ruff, CPU (same files)": t_cat.cpu / max(t_ruff_t.cpu, 1e-9),
        "LibCST runner / ours, same sample, wall per file (target >= 30)": lib_rate / ours_rate_s,
        "LibCST runner extrapolated to the tree / ours on the tree (target >= 30)": lib_full
        / t_ren.seconds,
        "warm re-run seconds (target <= 3)": t_warm.seconds,
        "warm re-run seconds, scaled to the whole tree": t_warm.seconds * n_files / n_target,
        "peak memory MB, whole process tree (target <= 1024)": peak,
        "change count == injected (target: equal)": float(count_ok),
        "unfiltered single-process == filtered parallel (target: equal)": float(same),
    }
    print("\nratios:")
    for name, value in ratios.items():
        print(f"  {name:<76} {value:10.2f}")
    print(
        f"  (LibCST runner whole-tree estimate: {lib_full / 60:.1f} min from {lib_rate * 1000:.0f} ms/file)"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"corpus": {k: v for k, v in meta.items() if k != "expected_changed"}, "jobs": jobs,
              "rows": rows, "ratios": ratios, "libcst_estimate_s": lib_full}  # fmt: skip
    (args.out / "results.json").write_text(json.dumps(report, indent=1))
    print(f"\nwritten: {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
