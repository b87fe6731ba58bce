"""The differential oracle: run steps over real files and ask pyflakes what the rewrite broke.

For every file a chain of steps changes, pyflakes runs on the file before and after; a
problem the rewrite introduced is one whose (kind, name) count grew: an undefined name or
local, a redefinition of an unused name (an import added beside an existing one), an unused
import of an old path. Each changed file must also compile, and a second run over the output
must change nothing. Used by ``tests/test_oracle.py`` (a sample, and the whole corpus under
``-m slow``) and ``bench/oracle_corpus.py`` (stdlib plus a pinned set of packages).

pyflakes is a test dependency: this module is never imported by the ``codemod`` tool itself.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codemods.engine.results import Status
from codemods.engine.transform import transform_source
from codemods.recipe import CompiledStep
from codemods.testing import case_context, run_source

#: pyflakes message classes the oracle counts (name -> short label).
KINDS = {
    "UndefinedName": "undefined name",
    "UndefinedLocal": "undefined local",
    "RedefinedWhileUnused": "redefinition of unused",
    "UnusedImport": "unused import",
    "ImportShadowedByLoopVar": "import shadowed by loop variable",
}

#: The composed recipe of issue 19: steps that fire widely over the stdlib and real packages.
COMPOSED: list[tuple[str, dict[str, object]]] = [
    ("rename_kwarg", {"callables": ["warnings.warn"], "old": "stacklevel", "new": "stack_level"}),
    (
        "rename_kwarg",
        {
            "callables": ["subprocess.run", "subprocess.check_output"],
            "old": "check",
            "new": "check_",
        },
    ),
    ("rename_symbol", {"old": "collections.OrderedDict", "new": "collections.OrderedMapping"}),
    ("rename_symbol", {"old": "functools.wraps", "new": "functools.wrap_function"}),
    ("rename_module", {"old": "unittest.mock", "new": "mock"}),
    ("rename_module", {"old": "getopt", "new": "getopt_legacy"}),
    ("remove_import", {"module": "os"}),
    ("remove_import", {"module": "sys"}),
    ("remove_import", {"module": "typing", "names": ["*"]}),
]

#: Old paths whose imports must not be left unused after the rewrite.
OLD_PATHS = ("collections.OrderedDict", "functools.wraps", "unittest.mock", "getopt")


def composed_steps(
    items: Sequence[tuple[str, dict[str, object]]] = tuple(COMPOSED),
) -> list[CompiledStep]:
    from codemods.testing import step_from_options

    return [s for step_id, options in items for s in step_from_options(step_id, dict(options))]


def pyflakes_counts(data: bytes, filename: str = "<oracle>") -> Counter[tuple[str, str]] | None:
    """(kind, name) counts of the messages pyflakes reports (None: the file does not parse)."""
    import ast

    from pyflakes import checker

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        found = checker.Checker(tree, filename=filename)
    except RecursionError:
        return None
    counts: Counter[tuple[str, str]] = Counter()
    for message in found.messages:
        kind = type(message).__name__
        if kind in KINDS:
            counts[(kind, str(message.message_args[0]))] += 1
    return counts


def compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<oracle>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@dataclass
class Finding:
    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


@dataclass
class Report:
    files: int = 0
    changed: int = 0
    failed: int = 0
    findings: list[Finding] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    changed_paths: list[str] = field(default_factory=list)
    per_step: Counter[str] = field(default_factory=Counter)

    def add(self, path: str, kind: str, what: str) -> None:
        self.by_kind[kind] += 1
        self.findings.append(Finding(path, f"{kind}: {what}"))

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.by_kind.items())) or "no problems"
        return f"{self.files} files, {self.changed} changed, {self.failed} failed: {kinds}"


def check_file(
    data: bytes,
    steps: Sequence[CompiledStep],
    path: str,
    report: Report,
    old_paths: Iterable[str] = OLD_PATHS,
) -> bytes | None:
    """Run ``steps`` over one file and record what the rewrite broke; the output if changed."""
    report.files += 1
    ctx = case_context(path)
    outcome = transform_source(data, steps, ctx, path)
    if outcome.status is Status.FAILED:
        report.failed += 1
        report.findings.append(Finding(path, f"failed: {outcome.reason}: {outcome.detail}"))
        return None
    out = outcome.new if outcome.new is not None else data
    if out == data:
        return None
    for step_id in outcome.fired:
        report.per_step[step_id] += 1
    report.changed += 1
    report.changed_paths.append(path)
    if compiles(data) and not compiles(out):
        report.add(path, "stops compiling", "")
        return out
    before, after = pyflakes_counts(data, path), pyflakes_counts(out, path)
    if before is not None and after is not None:
        for (kind, name), count in (after - before).items():
            if kind == "UnusedImport":
                if not any(name == p or name.startswith(p + ".") for p in old_paths):
                    continue
                kind = "UnusedOldImport"
            report.add(path, kind, f"{name} (x{count})")
    again, _, problem = run_source(out, steps, path)
    if problem is None and again != out:
        report.add(path, "not idempotent", "")
    return out


def run_corpus(
    files: Iterable[tuple[Path, str]],
    steps: Sequence[CompiledStep],
    old_paths: Iterable[str] = OLD_PATHS,
) -> Report:
    """``files`` as (path on disk, path relative to its import root, for the module name)."""
    report = Report()
    old = tuple(old_paths)
    for path, rel in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        check_file(data, steps, rel, report, old)
    return report


def _run_chunk(
    chunk: list[tuple[Path, str]],
    items: tuple[tuple[str, dict[str, object]], ...],
    old_paths: tuple[str, ...],
) -> Report:
    return run_corpus(chunk, composed_steps(items), old_paths)


def run_corpus_parallel(
    files: Sequence[tuple[Path, str]],
    items: Sequence[tuple[str, dict[str, object]]] = tuple(COMPOSED),
    old_paths: Iterable[str] = OLD_PATHS,
    jobs: int = 2,
) -> Report:
    """:func:`run_corpus` over ``jobs`` worker processes (the steps are built in each worker
    from ``items``); the merged report lists findings and changed paths in ``files`` order."""
    from concurrent.futures import ProcessPoolExecutor

    old, steps_items = tuple(old_paths), tuple(items)
    if jobs <= 1 or len(files) < 2:
        return run_corpus(files, composed_steps(steps_items), old)
    size = max(1, min(50, len(files) // (jobs * 4) or 1))
    chunks = [list(files[i : i + size]) for i in range(0, len(files), size)]
    merged = Report()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(_run_chunk, chunks, [steps_items] * len(chunks), [old] * len(chunks)):
            merged.files += part.files
            merged.changed += part.changed
            merged.failed += part.failed
            merged.findings += part.findings
            merged.by_kind.update(part.by_kind)
            merged.changed_paths += part.changed_paths
            merged.per_step.update(part.per_step)
    return merged
