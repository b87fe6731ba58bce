"""Plain, picklable results of running a recipe over files."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from codemods.steps import Diagnostic


class Status(StrEnum):
    CHANGED = "changed"  # output differs (written by apply, pending under preview)
    UNCHANGED = "unchanged"  # parsed and nothing to do, or ruled out by the pre-check
    SKIPPED = "skipped"  # left byte-identical on purpose: syntax error, binary, a step's skip
    FAILED = "failed"  # something went wrong for this file only; it was not written


@dataclass(frozen=True)
class FileResult:
    path: str  # absolute path of the file on disk
    relpath: str  # path shown to people and used in diffs, relative to the display root
    status: Status
    old: bytes | None = None
    new: bytes | None = None
    reason: str | None = None  # for skipped/failed: a short category, e.g. "syntax error"
    detail: str | None = None  # for skipped/failed: the specifics
    line: int | None = None
    column: int | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    fired: tuple[str, ...] = ()  # ids of the steps that changed this file
    parsed: bool = False
    cached: bool = False  # no-change result taken from the cache (.codemod_cache/): not parsed
    written: bool = False
    collected: tuple[tuple[int, Any], ...] = ()  # whole-tree steps' per-file data

    def with_(self, **changes: object) -> FileResult:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class Summary:
    """Counts for the one-line summary."""

    changed: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    warnings: int = 0
    reviews: int = 0
    mentions: int = 0
    parsed: int = 0
    cached: int = 0
    written: int = 0
    left_out: int = 0  # steps of the recipe not run (--only/--skip)

    def add(self, result: FileResult) -> None:
        if result.status is Status.CHANGED:
            self.changed += 1
        elif result.status is Status.UNCHANGED:
            self.unchanged += 1
        elif result.status is Status.SKIPPED:
            key = result.reason or "skipped"
            self.skipped[key] = self.skipped.get(key, 0) + 1
        else:
            key = result.reason or "failed"
            self.failed[key] = self.failed.get(key, 0) + 1
        self.parsed += result.parsed
        self.cached += result.cached
        self.written += result.written
        for d in result.diagnostics:
            if d.kind == "warning":
                self.warnings += 1
            elif d.kind == "review":
                self.reviews += 1
            elif d.kind == "mention":
                self.mentions += 1

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())

    def line(self, *, applied: bool) -> str:
        """``12 files changed, 3,410 unchanged, 2 skipped: syntax errors``."""

        def n(count: int, word: str) -> str:
            return f"{count:,} {word}{'' if count == 1 else 's'}"

        verb = "changed" if applied else "would be changed"
        parts = [f"{n(self.changed, 'file')} {verb}", f"{self.unchanged:,} unchanged"]
        for label, counts in (("skipped", self.skipped), ("failed", self.failed)):
            total = sum(counts.values())
            if total:
                why = ", ".join(
                    f"{count:,} {reason}" if len(counts) > 1 else reason
                    for reason, count in sorted(counts.items())
                )
                parts.append(f"{total:,} {label}: {why}")
        if self.warnings:
            parts.append(n(self.warnings, "warning"))
        if self.reviews:
            parts.append(f"{self.reviews:,} need manual review")
        if self.mentions:
            parts.append(f"{n(self.mentions, 'comment/docstring mention')} left as is")
        if self.left_out:
            parts.append(f"{n(self.left_out, 'step')} left out (--only/--skip)")
        return ", ".join(parts)
