"""Run a recipe over a tree: discover, pre-check, parse once, transform, verify; then write.

The per-file work (:func:`process`) is a pure function of the file's bytes and the recipe, so
it can run in worker processes; only the caller renders and writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codemods.analysis.project import ProjectIndex
from codemods.engine.discover import SourceFile, discover, display_root, module_name_for
from codemods.engine.results import FileResult, Status
from codemods.engine.transform import transform_source
from codemods.engine.write import ChangedOnDisk, atomic_write
from codemods.recipe import CompiledStep, Recipe
from codemods.steps import FileContext


@dataclass(frozen=True)
class Plan:
    """What a run will do: which steps, over which files, with paths shown relative to ``root``."""

    recipe: Recipe
    steps: tuple[CompiledStep, ...]
    held_back: tuple[str, ...]  # unsafe steps not run because --unsafe was not given
    files: tuple[SourceFile, ...]
    root: Path
    scan_roots: tuple[Path, ...]


def make_plan(recipe: Recipe, paths: Sequence[Path], *, unsafe: bool = False) -> Plan:
    paths = list(paths) or [Path(".")]
    root = display_root(paths)
    files = tuple(discover(paths, root))
    steps = tuple(s for s in recipe.steps if unsafe or s.step.is_safe())
    held_back = tuple(s.step.id for s in recipe.steps if not unsafe and not s.step.is_safe())
    scan_roots = tuple(Path(p).resolve() for p in paths)
    return Plan(recipe, steps, held_back, files, root, scan_roots)


def process(
    source: SourceFile,
    steps: Sequence[CompiledStep],
    root: Path,
    project: ProjectIndex | None = None,
) -> FileResult:
    """Everything that happens to one file before writing. Never raises."""
    base = FileResult(str(source.path), source.relpath, Status.UNCHANGED)
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return base.with_(status=Status.SKIPPED, reason="unreadable", detail=exc.strerror)
    ctx = FileContext(
        path=source.path,
        relpath=source.relpath,
        module_name=module_name_for(source.path),
        root=source.scan_root,
        project=project,
    )
    try:
        outcome = transform_source(data, steps, ctx, source.scan_relpath)
    except Exception as exc:  # a bug in the engine must still not stop the run
        return base.with_(
            status=Status.FAILED, reason="internal error", detail=f"{type(exc).__name__}: {exc}"
        )
    return base.with_(
        status=outcome.status,
        old=data,
        new=outcome.new,
        reason=outcome.reason,
        detail=outcome.detail,
        line=outcome.line,
        column=outcome.column,
        diagnostics=outcome.diagnostics,
        fired=outcome.fired,
        parsed=outcome.parsed,
        collected=outcome.collected,
    )


def run(plan: Plan) -> Iterator[FileResult]:
    """Per-file results in discovery order, then the whole-tree steps' edits (config files)."""
    projects: dict[Path, ProjectIndex] = {}
    collected: dict[int, list[tuple[str, Any]]] = {}
    for source in plan.files:
        project = projects.get(source.scan_root)
        if project is None:
            project = projects[source.scan_root] = ProjectIndex(source.scan_root)
        result = process(source, plan.steps, plan.root, project)
        for index, data in result.collected:
            collected.setdefault(index, []).append((result.relpath, data))
        yield result.with_(collected=())
    yield from finish(plan, collected, projects)


def finish(
    plan: Plan, collected: dict[int, list[tuple[str, Any]]], projects: dict[Path, ProjectIndex]
) -> Iterator[FileResult]:
    """Let whole-tree steps turn what they collected into edits of other files."""
    project = next(iter(projects.values()), None) or ProjectIndex(plan.scan_roots[0])
    for index, compiled in enumerate(plan.steps):
        if not compiled.step.is_whole_tree():
            continue
        try:
            edits = compiled.step.finish(collected.get(index, []), project)
        except Exception as exc:
            yield FileResult(
                str(project.root),
                ".",
                Status.FAILED,
                reason="step error",
                detail=f"{compiled.step.id}: {type(exc).__name__}: {exc}",
            )
            continue
        for edit in edits:
            relpath = _relpath(edit.path, plan.root)
            if edit.old == edit.new:
                continue
            yield FileResult(
                str(edit.path),
                relpath,
                Status.CHANGED,
                old=edit.old,
                new=edit.new,
                fired=(compiled.step.id,),
            )


def _relpath(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def write(result: FileResult, scan_roots: Sequence[Path]) -> FileResult:
    """Write a changed file atomically; report (never raise) what stopped the write."""
    if result.status is not Status.CHANGED or result.new is None:
        return result
    path = Path(result.path)
    real = path.resolve()
    if path.is_symlink() and not any(real.is_relative_to(r) for r in scan_roots):
        return result.with_(
            status=Status.SKIPPED,
            reason="symlink out of tree",
            detail=f"points to {real}; not followed for writing",
        )
    try:
        atomic_write(path, result.new, result.old)
    except ChangedOnDisk:
        return result.with_(
            status=Status.FAILED,
            reason="changed on disk",
            detail="the file changed while codemod ran; not overwritten",
        )
    except OSError as exc:
        return result.with_(status=Status.FAILED, reason="write error", detail=exc.strerror)
    return result.with_(written=True)
