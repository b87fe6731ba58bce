"""Pydantic models for recipe files and the compiled, ready-to-run recipe."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import pathspec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from codemods.globs import check_glob, gitignore_spec
from codemods.steps import Step

RECIPE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def compile_globs(patterns: list[str] | tuple[str, ...]) -> pathspec.PathSpec:
    return _compiled(tuple(patterns))


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return gitignore_spec(patterns)


Glob = Annotated[str, AfterValidator(check_glob)]


class ExampleModel(BaseModel):
    """A before/after example carried by a recipe; no ``after`` means "must not change"."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(default="example", description="What the example shows.")
    path: str = Field(default="example.py", description="The file path the example pretends to be.")
    before: str = Field(description="Source before the recipe runs.")
    after: str | None = Field(default=None, description="Expected source; omit for no change.")


class RecipeModel(BaseModel):
    """The top level of a recipe YAML file."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, description="Short title, no trailing period.")
    description: str = Field(min_length=1, description="Full sentences saying what and why.")
    include: list[Glob] = Field(
        default_factory=list,
        description="Gitignore-style globs (relative to the scanned directory); files must match one.",
    )
    exclude: list[Glob] = Field(
        default_factory=list,
        description="Gitignore-style globs of files this recipe never touches.",
    )
    steps: list[dict[str, Any]] = Field(
        min_length=1,
        description="Ordered items, each `{<step_id>: {options}}` or `{recipe: <recipe-id>}`.",
    )
    examples: list[ExampleModel] = Field(default_factory=list, description="Embedded examples.")

    @field_validator("title")
    @classmethod
    def _no_period(cls, value: str) -> str:
        if value.rstrip().endswith("."):
            raise ValueError("a title has no trailing period")
        return value


@dataclass(frozen=True)
class FileFilter:
    """The include/exclude globs of one recipe, matched against a path relative to its scan root."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def allows(self, relpath: str) -> bool:
        if self.include and not compile_globs(self.include).match_file(relpath):
            return False
        return not (self.exclude and compile_globs(self.exclude).match_file(relpath))

    def allows_any(self, relpaths: tuple[str, ...]) -> bool:
        """Like :meth:`allows` for a file seen by several relative paths: included if one of
        them matches an include, excluded if one of them matches an exclude."""
        if self.include and not any(compile_globs(self.include).match_file(r) for r in relpaths):
            return False
        return not (
            self.exclude and any(compile_globs(self.exclude).match_file(r) for r in relpaths)
        )


@dataclass(frozen=True)
class CompiledStep:
    """One configured step plus where it came from and the file filters of its recipe chain."""

    step: Step[Any]
    origin: str
    filters: tuple[FileFilter, ...] = ()
    #: The ids of the recipes this step is part of, innermost (``origin``) first.
    recipes: tuple[str, ...] = ()

    def applies_to(self, relpath: str) -> bool:
        return all(f.allows(relpath) for f in self.filters)


@dataclass(frozen=True)
class Recipe:
    """A loaded recipe with its composed recipes flattened into one ordered list of steps."""

    id: str
    title: str
    description: str
    source: str
    steps: tuple[CompiledStep, ...]
    examples: tuple[ExampleModel, ...] = ()
    uses: tuple[str, ...] = ()
    fingerprint: str = ""
