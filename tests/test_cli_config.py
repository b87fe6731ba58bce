"""`[tool.codemod]` in pyproject.toml: the project's usual run, overridden by command-line flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import RECIPE, calls, codemod

CALL = 'UserExecutionContext(user_id="u", session_id="s")'
LOCAL_RECIPE = """\
title: Rename make_client's old_name keyword
description: A project's own recipe, found through recipe-dirs.
steps:
  - rename_kwarg:
      callables: ["*.make_client"]
      old: old_name
      new: new_name
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("src/legacy", "other", "tools/recipes"):
        (root / folder).mkdir(parents=True)
    (root / "src" / "a.py").write_text(
        calls(CALL) + "from mypkg import make_client\nmake_client(old_name=1)\n"
    )
    (root / "src" / "legacy" / "b.py").write_text(calls(CALL))
    (root / "other" / "c.py").write_text(calls(CALL))
    (root / "tools" / "recipes" / "local-fix.yaml").write_text(LOCAL_RECIPE)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n'
        "[tool.codemod]\n"
        f'recipes = ["{RECIPE}", "local-fix"]\n'
        'paths = ["src"]\n'
        'exclude = ["src/legacy/**"]\n'
        'recipe-dirs = ["tools/recipes"]\n'
    )
    return root


def changed(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if "request_id" in p.read_text() or "new_name" in p.read_text()
    }


def test_apply_with_no_arguments_runs_the_configured_recipes_paths_and_excludes(
    project: Path,
) -> None:
    done = codemod(project, "apply", real=True)
    assert done.returncode == 0, done.stderr.decode()
    assert changed(project) == {"src/a.py"}
    text = (project / "src" / "a.py").read_text()
    assert "request_id" in text and "make_client(new_name=1)" in text  # both recipes ran


def test_config_is_found_from_a_subdirectory(project: Path) -> None:
    done = codemod(project / "other", "preview", "--check")
    # paths come from the config (relative to pyproject.toml), not the current directory
    assert done.returncode == 1, done.stderr.decode()
    # (outside git, diff paths are relative to the one scanned folder: src/)
    assert b"+++ b/a.py" in done.stdout and b"c.py" not in done.stdout
    assert b"diff paths are relative to" in done.stderr and b"project/src" in done.stderr


def test_command_line_overrides_recipe_paths_and_globs(project: Path) -> None:
    # a path as the first argument: the configured recipes on that path
    done = codemod(project, "apply", "other")
    assert done.returncode == 0, done.stderr.decode()
    assert changed(project) == {"other/c.py"}
    # an explicit recipe replaces the configured ones
    done = codemod(project, "apply", "local-fix", "src")
    assert done.returncode == 0, done.stderr.decode()
    assert "make_client(new_name=1)" in (project / "src" / "a.py").read_text()
    assert "request_id" not in (project / "src" / "a.py").read_text()
    # --exclude replaces the configured exclude
    done = codemod(project, "apply", "--exclude", "src/a.py")
    assert done.returncode == 0, done.stderr.decode()
    assert changed(project) == {"other/c.py", "src/legacy/b.py", "src/a.py"}
    assert "request_id" not in (project / "src" / "a.py").read_text()


def test_recipe_dirs_feed_test_and_new(project: Path) -> None:
    made = codemod(project, "new", "recipe", "second-fix")
    assert made.returncode == 0, made.stderr.decode()
    assert (project / "tools" / "recipes" / "second-fix.yaml").is_file()
    tested = codemod(project, "test", "second-fix")
    assert tested.returncode == 0, tested.stderr.decode()
    assert b"3 passed, 0 failed" in tested.stderr


def test_bad_configuration_is_a_usage_error_naming_the_key(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'exlude = ["x"]\n')
    done = codemod(project, "apply")
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "pyproject.toml" in err and "unknown key `exlude`" in err and "recipe-dirs" in err


def test_no_recipe_and_no_configuration(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    done = codemod(tmp_path, "apply")
    assert done.returncode == 2
    assert b"no recipe given" in done.stderr and b"[tool.codemod]" in done.stderr


def test_list_shows_recipes_from_recipe_dirs(project: Path) -> None:
    done = codemod(project, "list", "--color", "never")
    assert done.returncode == 0, done.stderr.decode()
    assert b"local-fix" in done.stdout and b"session-id-to-request-id" in done.stdout
