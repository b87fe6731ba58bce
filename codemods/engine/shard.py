"""``--shard K/N``: a deterministic partition of a run's files, for CI matrices.

A file belongs to shard ``K`` of ``N`` when the SHA-256 of its path (relative to the display
root, the git work tree: the same on every machine and checkout) is ``K - 1`` modulo ``N``.
Nothing else decides: not the file count, the order, the machine or the Python version, so a
file keeps its shard while others are added or removed, and the shards together cover every
file exactly once::

    codemod preview RECIPE --shard 1/3 --patch shard-1.patch   # CI job 1 of 3
    codemod preview RECIPE --shard 2/3 --patch shard-2.patch   # ...
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from codemods.engine.discover import SourceFile
from codemods.errors import CodemodError

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, relpath: str) -> bool:
        return shard_of(relpath, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"2/8"`` -> Shard(2, 8); a clear error for anything else."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise CodemodError(
            f"--shard must look like K/N (e.g. 2/8), not {text!r}",
            hint="K is this shard's number, from 1 to N, the number of shards",
        )
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise CodemodError(
            f"--shard {text}: K must be between 1 and N (and N at least 1)",
            hint=f"the shards of {max(count, 1)} are 1/{max(count, 1)} .. {max(count, 1)}/{max(count, 1)}",
        )
    return Shard(index, count)


def shard_of(relpath: str, count: int) -> int:
    """The 1-based shard of ``relpath`` (posix separators) among ``count`` shards."""
    digest = hashlib.sha256(relpath.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(files: Sequence[SourceFile], shard: Shard) -> tuple[SourceFile, ...]:
    """The files of ``shard``, in their discovery order."""
    return tuple(f for f in files if shard.owns(f.relpath))


def files_digest(files: Sequence[SourceFile]) -> str:
    """What every shard of one run must agree on: the whole run's files, in order."""
    h = hashlib.sha256()
    for source in files:
        h.update(source.relpath.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()
