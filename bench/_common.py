"""Shared helpers for the benchmark scripts (not part of the package or the test run)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "recipes"


def catalog_recipes() -> list[str]:
    """Every built-in recipe that no other built-in recipe already includes.

    Composite recipes (``netra-remediation``) include others; running both would only run the
    same steps twice, so the catalog is the set of top-level recipes.
    """
    sys.path.insert(0, str(ROOT))
    from codemods.recipe import RecipeLoader

    loader = RecipeLoader()
    ids = [info.id for info in loader.available()]
    used: set[str] = set()
    for recipe_id in ids:
        stack = [recipe_id]
        while stack:
            recipe = loader.load(stack.pop())
            for child in recipe.uses:
                if child not in used:
                    used.add(child)
                    stack.append(child)
    return [i for i in ids if i not in used]


def write_catalog(path: Path) -> list[str]:
    """A recipe file composing the whole built-in catalog; returns the recipe ids it uses."""
    ids = catalog_recipes()
    lines = [
        "title: Every built-in recipe",
        "description: >",
        "  The benchmark's catalog: every top-level built-in recipe, in one pass.",
        "steps:",
        *[f"  - recipe: {i}" for i in ids],
    ]
    path.write_text("\n".join(lines) + "\n")
    return ids


@dataclass
class Timed:
    seconds: float
    cpu: float
    peak_rss_mb: float  # sampled sum over the process tree (main + workers)
    max_child_rss_mb: float  # getrusage: the largest single process
    returncode: int
    stdout: str
    stderr: str


def _tree_rss_kb(pid: int) -> int:
    """RSS of ``pid`` and all its descendants, from /proc (Linux); 0 elsewhere."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                text = handle.read()
        except OSError:
            continue
        ppid = kb = 0
        for line in text.splitlines():
            if line.startswith("PPid:"):
                ppid = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                kb = int(line.split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = kb
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def timed(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Timed:
    """Run ``cmd``, measuring wall time, CPU time and peak memory of its whole process tree."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(seconds, cpu, peak / 1024, after.ru_maxrss / 1024, proc.returncode, out, err)
