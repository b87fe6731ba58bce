"""The differential oracle over real code (issue 19): stdlib plus a pinned set of packages.

    python bench/oracle_corpus.py                 # build the venv once, run over everything
    python bench/oracle_corpus.py --every 5       # every 5th candidate file
    python bench/oracle_corpus.py --stdlib-only
    python bench/oracle_corpus.py --venv /tmp/v -j1   # reuse a venv, one process

The packages are installed into a throwaway venv (``--venv``, default a fresh temp dir) with
the pins below; the composed recipe of :data:`codemods.oracle.COMPOSED` runs over every file
of the interpreter's stdlib and of those packages that could match it (the same needles the
engine's pre-check uses), and pyflakes runs before and after. Printed:
files, changed files per step, and every new undefined name / undefined local / redefinition
of an unused import / unused import of an old path / file that stops compiling / second run
that changes the file again. Exit status 1 if any was found. Run it under ``nice``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codemods.oracle import run_corpus_parallel  # noqa: E402

PINS = ["attrs==24.2.0", "httpx==0.27.2", "requests==2.32.3", "rich==13.9.4", "click==8.1.7"]
PACKAGES = ["attr", "attrs", "httpx", "httpcore", "requests", "urllib3", "rich", "click", "pip"]
NEEDLES = (
    b"OrderedDict",
    b"wraps",
    b"mock",
    b"getopt",
    b"warn",
    b"subprocess",
    b"typing",
    b"import os",
    b"import sys",
)
_SKIP = {"site-packages", "dist-packages", "__pycache__"}


def site_packages(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def corpus(stdlib_only: bool, venv: Path, stdlib_too: bool = True) -> list[tuple[Path, str]]:
    roots: list[tuple[Path, Path]] = []
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if stdlib_too:
        roots.append((stdlib, stdlib))
    if not stdlib_only:
        site = site_packages(venv)
        roots += [(site / name, site) for name in PACKAGES if (site / name).is_dir()]
    files = []
    for top, base in roots:
        for path in sorted(top.rglob("*.py")):
            rel = path.relative_to(base)
            if _SKIP & set(rel.parts[:-1]) if top is stdlib else "__pycache__" in rel.parts:
                continue
            files.append((path, rel.as_posix()))
    return files


def _cpu() -> float:
    """CPU seconds of this process and its (finished) workers."""
    import resource

    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="every Nth candidate file")
    parser.add_argument("--stdlib-only", action="store_true")
    parser.add_argument("--packages-only", action="store_true")
    parser.add_argument("--venv", type=Path, default=None, help="reuse this venv")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    venv = args.venv or Path(tempfile.mkdtemp(prefix="codemod-oracle-")) / "venv"
    files = corpus(args.stdlib_only, venv, stdlib_too=not args.packages_only)
    candidates = [(p, r) for p, r in files if any(n in p.read_bytes() for n in NEEDLES)]
    picked = candidates[:: args.every]
    print(
        f"corpus: {len(files)} files, {len(candidates)} candidates, {len(picked)} to check",
        flush=True,
    )
    start, cpu = time.perf_counter(), _cpu()
    report = run_corpus_parallel(picked, jobs=args.jobs)
    wall, used = time.perf_counter() - start, _cpu() - cpu
    print(report.summary())
    for step, count in sorted(report.per_step.items()):
        print(f"  step {step}: {count} files changed")
    for finding in report.findings:
        print(f"  {finding}")
    print(f"{wall:.0f} s wall, {used:.0f} CPU-s")
    return 1 if report.by_kind or report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
