"""Where the per-file work runs when it leaves this process.

The engine (:mod:`codemods.engine.run`) cuts the files of a run into batches with
:func:`batches` and hands them, with a *worker factory*, to an executor. The factory is a
picklable callable that builds the per-file loop (the compiled steps, the cache view, the
project indexes it creates lazily); the executor builds it once per worker process and calls
``worker.batch(sources)`` for each batch. Results come back as ``(FileResult, cache entry,
stat meaning)`` triples, in discovery order. Executors only compute: rendering, the
dirty-tree guard and every write stay with the caller (the driver).

Two executors exist: the process pool in ``engine/run.py`` (``--executor process``, the
default) and :class:`codemods.engine.executor_ray.RayExecutor` (``--executor ray``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol

from codemods.engine.discover import SourceFile
from codemods.errors import CodemodError

#: The largest batch the process pool sends to a worker at once.
MAX_BATCH = 32

EXECUTORS = ("process", "ray")

#: The collector's thresholds in a worker: the default first two, a full collection at most
#: every 50 second-generation ones (the default is 10). See :func:`settle_heap`.
WORKER_GC_THRESHOLDS = (700, 10, 50)


class BatchWorker(Protocol):
    def batch(self, sources: Sequence[SourceFile]) -> list[Any]: ...


WorkerFactory = Callable[[], BatchWorker]


class Executor(Protocol):
    """Computes batches of files elsewhere and yields the results in discovery order."""

    name: str

    def results(self, files: Sequence[SourceFile], make_worker: WorkerFactory) -> Iterator[Any]:
        """One result per file of ``files``, in that order (a generator: close() stops it)."""
        ...


def settle_heap() -> None:
    """Called once in a worker process, before its first file: what it holds now (the
    imported modules, the compiled steps, a forked copy of the driver's state) moves out of
    the cyclic collector's reach (``gc.freeze``), and full collections come at most a fifth
    as often. Each file makes its trees and binding model, which live long enough to reach the
    oldest generation; with the defaults, every tenth second-generation collection then walked
    the whole heap again (about a quarter of a move's CPU over large test modules, measured
    with ``gc.callbacks``). Garbage cycles are still collected, so memory stays bounded; a
    second call (a Ray worker's next run) first gives back what the first one froze."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


class PausedCollector:
    """Around a block whose objects live for all of it (one file's work, discovery, the cache
    tables of a run): the cyclic collector is paused during the block and its young
    generation is collected once when it is done.

    A file's trees and binding model are alive for the whole of its work and reach tens of
    thousands of objects for a large module; with the collector running, every first- and
    second-generation collection during the file walked them again, and they reached the
    oldest generation so full collections came often (with the defaults, ~25% of a move's
    CPU over the stdlib's test modules at ``-j1``: 47.6 CPU-s with it, 35.1 without). What
    the file leaves behind is found by the collection at the end, which also keeps the
    collector's cadence (a second-generation collection every tenth file, a full one as the
    thresholds say), so memory stays bounded by one file's garbage. The collector is resumed
    only when this paused it: a caller that disabled it keeps it disabled, and a file
    processed while another thread's file holds the pause runs without pausing again."""

    __slots__ = ("paused",)

    def __init__(self) -> None:
        self.paused = False

    def __enter__(self) -> None:
        self.paused = gc.isenabled()
        if self.paused:
            gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.paused:
            gc.enable()
            gc.collect(0)


def batch_size(files: int, workers: int, largest: int = MAX_BATCH) -> int:
    """Files per batch: about 32 batches per worker for small runs, at most ``largest``."""
    return max(1, min(largest, files // (max(1, workers) * 32)))


def batches(files: Sequence[SourceFile], size: int) -> Iterator[Sequence[SourceFile]]:
    """``files`` in consecutive slices of ``size``: every executor gets the same batches."""
    return (files[i : i + size] for i in range(0, len(files), size))


def make_executor(
    name: str, *, address: str | None = None, workers: int | None = None
) -> Executor | None:
    """The executor called ``name`` (None: the engine's own process pool)."""
    address = address or None  # an empty RAY_ADDRESS is no address
    if name == "process":
        if address is not None:
            raise CodemodError("--ray-address needs --executor ray")
        return None
    if name == "ray":
        from codemods.engine.executor_ray import RayExecutor

        return RayExecutor(address=address, workers=workers)
    raise CodemodError(
        f"--executor must be one of {', '.join(EXECUTORS)}, not {name!r}",
        hint="process: worker processes on this machine; ray: tasks on a Ray cluster",
    )
