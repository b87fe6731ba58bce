"""The one error type and the one exit-code table.

Every problem the user can fix (a bad recipe, a bad path, a bad flag) is raised as
:class:`CodemodError`; the CLI renders it as::

    error: recipes/mine.yaml:7:9: steps[1].rename_kwarg.new: Field required
      hint: add `new: <name>` under rename_kwarg
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes, one table for every command."""

    OK = 0
    CHANGES_PENDING = 1  # --check found work to do (or doctor found problems)
    USAGE = 2  # bad arguments, bad recipe, bad configuration
    FILE_FAILED = 3  # at least one file failed (not written)


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        out = self.file
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out


class CodemodError(Exception):
    """A user-facing error: a code, a message, an optional location, path and hint."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        hint: str | None = None,
        location: Location | None = None,
        path: str | None = None,
        exit_code: ExitCode = ExitCode.USAGE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint
        self.location = location
        self.path = path
        self.exit_code = exit_code
        self.others: tuple[CodemodError, ...] = ()  # further errors reported with this one

    def all(self) -> list[CodemodError]:
        """This error and the ones reported with it, in order."""
        return [self, *(e for other in self.others for e in other.all())]

    def render(self) -> str:
        """One line (plus an optional hint line) a person can act on."""
        parts = []
        if self.location is not None:
            parts.append(str(self.location))
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        text = ": ".join(parts)
        if self.hint:
            text += f"\n  hint: {self.hint}"
        for other in self.others:
            text += "\n" + other.render()
        return text

    def __str__(self) -> str:
        return self.render()


class RecipeError(CodemodError):
    """A recipe file is malformed, unknown, or composes into a cycle."""

    def __init__(self, message: str, **kwargs: object) -> None:
        kwargs.setdefault("code", "recipe")
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


def combine_errors(errors: Sequence[CodemodError]) -> CodemodError:
    """One error to raise that carries every one of ``errors`` (the first leads)."""
    flat = [e for error in errors for e in error.all()]
    for error in flat:
        error.others = ()
    first = flat[0]
    first.others = tuple(flat[1:])
    return first
