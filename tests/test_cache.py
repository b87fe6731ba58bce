"""The content-hash cache: unchanged files are not parsed again until something relevant changes."""

from __future__ import annotations

import importlib
import json
import os
import time
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
from tests.cli_helpers import codemod

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
    # changes and diagnostics come from the cache too (the file is read, not parsed)
    assert warm["calls.py"].status is Status.CHANGED and not warm["calls.py"].parsed
    assert warm["calls.py"].cached and warm["calls.py"].old == cold["calls.py"].old
    assert (
        not warm["warns.py"].parsed and warm["warns.py"].diagnostics == cold["warns.py"].diagnostics
    )
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
    monkeypatch.setattr(importlib.import_module("codemods.engine.run"), "PARALLEL_MIN_FILES", 2)
    for n in range(20):
        (tree / "pkg" / f"local_{n}.py").write_text(UNCHANGED + f"# {n}\n")
    cold = by_name(tree, cache=True, jobs=2)
    assert sum(r.parsed for r in cold.values()) == 23
    warm = by_name(tree, cache=True, jobs=2)
    assert sum(r.cached for r in warm.values()) == 23  # the change and the warning too
    assert sum(r.parsed for r in warm.values()) == 0


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


# -- the stat cache: files whose size, mtime, ctime and inode vouch for them are not read ------

run_module = importlib.import_module("codemods.engine.run")
HOUR = 3600.0


def backdate(root: Path, seconds: float = HOUR) -> None:
    """Give every file of the tree an mtime well outside the racy window, as a real tree has."""
    when = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file() and CACHE_DIR not in path.parts:
            os.utime(path, (when, when))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the .py files read in this process (small trees never start workers)."""
    seen: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        if self.suffix == ".py":
            seen.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    return seen


def test_a_warm_run_reads_only_the_files_whose_result_is_never_cached(
    tree: Path, reads: list[str]
) -> None:
    backdate(tree)
    cold = by_name(tree, cache=True)
    assert sorted(reads) == ["calls.py", "local.py", "plain.py", "warns.py"]
    reads.clear()
    warm = by_name(tree, cache=True)
    # a change is read again (its diff and the write need the bytes); an unchanged file,
    # with or without diagnostics, is decided by the stat alone
    assert sorted(reads) == ["calls.py"]
    for name in ("local.py", "plain.py", "warns.py"):
        assert warm[name].status is Status.UNCHANGED
        assert warm[name].cached and not warm[name].parsed
    assert warm["warns.py"].diagnostics
    assert warm["calls.py"].new == cold["calls.py"].new
    assert warm["warns.py"].diagnostics == cold["warns.py"].diagnostics
    assert [(r.relpath, r.status) for r in warm.values()] == [
        (r.relpath, r.status) for r in by_name(tree, cache=False).values()
    ]


def test_files_modified_within_the_racy_window_are_read_again(
    tree: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a wider window than the default 2 s, so a slow machine cannot make this test pass by luck
    monkeypatch.setattr(
        importlib.import_module("codemods.engine.cache"), "RACY_WINDOW_NS", 60 * 10**9
    )
    # just written: an edit in the same timestamp tick would not show in the stat
    by_name(tree, cache=True)
    reads.clear()
    warm = by_name(tree, cache=True)
    assert sorted(reads) == ["calls.py", "local.py", "plain.py", "warns.py"]
    assert warm["local.py"].cached  # the content cache still spares the parse
    backdate(tree)
    now = time.time()
    os.utime(tree / "pkg" / "local.py", (now, now))  # touched a moment ago
    by_name(tree, cache=True)
    reads.clear()
    by_name(tree, cache=True)
    assert sorted(reads) == ["calls.py", "local.py"]


def test_a_result_that_asked_the_project_is_remembered_again_after_the_project_moved(
    tree: Path, reads: list[str]
) -> None:
    # another file changes: local.py asked the project, so its entry no longer holds and it
    # runs again, to the same bytes and key; that run must leave its stat record in place
    # (it dropped it as stale, so the next run read local.py once more)
    step = CompiledStep(_AsksProject(StepOptions()), "test")
    recipe = Recipe("t", "t", "t", "", (step,), fingerprint="t")
    plan = make_plan(recipe, [tree])
    backdate(tree)
    list(run(plan, cache=True))
    plain = tree / "pkg" / "plain.py"
    plain.write_text("x = 2\n")
    when = time.time() - HOUR / 2
    os.utime(plain, (when, when))
    plan = make_plan(recipe, [tree])
    reads.clear()
    again = {Path(r.relpath).name: r for r in run(plan, cache=True)}
    assert again["local.py"].parsed and "local.py" in reads
    reads.clear()
    warm = {Path(r.relpath).name: r for r in run(plan, cache=True)}
    assert warm["local.py"].cached and not warm["local.py"].parsed
    assert "local.py" not in reads, reads  # its stat vouches for it again


SAME_SIZE_BEFORE = (
    "from app.context import UserExecutionContext\n\n"
    "ctx = UserExecutionContext(user_id='u', sessian_id='s')\n"
)


def test_an_edited_file_of_the_same_size_is_read_and_its_change_shown(tree: Path) -> None:
    edited = tree / "pkg" / "same.py"
    edited.write_text(SAME_SIZE_BEFORE)
    backdate(tree)
    runner = CliRunner()
    args = ["preview", "session-id-to-request-id", str(tree)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "pkg/same.py" not in first.stdout
    again = runner.invoke(app, args)
    assert again.stdout == first.stdout
    before = edited.stat()
    edited.write_text(SAME_SIZE_BEFORE.replace("sessian_id", "session_id"))
    when = before.st_mtime + 1  # still long ago: only the mtime moved, the size did not
    os.utime(edited, (when, when))
    assert edited.stat().st_size == before.st_size and edited.stat().st_ino == before.st_ino
    after = runner.invoke(app, args)
    assert after.exit_code == 0, after.output
    assert "+++ b/pkg/same.py" in after.stdout
    assert "request_id='s'" in after.stdout


def test_a_touched_but_identical_file_is_read_once_and_still_a_hit(
    tree: Path, reads: list[str]
) -> None:
    backdate(tree)
    by_name(tree, cache=True)
    local = tree / "pkg" / "local.py"
    when = local.stat().st_mtime + 60
    os.utime(local, (when, when))
    reads.clear()
    touched = by_name(tree, cache=True)
    assert "local.py" in reads  # its stat no longer vouches for it
    assert touched["local.py"].cached and not touched["local.py"].parsed  # same bytes
    reads.clear()
    assert by_name(tree, cache=True)["local.py"].cached
    assert "local.py" not in reads  # the new stat is remembered


def test_a_damaged_stat_cache_is_an_empty_one(tree: Path, reads: list[str]) -> None:
    backdate(tree)
    expected = {name: r.status for name, r in by_name(tree, cache=False).items()}
    by_name(tree, cache=True)
    (stat_file,) = (tree / CACHE_DIR).glob("*.stat")
    good = stat_file.read_bytes()
    for damaged in (b"garbage" * 100, good[: len(good) // 2], good[:-1] + b"x", b""):
        stat_file.write_bytes(damaged)
        reads.clear()
        results = by_name(tree, cache=True)
        assert {name: r.status for name, r in results.items()} == expected
        assert sorted(reads) == ["calls.py", "local.py", "plain.py", "warns.py"]
        reads.clear()
        by_name(tree, cache=True)  # rewritten whole on the run before
        assert sorted(reads) == ["calls.py"]


def test_no_cache_reads_every_file_and_leaves_the_stat_cache_alone(
    tree: Path, reads: list[str]
) -> None:
    backdate(tree)
    by_name(tree, cache=True)
    (stat_file,) = (tree / CACHE_DIR).glob("*.stat")
    saved = stat_file.read_bytes()
    (tree / "pkg" / "new.py").write_text("y = 2\n")  # would be recorded if the cache were on
    backdate(tree)
    reads.clear()
    result = CliRunner().invoke(
        app, ["preview", "session-id-to-request-id", str(tree), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(reads) == ["calls.py", "local.py", "new.py", "plain.py", "warns.py"]
    assert stat_file.read_bytes() == saved


def test_stat_hits_still_give_whole_tree_steps_their_data(tree: Path, reads: list[str]) -> None:
    step = CompiledStep(_CountCalls(StepOptions()), "test")
    recipe = Recipe("t", "t", "t", "", (step,), fingerprint="t")
    backdate(tree)
    plan = make_plan(recipe, [tree])
    cold = list(run(plan, cache=True))
    reads.clear()
    warm = list(run(plan, cache=True))
    assert reads == []  # nothing read, nothing parsed ...
    assert warm[-1].relpath == "calls.txt" and warm[-1].new == cold[-1].new  # ... same report
    assert warm[-1].new is not None and warm[-1].new.count(b"\n") == 3


MARKED_TEST = """\
import pytest


@pytest.mark.backend
def test_a():
    pass
"""


def test_register_markers_still_sees_the_markers_of_files_it_did_not_read(
    tmp_path: Path, reads: list[str]
) -> None:
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text(MARKED_TEST)
    (root / "tests" / "test_b.py").write_text("def test_b():\n    pass\n")
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "--strict-markers"\n'
    )
    backdate(root)
    runner = CliRunner()
    args = ["preview", "register-markers", str(root)]
    cold = runner.invoke(app, args)
    assert cold.exit_code == 0, cold.output
    assert '"backend: registered by codemod (describe me)"' in cold.stdout
    reads.clear()
    warm = runner.invoke(app, args)
    assert warm.exit_code == 0, warm.output
    assert reads == []  # test_a.py's markers came from the cache
    assert warm.stdout == cold.stdout


def test_a_warm_run_starts_no_workers_and_keeps_the_order(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "PARALLEL_MIN_FILES", 3)
    for n in range(20):
        (tree / "pkg" / f"local_{n:02d}.py").write_text(UNCHANGED + f"# {n}\n")
    backdate(tree)
    recipe = RecipeLoader().load("session-id-to-request-id")
    plan = make_plan(recipe, [tree])
    reference = [(r.relpath, r.status, r.new) for r in run(plan, jobs=1)]
    cold = [(r.relpath, r.status, r.new) for r in run(plan, cache=True, jobs=2)]
    assert cold == reference
    pools: list[int] = []
    real = run_module.ProcessPoolExecutor

    def counting(*args: Any, **kwargs: Any) -> Any:
        pools.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "ProcessPoolExecutor", counting)
    warm = [(r.relpath, r.status, r.new) for r in run(plan, cache=True, jobs=2)]
    assert warm == reference
    assert pools == []  # only calls.py and warns.py ran, below the parallel threshold
    for n in range(0, 20, 4):  # edits spread through the tree: these go to the workers
        path = tree / "pkg" / f"local_{n:02d}.py"
        path.write_text(CHANGES.replace("'s'", f"'s{n}'"))
    plan = make_plan(recipe, [tree])
    mixed = list(run(plan, cache=True, jobs=2))
    assert pools == [1]
    assert [(r.relpath, r.status, r.new) for r in mixed] == [
        (r.relpath, r.status, r.new) for r in run(plan, jobs=1)
    ]
    assert sum(r.cached for r in mixed) == 19 and sum(r.parsed for r in mixed) == 5


def test_a_file_name_that_is_not_utf8_is_cached_like_any_other(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    try:
        odd = root / "pkg" / os.fsdecode(b"caf\xe9.py")
        odd.write_text(UNCHANGED)
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    backdate(root)
    cold = by_name(root, cache=True)  # used to fail the whole run: "surrogates not allowed"
    assert cold[odd.name].status is Status.UNCHANGED and cold[odd.name].parsed
    warm = by_name(root, cache=True)
    assert warm[odd.name].cached and not warm[odd.name].parsed


def test_only_the_most_recently_used_configurations_are_kept(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.import_module("codemods.engine.cache"), "MAX_FILES", 2)
    backdate(tree)
    cache = tree / CACHE_DIR

    def stems() -> set[str]:
        return {p.stem for p in cache.glob("*.keys")} | {p.stem for p in cache.glob("*.stat")}

    added: list[str] = []
    for new in ("request_id", "req_id", "rid"):
        recipe = tmp_path / f"rename-{new.replace('_', '-')}.yaml"
        recipe.write_text(RECIPE.format(new=new))
        before = stems() if cache.exists() else set()
        by_name(tree, str(recipe), cache=True)
        (stem,) = stems() - before
        # .new: the new bytes of cached changes
        assert {p.suffix for p in cache.glob(f"{stem}.*")} == {".keys", ".stat", ".new"}
        added.append(stem)
        used = time.time() - 100 + len(added)  # last used in this order, whatever the clock
        for path in cache.glob(f"{stem}.*"):
            os.utime(path, (used, used))
    assert stems() == set(added[1:])  # the oldest configuration's files went, both kinds


def test_a_not_importable_warning_is_not_replayed_once_the_module_is_installed(
    tmp_path: Path,
) -> None:
    """The moves warn when the new module is neither in the project nor importable here; the
    cached result must not keep saying so after the module is installed (a new folder in an
    import path folder, as pip makes in site-packages)."""
    site = tmp_path / "site"
    site.mkdir()
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "a.py").write_text("import oldpkg\n\noldpkg.run()\n")
    recipe = proj / "r.yaml"
    recipe.write_text(
        "title: t\ndescription: t\nsteps:\n"
        "  - rename_module:\n      old: oldpkg\n      new: newpkg\n"
    )
    env = {"PYTHONPATH": str(site)}

    def run() -> dict[str, int]:
        done = codemod(proj, "preview", "r.yaml", "a.py", "--format", "json", env=env, real=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["summary"]  # type: ignore[no-any-return]

    assert run()["warnings"] == 1
    again = run()
    assert (again["cached"], again["warnings"]) == (1, 1)  # replayed while nothing changed
    (site / "newpkg").mkdir()
    (site / "newpkg" / "__init__.py").write_text("def run(): ...\n")
    installed = run()
    assert (installed["cached"], installed["warnings"]) == (0, 0)
    assert run()["cached"] == 1
