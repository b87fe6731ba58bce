"""What a step may know about the file it transforms, and how it reports problems.

These types live in ``analysis/`` (not ``steps/``) so that the helpers steps share, such as
:mod:`codemods.analysis.moves`, can take a context without importing the steps that use them.
:mod:`codemods.steps` re-exports them for step authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from codemods.analysis.project import ProjectIndex

DiagnosticKind = Literal["warning", "review", "mention", "info"]


@dataclass(frozen=True)
class Diagnostic:
    """Something a step wants the user to know about one file (the file may still change)."""

    step: str
    kind: DiagnosticKind
    message: str
    line: int | None = None
    column: int | None = None


class StepSkip(Exception):
    """Raised by a step to leave the whole file untouched, with a reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class FileContext:
    """What a step may know about the file it transforms. No I/O happens through it."""

    path: Path
    relpath: str
    module_name: str | None = None
    root: Path | None = None
    step_id: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Whole-project facts (module files, pytest config, ...), shared by every file of a run.
    project: ProjectIndex | None = None
    #: Per-file data a whole-tree step gathered in ``collect``, keyed by step position.
    collected: dict[int, Any] = field(default_factory=dict)

    def report(
        self,
        kind: DiagnosticKind,
        message: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.diagnostics.append(Diagnostic(self.step_id, kind, message, line, column))

    def warn(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.report("warning", message, line, column)

    def skip(self, reason: str) -> None:
        raise StepSkip(reason)
