"""A time and memory budget per file: a file that needs more is skipped with a reason.

Some valid Python makes LibCST slow or huge: a 2 MB one-line list takes minutes and
gigabytes, a 6 KB unary-minus chain 2 GB. Two mechanisms, the same in this process and in
worker processes (:mod:`codemods.engine.run`):

* **Files at risk** (:func:`at_risk`: over :data:`RISKY_BYTES`, a line over
  :data:`RISKY_LINE` bytes, or what :func:`~codemods.engine.guards.needs_depth_check` flags)
  are processed in a forked child with ``RLIMIT_AS`` set to the memory budget and killed when
  the time budget runs out. Native code (LibCST's parser) cannot overrun either limit there.
  Forking costs about a millisecond and only these rare files pay it.
* **Every other file** runs as before, watched by an interval timer that wakes every
  :data:`TICK` seconds *only if the file is still running*: it stops the file once it is over
  time, or once the process has grown by more than the memory budget. The normal path pays two
  ``setitimer`` calls per file.

A skipped file is reported ``skipped: over budget`` with what it exceeded; it is never written.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import resource
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from codemods.engine.guards import needs_depth_check

#: Files at least this big are processed in a child process with hard limits.
RISKY_BYTES = 1_000_000
#: ... and so are files with a line at least this long (a long one-line literal, an operator chain).
RISKY_LINE = 2_000
#: How often the in-process watchdog looks at a file that is still running (seconds).
TICK = 0.25
DEFAULT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 2048

T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """The most one file may take: wall-clock seconds and megabytes (None: no limit)."""

    seconds: float | None = DEFAULT_SECONDS
    memory_mb: int | None = DEFAULT_MEMORY_MB

    @property
    def limited(self) -> bool:
        return self.seconds is not None or self.memory_mb is not None


class OverBudget(BaseException):  # a BaseException: `except Exception` must not catch it
    """Raised into a file's work by the watchdog; never caught as an ordinary exception."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def at_risk(data: bytes) -> bool:
    """Whether ``data`` could make the parser or the steps take unbounded time or memory."""
    if len(data) >= RISKY_BYTES:
        return True
    if len(data) < RISKY_LINE:
        return False
    return max(map(len, data.split(b"\n"))) >= RISKY_LINE or needs_depth_check(data)


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _describe(budget: Budget, what: str) -> str:
    if what == "time":
        return f"took more than {budget.seconds:g} s (--file-timeout); left unchanged"
    return f"needed more than {budget.memory_mb:,} MB (--file-memory); left unchanged"


@contextlib.contextmanager
def _watchdog(budget: Budget) -> Iterator[None]:
    """Raise :class:`OverBudget` into this thread's work once it is over time or memory."""
    if (
        not budget.limited
        or not hasattr(signal, "setitimer")  # Windows: the child-process path only
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    start = time.monotonic()
    base = _rss() if budget.memory_mb is not None else 0

    def tick(signum: int, frame: Any) -> None:
        if budget.seconds is not None and time.monotonic() - start > budget.seconds:
            raise OverBudget("time")
        if budget.memory_mb is not None and _rss() - base > budget.memory_mb * 1_000_000:
            raise OverBudget("memory")

    previous = signal.signal(signal.SIGALRM, tick)
    first = TICK if budget.seconds is None else min(TICK, budget.seconds)
    signal.setitimer(signal.ITIMER_REAL, first, TICK)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def within(budget: Budget, data: bytes, work: Callable[[], T]) -> T | str:
    """``work()``, or a sentence saying which budget it exceeded."""
    if not budget.limited:
        return work()
    if at_risk(data) and hasattr(os, "fork"):
        return _in_child(budget, work)
    try:
        with _watchdog(budget):
            return work()
    except OverBudget as over:
        return _describe(budget, over.what)


def _in_child(budget: Budget, work: Callable[[], T]) -> T | str:
    """Run ``work`` in a forked child with ``RLIMIT_AS``; kill it when time is up."""
    read_end, write_end = os.pipe()
    base = _vm_size()
    pid = os.fork()
    if pid == 0:  # the child: compute, send the pickled result, exit without cleanup
        code = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            faulthandler.disable()  # a failed allocation in native code aborts: no dump
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)  # nor Rust's "memory allocation of N bytes failed"
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core file
            if budget.memory_mb is not None and base:
                limit = base + budget.memory_mb * 1_000_000
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:
                payload = pickle.dumps(("ok", work()))
            except MemoryError:
                payload = pickle.dumps(("over", "memory"))
            except Exception as exc:
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    deadline = None if budget.seconds is None else time.monotonic() + budget.seconds
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([read_end], [], [], wait)
            if not ready:
                timed_out = True
                break
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return _describe(budget, "time")
    try:
        kind, value = pickle.loads(b"".join(chunks))  # from our own child, never from disk
    except Exception:
        # killed by the kernel or aborted by a failed allocation in native code
        if os.WIFSIGNALED(status) or budget.memory_mb is not None:
            return _describe(budget, "memory")
        raise RuntimeError("the worker for this file died") from None
    if kind == "over":
        return _describe(budget, value)
    if kind == "error":
        raise RuntimeError(value)
    return value  # type: ignore[no-any-return]


def _vm_size() -> int:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
