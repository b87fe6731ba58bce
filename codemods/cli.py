"""The ``codemod`` command line: parse arguments, call the engine, render. Nothing else."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from codemods import __version__
from codemods.errors import CodemodError, ExitCode
from codemods.output import ColorMode, Output
from codemods.recipe import RecipeLoader
from codemods.steps import all_steps

#: Click's exception types, wherever this typer keeps Click (vendored in typer >= 0.26).
_CLICK_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def _plain_argument_help(command: Any) -> None:
    """Arguments are named in capitals (RECIPE, PATHS); no `<str>`/`<list[Path]>` after them."""
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "argument":
            param.display_type_rich = lambda ctx: None


class _Group(TyperGroup):
    """The command group: usage errors are one line plus a hint (exit 2), never a panel."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        _plain_argument_help(command)
        return command

    def main(  # type: ignore[override]  # (its signature differs between typer versions)
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **kwargs: Any,
    ) -> Any:
        try:
            code = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **kwargs,
            )
        except _CLICK_ERROR as exc:
            _usage_error(exc)
            code = int(getattr(exc, "exit_code", ExitCode.USAGE) or ExitCode.USAGE)
        except (EOFError, KeyboardInterrupt, typer.Abort):
            typer.echo("interrupted", err=True)
            code = 130
        if not standalone_mode:
            return code
        raise SystemExit(code if isinstance(code, int) else 0)


def _usage_error(exc: Exception) -> None:
    if type(exc).__name__ == "NoArgsIsHelpError":  # `codemod` alone: its help
        typer.echo(exc.format_message() if hasattr(exc, "format_message") else str(exc))
        return
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    where = ctx.command_path if ctx is not None else "codemod"
    out = Output("never" if "NO_COLOR" in os.environ else "auto")
    out.error(CodemodError(message.rstrip(".") if message.count(".") == 1 else message,
                           hint=f"see `{where} --help`"))  # fmt: skip


app = typer.Typer(
    cls=_Group,
    name="codemod",
    help="Rewrite Python code safely with declarative YAML recipes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

RecipeArg = Annotated[
    str | None,
    typer.Argument(
        metavar="RECIPE",
        help="A built-in recipe id (see `codemod list`) or a path to a recipe YAML file "
        "(default: the `recipes` of [tool.codemod] in pyproject.toml).",
        show_default=False,
    ),
]
PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="PATHS", help="Files or directories to scan (default: .).", show_default=False
    ),
]
CheckOpt = Annotated[
    bool,
    typer.Option(
        "--check",
        help="Write nothing; exit 1 if any file would change, or if a file the recipe could "
        "change does not parse.",
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="More detail: each file written, every diagnostic, and tracebacks.",
    ),
]
ColorOpt = Annotated[
    str, typer.Option("--color", metavar="WHEN", help="Colour output: auto, always or never.")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only errors on stderr (no notes or summary).")
]
UnsafeOpt = Annotated[
    bool, typer.Option("--unsafe", help="Also run steps marked unsafe (they may change behaviour).")
]
PatchOpt = Annotated[
    Path | None,
    typer.Option(
        "--patch",
        help="Also write the changes as a unified diff to FILE (paths relative to the repository "
        "root, a/ b/ prefixes: `git apply FILE` or `patch -p1 < FILE`).",
        metavar="FILE",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="stdout format: text (diffs), json, sarif (SARIF 2.1.0 with fixes), or github "
        "(GitHub Actions annotations).",
    ),
]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        metavar="GLOB",
        help="Only change files matching this glob, relative to the scanned folder or the current "
        "directory (repeatable; overrides [tool.codemod]).",
        show_default=False,
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        metavar="GLOB",
        help="Never change files matching this glob, relative to the scanned folder or the current "
        "directory (repeatable; overrides [tool.codemod]).",
        show_default=False,
    ),
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Worker processes (default: one per CPU core; 1 runs everything in-process).",
        show_default=False,
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Neither use nor update the cache of unchanged files (.codemod_cache/ at the project root).",
    ),
]
GeneratedOpt = Annotated[
    bool,
    typer.Option(
        "--include-generated",
        help="Also change generated files (a marker such as @generated in their first 10 lines).",
    ),
]
MarkerOpt = Annotated[
    str,
    typer.Option(
        "--generated-marker", help="The text that marks a generated file.", metavar="TEXT"
    ),
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="ID",
        help="Run only the steps of this step type or sub-recipe id (repeatable).",
        show_default=False,
    ),
]
SkipOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--skip",
        metavar="ID",
        help="Leave out the steps of this step type or sub-recipe id (repeatable).",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--file-timeout",
        min=0,
        help="Skip a file that takes longer than this many seconds (0: no limit).",
        metavar="SECONDS",
    ),
]
MemoryOpt = Annotated[
    int,
    typer.Option(
        "--file-memory",
        min=0,
        help="Skip a file that needs more than this many MB (0: no limit).",
        metavar="MB",
    ),
]
StubsOpt = Annotated[
    bool, typer.Option("--include-stubs", help="Also collect .pyi stubs from directories.")
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        help="Only the files of shard K of N (a fixed partition by path, the same on every "
        "machine), e.g. one CI job each.",
        show_default=False,
    ),
]
PartialOpt = Annotated[
    Path | None,
    typer.Option(
        "--emit-partial",
        metavar="FILE",
        help="Write this run's partial result (JSON) for `codemod finish`, which makes the "
        "whole-tree steps' edits and the whole patch from every shard's FILE.",
        show_default=False,
    ),
]
ExecutorOpt = Annotated[
    str,
    typer.Option(
        "--executor",
        metavar="NAME",
        help="Where files are processed: process (worker processes here) or ray (Ray tasks; "
        "pip install 'codemods[ray]').",
    ),
]
RayAddressOpt = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        metavar="ADDR",
        help="The Ray cluster for --executor ray (default: a local cluster started for this "
        "run only; RAY_ADDRESS is not used).",
        show_default=False,
    ),
]
ReposOpt = Annotated[
    Path | None,
    typer.Option(
        "--repos",
        metavar="FILE",
        help="Run in every repository listed in FILE (a local path or git URL a line), "
        "each with its own config, cache and dirty-tree guard; reports go to --out.",
        show_default=False,
    ),
]
OutOpt = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="DIR",
        help="With --repos: the folder for each repository's patch and report.",
    ),
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
    _settle_imports()


@cache
def _settle_imports() -> None:
    """What the imports made lives as long as the process: out of the cyclic collector's
    reach (``gc.freeze``, once per process), so full collections do not walk LibCST's,
    pydantic's and rich's objects again (a warm run spent ~0.15 s on that)."""
    gc.freeze()


def _color(value: str) -> ColorMode:
    if value not in ("auto", "always", "never"):
        raise typer.BadParameter(
            f"must be auto, always or never, not {value!r}", param_hint="--color"
        )
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
    recipe_ref: str | None,
    paths: list[Path] | None,
    *,
    write_files: bool,
    show_diff: bool,
    check: bool,
    unsafe: bool,
    out: Output,
    jobs: int | None = None,
    no_cache: bool = False,
    repos: Path | None = None,
    out_dir: Path = Path("codemod-repos"),
    file_timeout: float = 60.0,
    file_memory: int = 2048,
    **extra: Any,
) -> int:
    from codemods.engine.budget import Budget
    from codemods.engine.run import EngineOptions
    from codemods.workflow import RunOptions, execute

    budget = Budget(file_timeout or None, file_memory or None)

    if repos is not None:
        from codemods.repos import run_repos

        return run_repos(
            repos,
            out_dir,
            recipe_ref,
            paths,
            out=out,
            write_files=write_files,
            check=check,
            unsafe=unsafe,
            jobs=jobs,
            no_cache=no_cache,
            file_timeout=file_timeout,
            file_memory=file_memory,
            **extra,
        )

    options = RunOptions(
        recipe_ref,
        paths,
        write_files=write_files,
        show_diff=show_diff,
        check=check,
        unsafe=unsafe,
        engine=EngineOptions(jobs=jobs, cache=not no_cache, budget=budget),
        **extra,
    )
    return execute(options, out)


@app.command()
def preview(
    recipe: RecipeArg = None,
    paths: PathsArg = None,
    check: CheckOpt = False,
    unsafe: UnsafeOpt = False,
    patch: PatchOpt = None,
    format: FormatOpt = "text",
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    jobs: JobsOpt = None,
    no_cache: NoCacheOpt = False,
    file_timeout: TimeoutOpt = 60.0,
    file_memory: MemoryOpt = 2048,
    include_generated: GeneratedOpt = False,
    generated_marker: MarkerOpt = "@generated",
    include_stubs: StubsOpt = False,
    shard: ShardOpt = None,
    emit_partial: PartialOpt = None,
    executor: ExecutorOpt = "process",
    ray_address: RayAddressOpt = None,
    repos: ReposOpt = None,
    out_dir: OutOpt = Path("codemod-repos"),
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Show the unified diff RECIPE would make, and write nothing.

    With no RECIPE, runs the recipes listed under [tool.codemod] in pyproject.toml.
    """
    out = Output(_color(color), verbose, quiet)
    _guard(
        out,
        verbose,
        lambda: _execute(
            recipe,
            paths,
            write_files=False,
            show_diff=format == "text",
            check=check,
            unsafe=unsafe,
            out=out,
            jobs=jobs,
            no_cache=no_cache,
            file_timeout=file_timeout,
            file_memory=file_memory,
            include_stubs=include_stubs,
            generated_marker=None if include_generated else generated_marker,
            patch=patch,
            fmt=format,
            include=include or (),
            exclude=exclude or (),
            shard=shard,
            emit_partial=emit_partial,
            executor=executor,
            ray_address=ray_address,
            repos=repos,
            out_dir=out_dir,
            only=only or (),
            skip=skip or (),
        ),
    )


@app.command()
def apply(
    recipe: RecipeArg = None,
    paths: PathsArg = None,
    check: CheckOpt = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Also print the diff of what is written.")
    ] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Review each hunk (y/n/a/d/e/q) and write only the accepted ones.",
        ),
    ] = False,
    allow_dirty: Annotated[
        bool,
        typer.Option(
            "--allow-dirty",
            help="Write even into files with uncommitted git changes (git is your undo).",
        ),
    ] = False,
    unsafe: UnsafeOpt = False,
    patch: PatchOpt = None,
    format: FormatOpt = "text",
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    jobs: JobsOpt = None,
    no_cache: NoCacheOpt = False,
    file_timeout: TimeoutOpt = 60.0,
    file_memory: MemoryOpt = 2048,
    include_generated: GeneratedOpt = False,
    generated_marker: MarkerOpt = "@generated",
    include_stubs: StubsOpt = False,
    shard: ShardOpt = None,
    emit_partial: PartialOpt = None,
    executor: ExecutorOpt = "process",
    ray_address: RayAddressOpt = None,
    repos: ReposOpt = None,
    out_dir: OutOpt = Path("codemod-repos"),
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Apply RECIPE to the files under PATHS and print a summary.

    With no RECIPE, runs the recipes listed under [tool.codemod] in pyproject.toml.
    Refuses to write into files with uncommitted git changes unless --allow-dirty.
    """
    out = Output(_color(color), verbose, quiet)
    _guard(
        out,
        verbose,
        lambda: _execute(
            recipe,
            paths,
            write_files=not check,
            show_diff=diff and format == "text",
            check=check,
            unsafe=unsafe,
            out=out,
            jobs=jobs,
            no_cache=no_cache,
            file_timeout=file_timeout,
            file_memory=file_memory,
            include_stubs=include_stubs,
            generated_marker=None if include_generated else generated_marker,
            interactive=interactive,
            allow_dirty=allow_dirty,
            patch=patch,
            fmt=format,
            include=include or (),
            exclude=exclude or (),
            shard=shard,
            emit_partial=emit_partial,
            executor=executor,
            ray_address=ray_address,
            repos=repos,
            out_dir=out_dir,
            only=only or (),
            skip=skip or (),
        ),
    )


@app.command("finish")
def finish_(
    partials: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILES",
            help="More partial files (so `--partials shard-*.json` works).",
            show_default=False,
        ),
    ] = None,
    partial: Annotated[
        list[Path] | None,
        typer.Option(
            "--partials",
            metavar="FILE",
            help="A shard's --emit-partial file (repeatable; every shard's is needed).",
            show_default=False,
        ),
    ] = None,
    recipe: Annotated[
        str | None,
        typer.Option(
            "--recipe",
            metavar="RECIPE",
            help="The recipe (default: the one the shards ran).",
            show_default=False,
        ),
    ] = None,
    check: CheckOpt = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Also print the diff of what is written.")
    ] = False,
    allow_dirty: Annotated[
        bool,
        typer.Option("--allow-dirty", help="Write even into files with uncommitted git changes."),
    ] = False,
    patch: PatchOpt = None,
    verbose: VerboseOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Join the shards of a `--shard K/N --emit-partial FILE` run.

    Makes the whole-tree steps' edits (e.g. registering pytest markers) from every shard's
    data, written if the shards ran `apply`, shown otherwise; prints the whole run's summary;
    --patch writes the whole run's patch (every shard's diffs, then those edits).
    """
    out = Output(_color(color), verbose)

    def body() -> int:
        from codemods.partials import finish_partials

        return finish_partials(
            [*(partial or []), *(partials or [])],
            out,
            recipe_ref=recipe,
            patch=patch,
            check=check,
            allow_dirty=allow_dirty,
            show_diff=diff,
        )

    _guard(out, verbose, body)


@app.command()
def undo(
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            help="Where the apply ran: the project root or a folder in it (default: .).",
            show_default=False,
        ),
    ] = None,
    list_runs: Annotated[
        bool, typer.Option("--list", help="List the recorded runs (newest first); restore nothing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Also restore files edited since the apply wrote them."),
    ] = False,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Take back the last `apply`: restore the files it wrote that are unchanged since.

    A file edited after the apply is named and left alone (--force restores it anyway). The
    journal of the last 10 runs lives in .codemod_cache/journal/ at the project root; it
    works with or without git.
    """
    out = Output(_color(color), verbose, quiet)
    from codemods import undoing

    _guard(
        out,
        verbose,
        lambda: undoing.run_undo(path or Path("."), out, listing=list_runs, force=force),
    )


@app.command("list")
def list_(color: ColorOpt = "auto") -> None:
    """List the built-in recipes and the step types."""
    out = Output(_color(color))

    def body() -> int:
        recipes = Table(title="Recipes", title_justify="left", show_edge=False)
        recipes.add_column("id", style="bold cyan", no_wrap=True)
        recipes.add_column("title")
        from codemods.config import load_config

        for info in RecipeLoader(extra_dirs=load_config().recipe_dirs).available():
            recipes.add_row(info.id, info.title)
        steps = Table(title="Step types", title_justify="left", show_edge=False)
        steps.add_column("id", style="bold cyan", no_wrap=True)
        steps.add_column("title")
        steps.add_column("safe")
        steps.add_column("rewrites with")
        for step_id, step in sorted(all_steps().items()):
            steps.add_row(
                step_id,
                step.title(),
                "yes" if step.safe else "no (needs --unsafe)",
                step.rewrites_with(),
            )
        out.out.print(recipes)
        out.out.print()
        out.out.print(steps)
        return ExitCode.OK

    _guard(out, False, body)


@app.command()
def explain(
    id: Annotated[
        str, typer.Argument(metavar="ID", help="A step type id, a recipe id, or a recipe file.")
    ],
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
            metavar="TARGETS",
            help="Recipe ids, recipe files, or folders of cases (default: every built-in recipe and step type).",
            show_default=False,
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update", help="Rewrite after.py (or after/) of failing cases from the actual output."
        ),
    ] = False,
    verbose: VerboseOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Run the examples and fixture cases of recipes and step types.

    Each case must produce its after.py (no after.py: must not change), and a second run on
    the output must change nothing. Recipe dirs from [tool.codemod] are searched too.
    """
    out = Output(_color(color), verbose)
    from codemods import case_runner
    from codemods.config import load_config

    _guard(
        out,
        verbose,
        lambda: case_runner.run_cases(
            targets or [], out, update=update, extra_dirs=load_config().recipe_dirs
        ),
    )


new_app = typer.Typer(
    cls=_Group,
    help="Create a new recipe (and a test case for it).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(new_app, name="new")


@new_app.command("recipe")
def new_recipe(
    recipe_id: Annotated[str, typer.Argument(metavar="ID", help="The new recipe's kebab-case id.")],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Where to create it (default: the first [tool.codemod] recipe-dirs, else .).",
            show_default=False,
        ),
    ] = None,
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            metavar="STEP",
            help="The step type the recipe runs, configured from its first example "
            "(see `codemod list`; default: a rename_kwarg template).",
            show_default=False,
        ),
    ] = None,
    color: ColorOpt = "auto",
) -> None:
    """Scaffold ID.yaml and ID.cases/basic/ (a case) that pass `codemod test`."""
    out = Output(_color(color))

    def body() -> int:
        from codemods.config import load_config
        from codemods.scaffold import new_recipe as scaffold
        from codemods.schema import SCHEMA_PATH

        dirs = load_config().recipe_dirs
        target = directory or (dirs[0] if dirs else Path("."))
        schema_file = SCHEMA_PATH if SCHEMA_PATH.is_file() else None
        if step is None:
            made = scaffold(recipe_id, target, schema_file)
        else:
            from codemods.scaffold import new_step_recipe

            made = new_step_recipe(recipe_id, target, step, schema_file)
        out.err.print(f"created {made.recipe}")
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in made.case.iterdir())
        out.err.print(f"created {made.case}/{', '.join(names)}")
        out.note(f"next: edit them, then run `codemod test {made.recipe}`")
        return ExitCode.OK

    _guard(out, False, body)


@app.command()
def schema(
    path: Annotated[
        bool, typer.Option("--path", help="Print where the shipped schema file is.")
    ] = False,
    write: Annotated[
        bool,
        typer.Option("--write", help="Regenerate the shipped schema file (for developers)."),
    ] = False,
) -> None:
    """Print the JSON Schema of recipe files (for editor completion of recipe keys)."""
    from codemods import schema as recipe_schema

    if write:
        typer.echo(f"wrote {recipe_schema.write()}", err=True)
    elif path:
        typer.echo(str(recipe_schema.SCHEMA_PATH))
    else:
        typer.echo(recipe_schema.render(), nl=False)


@app.command()
def doctor(
    paths: PathsArg = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", metavar="FORMAT", help="stdout format: text (grouped by kind) or json."
        ),
    ] = "text",
    write_recipe: Annotated[
        Path | None,
        typer.Option(
            "--write-recipe",
            metavar="FILE",
            help="Write the proposed fixes as a recipe (kebab-case FILE.yaml) for `codemod preview`.",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Find what breaks test collection, without importing the project; exit 1 if anything is found."""
    out = Output(_color(color), verbose)
    from codemods.doctor.render import run_doctor

    _guard(out, verbose, lambda: run_doctor(paths or [Path(".")], format, write_recipe, out))


@app.command()
def learn(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATHS",
            help="With --commit: only read the changes under these paths.",
            show_default=False,
        ),
    ] = None,
    commit: Annotated[
        str | None,
        typer.Option(
            "--commit",
            metavar="REV",
            help="Learn from the hand-made fix in commit REV (or in the range A..B).",
            show_default=False,
        ),
    ] = None,
    pair: Annotated[
        list[str] | None,
        typer.Option(
            "--pair",
            metavar="BEFORE:AFTER",
            help="Learn from a before/after pair of files (repeatable).",
            show_default=False,
        ),
    ] = None,
    api: Annotated[
        str | None,
        typer.Option(
            "--api",
            metavar="OLD..NEW",
            help="Learn from the API change between two git revisions, or two folders or wheels "
            "of a package (moves, renames).",
            show_default=False,
        ),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            metavar="NAME",
            help="With --api: the package to compare (default: every top-level package).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the recipe to FILE (kebab-case .yaml).",
            show_default=False,
        ),
    ] = None,
    repo: Annotated[
        Path, typer.Option("--repo", metavar="DIR", help="The git repository to read (default: .).")
    ] = Path("."),
    format: Annotated[
        str,
        typer.Option(
            "--format", metavar="FORMAT", help="stdout format: text (the recipe) or json."
        ),
    ] = "text",
    verbose: VerboseOpt = False,
    color: ColorOpt = "auto",
) -> None:
    """Write a recipe from evidence: a fix made by hand, or the API change between revisions.

    Every step is checked before it is written: run on the example files' "before" versions
    it must reproduce the hand fix's hunks exactly. Hunks nothing explains are listed.
    """
    out = Output(_color(color), verbose)
    from codemods.learn.command import run_learn

    _guard(
        out,
        verbose,
        lambda: run_learn(
            paths=paths or [],
            commit=commit,
            pairs=pair or [],
            api=api,
            package=package,
            output=output,
            fmt=format,
            repo=repo,
            out=out,
        ),
    )
