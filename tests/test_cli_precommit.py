"""The `.pre-commit-hooks.yaml` hooks, run by the real `pre-commit` tool in a temp repository.

The hook repository is a git copy of this checkout's current files (what a user's
`repo: <url>` + `rev:` would fetch); pre-commit builds its own virtualenv from it, which needs
the package index: this is the slow test of the suite (about a minute).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import IMPORT, RECIPE, git, make_repo
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git not installed"),
]

SHIPPED = [
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    ".pre-commit-hooks.yaml",
    "codemods",
    "recipes",
]
BAD = IMPORT + 'ctx = UserExecutionContext(user_id="u", session_id="s")\n'
GOOD = BAD.replace("session_id", "request_id")


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("pre-commit")
    command = [str(binary)] if binary.exists() else [sys.executable, "-m", "pre_commit"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [*command, "run", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    repo = tmp_path_factory.mktemp("hook") / "codemods"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        else:
            shutil.copy2(source, repo / name)
    make_repo(repo)
    return repo, git(repo, "rev-parse", "HEAD").stdout.strip()


def user_repo(root: Path, hook: tuple[Path, str], hook_id: str, args: str) -> Path:
    root.mkdir()
    (root / "app.py").write_text(BAD)
    (root / "fine.py").write_text("x = 1\n")
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook[0]}\n    rev: {hook[1]}\n    hooks:\n"
        f"      - id: {hook_id}\n        args: {args}\n"
    )
    make_repo(root)
    return root


def test_check_hook_fails_on_pending_changes_and_apply_hook_fixes_them(
    tmp_path: Path, hook_repo: tuple[Path, str]
) -> None:
    home = tmp_path / "pre-commit-home"  # one environment, built once, used by both hooks
    check = user_repo(tmp_path / "check", hook_repo, "codemod-check", f"[{RECIPE}]")
    (check / "app.py").write_text(BAD + "# edited\n")
    git(check, "add", "app.py")
    failed = pre_commit(check, home)  # runs on the staged files, as on `git commit`
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "codemod (check)" in failed.stdout and "Failed" in failed.stdout
    assert "would change app.py" in failed.stdout
    assert (check / "app.py").read_text() == BAD + "# edited\n"  # --check writes nothing

    (check / "app.py").write_text(GOOD)
    git(check, "add", "app.py")
    passed = pre_commit(check, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    fix = user_repo(tmp_path / "fix", hook_repo, "codemod-apply", f"[{RECIPE}]")
    fixed = pre_commit(fix, home, "--all-files")
    # pre-commit fails a hook that modified files, so the user can review and stage them
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "files were modified by this hook" in fixed.stdout
    assert (fix / "app.py").read_text() == GOOD
    assert (fix / "fine.py").read_text() == "x = 1\n"

    # no args: the hook runs the recipes of [tool.codemod] on the changed files
    configured = user_repo(tmp_path / "configured", hook_repo, "codemod-check", "[]")
    (configured / "pyproject.toml").write_text(f'[tool.codemod]\nrecipes = ["{RECIPE}"]\n')
    git(configured, "add", "pyproject.toml")
    from_config = pre_commit(configured, home, "--all-files")
    assert from_config.returncode == 1, from_config.stdout + from_config.stderr
    assert "would change app.py" in from_config.stdout

    # the environment pre-commit built is a real (non-editable) install: the wheel ships
    # the recipe JSON Schema and the built-in recipes inside the package
    installed = list(home.glob("repo*/py_env-*/lib/python*/site-packages/codemods"))
    assert len(installed) == 1, installed
    assert (installed[0] / "schema" / "recipe.schema.json").is_file()
    assert (installed[0] / "_builtin_recipes" / f"{RECIPE}.yaml").is_file()
