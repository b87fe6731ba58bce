"""The ``codemod`` command line: parse arguments, call the engine, render. Nothing else."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from rich.text import Text

from codemods import __version__
from codemods.engine import Status, Summary, make_plan, run, write
from codemods.engine.diff import unified_diff
from codemods.errors import CodemodError, ExitCode
from codemods.output import ColorMode, Output
from codemods.recipe import RecipeLoader
from codemods.steps import all_steps

app = typer.Typer(
    name="codemod",
    help="Rewrite Python code safely with declarative YAML recipes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

RecipeArg = Annotated[
    str,
    typer.Argument(
        help="A built-in recipe id (see `codemod list`) or a path to a recipe YAML file."
    ),
]
PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Files or directories to scan (default: .).", show_default=False),
]
CheckOpt = Annotated[
    bool, typer.Option("--check", help="Write nothing; exit 1 if any file would change.")
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="More detail: every diagnostic, and tracebacks.")
]
ColorOpt = Annotated[str, typer.Option("--color", help="Colour output: auto, always or never.")]
UnsafeOpt = Annotated[
    bool, typer.Option("--unsafe", help="Also run steps marked unsafe (they may change behaviour).")
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"codemod {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Rewrite Python code safely with declarative YAML recipes."""


def _color(value: str) -> ColorMode:
    if value not in ("auto", "always", "never"):
        raise CodemodError(f"--color must be auto, always or never, not {value!r}")
    return value  # type: ignore[return-value]


def _guard(out: Output, verbose: bool, body: Callable[[], int]) -> None:
    """Run a command body; map errors to the exit-code table and tracebacks to --verbose."""
    try:
        code = body()
    except CodemodError as exc:
        out.error(exc)
        code = exc.exit_code
    except KeyboardInterrupt:
        out.err.print("interrupted")
        code = 130
    except Exception as exc:
        if verbose:
            raise
        out.err.print(
            Text.assemble(("internal error", "bold red"), f": {type(exc).__name__}: {exc}")
        )
        out.err.print("  hint: rerun with --verbose for the traceback, and please report it")
        code = ExitCode.FILE_FAILED
    raise typer.Exit(int(code))


def _execute(
    recipe_ref: str,
    paths: list[Path] | None,
    *,
    write_files: bool,
    show_diff: bool,
    check: bool,
    unsafe: bool,
    out: Output,
) -> int:
    recipe = RecipeLoader().load(recipe_ref)
    plan = make_plan(recipe, paths or [Path(".")], unsafe=unsafe)
    for step_id in dict.fromkeys(plan.held_back):
        out.note(f"note: step `{step_id}` is unsafe and was not run (enable with --unsafe)")
    summary = Summary()
    for result in out.progress(run(plan), total=len(plan.files)):
        if result.status is Status.CHANGED:
            if show_diff:
                out.diff(unified_diff(result.old, result.new, result.relpath))
            if write_files:
                result = write(result, plan.scan_roots)
            elif not show_diff:
                out.err.print(Text.assemble(("would change ", "yellow"), result.relpath))
        out.file_messages(result)
        summary.add(result)
    out.summary(summary.line(applied=write_files), failed=summary.total_failed > 0)
    if plan.root != Path.cwd().resolve() and summary.changed and show_diff:
        out.note(f"diff paths are relative to {plan.root}")
    if summary.total_failed:
        return ExitCode.FILE_FAILED
    if check and summary.changed:
        return ExitCode.CHANGES_PENDING
    return ExitCode.OK


@app.command()
def preview(
    recipe: RecipeArg,
    paths: PathsArg = None,
    check: CheckOpt = False,
    unsafe: UnsafeOpt = False,
    verbose: VerboseOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Show the unified diff RECIPE would make, and write nothing."""
    out = Output(_color(color), verbose)
    _guard(
        out,
        verbose,
        lambda: _execute(
            recipe, paths, write_files=False, show_diff=True, check=check, unsafe=unsafe, out=out
        ),
    )


@app.command()
def apply(
    recipe: RecipeArg,
    paths: PathsArg = None,
    check: CheckOpt = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Also print the diff of what is written.")
    ] = False,
    unsafe: UnsafeOpt = False,
    verbose: VerboseOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Apply RECIPE to the files under PATHS and print a summary."""
    out = Output(_color(color), verbose)
    _guard(
        out,
        verbose,
        lambda: _execute(
            recipe,
            paths,
            write_files=not check,
            show_diff=diff,
            check=check,
            unsafe=unsafe,
            out=out,
        ),
    )


@app.command("list")
def list_(color: ColorOpt = "auto") -> None:
    """List the built-in recipes and the step types."""
    out = Output(_color(color))

    def body() -> int:
        recipes = Table(title="Recipes", title_justify="left", show_edge=False)
        recipes.add_column("id", style="bold cyan", no_wrap=True)
        recipes.add_column("title")
        for info in RecipeLoader().available():
            recipes.add_row(info.id, info.title)
        steps = Table(title="Step types", title_justify="left", show_edge=False)
        steps.add_column("id", style="bold cyan", no_wrap=True)
        steps.add_column("title")
        steps.add_column("safe")
        for step_id, step in sorted(all_steps().items()):
            steps.add_row(step_id, step.title(), "yes" if step.safe else "no (needs --unsafe)")
        out.out.print(recipes)
        out.out.print()
        out.out.print(steps)
        return ExitCode.OK

    _guard(out, False, body)


@app.command()
def explain(
    id: Annotated[str, typer.Argument(help="A step type id, a recipe id, or a recipe file.")],
    color: ColorOpt = "auto",
) -> None:
    """Describe a step type or recipe: what it does, its options, and its examples as diffs."""
    out = Output(_color(color))
    from codemods import explain as explaining

    _guard(out, False, lambda: explaining.explain(id, out))


@app.command()
def test(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Recipe ids, recipe files, or folders of cases (default: every built-in recipe and step type).",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Run the examples and fixture cases of recipes and step types."""
    out = Output(_color(color), verbose)
    from codemods import case_runner

    _guard(out, verbose, lambda: case_runner.run_cases(targets or [], out))


def entry() -> None:  # pragma: no cover - for `python -m codemods`
    app(prog_name="codemod")
    sys.exit(0)
