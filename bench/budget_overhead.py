"""What the per-file budget costs on the normal path: a recipe whose needles match most of the
interpreter's own standard library (so most files are parsed) and the built-in catalog, run
read-only (``preview``, ``--no-cache``) with the default budget and with
``--file-timeout 0 --file-memory 0`` (no watchdog, no child processes), alternating runs.

    python bench/budget_overhead.py [--runs 3] [--jobs 1] [--tree DIR]

Prints CPU seconds (main process and workers) per run; compare the medians. The output
summaries of both settings must be identical (no file of the stdlib is over the budget).

This session (2 shared cores, load ~13; `--tree` = the stdlib's email, json, asyncio,
unittest, logging and http packages, 118 files, `--runs 2`): median 19.03 CPU-s with the
budget, 19.07 CPU-s without; the same summary. 3 of the stdlib's 1,790 files are "at risk"
(run in a child process).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import timed, write_catalog


def _copy_stdlib(target: Path) -> Path:
    """The stdlib's ``.py`` files (not site-packages): it may sit in a git-ignored folder."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in stdlib.rglob("*.py"):
        rel = path.relative_to(stdlib)
        if rel.parts[0] == "site-packages" or not path.is_file():
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--tree", type=Path, help="default: a copy of the stdlib's .py files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "parse-heavy.yaml"
        write_catalog(catalog)
        text = catalog.read_text().replace("Every built-in recipe", "Parse most files")
        catalog.write_text(
            text + "  - rename_kwarg:\n      callables: ['*.get']\n"
            "      old: default\n      new: fallback\n"
        )
        tree = args.tree or _copy_stdlib(Path(tmp) / "stdlib")
        base = [sys.executable, "-m", "codemods", "preview", str(catalog), str(tree)]
        base += ["--no-cache", "--unsafe", "--format", "json", "--jobs", str(args.jobs)]
        settings = {"budget": [], "no budget": ["--file-timeout", "0", "--file-memory", "0"]}
        cpu: dict[str, list[float]] = {name: [] for name in settings}
        summaries: dict[str, set[str]] = {name: set() for name in settings}
        for run in range(args.runs):
            for name, extra in settings.items():
                t = timed([*base, *extra], cwd=Path(tmp))  # never a cwd with its own codemods/
                cpu[name].append(t.cpu)
                line = t.stderr.strip().splitlines()[-1] if t.stderr.strip() else ""
                summaries[name].add(line)
                print(
                    f"run {run + 1} {name:>9}: {t.cpu:.2f} CPU-s, {t.seconds:.2f} s wall; {line}",
                    flush=True,
                )
        for name in settings:
            print(f"median {name:>9}: {statistics.median(cpu[name]):.2f} CPU-s; {summaries[name]}")


if __name__ == "__main__":
    main()
