"""Partial runs: ``--only ID`` / ``--skip ID`` pick steps of a composed recipe.

An ID names a step type (every step of that type: ``rename_kwarg``) or a recipe the run
composes (every step it contributes, also through the recipes it includes in turn:
``agent-registry-imports``). ``--only`` keeps the steps matching any of its IDs; ``--skip``
then drops those matching any of its IDs. An ID that matches nothing in the recipe is an
error (a typo must not silently run everything).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from codemods.errors import CodemodError
from codemods.recipe.models import CompiledStep, Recipe


@dataclass(frozen=True)
class Selection:
    recipe: Recipe  # with only the selected steps
    left_out: tuple[CompiledStep, ...]

    def describe(self) -> list[str]:
        """``2 rename_symbol (create-for-user-to-from-request)``: steps left out, by origin."""
        counts: dict[tuple[str, str], int] = {}
        for s in self.left_out:
            counts[(s.step.id, s.origin)] = counts.get((s.step.id, s.origin), 0) + 1
        return [f"{n} {step} ({origin})" for (step, origin), n in counts.items()]


def _matches(step: CompiledStep, ident: str) -> bool:
    return step.step.id == ident or ident in step.recipes or ident == step.origin


def select_steps(recipe: Recipe, only: Sequence[str] = (), skip: Sequence[str] = ()) -> Selection:
    if not only and not skip:
        return Selection(recipe, ())
    step_ids = sorted({s.step.id for s in recipe.steps})
    recipe_ids = sorted(
        {r for s in recipe.steps for r in (s.origin, *s.recipes)} | set(recipe.uses)
    )
    known = step_ids + recipe_ids
    has = f"sub-recipes: {', '.join(recipe_ids)}; step types: {', '.join(step_ids)}"
    for flag, idents in (("--only", only), ("--skip", skip)):
        for ident in idents:
            if ident in known or ident == recipe.id:
                continue
            close = difflib.get_close_matches(ident, known, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise CodemodError(
                f"{flag} {ident}: recipe `{recipe.id}` has no step or sub-recipe `{ident}`",
                hint=f"{hint}it has {has}",
            )
    kept: list[CompiledStep] = []
    dropped: list[CompiledStep] = []
    for step in recipe.steps:
        chosen = not only or ident_in(step, only, recipe.id)
        if chosen and skip and ident_in(step, skip, recipe.id):
            chosen = False
        (kept if chosen else dropped).append(step)
    if not kept:
        raise CodemodError(
            "--only/--skip left no step to run",
            hint=f"recipe `{recipe.id}` has {has}",
        )
    return Selection(dataclasses.replace(recipe, steps=tuple(kept)), tuple(dropped))


def ident_in(step: CompiledStep, idents: Sequence[str], top: str) -> bool:
    return any(ident == top or _matches(step, ident) for ident in idents)
