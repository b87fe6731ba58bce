"""The contract every step type fulfils.

A step type is one class in ``codemods/steps/<id>.py``. Its docstring's first line is its
title; the rest says why it exists. It declares typed ``Options`` (pydantic, ``extra="forbid"``),
embedded ``examples`` (one that changes code, one that must not), whether it is ``safe``,
the literal text a file must contain to possibly match (``needles``), optionally a cheaper
``precheck`` over the file's stdlib ``ast`` for files the needles let through, and a pure
``transform`` over an already-parsed LibCST module.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import libcst as cst
from pydantic import BaseModel, ConfigDict

from codemods.analysis.context import (  # re-exported: steps import them from here
    Diagnostic,
    DiagnosticKind,
    FileContext,
    StepSkip,
)
from codemods.analysis.project import ProjectIndex
from codemods.analysis.text import TextEdit, TextMap

__all__ = [
    "CHECKED",
    "Diagnostic",
    "DiagnosticKind",
    "Example",
    "FileContext",
    "FileEdit",
    "Needles",
    "NoTree",
    "Source",
    "Step",
    "StepOptions",
    "StepSkip",
]


#: Validation context key (``Options.model_validate(value, context={CHECKED: True})``): these
#: exact options passed every check before, with this exact tool, so checks that compile code
#: may be left out (the step compiles on first use instead). See ``RecipeLoader(checked=...)``.
CHECKED = "checked"


class StepOptions(BaseModel):
    """Base for every step's options: unknown keys are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Example:
    """An embedded example: ``after=None`` asserts that ``before`` stays unchanged."""

    title: str
    options: dict[str, Any]
    before: str
    after: str | None = None
    path: str = "example.py"


OptionsT = TypeVar("OptionsT", bound=StepOptions)


class NoTree(Exception):
    """The interpreter's ``ast`` cannot parse the file (a syntax error, newer syntax, nesting)."""


class Source:
    """A file as the pre-checks see it: its bytes, and its stdlib ``ast`` parsed once, on demand.

    ``ast.parse`` is about ten times faster than LibCST's parser and shared by every step's
    :meth:`Step.precheck`, so a file the needles let through but no step can change costs
    one ``ast`` parse instead of a LibCST parse plus each step's analysis.
    """

    __slots__ = ("_text", "_tree", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._tree: ast.Module | NoTree | None = None
        self._text: TextMap | bool | None = False

    @property
    def text(self) -> TextMap | None:
        """The decoded text with ``ast`` positions mapped into it (for :meth:`Step.edit`);
        None when the file's encoding does not round-trip exactly (then no text edits)."""
        if self._text is False:
            self._text = TextMap.of(self.data)
        return self._text  # type: ignore[return-value]

    @property
    def tree(self) -> ast.Module:
        """The module's ``ast``; raises :class:`NoTree` when it cannot be parsed."""
        if self._tree is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # SyntaxWarning: invalid escapes, ...
                    self._tree = ast.parse(self.data)
            except (
                SyntaxError,
                ValueError,
                RecursionError,
                MemoryError,
                UnicodeDecodeError,
            ) as exc:
                self._tree = NoTree(str(exc))
        if isinstance(self._tree, NoTree):
            raise self._tree
        return self._tree


#: Pre-check: any one group matches when all of its strings occur in the file's bytes.
#: ``None`` means the step cannot be pre-checked and every file must be parsed.
Needles = Sequence[Sequence[str]] | None


class Step(Generic[OptionsT]):
    """Base class of every step type. Subclasses are discovered, never registered."""

    id: ClassVar[str] = ""
    Options: ClassVar[type[StepOptions]] = StepOptions
    safe: ClassVar[bool] = True
    examples: ClassVar[tuple[Example, ...]] = ()
    #: Where the step goes in a recipe that lists several (doctor's written recipes sort by it):
    #: moves (10s), then calls (20s), then pytest fixes (30s); 100: no preference.
    order: ClassVar[int] = 100

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("id"):
            cls.id = cls.__module__.rsplit(".", 1)[-1]

    def __init__(self, options: OptionsT) -> None:
        self.options = options

    @classmethod
    def title(cls) -> str:
        return (cls.__doc__ or cls.id).strip().splitlines()[0].strip()

    @classmethod
    def description(cls) -> str:
        lines = (cls.__doc__ or "").strip().splitlines()[1:]
        import textwrap

        return textwrap.dedent("\n".join(lines)).strip()

    def is_safe(self) -> bool:
        """Whether this configured step can only make the intended change."""
        return self.safe

    def needles(self) -> Needles:
        """Literal text a file must contain for this step to possibly change it."""
        return None

    def precheck(self, source: Source, ctx: FileContext) -> bool:
        """After the needles, before LibCST: could this step change or report on this file?

        Runs only on files the needles let through, usually on ``source.tree`` (the stdlib
        ``ast``, shared by every step). It must never say False for a file ``transform`` would
        change, report a diagnostic on or ``collect`` data from: a wrong False loses a fix.
        True when unsure; the default (no pre-check) is always True. ``NoTree`` raised from
        ``source.tree`` counts as True (LibCST then reports the file as it must).
        """
        return True

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        """Return the changed module (or ``module`` itself). Pure: no I/O, no re-parsing."""
        return module

    def edit(self, source: Source, ctx: FileContext) -> list[TextEdit] | None:
        """Decide from the stdlib ``ast`` alone: the text edits to make (``[]``: none), or
        None when this file needs :meth:`transform` (LibCST's full tree) after all.

        A step that implements this never hands LibCST a file it can decide itself: the
        engine splices the edits into the text at the ``ast`` positions (as ruff applies its
        fixes) and ``compile()`` judges the result, as for any output. It must give exactly
        what :meth:`transform` would, diagnostics included, and report nothing when it returns
        None (the engine drops what it reported then). The default: always LibCST.
        """
        return None

    @classmethod
    def needs_libcst(cls) -> bool:
        """Whether every file this step runs on goes through LibCST's full tree."""
        return cls.edit is Step.edit

    @classmethod
    def rewrites_with(cls) -> str:
        """What ``codemod list`` says this step type rewrites with."""
        return "LibCST's full tree" if cls.needs_libcst() else "ast + text edits"

    # -- whole-tree steps --------------------------------------------------------------------
    # A step that needs to see the whole tree (e.g. to register every pytest marker used)
    # returns picklable data from ``collect`` for each file it runs on; after every file is
    # done the engine calls ``finish`` once with all of it, and ``finish`` returns edits to
    # other files (configuration files), shown in diffs and written like any other change.

    def collect(self, module: cst.Module, ctx: FileContext) -> Any:
        """Per-file data for ``finish`` (called after ``transform``, on its output)."""
        return None

    def finish(self, collected: list[tuple[str, Any]], project: ProjectIndex) -> list[FileEdit]:
        """Edits to other files, from everything ``collect`` returned as (relpath, data)."""
        return []

    @classmethod
    def is_whole_tree(cls) -> bool:
        return cls.finish is not Step.finish


@dataclass(frozen=True)
class FileEdit:
    """A whole-tree step's change to one file: ``old`` None means create it."""

    path: Path
    old: bytes | None
    new: bytes
