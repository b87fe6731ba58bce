"""The content-hash cache: unchanged files are not parsed again until something relevant changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import libcst as cst
import pytest
from typer.testing import CliRunner

from codemods.analysis.project import ProjectIndex
from codemods.cli import app
from codemods.engine import Status, make_plan, run
from codemods.engine.cache import CACHE_DIR
from codemods.engine.discover import discover
from codemods.recipe import CompiledStep, Recipe, RecipeLoader
from codemods.steps import FileContext, FileEdit, Needles, Step, StepOptions

UNCHANGED = (
    "class UserExecutionContext:\n    def __init__(self, session_id):\n        pass\n\n"
    "ctx = UserExecutionContext(session_id='s')\n"
)
CHANGES = (
    "from app.context import UserExecutionContext\n\n"
    "ctx = UserExecutionContext(user_id='u', session_id='s')\n"
)
WARNS = (
    "from app.context import UserExecutionContext\n\n"
    "ctx = UserExecutionContext(session_id='a', request_id='b')\n"
)
RECIPE = """\
title: Rename a keyword
description: Renames session_id.
steps:
  - rename_kwarg:
      callables: ["*.UserExecutionContext"]
      old: session_id
      new: {new}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "local.py").write_text(UNCHANGED)
    (root / "pkg" / "calls.py").write_text(CHANGES)
    (root / "pkg" / "warns.py").write_text(WARNS)
    (root / "pkg" / "plain.py").write_text("x = 1\n")
    return root


def by_name(root: Path, recipe_ref: str = "session-id-to-request-id", **kw: Any) -> dict[str, Any]:
    recipe = RecipeLoader().load(recipe_ref)
    plan = make_plan(recipe, [root])
    return {Path(r.relpath).name: r for r in run(plan, **kw)}


def test_a_warm_run_does_not_parse_unchanged_files_again(tree: Path) -> None:
    cold = by_name(tree, cache=True)
    assert cold["local.py"].parsed and not cold["local.py"].cached
    warm = by_name(tree, cache=True)
    assert warm["local.py"].status is Status.UNCHANGED
    assert warm["local.py"].cached and not warm["local.py"].parsed
    # changes and diagnostics are never taken from the cache
    assert warm["calls.py"].status is Status.CHANGED and warm["calls.py"].parsed
    assert warm["warns.py"].parsed and warm["warns.py"].diagnostics == cold["warns.py"].diagnostics
    # files the pre-check rules out never needed the cache
    assert not warm["plain.py"].parsed and not warm["plain.py"].cached
    assert warm["calls.py"].new == cold["calls.py"].new


def test_the_cache_directory_ignores_itself_and_is_never_scanned(tree: Path) -> None:
    by_name(tree, cache=True)
    cache = tree / CACHE_DIR
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert list(cache.glob("*.keys"))
    (cache / "stray.py").write_text("UserExecutionContext(session_id=1)\n")
    found = {f.relpath for f in discover([tree], tree)}
    assert found == {"pkg/local.py", "pkg/calls.py", "pkg/warns.py", "pkg/plain.py"}


def test_no_cache_neither_reads_nor_writes_it(tree: Path) -> None:
    by_name(tree, cache=False)
    assert not (tree / CACHE_DIR).exists()
    by_name(tree, cache=True)
    again = by_name(tree, cache=False)
    assert again["local.py"].parsed and not again["local.py"].cached


def test_an_edited_file_is_parsed_again(tree: Path) -> None:
    by_name(tree, cache=True)
    (tree / "pkg" / "local.py").write_text(UNCHANGED + "\n# edited\n")
    warm = by_name(tree, cache=True)
    assert warm["local.py"].parsed and not warm["local.py"].cached
    assert by_name(tree, cache=True)["local.py"].cached


def test_a_moved_file_is_parsed_again(tree: Path) -> None:
    by_name(tree, cache=True)
    (tree / "pkg" / "local.py").rename(tree / "pkg" / "moved.py")
    assert by_name(tree, cache=True)["moved.py"].parsed


def test_a_changed_recipe_or_option_invalidates(tree: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "my-rename.yaml"
    recipe.write_text(RECIPE.format(new="request_id"))
    by_name(tree, str(recipe), cache=True)
    assert by_name(tree, str(recipe), cache=True)["local.py"].cached
    recipe.write_text(RECIPE.format(new="websocket_client_id"))
    changed = by_name(tree, str(recipe), cache=True)
    assert changed["local.py"].parsed and not changed["local.py"].cached
    assert b"websocket_client_id" in changed["calls.py"].new
    # a different recipe (same step, same options, other file) never reuses these entries
    assert by_name(tree, "session-id-to-request-id", cache=True)["local.py"].parsed


def test_workers_use_and_fill_the_cache(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("codemods.engine.run"), "PARALLEL_MIN_FILES", 2)
    for n in range(20):
        (tree / "pkg" / f"local_{n}.py").write_text(UNCHANGED + f"# {n}\n")
    cold = by_name(tree, cache=True, jobs=2)
    assert sum(r.parsed for r in cold.values()) == 23
    warm = by_name(tree, cache=True, jobs=2)
    assert sum(r.cached for r in warm.values()) == 21
    assert sum(r.parsed for r in warm.values()) == 2  # calls.py and warns.py


def test_cli_uses_the_cache_unless_told_not_to(tree: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["preview", "session-id-to-request-id", str(tree)])
    assert first.exit_code == 0, first.output
    assert (tree / CACHE_DIR).is_dir()
    second = runner.invoke(app, ["preview", "session-id-to-request-id", str(tree), "--no-cache"])
    assert second.exit_code == 0
    assert second.stdout == first.stdout
    assert "+++ b/pkg/calls.py" in first.stdout


class _AsksProject(Step[StepOptions]):
    """Look at a project-wide fact (test step)"""

    id: ClassVar[str] = "asks_project"

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        if ctx.project is not None and ctx.relpath.endswith("local.py"):
            ctx.project.module_file("pkg.plain")  # a fact that can change without this file
        return module


def test_results_that_depend_on_other_files_are_cached_until_any_file_changes(
    tree: Path,
) -> None:
    step = CompiledStep(_AsksProject(StepOptions()), "test")
    recipe = Recipe("t", "t", "t", "", (step,), fingerprint="t")
    plan = make_plan(recipe, [tree])
    list(run(plan, cache=True))
    warm = {Path(r.relpath).name: r for r in run(plan, cache=True)}
    assert warm["local.py"].cached and warm["plain.py"].cached
    # another file changes: what local.py asked about may have changed, so it runs again
    (tree / "pkg" / "plain.py").write_text("x = 2\n")
    again = {Path(r.relpath).name: r for r in run(plan, cache=True)}
    assert again["local.py"].parsed and not again["local.py"].cached
    assert again["warns.py"].cached  # it asked nothing: its own bytes are all that count
    (tree / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    assert {Path(r.relpath).name: r for r in run(plan, cache=True)}["local.py"].parsed


class _CountCalls(Step[StepOptions]):
    """Count calls per file; write the totals to a report file (test whole-tree step)"""

    id: ClassVar[str] = "count_calls"

    def needles(self) -> Needles:
        return [["("]]

    def collect(self, module: cst.Module, ctx: FileContext) -> Any:
        return module.code.count("(")

    def finish(self, collected: list[tuple[str, Any]], project: ProjectIndex) -> list[FileEdit]:
        text = "".join(f"{path}: {count}\n" for path, count in sorted(collected))
        return [FileEdit(project.root / "calls.txt", None, text.encode())]


def test_whole_tree_steps_get_cached_files_data(tree: Path) -> None:
    step = CompiledStep(_CountCalls(StepOptions()), "test")
    recipe = Recipe("t", "t", "t", "", (step,), fingerprint="t")
    plan = make_plan(recipe, [tree])
    cold = list(run(plan, cache=True))
    warm = list(run(plan, cache=True))
    assert sum(r.cached for r in warm) == 3 and not any(r.parsed for r in warm)
    assert warm[-1].relpath == "calls.txt" and warm[-1].new == cold[-1].new
    assert warm[-1].new is not None and warm[-1].new.count(b"\n") == 3
