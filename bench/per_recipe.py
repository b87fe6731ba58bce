"""CPU seconds of each built-in recipe on a sample of the stdlib, with ruff on the same files.

    .venv/bin/python bench/per_recipe.py [--every 10] [--baseline REV]

Every ``--every``-th ``.py`` file of the interpreter's standard library (outside
site-packages) is copied to a temp tree; ``ruff check --select UP,I --diff --no-cache`` runs on
it (CPU of the child process), then each built-in recipe runs in this process over every file
(``transform_source``: needles, pre-checks, steps, verification; no workers, no cache).
``--baseline REV`` runs the same recipes with the code of another commit (``git worktree``) in
a child process, so both columns come from the same run. Prints one row per recipe: CPU
seconds, the ratio to ruff's CPU on the same files, and files changed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, timed


def sample(every: int) -> list[Path]:
    std = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "dist-packages", "__pycache__"}
    files = [p for p in sorted(std.rglob("*.py")) if not skip & set(p.relative_to(std).parts[:-1])]
    return files[::every]


def measure(root: Path, every: int) -> dict[str, tuple[float, int]]:
    """recipe -> (CPU s, files changed), with the code under ``root``."""
    sys.path.insert(0, str(root))
    from codemods.engine.transform import transform_source
    from codemods.recipe import RecipeLoader
    from codemods.testing import case_context

    std = Path(sysconfig.get_paths()["stdlib"])
    files = [(p, p.read_bytes(), p.relative_to(std).as_posix()) for p in sample(every)]
    loader = RecipeLoader()
    out: dict[str, tuple[float, int]] = {}
    for info in loader.available():
        recipe = loader.load(str(info.path))
        start, changed = time.process_time(), 0
        for _path, data, rel in files:
            outcome = transform_source(data, recipe.steps, case_context(rel), rel)
            changed += outcome.new is not None and outcome.new != data
        out[info.path.stem] = (time.process_time() - start, changed)
    return out


def ruff_cpu(files: list[Path]) -> float:
    tree = Path(tempfile.mkdtemp(prefix="codemod-per-recipe-"))
    std = Path(sysconfig.get_paths()["stdlib"])
    for path in files:
        target = tree / path.relative_to(std)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    ruff = Path(sys.executable).parent / "ruff"
    cmd = [str(ruff), "check", "--select", "UP,I", "--diff", "--no-cache", "--isolated", "."]
    cpu = timed(cmd, cwd=tree).cpu
    shutil.rmtree(tree, ignore_errors=True)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--baseline", default=None, help="another commit, measured in the same run")
    parser.add_argument("--json-of", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json_of is not None:  # the child process of --baseline
        print(json.dumps(measure(args.json_of, args.every)))
        return
    files = sample(args.every)
    ruff = ruff_cpu(files)
    base: dict[str, list[float]] = {}
    if args.baseline:
        where = Path(tempfile.mkdtemp(prefix="codemod-baseline-")) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(where), args.baseline],
            cwd=ROOT,
            check=True,
        )
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--every", str(args.every), "--json-of", str(where)],
                capture_output=True,
                text=True,
                check=True,
            )
            base = json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False
            )
    ours = measure(ROOT, args.every)
    print(f"{len(files)} stdlib files; ruff --select UP,I --diff: {ruff:.2f} CPU-s")
    head = f"{'recipe':40} {'CPU s':>8} {'x ruff':>8} {'changed':>8}"
    if base:
        head += f" {'baseline':>10} {'x ruff':>8}"
    print(head)
    for name, (cpu, changed) in sorted(ours.items(), key=lambda kv: -kv[1][0]):
        row = f"{name:40} {cpu:8.1f} {cpu / ruff:8.1f} {changed:8}"
        if name in base:
            row += f" {base[name][0]:10.1f} {base[name][0] / ruff:8.1f}"
        print(row)
    total = sum(c for c, _ in ours.values())
    line = f"{'all recipes':40} {total:8.1f} {total / ruff:8.1f}"
    if base:
        bt = sum(v[0] for v in base.values())
        line += f" {'':8} {bt:10.1f} {bt / ruff:8.1f}"
    print(line)


if __name__ == "__main__":
    main()
