"""Build a benchmark corpus: real Python files copied N times, with known breakages injected.

    .venv/bin/python bench/make_corpus.py --copies 12 --rate 0.01 --out /tmp/codemod-corpus

Copies every ``.py`` file of ``--source`` (default: this interpreter's standard library,
without site-packages) ``--copies`` times into ``--out/copy_NN/...``, then appends one
BREAKAGES.md pattern to a ``--rate`` fraction of the copies. Only patterns whose built-in
recipe exists are used, so the script keeps working as recipes land.

So that the expected change count is exact, source files that the catalog would change on
their own (before any injection) are left out of the corpus; their number is printed and
written to ``corpus.json`` with everything else the runner needs (file count, size, injected
count, per pattern).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import sysconfig
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, catalog_recipes, write_catalog

sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Pattern:
    recipe: str  # the built-in recipe that fixes it
    name: str
    snippet: str  # appended to a file; must change exactly that file
    avoid: tuple[str, ...] = ()  # skip files containing any of these (would blur the count)


PATTERNS = (
    Pattern(
        "session-id-to-request-id",
        "session_id keyword (aliased import, multi-line call)",
        "\n\nfrom netra_backend.app.services.user_execution_context import (\n"
        "    UserExecutionContext as _BenchUEC,\n)\n\n\n"
        "def _bench_context(uid, sid):\n"
        "    return _BenchUEC(\n        user_id=uid,\n        session_id=sid,  # injected\n    )\n",
    ),
    Pattern(
        "session-id-to-request-id",
        "session_id keyword (module attribute, classmethod)",
        "\n\nfrom netra_backend.app.services import user_execution_context as _bench_uec\n\n\n"
        "def _bench_from_request(uid):\n"
        '    return _bench_uec.UserExecutionContext.from_request(user_id=uid, session_id="s")\n',
    ),
    Pattern(
        "agent-registry-imports",
        "moved AgentRegistry import",
        "\n\nfrom netra_backend.app.core.agent_registry import AgentRegistry as _BenchRegistry\n\n\n"
        "def _bench_registry():\n    return _BenchRegistry()\n",
    ),
    Pattern(
        "execution-status-imports",
        "moved ExecutionStatus import",
        "\n\nfrom netra_backend.app.agents.base.interface import ExecutionStatus\n\n\n"
        "def _bench_status():\n    return ExecutionStatus.COMPLETED\n",
        avoid=("ExecutionStatus",),
    ),
    Pattern(
        "pipeline-step-config",
        "PipelineStep renamed",
        "\n\nfrom netra_backend.app.agents.supervisor.execution_context import PipelineStep\n\n\n"
        'def _bench_step():\n    return PipelineStep(name="bench")\n',
        avoid=("PipelineStep",),
    ),
    Pattern(
        "create-for-user-to-from-request",
        "create_for_user renamed",
        "\n\nfrom netra_backend.app.services.user_execution_context import UserExecutionContext\n\n\n"
        'def _bench_for_user():\n    return UserExecutionContext.create_for_user(user_id="u")\n',
        avoid=("UserExecutionContext",),
    ),
    Pattern(
        "sync-setup-method",
        "async setup_method",
        "\n\nclass TestBenchInjected:\n"
        "    async def setup_method(self, method):\n        self.ready = True\n\n"
        "    def test_ready(self):\n        assert self.ready\n",
        avoid=("setup_method",),
    ),
    Pattern(
        "remove-unused-resource-import",
        "unused resource import",
        "\n\nimport resource  # injected, never used\n",
        avoid=("resource",),
    ),
    Pattern(
        "asyncio-markers",
        "async test without the asyncio mark",
        "\n\nasync def test_bench_injected():\n    assert await _bench_ready()\n\n\n"
        "async def _bench_ready():\n    return True\n",
        avoid=("pytestmark", "asyncio_mode", "test_bench", "import pytest as", "from pytest"),
    ),
)


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def source_files(source: Path) -> list[Path]:
    skip = {
        "site-packages",
        "dist-packages",
        "__pycache__",
        ".git",
        ".venv",
        "venv",
        "node_modules",
    }
    return sorted(p for p in source.rglob("*.py") if p.is_file() and not skip.intersection(p.parts))


def naturally_changed(source: Path, files: list[Path], catalog: Path) -> set[Path]:
    """Source files the catalog would change before any injection (left out of the corpus)."""
    from codemods.engine import Status, make_plan, run
    from codemods.recipe import RecipeLoader

    with tempfile.TemporaryDirectory(prefix="codemod-prescan-") as tmp:
        staged = Path(tmp) / "src"
        for path in files:
            target = staged / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        recipe = RecipeLoader().load(str(catalog))
        plan = make_plan(recipe, [staged], unsafe=True)
        changed = set()
        for result in run(plan):
            if result.status is Status.CHANGED:
                rel = Path(result.path).resolve().relative_to(staged.resolve())
                changed.add(source / rel)
        return changed


def injectable(data: bytes) -> bool:
    if b"\0" in data:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<corpus>", "exec", dont_inherit=True)
        data.decode("utf-8")
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=None, help="default: the stdlib")
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--rate", type=float, default=0.01, help="fraction of files to break")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "codemod-corpus")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--skip-prescan",
        action="store_true",
        help="do not look for files the catalog changes on its own (only to rebuild a corpus "
        "whose earlier build left none out: the prescan takes minutes)",
    )
    args = parser.parse_args()

    source = (args.source or stdlib_dir()).resolve()
    recipes = set(catalog_recipes())
    from codemods.recipe import RecipeLoader

    loader = RecipeLoader()
    available = {i.id for i in loader.available()}
    patterns = [p for p in PATTERNS if p.recipe in available]
    if not patterns:
        sys.exit("no built-in recipe for any known pattern")
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    catalog = args.out.parent / f"{args.out.name}-catalog.yaml"
    write_catalog(catalog)

    files = source_files(source)
    natural = set() if args.skip_prescan else naturally_changed(source, files, catalog)
    files = [f for f in files if f not in natural]
    print(
        f"source: {source}: {len(files):,} files ({len(natural)} left out: the catalog changes them)"
    )

    rng = random.Random(args.seed)
    injected: dict[str, int] = {}
    total_files = total_bytes = 0
    expected: list[str] = []
    for copy in range(args.copies):
        base = args.out / f"copy_{copy:02d}"
        for path in files:
            rel = path.relative_to(source)
            target = base / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            if rng.random() < args.rate and injectable(data):
                candidates = [p for p in patterns if not any(a.encode() in data for a in p.avoid)]
                if candidates:
                    pattern = candidates[sum(injected.values()) % len(candidates)]
                    data = data.rstrip(b"\n") + b"\n" + pattern.snippet.encode()
                    injected[pattern.name] = injected.get(pattern.name, 0) + 1
                    expected.append(target.relative_to(args.out).as_posix())
            target.write_bytes(data)
            total_files += 1
            total_bytes += len(data)
    meta = {
        "source": str(source),
        "copies": args.copies,
        "rate": args.rate,
        "seed": args.seed,
        "files": total_files,
        "bytes": total_bytes,
        "left_out_natural_changes": len(natural),
        "catalog": sorted(recipes),
        "catalog_file": str(catalog),
        "injected": sum(injected.values()),
        "injected_by_pattern": injected,
        "patterns_used": sorted({p.name for p in patterns}),
        "expected_changed": sorted(expected),
    }
    (args.out.parent / f"{args.out.name}.json").write_text(json.dumps(meta, indent=1))
    print(
        f"corpus: {args.out}: {total_files:,} files, {total_bytes / 1e6:,.0f} MB, "
        f"{meta['injected']:,} files with an injected breakage "
        f"({', '.join(f'{k}: {v}' for k, v in injected.items())})"
    )
    print(f"catalog recipe: {catalog} ({', '.join(sorted(recipes))})")


if __name__ == "__main__":
    main()
