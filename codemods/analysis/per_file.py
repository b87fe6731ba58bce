"""Caches that hold one file's analysis while its steps run, emptied when the file is done.

The pattern steps of one file share one walk of its tree and one binding table; the cache
that keeps them holds only the last file's, and :func:`one_file` empties every such cache
when the engine is done with the file, so that a file's trees do not outlive it (kept, they
were the young objects the cyclic collector walked after every file, and then again in the
older generations). Outside :func:`one_file` the caches still keep the last file's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_CACHES: list[list[Any]] = []


def one_file_cache() -> list[Any]:
    """A new cache (a list the caller fills with its last file's entry) that
    :func:`one_file` empties."""
    cache: list[Any] = []
    _CACHES.append(cache)
    return cache


@contextmanager
def one_file() -> Iterator[None]:
    """The block that processes one file: every one-file cache is emptied when it ends."""
    try:
        yield
    finally:
        for cache in _CACHES:
            cache.clear()
