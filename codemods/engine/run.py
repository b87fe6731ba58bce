"""Run a recipe over a tree: discover, pre-check, parse once, transform, verify; then write.

The per-file work (:func:`process`) is a pure function of the file's bytes and the recipe, so
it runs in worker processes (``jobs``, default: every core); results come back in discovery
order as they finish, in small batches with a bounded number in flight, so memory stays flat
however big the tree is. Only the caller renders and writes. Runs over a few files stay in
this process: starting workers would cost more than it saves.

With the cache on, every file is first checked against the stat cache here, in the main
process: a file whose size, mtime, ctime and inode vouch for an earlier no-change result is not
read at all. Only the others go to workers, so a warm run over an unchanged tree never starts
any.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from codemods.analysis.project import ProjectIndex, Projects
from codemods.engine.budget import Budget, within
from codemods.engine.cache import (
    NO_MATCH,
    CacheView,
    Entry,
    Hit,
    Known,
    ResultCache,
    StatCache,
    entry_key,
    project_state,
    run_fingerprint,
    stat_context,
    stat_files,
)
from codemods.engine.discover import SourceFile, discover, display_root
from codemods.engine.executors import (
    Executor,
    PausedCollector,
    batch_size,
    batches,
    settle_heap,
)
from codemods.engine.guards import GENERATED_MARKER, MAX_PARSE_BYTES
from codemods.engine.prefilter import runnable_steps
from codemods.engine.results import FileResult, Status
from codemods.engine.transform import transform_source
from codemods.engine.write import project_root
from codemods.recipe import CompiledStep, Recipe
from codemods.steps import FileContext

#: The library default: no limit (the CLI passes --file-timeout/--file-memory, 60 s and 2 GB).
NO_BUDGET = Budget(None, None)
#: Below this many files a run stays in-process whatever ``jobs`` says.
PARALLEL_MIN_FILES = 48
#: Batches submitted ahead of the oldest unfinished one, per worker. Results are yielded in
#: order, so a slow file holds back everything after it: the other workers must have enough
#: queued to stay busy meanwhile (with 4, a 5-second file left the other core idle). The
#: window still bounds memory: at most this many batches of finished results wait.
BATCHES_PER_WORKER = 64


@dataclass(frozen=True)
class Plan:
    """What a run will do: which steps, over which files, with paths shown relative to ``root``."""

    recipe: Recipe
    steps: tuple[CompiledStep, ...]
    held_back: tuple[str, ...]  # unsafe steps not run because --unsafe was not given
    files: tuple[SourceFile, ...]
    root: Path
    scan_roots: tuple[Path, ...]
    #: Writes must land inside one of these after resolving links (see write.project_root).
    write_roots: tuple[Path, ...] = ()
    #: Directories discovery could not list (no permission): not seen, so not changed.
    unreadable: tuple[Path, ...] = ()


def make_plan(
    recipe: Recipe,
    paths: Sequence[Path],
    *,
    unsafe: bool = False,
    include_stubs: bool = False,
    generated_marker: str | None = GENERATED_MARKER,
) -> Plan:
    paths = list(paths) or [Path(".")]
    root = display_root(paths)
    extensions = (".py", ".pyi") if include_stubs else (".py",)
    unreadable: list[Path] = []
    with PausedCollector():  # tens of thousands of long-lived, acyclic objects: no collection
        files = tuple(
            discover(
                paths,
                root,
                extensions=extensions,
                generated_marker=generated_marker,
                unreadable=unreadable,
            )
        )
    steps = tuple(s for s in recipe.steps if unsafe or s.step.is_safe())
    held_back = tuple(s.step.id for s in recipe.steps if not unsafe and not s.step.is_safe())
    scan_roots = tuple(Path(p).resolve() for p in paths)
    write_roots = tuple(dict.fromkeys(project_root(Path(p)) for p in paths))
    return Plan(recipe, steps, held_back, files, root, scan_roots, write_roots, tuple(unreadable))


def process(
    source: SourceFile,
    steps: Sequence[CompiledStep],
    root: Path,
    project: ProjectIndex | None = None,
) -> FileResult:
    """Everything that happens to one file before writing, without the cache. Never raises.

    The very function a run uses for each file (:meth:`_Worker.handle`); ``project`` is the
    index the steps ask (default: the index of the file's project).
    """
    projects = Projects()
    if project is not None:
        projects.add(source.scan_root, project)
    return _Worker(steps, None, projects).handle(source)[0]


def _too_large(source: SourceFile, size: int) -> FileResult:
    detail = f"{size / 1e6:,.1f} MB; files over {MAX_PARSE_BYTES / 1e6:.0f} MB are not read"
    return FileResult(
        str(source.path), source.relpath, Status.SKIPPED, reason="too large", detail=detail
    )


def _over_budget(source: SourceFile, detail: str) -> FileResult:
    return FileResult(
        str(source.path), source.relpath, Status.SKIPPED, reason="over budget", detail=detail
    )


def _unreadable(source: SourceFile, exc: OSError) -> FileResult:
    return FileResult(
        str(source.path),
        source.relpath,
        Status.SKIPPED,
        reason="unreadable",
        detail=exc.strerror,
    )


def _transform(
    source: SourceFile,
    data: bytes,
    steps: Sequence[CompiledStep],
    project: ProjectIndex,
    module_name: str,
    runnable: Sequence[tuple[int, CompiledStep]] | None,
) -> FileResult:
    base = FileResult(str(source.path), source.relpath, Status.UNCHANGED)
    ctx = FileContext(
        path=source.path,
        relpath=source.relpath,
        module_name=module_name,
        root=source.scan_root,
        project=project,
    )
    try:
        outcome = transform_source(
            data,
            steps,
            ctx,
            source.scan_relpath,
            generated_marker=source.generated_marker,
            runnable=runnable,
        )
    except Exception as exc:  # a bug in the engine must still not stop the run
        return base.with_(
            status=Status.FAILED, reason="internal error", detail=f"{type(exc).__name__}: {exc}"
        )
    return base.with_(
        status=outcome.status,
        old=data,
        new=outcome.new,
        reason=outcome.reason,
        detail=outcome.detail,
        line=outcome.line,
        column=outcome.column,
        diagnostics=outcome.diagnostics,
        fired=outcome.fired,
        parsed=outcome.parsed,
        collected=outcome.collected,
    )


#: A result, its new cache entry, and what the file's stat may stand for next time.
Handled = tuple[FileResult, Entry | None, Known]


class _Worker:
    """The per-file loop, the same in this process and in each worker process."""

    def __init__(
        self,
        steps: Sequence[CompiledStep],
        cache: CacheView | None,
        projects: Projects | None = None,
        budget: Budget = NO_BUDGET,
    ) -> None:
        self.steps = tuple(steps)
        self.cache = cache  # None: the cache is off
        self.projects = projects or Projects()
        self.budget = budget

    def handle(self, source: SourceFile) -> Handled:
        """One file's result, plus its cache entry when the result may be cached, plus what
        its stat may stand for in the stat cache."""
        try:
            size = os.stat(source.path).st_size  # before reading: a sparse 30 GB file
            if size > MAX_PARSE_BYTES:
                return _too_large(source, size), None, None
            data = source.path.read_bytes()
        except OSError as exc:
            return _unreadable(source, exc), None, None
        binary = b"\0" in data  # transform_source reports it
        runnable = None if binary else runnable_steps(self.steps, data, source.scan_relpath)
        if runnable == []:
            result = FileResult(str(source.path), source.relpath, Status.UNCHANGED)
            known = None if self.cache is None else (NO_MATCH, stat_context(source, None))
            return result, None, known
        key = None
        project = self.projects.of(source.scan_root)
        module_name = project.module_of(source.path)
        cache = self.cache
        if cache is not None and not binary:
            where = f"{source.scan_relpath}\0{getattr(source, 'generated_marker', None)}"
            key = entry_key(data, where, module_name)
            cached = cache.result(source, data, key)
            if cached is not None:
                result, hit = cached
                same = hit.unchanged  # only a no-change result may be vouched for by a stat
                return result, None, (key, stat_context(source, module_name)) if same else None
        # A result that depends on project facts (config files, other modules) may change
        # while the file does not: the index records whether a step asked it anything.
        project.asked = False

        def work() -> tuple[FileResult, bool]:
            result = _transform(source, data, self.steps, project, module_name, runnable)
            return result, project.asked  # from a child process too (see budget.within)

        with PausedCollector():
            done = within(self.budget, data, work)
        if isinstance(done, str):
            return _over_budget(source, done), None, None
        result, asked = done
        if result.status is Status.UNCHANGED:
            result = result.with_(old=None)  # nobody needs the bytes of an unchanged file
        elif result.status is not Status.CHANGED:
            return result, None, None
        if cache is None or key is None:
            return result, None, None
        entry = cache.entry(key, result, touched=asked)
        same = result.status is Status.UNCHANGED
        known = None if entry is None or not same else (key, stat_context(source, module_name))
        return result, entry, known

    def batch(self, sources: Sequence[SourceFile]) -> list[Handled]:
        return [self.handle(source) for source in sources]


_WORKER: _Worker | None = None


def _init_worker(
    steps: Sequence[CompiledStep],
    cache: CacheView | None,
    parent: int | None = None,
    budget: Budget = NO_BUDGET,
) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _die_with_parent(parent)
    _WORKER = _Worker(steps, cache, budget=budget)
    settle_heap()


def _die_with_parent(parent: int | None) -> None:
    """End this worker when the main process dies, even by SIGKILL.

    Forked workers hold the task pipe's write end themselves, so they never see it close:
    without this, killing ``codemod`` would leave idle workers behind forever. Linux only
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere the pool's own shutdown is all there is.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # 1 == PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _work(sources: Sequence[SourceFile]) -> list[Handled]:
    assert _WORKER is not None
    return _WORKER.batch(sources)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _context() -> Any:
    # fork: workers start in milliseconds and inherit the compiled steps; elsewhere spawn,
    # where the steps travel pickled (they are plain objects with pydantic options).
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _results(
    files: Sequence[SourceFile],
    steps: Sequence[CompiledStep],
    cache: CacheView | None,
    jobs: int,
    hits: dict[int, Hit] | None = None,
    executor: Executor | None = None,
    budget: Budget = NO_BUDGET,
) -> Generator[Handled, None, None]:
    """Each file's result in order: ``hits`` (index -> whole-tree data of a file the stat cache
    vouches for) straight away, the others computed here or by ``jobs`` worker processes."""
    if not hits:
        yield from _computed(files, steps, cache, jobs, executor, budget)
        return
    misses = [source for index, source in enumerate(files) if index not in hits]
    if not misses:  # a warm re-run: no file to work on, only long-lived results to hand out
        with PausedCollector():
            for index, source in enumerate(files):
                yield hits[index].unchanged_result(source), None, None
        return
    computed = _computed(misses, steps, cache, jobs, executor, budget)
    try:
        for index, source in enumerate(files):
            hit = hits.get(index)
            if hit is None:
                yield next(computed)
                continue
            yield hit.unchanged_result(source), None, None
    finally:
        computed.close()


def _computed(
    files: Sequence[SourceFile],
    steps: Sequence[CompiledStep],
    cache: CacheView | None,
    jobs: int,
    executor: Executor | None = None,
    budget: Budget = NO_BUDGET,
) -> Generator[Handled, None, None]:
    """Each file's result in order, computed here, by ``jobs`` worker processes, or by
    ``executor`` (engine/executors.py)."""
    if executor is not None and files:
        yield from executor.results(files, partial(_Worker, steps, cache, budget=budget))
        return
    if jobs <= 1 or len(files) < PARALLEL_MIN_FILES:
        worker = _Worker(steps, cache, budget=budget)
        for source in files:
            yield worker.handle(source)
        return
    todo = batches(files, batch_size(len(files), jobs))
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(steps, cache, os.getpid(), budget),
    )
    pending: deque[Future[list[Handled]]] = deque()
    try:
        for batch in islice(todo, jobs * BATCHES_PER_WORKER):
            pending.append(pool.submit(_work, batch))
        while pending:
            done = pending.popleft().result()
            for batch in islice(todo, 1):
                pending.append(pool.submit(_work, batch))
            yield from done
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)


@dataclass(frozen=True)
class EngineOptions:
    """How :func:`run` goes about a plan (not what it does: that is the plan)."""

    jobs: int | None = None  # worker processes; None: one per core; 1: this process only
    cache: bool = False  # reuse and record results in .codemod_cache/
    cache_changes: bool = True  # also record changed results (not when they are written)
    budget: Budget = NO_BUDGET  # the time and memory one file may take


def run(
    plan: Plan,
    *,
    jobs: int | None = None,
    cache: bool = False,
    executor: Executor | None = None,
    collect_into: dict[int, list[tuple[str, Any]]] | None = None,
    cache_changes: bool = True,
    budget: Budget = NO_BUDGET,
) -> Iterator[FileResult]:
    """Per-file results in discovery order, then the whole-tree steps' edits (config files).

    ``jobs``: worker processes (``None``: one per core; 1: this process only).
    ``executor``: compute elsewhere (``--executor ray``) instead of local worker processes.
    ``collect_into``: a shard's run: the whole-tree steps' per-file data goes into this dict
    (step index -> [(relpath, data)]) and their edits are left to ``codemod finish``.
    ``cache``: reuse and record results in ``.codemod_cache/`` under ``plan.root``.
    ``cache_changes``: also record changed results (not worth it when they are about to be
    written: the file's bytes will no longer be the ones they are keyed by).
    ``budget``: the time and memory one file may take (:mod:`codemods.engine.budget`).
    """
    started = time.time_ns()
    store = stat_cache = view = None
    stats: list[os.stat_result | None] = []
    hits: dict[int, Hit] = {}
    if cache:
        with PausedCollector():  # the tables below: long-lived and acyclic, no collection
            fingerprint = run_fingerprint(plan.recipe, plan.steps)
            store = ResultCache(plan.root, fingerprint)
            stat_cache = StatCache(plan.root, fingerprint, started_ns=started)
            stats = stat_files(plan.files)  # once, for the stat cache and the project state
            view = store.view(project_state(plan.files, stats))
            projects = Projects()
            hits = stat_cache.hits(
                plan.files, stats, view, lambda s: projects.module_of(s.path, s.scan_root)
            )
    collected: dict[int, list[tuple[str, Any]]] = {}
    results = _results(plan.files, plan.steps, view, jobs or default_jobs(), hits, executor, budget)
    try:
        for index, (result, entry, known) in enumerate(results):
            if entry is not None and store is not None and (cache_changes or entry[2] is None):
                store.add(*entry)
            if known is not None and stat_cache is not None:
                stat_cache.record(plan.files[index], stats[index], known)
            for index, data in result.collected:
                collected.setdefault(index, []).append((result.relpath, data))
            yield result.with_(collected=()) if result.collected else result
    finally:
        results.close()
        if store is not None:
            store.save()
        if stat_cache is not None:
            stat_cache.save(plan.files, plan.root, plan.scan_roots)
    if collect_into is not None:
        collect_into.update(collected)
        return
    roots = dict.fromkeys(f.scan_root for f in plan.files) or dict.fromkeys(plan.scan_roots[:1])
    every = Projects()
    yield from finish(plan, collected, {root: every.of(root) for root in roots})


def finish(
    plan: Plan, collected: dict[int, list[tuple[str, Any]]], projects: dict[Path, ProjectIndex]
) -> Iterator[FileResult]:
    """Let whole-tree steps turn what they collected into edits of other files."""
    project = next(iter(projects.values()), None) or Projects().of(plan.scan_roots[0])
    for index, compiled in enumerate(plan.steps):
        if not compiled.step.is_whole_tree():
            continue
        try:
            edits = compiled.step.finish(collected.get(index, []), project)
        except Exception as exc:
            yield FileResult(
                str(project.root),
                ".",
                Status.FAILED,
                reason="step error",
                detail=f"{compiled.step.id}: {type(exc).__name__}: {exc}",
            )
            continue
        for edit in edits:
            relpath = _relpath(edit.path, plan.root)
            if edit.old == edit.new:
                continue
            yield FileResult(
                str(edit.path),
                relpath,
                Status.CHANGED,
                old=edit.old,
                new=edit.new,
                fired=(compiled.step.id,),
            )


def _relpath(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
