"""Run the per-file work as Ray tasks (``--executor ray``; ``pip install 'codemods[ray]'``).

The same batches the process pool gets (:func:`codemods.engine.executors.batches`) become
Ray tasks. The worker factory (the compiled steps of the recipe, the cache view, the project
indexes it builds lazily) goes into the object store once; each task carries only a reference
to it and its batch of paths, and each Ray worker process builds the per-file loop from it
the first time it sees that reference, then reuses it for every later batch. Results come back
in discovery order (a window of tasks in flight, the oldest awaited first) and only this
process, the driver, renders and writes: the verify, dirty-tree, atomic-write and
changed-on-disk guarantees are the driver's and do not change.

Failures: a task whose worker process or node dies is retried by Ray (``max_retries``); a
batch that still dies after that is split, and each of its files retried alone, so one file
that kills its worker (a parser crash, the OOM killer) becomes a failure of that file only.
Each worker checks that it runs the same codemods source as the driver before it computes
anything: a node with another version would silently give other results.

Workers read the files from their own disk at the driver's absolute paths: on a cluster,
every node needs the tree at the same path (a shared file system or the same checkout). A
node whose copy differs cannot corrupt anything: the driver writes a change only when the
file on its disk still has the bytes the change was computed from.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from codemods.engine.discover import SourceFile
from codemods.engine.executors import WorkerFactory, batch_size, batches, settle_heap
from codemods.engine.results import FileResult, Status
from codemods.errors import CodemodError

#: Batches in flight per CPU of the cluster: enough that a slow file (results come back in
#: order) does not leave the other CPUs idle, few enough that waiting results stay small.
TASKS_PER_CPU = 16
#: Ray retries a task this many times when its worker process or node dies.
RETRIES = 3
#: Seconds to wait for a TCP answer from --ray-address before calling it unreachable.
CONNECT_TIMEOUT = 5.0


class VersionMismatch(Exception):
    """A Ray worker runs other codemods source than the driver."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise CodemodError(
            "--executor ray needs Ray, which is not installed",
            hint="pip install 'codemods[ray]'",
        ) from None
    return ray


class _Shipped:
    """What the object store holds once per run: the worker factory and the driver's tool."""

    def __init__(self, make_worker: WorkerFactory, digest: str) -> None:
        self.make_worker = make_worker
        self.digest = digest


#: Per Ray worker process: the per-file loop built from each run's shipped state, by its
#: object reference, so a worker builds it once however many batches it runs.
_BUILT: dict[str, Any] = {}


def _run_batch(box: list[Any], sources: Sequence[SourceFile]) -> list[Any]:
    """The body of a Ray task. ``box`` holds the reference (a list, so Ray does not resolve
    it per task: this worker fetches it only the first time)."""
    import ray

    from codemods.engine.cache import tool_digest

    (ref,) = box
    key = ref.hex()
    worker = _BUILT.get(key)
    if worker is None:
        shipped: _Shipped = ray.get(ref)
        if shipped.digest != tool_digest():
            raise VersionMismatch(
                f"the Ray worker on {ray.util.get_node_ip_address()} (pid {os.getpid()}) runs "
                "other codemods source than the driver"
            )
        _BUILT.clear()  # a worker serves one run at a time; drop earlier runs' state
        worker = _BUILT[key] = shipped.make_worker()
        settle_heap()
    return list(worker.batch(sources))


class RayExecutor:
    """Batches as Ray tasks on the cluster at ``address`` (None: a local one, started here)."""

    name = "ray"

    def __init__(
        self, address: str | None = None, workers: int | None = None, batch: int | None = None
    ) -> None:
        self.address = address
        self.workers = workers  # CPUs of a local cluster (None: every core)
        self.batch = batch  # files per task (None: from the file count and the cluster's CPUs)
        self.retried_files = 0  # files re-run alone after their batch kept dying

    def results(self, files: Sequence[SourceFile], make_worker: WorkerFactory) -> Iterator[Any]:
        ray = _import_ray()
        from codemods.engine.cache import tool_digest

        started = self._connect(ray)
        pending: deque[tuple[Sequence[SourceFile], Any]] = deque()
        try:
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            box = [ray.put(_Shipped(make_worker, tool_digest()))]
            task = ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False)(_run_batch)
            # the pool's batches: an empty Ray task costs ~0.65 ms against ~0.1 ms for the
            # pool (bench/ray_executor.py), under 1% of a 32-file batch's work (~6 ms a file)
            size = self.batch or batch_size(len(files), cpus)
            todo = batches(files, size)
            for batch in _take(todo, cpus * TASKS_PER_CPU):
                pending.append((batch, task.remote(box, batch)))
            while pending:
                batch, ref = pending.popleft()
                done = self._get(ray, task, box, batch, ref)
                for nxt in _take(todo, 1):
                    pending.append((nxt, task.remote(box, nxt)))
                yield from done
        finally:
            for _batch, ref in pending:
                with contextlib.suppress(Exception):  # finished already, or the cluster is gone
                    ray.cancel(ref, force=True)
            if started:
                ray.shutdown()

    def _connect(self, ray: Any) -> bool:
        """Join the cluster (or start a local one); True when this call started Ray."""
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.WARNING,
        }
        if self.address is None:
            from codemods.engine.run import default_jobs

            # a cluster for this run alone: reachable from this machine only (loopback)
            # ("local": a new cluster even if one was started on this machine before)
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
            options["address"] = "local"
            options["num_cpus"] = self.workers or default_jobs()
        else:
            _check_reachable(self.address)
            options["address"] = self.address
        try:
            ray.init(**options)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = self.address or "a local cluster"
            raise CodemodError(
                f"cannot start or reach Ray ({where}): {exc}",
                hint="check --ray-address (e.g. 127.0.0.1:6379 or ray://HOST:10001); a cluster "
                "with token authentication also needs RAY_AUTH_MODE=token and its token "
                "(RAY_AUTH_TOKEN or ~/.ray/auth_token)",
            ) from None
        return True

    def _get(
        self, ray: Any, task: Any, box: list[Any], batch: Sequence[SourceFile], ref: Any
    ) -> list[Any]:
        """The results of one batch; a batch whose workers kept dying is re-run file by file."""
        try:
            return list(ray.get(ref))
        except ray.exceptions.RayTaskError as exc:  # the task itself raised
            cause = exc.cause if hasattr(exc, "cause") else exc
            if isinstance(cause, VersionMismatch):
                raise CodemodError(
                    str(cause), hint="install the same codemods on every node of the cluster"
                ) from None
            return [
                _failed(source, "internal error", f"{type(cause).__name__}: {cause}")
                for source in batch
            ]
        except ray.exceptions.RayError as exc:  # the worker or node died, RETRIES times
            if len(batch) == 1:
                return [_failed(batch[0], "worker died", _first_line(exc))]
        self.retried_files += len(batch)
        alone = [task.remote(box, [source]) for source in batch]
        out: list[Any] = []
        for source, one in zip(batch, alone, strict=True):
            try:
                out.extend(ray.get(one))
            except ray.exceptions.RayError as exc:
                out.append(_failed(source, "worker died", _first_line(exc)))
        return out


def _check_reachable(address: str) -> None:
    """Fail in seconds, not minutes, when nothing listens at a HOST:PORT address (Ray's own
    connection attempts retry for a long time)."""
    rest = address.split("://", 1)[-1]
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", or a form Ray resolves itself
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        raise CodemodError(
            f"cannot start or reach Ray ({address}): nothing answers there ({exc.strerror or exc})",
            hint="start the cluster (`ray start --head`) and pass its address, "
            "e.g. --ray-address 127.0.0.1:6379 or ray://HOST:10001",
        ) from None


def _failed(source: SourceFile, reason: str, detail: str) -> tuple[FileResult, None, None]:
    result = FileResult(
        str(source.path), source.relpath, Status.FAILED, reason=reason, detail=detail
    )
    return result, None, None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _take(iterator: Iterator[Sequence[SourceFile]], count: int) -> list[Sequence[SourceFile]]:
    out = []
    for batch in iterator:
        out.append(batch)
        if len(out) >= count:
            break
    return out
