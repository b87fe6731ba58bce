"""The foundation's promises, exercised the way a user runs the tool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codemods.cli import app
from tests.conftest import EXAMPLE

runner = CliRunner()
RECIPE = "session-id-to-request-id"
CODEMOD = [sys.executable, "-m", "codemods"]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the no-change cache (which `--no-cache` turns off)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".codemod_cache" not in p.relative_to(root).parts
    }


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, text=True, capture_output=True, check=False)


def make_repo(path: Path) -> None:
    git(path, "init", "-q")
    git(path, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(path, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")


def test_preview_prints_diff_and_writes_nothing(example_copy: Path) -> None:
    before = snapshot(example_copy)
    result = runner.invoke(app, ["preview", RECIPE, str(example_copy)])
    assert result.exit_code == 0, result.output
    assert "+++ b/tests/test_user_context.py" in result.stdout
    assert '-    ctx = UserExecutionContext(user_id="u1", session_id="s1")' in result.stdout
    assert '+    ctx = UserExecutionContext(user_id="u1", request_id="s1")' in result.stdout
    assert "1 file would be changed" in result.stderr
    assert snapshot(example_copy) == before


def test_syntax_error_reported_at_real_line_and_left_identical(example_copy: Path) -> None:
    broken = example_copy / "tests" / "test_half_written.py"
    # make it a candidate for the recipe, so the engine really tries to parse it
    broken.write_bytes(
        b"from x import UserExecutionContext\n\nctx = UserExecutionContext(session_id=1)\n"
        b"def broken(:\n    return 1\n"
    )
    original = broken.read_bytes()
    result = runner.invoke(app, ["apply", RECIPE, str(example_copy)])
    assert result.exit_code == 0, result.output
    assert "tests/test_half_written.py:4:12: skipped: syntax error" in result.stderr
    assert "1 skipped: syntax error" in result.stderr
    assert broken.read_bytes() == original


def test_apply_then_check_is_clean_and_idempotent(example_copy: Path) -> None:
    result = runner.invoke(app, ["apply", RECIPE, str(example_copy)])
    assert result.exit_code == 0, result.output
    assert "1 file changed" in result.stderr
    changed = (example_copy / "tests" / "test_user_context.py").read_text()
    assert "session_id=" not in changed.split("class FakeContext")[0]
    assert 'FakeContext(session_id="s4")' in changed
    again = runner.invoke(app, ["preview", "--check", RECIPE, str(example_copy)])
    assert "0 files would be changed" in again.stderr
    # the half-written file mentions session_id but does not parse: the gate stays red
    assert again.exit_code == 1, again.output
    assert "check failed: 1 file the recipe could change did not parse" in again.stderr
    (example_copy / "tests" / "test_half_written.py").unlink()
    clean = runner.invoke(app, ["preview", "--check", RECIPE, str(example_copy)])
    assert clean.exit_code == 0, clean.output


def test_check_exits_1_when_changes_are_pending(example_copy: Path) -> None:
    result = runner.invoke(app, ["preview", "--check", RECIPE, str(example_copy)])
    assert result.exit_code == 1
    result = runner.invoke(app, ["apply", "--check", RECIPE, str(example_copy)])
    assert result.exit_code == 1
    assert "would change tests/test_user_context.py" in result.stderr


def test_crlf_file_keeps_crlf_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(
        b"from a import UserExecutionContext\r\n\r\nx = UserExecutionContext(\r\n"
        b"    session_id=1,\r\n)\r\n"
    )
    path.chmod(0o751)
    result = runner.invoke(app, ["apply", RECIPE, str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == (
        b"from a import UserExecutionContext\r\n\r\nx = UserExecutionContext(\r\n"
        b"    request_id=1,\r\n)\r\n"
    )
    assert path.stat().st_mode & 0o777 == 0o751
    # no temp files left (.codemod_cache holds the undo journal)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".codemod_cache", "mod.py"]


def test_latin1_file_keeps_its_encoding(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    source = (
        "# -*- coding: latin-1 -*-\nfrom a import UserExecutionContext\n"
        "NAME = 'café'\nx = UserExecutionContext(session_id=NAME)\n"
    )
    path.write_bytes(source.encode("latin-1"))
    assert runner.invoke(app, ["apply", RECIPE, str(tmp_path)]).exit_code == 0
    assert path.read_bytes() == source.replace("session_id", "request_id").encode("latin-1")


def test_gitignored_files_are_not_touched(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "generated").mkdir()
    ignored = tmp_path / "generated" / "mod.py"
    ignored.write_text("from a import UserExecutionContext\nUserExecutionContext(session_id=1)\n")
    result = runner.invoke(app, ["preview", "--check", RECIPE, str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "0 files would be changed, 0 unchanged" in result.stderr


def test_bad_recipe_exits_2_with_location(tmp_path: Path) -> None:
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(
        "title: Bad\ndescription: D.\nsteps:\n  - rename_kwarg:\n      old: a\n      new: b\n"
    )
    result = runner.invoke(app, ["preview", str(recipe), str(tmp_path)])
    assert result.exit_code == 2
    assert (
        "bad.yaml:5:7: steps[0].rename_kwarg.callables: missing required option `callables`"
        in result.stderr
    )
    assert "hint:" in result.stderr


def test_unknown_path_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["preview", RECIPE, str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "path does not exist" in result.stderr


def test_list_and_explain() -> None:
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0
    assert RECIPE in listed.stdout and "rename_kwarg" in listed.stdout
    explained = runner.invoke(app, ["explain", "rename_kwarg"])
    assert explained.exit_code == 0
    assert "match_bare_name" in explained.stdout
    assert "+    request_id=sid,  # from the handshake" in explained.stdout
    recipe = runner.invoke(app, ["explain", RECIPE])
    assert recipe.exit_code == 0 and "rename_kwarg" in recipe.stdout
    unknown = runner.invoke(app, ["explain", "rename_kwargs"])
    assert unknown.exit_code == 2 and "did you mean `rename_kwarg`?" in unknown.stderr


def test_real_subprocess_preview_is_git_appliable(tmp_path: Path) -> None:
    """The piped preview output is plain text that `git apply` accepts from the tree's root."""
    tree = tmp_path / "demo"
    shutil.copytree(EXAMPLE, tree)
    (tree / "tests" / "crlf_module.py").write_bytes(
        b"from netra_backend.app.services.user_execution_context import UserExecutionContext\r\n"
        b"CTX = UserExecutionContext(user_id='u', session_id='s')\r\n"
    )
    make_repo(tree)
    env = {**os.environ, "NO_COLOR": "", "TERM": "xterm-256color"}
    preview = subprocess.run(
        [*CODEMOD, "preview", RECIPE, "."], cwd=tree, capture_output=True, env=env
    )
    assert preview.returncode == 0, preview.stderr.decode()
    assert b"\x1b[" not in preview.stdout  # piped: no colour
    assert b"2 files would be changed" in preview.stderr
    patch = tmp_path / "preview.patch"
    patch.write_bytes(preview.stdout)
    check = git(tree, "apply", "--check", str(patch))
    assert check.returncode == 0, check.stderr
    assert git(tree, "status", "--porcelain").stdout == ""  # preview wrote nothing

    applied = subprocess.run(
        [*CODEMOD, "apply", RECIPE, "."], cwd=tree, capture_output=True, env=env
    )
    assert applied.returncode == 0, applied.stderr.decode()
    assert b"2 files changed" in applied.stderr
    assert (tree / "tests" / "crlf_module.py").read_bytes().count(b"\r\n") == 2
    clean = subprocess.run(
        [*CODEMOD, "preview", "--check", RECIPE, "."], cwd=tree, capture_output=True
    )
    assert b"0 files would be changed" in clean.stderr
    assert clean.returncode == 1, clean.stderr.decode()  # test_half_written.py does not parse


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_preview_from_subdirectory_uses_repository_root_paths(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tree)
    make_repo(tree)
    preview = subprocess.run([*CODEMOD, "preview", RECIPE, "tests"], cwd=tree, capture_output=True)
    assert b"--- a/tests/test_user_context.py" in preview.stdout
    patch = tmp_path / "p.patch"
    patch.write_bytes(preview.stdout)
    assert git(tree, "apply", "--check", str(patch)).returncode == 0
