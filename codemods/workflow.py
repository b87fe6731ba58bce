"""What ``codemod preview`` and ``codemod apply`` do, between parsing flags and exiting.

Order of work: read ``[tool.codemod]``; load the recipe(s); plan; run every file (showing
diffs and messages as results arrive); then, for ``apply``, check the dirty-tree guard over
every file about to change, let the user review hunks (``--interactive``), and write; finally
write the ``--patch`` file and the ``--format json|sarif`` report, and print the summary.
Nothing is written before the guard has passed for all files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text

from codemods import config as configuration
from codemods import vcs
from codemods.analysis.project import Projects
from codemods.engine import Plan, Status, Summary, make_plan, process, run, write
from codemods.engine.checked import CheckedOptions
from codemods.engine.diff import unified_diff
from codemods.engine.discover import SourceFile
from codemods.engine.executors import make_executor
from codemods.engine.guards import GENERATED_MARKER
from codemods.engine.hunks import Hunk, split_hunks
from codemods.engine.journal import Recorder
from codemods.engine.results import FileResult
from codemods.engine.run import EngineOptions
from codemods.engine.shard import Shard, parse_shard
from codemods.engine.shard import select as select_shard
from codemods.engine.write import project_root, remove_stale_temp_files
from codemods.errors import CodemodError, ExitCode
from codemods.formats import FORMATS, RunReport, render
from codemods.globs import check_glob
from codemods.output import Output
from codemods.partials import write_partial
from codemods.recipe import Recipe, RecipeLoader
from codemods.recipe.models import FileFilter
from codemods.recipe.select import select_steps
from codemods.review import Attribute, review
from codemods.undoing import close_recording


@dataclass
class RunOptions:
    recipe: str | None
    paths: Sequence[Path] | None
    write_files: bool
    show_diff: bool
    check: bool = False
    unsafe: bool = False
    interactive: bool = False
    patch: Path | None = None
    fmt: str = "text"
    allow_dirty: bool = False
    include_stubs: bool = False  # also collect .pyi files from directories
    generated_marker: str | None = GENERATED_MARKER  # None: change generated files too
    engine: EngineOptions = field(default_factory=EngineOptions)
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    executor: str = "process"  # or "ray" (engine/executors.py)
    ray_address: str | None = None
    shard: str | None = None  # "K/N": only this shard's files (engine/shard.py)
    emit_partial: Path | None = None  # write the run's partial result for `codemod finish`
    only: Sequence[str] = ()  # step ids / sub-recipe ids to run (--only)
    skip: Sequence[str] = ()  # ... and to leave out (--skip)


def _looks_like_source(ref: str) -> bool:
    path = Path(ref)
    if ref.endswith((".yaml", ".yml")):
        return False
    return path.is_dir() or (path.is_file() and path.suffix in (".py", ".pyi", ".toml", ".ini"))


def resolve_recipe(
    ref: str | None,
    paths: Sequence[Path] | None,
    cfg: configuration.Config,
    *,
    checked: CheckedOptions | None = None,
) -> tuple[Recipe, list[Path] | None]:
    """The recipe to run and the paths to scan, from arguments and configuration.

    With ``[tool.codemod] recipes`` set, a first argument that is an existing directory or
    Python file is a path, not a recipe (``codemod apply src/`` runs the configured recipes).
    ``checked``: step options that passed every check before (see ``engine/checked.py``).
    """
    given = list(paths) if paths else None
    loader = RecipeLoader(extra_dirs=cfg.recipe_dirs, checked=checked)
    if ref is not None and cfg.recipes and _looks_like_source(ref):
        given = [Path(ref), *(given or [])]
        ref = None
    if ref is not None:
        return loader.load(ref), given
    if not cfg.recipes:
        raise CodemodError(
            "no recipe given",
            hint="name a recipe (`codemod list` shows them), or set `recipes = [...]` under "
            "[tool.codemod] in pyproject.toml",
        )
    recipes = [loader.load(cfg.recipe_ref(r)) for r in cfg.recipes]
    return combine(recipes), given


def combine(recipes: Sequence[Recipe]) -> Recipe:
    """Several recipes as one run: their steps in order, each keeping its own filters."""
    if len(recipes) == 1:
        return recipes[0]
    return Recipe(
        id="+".join(r.id for r in recipes),
        title="; ".join(r.title for r in recipes),
        description=" ".join(r.description for r in recipes),
        source=recipes[0].source,
        steps=tuple(s for r in recipes for s in r.steps),
        uses=tuple(r.id for r in recipes),
        fingerprint="+".join(r.fingerprint for r in recipes),
    )


def execute(opts: RunOptions, out: Output) -> int:
    if opts.fmt not in FORMATS:
        raise CodemodError(
            f"--format must be one of {', '.join(FORMATS)}, not {opts.fmt!r}",
            hint="text shows diffs; json, sarif and github are reports for tools and CI",
        )
    if opts.interactive and (opts.check or not opts.write_files):
        raise CodemodError(
            "--interactive reviews what `apply` writes; it cannot go with --check",
            hint="drop --check to review and write, or run `codemod preview` to only look",
        )
    if out.quiet and out.verbose:
        raise CodemodError("--quiet and --verbose cannot go together", hint="pick one")
    if opts.interactive and opts.fmt != "text":
        raise CodemodError(
            "--interactive cannot go with --format json/sarif/github",
            hint="review interactively with the text format, or write a report with `preview`",
        )
    cfg = configuration.load_config()
    # a run with the cache skips re-checking options that passed before (engine/checked.py)
    checked = CheckedOptions() if opts.engine.cache else None
    recipe, paths = resolve_recipe(opts.recipe, opts.paths, cfg, checked=checked)
    selection = select_steps(recipe, opts.only, opts.skip)
    recipe = selection.recipe
    given = paths or []  # on the command line (the config's own `paths` are not warned about)
    from_config = paths is None and bool(cfg.paths)
    if paths is None:
        paths = list(cfg.paths) or [Path(".")]
    plan = make_plan(
        recipe,
        paths,
        unsafe=opts.unsafe,
        include_stubs=opts.include_stubs,
        generated_marker=opts.generated_marker,
    )
    if from_config:  # the configured paths belong to the configuration's project
        roots = (*plan.write_roots, project_root(cfg.base))
        plan = dataclasses.replace(plan, write_roots=tuple(dict.fromkeys(roots)))
    for directory in plan.unreadable:
        out.err.print(
            Text.assemble(
                (f"{_shown(directory, plan.root)}: ", "bold"),
                ("skipped", "yellow"),
                ": cannot read this directory (permission denied): its files were not seen",
            )
        )
    if opts.write_files:  # temp files of an earlier run that was killed mid-write
        stale = remove_stale_temp_files(f.path.parent for f in plan.files)
        if stale:
            out.note(f"removed {len(stale)} temp file(s) left by an interrupted earlier run")
    if opts.include or opts.exclude:
        for pattern in (*opts.include, *opts.exclude):
            try:
                check_glob(pattern)
            except ValueError as exc:
                raise CodemodError(f"--include/--exclude: {exc}") from None
        flt = FileFilter(tuple(opts.include), tuple(opts.exclude))
        base = Path.cwd().resolve()
        files = tuple(f for f in plan.files if _allowed(flt, f, base))
        plan = dataclasses.replace(plan, files=files)
    elif cfg.include or cfg.exclude:
        kept = tuple(f for f in plan.files if cfg.allows(f.path))
        _warn_excluded(given, plan.files, kept, cfg, out)
        plan = dataclasses.replace(plan, files=kept)
    full = plan
    shard = parse_shard(opts.shard) if opts.shard is not None else Shard(1, 1)
    if opts.shard is not None:
        plan = dataclasses.replace(plan, files=select_shard(plan.files, shard))
        whole = [s.step.id for s in plan.steps if s.step.is_whole_tree()]
        if whole and opts.emit_partial is None:
            raise CodemodError(
                f"step `{whole[0]}` edits files from what it finds in every file, which one "
                f"shard alone does not see: --shard {shard} needs --emit-partial FILE here",
                hint="give each shard --emit-partial FILE, then run "
                "`codemod finish --partials FILE...` once every shard is done",
            )
    # Files are written before the patch and the partial: a bad path must stop the run first.
    _check_writable(opts.patch, "patch file")
    _check_writable(opts.emit_partial, "partial file")
    executor = make_executor(opts.executor, address=opts.ray_address, workers=opts.engine.jobs)
    collected: dict[int, list[tuple[str, Any]]] | None = (
        {} if opts.emit_partial is not None else None
    )
    if cfg.source is not None and out.verbose:
        out.note(f"config: {cfg.source}")
    for step_id in dict.fromkeys(plan.held_back):
        out.note(f"note: step `{step_id}` is unsafe and was not run (enable with --unsafe)")

    if selection.left_out:
        out.note(f"left out by --only/--skip: {', '.join(selection.describe())}")
    text = opts.fmt == "text"
    summary = Summary(left_out=len(selection.left_out))
    report = RunReport(
        recipe.id,
        recipe.title,
        {s.step.id: s.step.title() for s in recipe.steps},
        plan.root,
        "apply" if opts.write_files else ("check" if opts.check else "preview"),
        summary=summary,
    )
    pending: list[FileResult] = []
    results = run(
        plan,
        jobs=opts.engine.jobs,
        cache=opts.engine.cache,
        executor=executor,
        collect_into=collected,
        cache_changes=not opts.write_files,  # a change about to be written is not worth keeping
        budget=opts.engine.budget,
    )
    for result in out.progress(results, total=len(plan.files)):
        if result.status is Status.CHANGED:
            pending.append(result)
            if opts.interactive:
                continue  # shown hunk by hunk below
            if text and opts.show_diff:
                out.diff(unified_diff(result.old, result.new, result.relpath))
            elif not opts.write_files and not opts.show_diff and not out.quiet:
                out.err.print(Text.assemble(("would change ", "yellow"), result.relpath))
        out.file_messages(result)
        if result.status is not Status.CHANGED:
            summary.add(result)
            report.add(result)

    # the undo journal lives in the cache directory: --no-cache writes neither
    journaled = opts.write_files and opts.engine.cache
    recorder = Recorder(plan.root, recipe.id) if journaled else None
    final = _write_pending(
        pending,
        opts,
        plan.scan_roots,
        out,
        hunk_steps(plan) if opts.interactive else None,
        recorder,
        roots=plan.write_roots,
    )
    for result in final:
        if result.status in (Status.SKIPPED, Status.FAILED):  # stopped at write time
            out.file_messages(result.with_(diagnostics=()))  # its diagnostics were shown
        summary.add(result)
        report.add(result)
    if opts.patch is not None:
        _write_patch(opts.patch, [r for r in final if r.status is Status.CHANGED], out)
    if opts.emit_partial is not None and collected is not None:
        write_partial(
            opts.emit_partial,
            ref=opts.recipe,
            full=full,
            plan=plan,
            shard=shard,
            mode=report.mode,
            unsafe=opts.unsafe,
            final=final,
            collected=collected,
            summary=summary,
        )
        out.note(f"wrote {opts.emit_partial} (shard {shard}; join with `codemod finish`)")
    if not text:
        out.document(render(report, opts.fmt))
    out.summary(summary.line(applied=opts.write_files), failed=summary.total_failed > 0)
    if plan.root != Path.cwd().resolve() and summary.changed and (opts.show_diff or opts.patch):
        out.note(f"diff paths are relative to {plan.root}")
    if summary.total_failed:
        return ExitCode.FILE_FAILED
    unparsed = sum(summary.skipped.get(reason, 0) for reason in UNPARSEABLE)
    if opts.check and unparsed:
        # the needles occur in these files (else they are not parsed at all): the recipe may
        # well apply to them, so a CI gate must not pass over them
        count = f"{unparsed} file{'s' if unparsed != 1 else ''}"
        out.err.print(
            Text.assemble(
                ("check failed", "bold red"),
                f": {count} the recipe could change did not parse; fix or exclude them",
            )
        )
    if opts.check and (summary.changed or unparsed):
        return ExitCode.CHANGES_PENDING
    return ExitCode.OK


#: Skip reasons meaning "could not be read as Python" (only files whose needles occur get there).
UNPARSEABLE = ("syntax error", "undecodable", "too deeply nested")


def _warn_excluded(
    given: Sequence[Path],
    found: Sequence[SourceFile],
    kept: Sequence[SourceFile],
    cfg: configuration.Config,
    out: Output,
) -> None:
    """Say so when a path named on the command line is left out by the config's globs.

    A file named explicitly, or a directory all of whose files are excluded (ruff warns the
    same way under ``--force-exclude``): otherwise the run looks like "nothing to do".
    """
    kept_paths = {f.path for f in kept}
    for path in given:
        target = path.resolve()
        under = [f.path for f in found if f.path == target or f.path.is_relative_to(target)]
        if under and not any(p in kept_paths for p in under):
            what = "is" if target.is_file() else "has only files that are"
            out.err.print(
                Text.assemble(
                    (f"{path}: ", "bold"),
                    ("warning", "yellow"),
                    f": {what} excluded by [tool.codemod] include/exclude in {cfg.source}; "
                    "not changed (pass --include/--exclude to override)",
                )
            )


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return str(path)


def _allowed(flt: FileFilter, source: SourceFile, base: Path) -> bool:
    """Command-line globs see a file relative to the scanned path (as recipe globs do) and
    relative to the current directory: an exclude matching either view excludes it."""
    views = [source.scan_relpath]
    with contextlib.suppress(ValueError):  # outside the current directory: one view
        views.append(source.path.resolve().relative_to(base).as_posix())
    return flt.allows_any(tuple(views))


def hunk_steps(plan: Plan) -> Attribute:
    """Which steps made each hunk of a file's change (for the review prompt).

    With one step fired in the file, that is the answer. With several, each of them is run
    alone on the original file, and a hunk is credited to every step whose own change
    touches the same lines; a hunk no single step explains (one step building on another's
    output) is credited to all the steps that fired.
    """
    sources = {str(f.path): f for f in plan.files}
    projects = Projects()

    def attribute(result: FileResult, hunks: Sequence[Hunk]) -> dict[int, tuple[str, ...]]:
        fired = tuple(dict.fromkeys(result.fired))
        source = sources.get(result.path)
        if len(fired) <= 1 or source is None:
            return {h.index: fired for h in hunks}
        project = projects.of(source.scan_root)
        spans: dict[str, list[tuple[int, int]]] = {}
        for compiled in plan.steps:
            if compiled.step.id not in fired:
                continue
            alone = process(source, [compiled], plan.root, project)
            if alone.status is not Status.CHANGED or alone.old != result.old:
                continue
            spans.setdefault(compiled.step.id, []).extend(
                (h.old_start, h.old_end) for h in split_hunks(result.old, alone.new)
            )
        credited: dict[int, tuple[str, ...]] = {}
        for hunk in hunks:
            ids = tuple(
                step_id
                for step_id, ranges in spans.items()
                if any(hunk.old_start <= end and start <= hunk.old_end for start, end in ranges)
            )
            credited[hunk.index] = ids or fired
        return credited

    return attribute


def _write_pending(
    pending: list[FileResult],
    opts: RunOptions,
    scan_roots: Sequence[Path],
    out: Output,
    attribute: Attribute | None = None,
    recorder: Recorder | None = None,
    roots: Sequence[Path] = (),
) -> list[FileResult]:
    """Guard, review and write the changed files; return their final results.

    Each file is recorded in the undo journal (``recorder``) before it is written; once the
    writing stops (done, or interrupted), the journal keeps the files really written.
    """
    if not opts.write_files:
        return pending
    if not opts.allow_dirty:
        vcs.refuse_dirty(
            [Path(r.path) for r in pending], {Path(r.path): r.relpath for r in pending}
        )
    written: list[Path] = []

    def write_one(result: FileResult) -> FileResult:
        done = write(result, scan_roots, roots=roots)
        if done.written:
            written.append(Path(done.path))
            if out.verbose:
                out.err.print(Text.assemble(("wrote ", "green"), done.relpath))
        return done

    try:
        if not opts.interactive:
            if recorder is not None:  # one batch, durable before the first write
                recorder.add([(Path(r.path), r.old, r.new) for r in pending if r.new is not None])
            return [write_one(r) for r in pending]
        return _review_and_write(pending, out, attribute, write_one, recorder)
    finally:
        if recorder is not None:
            close_recording(recorder, written, out)


def _review_and_write(
    pending: list[FileResult],
    out: Output,
    attribute: Attribute | None,
    write_one: Callable[[FileResult], FileResult],
    recorder: Recorder | None,
) -> list[FileResult]:
    final: list[FileResult] = []
    declined = 0
    reviewed_paths: set[str] = set()
    for reviewed in review(pending, out, attribute=attribute):
        reviewed_paths.add(reviewed.result.path)
        result = reviewed.result
        if result.status is Status.CHANGED:
            if recorder is not None and result.new is not None:
                recorder.add([(Path(result.path), result.old, result.new)])
            result = write_one(result)
        elif reviewed.accepted == 0:
            declined += 1
        final.append(result)
    for result in pending:
        if result.path not in reviewed_paths:
            declined += 1
            final.append(result.with_(status=Status.UNCHANGED, new=None))
    if declined:
        out.note(f"{declined} file{'s' if declined != 1 else ''} left as they were (declined)")
    return final


def _check_writable(target: Path | None, what: str) -> None:
    """A clear error now for an output file that could not be written after the run."""
    if target is None:
        return
    parent = target.parent if str(target.parent) else Path(".")
    problem = (
        "is a directory"
        if target.is_dir()
        else "its folder does not exist"
        if not parent.is_dir()
        else "it is not writable"
        if not os.access(target if target.exists() else parent, os.W_OK)
        else None
    )
    if problem is not None:
        raise CodemodError(
            f"cannot write the {what} {target}: {problem}", hint="nothing was run or written"
        )


def _write_patch(target: Path, results: list[FileResult], out: Output) -> None:
    patch = b"".join(unified_diff(r.old, r.new, r.relpath) for r in results)
    try:
        target.write_bytes(patch)
    except OSError as exc:
        raise CodemodError(
            f"cannot write the patch file {target}: {exc.strerror}",
            hint="give --patch a path in a folder that exists and that you may write",
        ) from None
    count = len(results)
    out.note(f"wrote {target} ({count} file{'s' if count != 1 else ''})")
