"""The widely-matching scenarios of issue 14, each timed against ruff in the same run.

    .venv/bin/python bench/scenarios.py                     # ~10-20 minutes on 2 idle cores
    .venv/bin/python bench/scenarios.py --moves-sample 0    # the moves on the whole stdlib copy

On a copy of the interpreter's standard library (``/tmp/codemod-corpus-std``, made on the
first run: every ``.py`` outside site-packages, ~1,790 files), with the recipes in
``bench/recipes/``:

2. ``rename_module`` (``unittest`` -> ``unittest2``) and ``rename_symbol``
   (``unittest.TestCase`` -> ``unittest.BaseTestCase``): each changes 38-48% of the files.
   Ours, ruff and ``python -m libcst.tool codemod rename.RenameCommand`` (the same rename) on
   the same random ``--moves-sample`` files (0: the whole tree; LibCST's runner then too).
3. ``rename_kwarg``: ``stdout`` -> ``stdout_to`` in calls to ``subprocess.Popen``/``run``/...,
   on the whole tree (LibCST's runner has no keyword rename).
4. Re-runs of 2. (``rename_symbol``) on a copy of the sample: after a ``preview`` (nothing
   applied: the pending changes come from the cache), and after ``apply``.
5. Scaling of 3.: 1k / 5k / 20k files (copies of the stdlib copy), ``-j1`` and ``-j2``, with
   ruff on the same tree.

(Scenario 1, the catalog on the injected corpora, is ``bench/run.py --catalog-only``.)
Every row records the load average before it ran: the machine may be shared. CPU seconds are
user + sys of the whole process tree; peak memory is the tree's RSS sampled every 0.1 s.
Writes ``bench/out/scenarios.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Timed, timed

VENV_BIN = Path(sys.executable).parent
CODEMOD = [sys.executable, "-m", "codemods"]
RECIPES = ROOT / "bench" / "recipes"
MOVES = (
    ("std-unittest-module", "unittest", "unittest2"),
    ("std-testcase-symbol", "unittest.TestCase", "unittest.BaseTestCase"),
)
KWARG = "std-popen-kwarg"


def load() -> str:
    return (
        Path("/proc/loadavg").read_text().split(" ", 3)[0]
        if Path("/proc/loadavg").exists()
        else "?"
    )


def make_std(target: Path) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in stdlib.rglob("*.py"):
        rel = path.relative_to(stdlib)
        if rel.parts[0] == "site-packages":
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel)


def files_of(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if ".codemod_cache" not in p.parts)


def copy_some(files: list[Path], base: Path, target: Path) -> None:
    for path in files:
        dest = target / path.relative_to(base)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)


def scaled(std: Path, n: int, target: Path) -> int:
    """``n`` files: whole copies of the stdlib copy, then the first files of one more."""
    files = files_of(std)
    copies, rest = divmod(n, len(files))
    for i in range(copies):
        shutil.copytree(std, target / f"copy{i:02d}")
    copy_some(files[:rest], std, target / f"copy{copies:02d}")
    return len(files_of(target))


class Rows:
    def __init__(self, repeat: int = 1) -> None:
        self.rows: list[dict[str, object]] = []
        self.repeat = repeat  # runs of ours and of ruff per row: the median (by wall) is kept
        self.paths: dict[str, set[str]] = {}  # row name -> the files its diff changes

    def add(
        self,
        name: str,
        t: Timed,
        files: int,
        changed: int | None,
        before: str,
        runs: list[Timed] | None = None,
    ) -> Timed:
        spread = ""
        if runs and len(runs) > 1:
            walls = sorted(r.seconds for r in runs)
            spread = f" (median of {len(runs)}: {walls[0]:.1f}-{walls[-1]:.1f})"
        print(
            f"  {name:<52} {files:>6} files {t.seconds:7.1f} s wall {t.cpu:7.1f} s CPU "
            f"peak {t.peak_rss_mb:5.0f} MB  changed {changed if changed is not None else '-':>5}  "
            f"load {before}->{load()}{spread}"
        )
        self.rows.append({"name": name, "files": files, "wall_s": round(t.seconds, 2),
                          "cpu_s": round(t.cpu, 2), "peak_mb": round(t.peak_rss_mb, 1),
                          "changed": changed, "load_before": before, "load_after": load(),
                          "returncode": t.returncode,
                          "runs": [{"wall_s": round(r.seconds, 2), "cpu_s": round(r.cpu, 2)}
                                   for r in runs or [t]]})  # fmt: skip
        return t

    def median(self, run: Callable[[], Timed]) -> tuple[Timed, list[Timed]]:
        """``run`` done :attr:`repeat` times: the run of median wall time, and all of them."""
        runs = [run() for _ in range(self.repeat)]
        return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2], runs


def ruff(rows: Rows, tree: Path, name: str, files: int) -> Timed:
    exe = shutil.which("ruff", path=str(VENV_BIN)) or "ruff"
    before = load()
    cmd = [exe, "check", "--isolated", "--select", "UP,I", "--diff", "--no-cache", str(tree)]
    t, runs = rows.median(lambda: timed(cmd))
    return rows.add(name, t, files, None, before, runs)


def ours(
    rows: Rows,
    cmd: str,
    recipe: str,
    tree: Path,
    name: str,
    files: int,
    *extra: str,
    code: Path | None = None,
    repeat: bool = False,
) -> Timed:
    """``codemod CMD recipe tree``; ``code``: run the package from that directory instead
    (a ``git archive`` of another commit, see ``--baseline``); ``repeat``: a run that leaves
    the tree as it was, done ``--repeat`` times (the median is the row)."""
    before = load()
    env = {"NO_COLOR": "1", **({"PYTHONPATH": str(code)} if code is not None else {})}
    # `python -m` puts the working directory first on sys.path: run from ``code`` so that its
    # package, not the one of this checkout, is imported (PYTHONPATH alone lost to the cwd)
    argv = [*CODEMOD, cmd, str(RECIPES / f"{recipe}.yaml"), str(tree), *extra]
    if repeat:  # the same command again changes nothing: a `preview` with `--no-cache`
        t, runs = rows.median(lambda: timed(argv, env=env, cwd=code))
    else:
        t = timed(argv, env=env, cwd=code)
        runs = [t]
    found = re.search(r"(\d[\d,]*) files? (?:would be )?changed", t.stderr)
    changed = (
        int(found.group(1).replace(",", "")) if found else 0 if "no file" in t.stderr else None
    )
    rows.add(name, t, files, changed, before, runs)
    if cmd == "preview":  # the files it would change, to compare with LibCST's runner
        rows.paths[name] = diff_paths(t.stdout)
    return t


def diff_paths(patch: str, root: Path | None = None) -> set[str]:
    """The files a unified diff changes (its ``+++ `` headers, ``b/``, ``./`` and ``root/``
    dropped)."""
    out = set()
    for line in patch.splitlines():
        if line.startswith("+++ "):
            path = line[4:].split("\t")[0]
            for prefix in ("b/", "./", f"{root}/" if root else "b/"):
                path = path.removeprefix(prefix)
            out.add(path)
    return out


def libcst_runner(
    rows: Rows, tree: Path, old: str, new: str, name: str, files: int, jobs: int
) -> Timed:
    work = Path(tempfile.mkdtemp(prefix="codemod-libcst-"))
    shutil.copytree(tree, work / "t")
    try:
        before = load()
        # -P: the tree is a stdlib copy, and the cwd first on sys.path would shadow the
        # interpreter's own modules (`concurrent` without `futures`: the runner died at once,
        # the cause of the "0 changed" row)
        t = timed(
            [
                sys.executable,
                "-P",
                "-m",
                "libcst.tool",
                "codemod",
                "rename.RenameCommand",
                "--old_name",
                old,
                "--new_name",
                new,
                "-u",
                "1",
                "--no-format",
                "-j",
                str(jobs),
                "--hide-progress",
                ".",
            ],
            cwd=work / "t",
        )  # a relative path: given an absolute one, it changes nothing
        # `-u` makes the runner print a diff per changed file instead of writing it (as our
        # `preview` does): count the diffs' `+++` headers, not changed files on disk
        changed = len({line for line in t.stdout.splitlines() if line.startswith("+++ ")})
        rows.add(name, t, files, changed, before)
        rows.paths[name] = diff_paths(t.stdout, work / "t")
        rows.rows[-1]["paths"] = sorted(rows.paths[name])
        return t
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--std", type=Path, default=Path(tempfile.gettempdir()) / "codemod-corpus-std"
    )
    parser.add_argument("--moves-sample", type=int, default=150, help="0: the whole tree")
    parser.add_argument("--scales", default="1000,5000,20000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of ruff and of each --no-cache preview: the median is the row",
    )
    parser.add_argument("--skip", default="", help="comma-separated scenario numbers to skip")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--baseline",
        default="",
        help="also run scenario 2 with the code of this commit (a git archive of it), same run",
    )
    parser.add_argument("--recipes", default="", help="scenario 2: only these recipes (comma)")
    parser.add_argument(
        "--no-runner", action="store_true", help="scenario 2 without LibCST's runner"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    skip = {s for s in args.skip.split(",") if s}
    std = args.std
    if not std.exists():
        print(f"making {std} from the interpreter's standard library")
        make_std(std)
    all_files = files_of(std)
    jobs = len(os.sched_getaffinity(0))
    j = ["--jobs", str(jobs)]
    rows = Rows(max(1, args.repeat))
    print(f"stdlib copy {std}: {len(all_files):,} files; {jobs} cores; load {load()}")

    scratch = Path(tempfile.mkdtemp(prefix="codemod-scenarios-"))
    baseline: Path | None = None
    if args.baseline:
        baseline = scratch / "baseline"
        baseline.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.baseline], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
    only = {r for r in args.recipes.split(",") if r}
    try:
        if "2" not in skip or "4" not in skip:
            if args.moves_sample:
                rng = random.Random(args.seed)
                picked = sorted(rng.sample(all_files, args.moves_sample))
                sample = scratch / "sample"
                copy_some(picked, std, sample)
            else:
                sample = std
            n = len(files_of(sample))
            print(
                f"\n2. moves over {'a random sample' if args.moves_sample else 'the whole tree'} ({n} files)"
            )
            ruff(rows, sample, "ruff (moves tree)", n)
            for recipe, old, new in MOVES:
                if "2" in skip:
                    break
                if only and recipe not in only:
                    continue
                ours(
                    rows,
                    "preview",
                    recipe,
                    sample,
                    f"codemod preview {recipe}",
                    n,
                    "--no-cache",
                    *j,
                    repeat=True,
                )
                if baseline is not None:
                    ours(rows, "preview", recipe, sample, f"same at {args.baseline}", n,
                         "--no-cache", *j, code=baseline)  # fmt: skip
                if not args.no_runner:
                    libcst_runner(
                        rows, sample, old, new, f"libcst.tool rename {old} -> {new}", n, jobs
                    )
                    mine = rows.paths[f"codemod preview {recipe}"]
                    theirs = rows.paths[f"libcst.tool rename {old} -> {new}"]
                    for label, only_in in (("ours", mine - theirs), ("the runner", theirs - mine)):
                        if only_in:
                            print(f"    changed by {label} only: {', '.join(sorted(only_in))}")
            if "4" not in skip:
                recipe = next((m[0] for m in MOVES if m[0] in only), MOVES[1][0])
                print(f"\n4. re-runs of {recipe} on a copy of that tree")
                copy = scratch / "rerun"
                shutil.copytree(sample, copy)
                ours(rows, "preview", recipe, copy, "preview, cold (fills the cache)", n, *j)
                ours(rows, "preview", recipe, copy, "preview again, nothing applied", n, *j)
                ours(rows, "apply", recipe, copy, "apply", n, *j)
                ours(rows, "preview", recipe, copy, "re-run after apply", n, *j)
                ours(rows, "preview", recipe, copy, "re-run again, unchanged tree", n, *j)
        if "3" not in skip:
            n = len(all_files)
            print(f"\n3. rename_kwarg over the whole tree ({n} files)")
            ruff(rows, std, "ruff", n)
            ours(rows, "preview", KWARG, std, f"codemod preview {KWARG}", n, "--no-cache", *j,
                 repeat=True)  # fmt: skip
        if "5" not in skip:
            print("\n5. scaling of 3.")
            for size in [int(s) for s in args.scales.split(",") if s]:
                tree = scratch / f"scale{size}"
                n = scaled(std, size, tree)
                ruff(rows, tree, f"ruff, {size:,}", n)
                for jn in ("1", "2"):
                    ours(rows, "preview", KWARG, tree, f"codemod preview {KWARG}, {size:,}, -j{jn}", n,
                         "--no-cache", "--jobs", jn)  # fmt: skip
                shutil.rmtree(tree, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "scenarios.json"
    out.write_text(
        json.dumps({"cores": jobs, "python": sys.version.split()[0], "rows": rows.rows}, indent=1)
    )
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
