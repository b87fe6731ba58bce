"""``codemod explain ID``: a step type's or recipe's description, options and examples as diffs."""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml
from rich.table import Table
from rich.text import Text

from codemods.engine.diff import unified_diff
from codemods.errors import CodemodError, ExitCode, RecipeError
from codemods.output import Output
from codemods.recipe import CompiledStep, Recipe, RecipeLoader
from codemods.steps import Step, all_steps
from codemods.testing import run_source, step_from_options


def explain(ident: str, out: Output) -> int:
    steps = all_steps()
    if ident in steps:
        _explain_step(steps[ident], out)
        return ExitCode.OK
    from codemods.config import load_config

    loader = RecipeLoader(extra_dirs=load_config().recipe_dirs)  # as `list` and `apply` do
    try:
        recipe = loader.load(ident)
    except RecipeError as exc:
        if exc.message.startswith("unknown recipe"):
            names = [*steps, *(r.id for r in loader.available())]
            close = difflib.get_close_matches(ident, names, n=1)
            raise CodemodError(
                f"no step type or recipe called `{ident}`",
                hint=f"did you mean `{close[0]}`?" if close else "run `codemod list`",
            ) from None
        raise
    _explain_recipe(recipe, out)
    return ExitCode.OK


def _example_diff(
    out: Output, title: str, before: str, after: str | None, steps: list[CompiledStep], path: str
) -> None:
    out.out.print(Text(f"\nExample: {title}", style="bold"))
    actual, messages, problem = run_source(before.encode(), steps, path)
    if after is None:
        out.out.print(Text("  (no change expected)", style="dim"))
        out.out.print(Text("  " + before.rstrip().replace("\n", "\n  ")))
    else:
        out.diff(unified_diff(before.encode(), actual, path))
    for message in messages:
        out.out.print(Text(f"  {message}", style="yellow"))
    if problem:
        out.out.print(Text(f"  example is broken: {problem}", style="red"))


def _explain_step(step_type: type[Step[Any]], out: Output) -> None:
    out.out.print(Text(f"{step_type.id}: {step_type.title()}", style="bold cyan"))
    out.out.print(
        Text(
            "safe" if step_type.safe else "unsafe: runs only with --unsafe",
            style="green" if step_type.safe else "yellow",
        )
    )
    if step_type.description():
        out.out.print()
        out.out.print(step_type.description())
    table = Table(title="Options", title_justify="left", show_edge=False)
    table.add_column("option", style="bold")
    table.add_column("type")
    table.add_column("default")
    table.add_column("description")
    for name, field in step_type.Options.model_fields.items():
        annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
        default = (
            "(required)"
            if field.is_required()
            else repr(field.get_default(call_default_factory=True))
        )
        annotation = re.sub(r"\b(?:[a-z_][\w]*\.)+(\w+)", r"\1", annotation)  # pkg.mod.Model -> Model
        table.add_row(name, annotation, default, field.description or "")
    out.out.print()
    out.out.print(table)
    syntax = getattr(step_type, "syntax", "")
    if syntax:  # a step with a language of its own documents it (the `pattern` step)
        out.out.print(Text("\nSyntax", style="bold"))
        out.out.print(Text(syntax.strip("\n")))
    for example in step_type.examples:
        opts = yaml.safe_dump({step_type.id: example.options}, sort_keys=False).rstrip()
        _example_diff(
            out,
            example.title,
            example.before,
            example.after,
            step_from_options(step_type.id, example.options),
            example.path,
        )
        out.out.print(Text("  with:\n    " + opts.replace("\n", "\n    "), style="dim"))


def _explain_recipe(recipe: Recipe, out: Output) -> None:
    out.out.print(Text(f"{recipe.id}: {recipe.title}", style="bold cyan"))
    out.out.print()
    out.out.print(recipe.description)
    out.out.print(Text("\nSteps:", style="bold"))
    for index, compiled in enumerate(recipe.steps):
        options = compiled.step.options.model_dump(exclude_defaults=True)
        origin = "" if compiled.origin == recipe.id else f"  (from {compiled.origin})"
        out.out.print(f"  {index + 1}. {compiled.step.id} {options}{origin}")
    for example in recipe.examples:
        _example_diff(
            out, example.title, example.before, example.after, list(recipe.steps), example.path
        )
