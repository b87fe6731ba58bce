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

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from codemods.engine.discover import SourceFile
from codemods.errors import CodemodError

#: The largest batch the process pool sends to a worker at once.
MAX_BATCH = 32

EXECUTORS = ("process", "ray")


class BatchWorker(Protocol):
    def batch(self, sources: Sequence[SourceFile]) -> list[Any]: ...


WorkerFactory = Callable[[], BatchWorker]


class Executor(Protocol):
    """Computes batches of files elsewhere and yields the results in discovery order."""

    name: str

    def results(self, files: Sequence[SourceFile], make_worker: WorkerFactory) -> Iterator[Any]:
        """One result per file of ``files``, in that order (a generator: close() stops it)."""
        ...


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
