"""The dirty-tree guard: `apply` writes only into files git can restore, unless --allow-dirty."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import RECIPE, calls, codemod, git, make_repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

CALL = 'UserExecutionContext(user_id="u", session_id="s")'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "clean.py").write_text(calls(CALL))
    (root / "edited.py").write_text(calls(CALL))
    (root / "other.py").write_text("x = 1\n")
    return make_repo(root)


def test_uncommitted_change_in_a_file_to_rewrite_refuses_everything(repo: Path) -> None:
    (repo / "edited.py").write_text(calls(CALL) + "# my unsaved work\n")
    before = {p.name: p.read_bytes() for p in repo.glob("*.py")}
    done = codemod(repo, "apply", RECIPE, real=True)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "refusing to write 1 file with uncommitted changes: edited.py" in err
    assert "git is your undo" in err and "--allow-dirty" in err
    # nothing at all was written, not even the clean file
    assert {p.name: p.read_bytes() for p in repo.glob("*.py")} == before


def test_staged_and_untracked_files_count_as_uncommitted(repo: Path) -> None:
    (repo / "edited.py").write_text(calls(CALL) + "# staged\n")
    git(repo, "add", "edited.py")
    (repo / "new.py").write_text(calls(CALL))
    done = codemod(repo, "apply", RECIPE)
    assert done.returncode == 2
    assert "2 files with uncommitted changes" in done.stderr.decode()


def test_dirty_files_that_would_not_change_do_not_matter(repo: Path) -> None:
    (repo / "other.py").write_text("x = 2\n")
    done = codemod(repo, "apply", RECIPE)
    assert done.returncode == 0, done.stderr.decode()
    assert b"2 files changed" in done.stderr


def test_allow_dirty_writes_and_check_or_preview_never_refuse(repo: Path) -> None:
    (repo / "edited.py").write_text(calls(CALL) + "# my unsaved work\n")
    assert codemod(repo, "preview", RECIPE).returncode == 0
    assert codemod(repo, "apply", "--check", RECIPE).returncode == 1
    done = codemod(repo, "apply", "--allow-dirty", RECIPE)
    assert done.returncode == 0, done.stderr.decode()
    text = (repo / "edited.py").read_text()
    assert "request_id" in text and "# my unsaved work" in text


def test_outside_a_git_repository_there_is_no_guard(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(calls(CALL))
    done = codemod(tmp_path, "apply", RECIPE)
    assert done.returncode == 0, done.stderr.decode()
    assert "request_id" in (tmp_path / "m.py").read_text()
