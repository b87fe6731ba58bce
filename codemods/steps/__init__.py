"""Step types: one class per file, discovered from this package (file stem == step id)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from codemods.steps._base import (
    CHECKED,
    Diagnostic,
    Example,
    FileContext,
    FileEdit,
    Needles,
    NoTree,
    Source,
    Step,
    StepOptions,
    StepSkip,
    TextEdit,
)

__all__ = [
    "CHECKED",
    "Diagnostic",
    "Example",
    "FileContext",
    "FileEdit",
    "Needles",
    "NoTree",
    "Source",
    "Step",
    "StepOptions",
    "StepSkip",
    "TextEdit",
    "all_steps",
]


@cache
def all_steps() -> dict[str, type[Step]]:
    """Every step type, keyed by id, found by importing each public module of this package."""
    found: dict[str, type[Step]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Step)
                and value is not Step
                and value.__module__ == module.__name__
            ):
                found[value.id] = value
        if info.name not in found:
            raise RuntimeError(f"codemods/steps/{info.name}.py defines no Step subclass")
    return found
