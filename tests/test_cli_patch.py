"""`--patch FILE`: a unified diff from the repository root that `git apply` and `patch -p1` take."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_helpers import RECIPE, calls, codemod, git, make_repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

OLD = 'UserExecutionContext(user_id="u", session_id="s{n}")'


def tree(root: Path) -> Path:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text(calls(*(OLD.format(n=n) for n in range(3))))
    (root / "pkg" / "sub" / "b.py").write_bytes(
        calls(OLD.format(n=9)).replace("\n", "\r\n").encode()
    )
    (root / "pkg" / "sub" / "c.py").write_text(calls(OLD.format(n=7)).rstrip("\n"))  # no final \n
    (root / "untouched.py").write_text("x = 1\n")
    return make_repo(root)


def test_preview_patch_applies_with_git_apply_from_a_subdirectory_run(tmp_path: Path) -> None:
    repo = tree(tmp_path / "repo")
    patch = tmp_path / "changes.patch"
    # run from a subdirectory, on a path below it: the patch is still relative to the repo root
    done = codemod(repo / "pkg", "preview", RECIPE, "sub", "--patch", str(patch), real=True)
    assert done.returncode == 0, done.stderr.decode()
    text = patch.read_bytes()
    assert b"--- a/pkg/sub/b.py\n+++ b/pkg/sub/b.py\n" in text
    assert b"a/pkg/a.py" not in text  # only what was scanned
    assert git(repo, "status", "--porcelain").stdout == ""  # preview wrote nothing

    expected = codemod(repo, "apply", RECIPE, "pkg/sub")
    assert expected.returncode == 0
    after = {p: (repo / p).read_bytes() for p in ("pkg/sub/b.py", "pkg/sub/c.py")}
    assert git(repo, "checkout", "--", ".").returncode == 0

    applied = git(repo, "apply", str(patch))
    assert applied.returncode == 0, applied.stderr
    for path, content in after.items():
        assert (repo / path).read_bytes() == content
    assert b"\r\n" in (repo / "pkg/sub/b.py").read_bytes()


@pytest.mark.skipif(shutil.which("patch") is None, reason="patch not installed")
def test_apply_patch_records_what_was_written_and_patch_p1_replays_it(tmp_path: Path) -> None:
    repo = tree(tmp_path / "repo")
    pristine = tmp_path / "pristine"
    shutil.copytree(repo, pristine)
    patch = tmp_path / "applied.patch"
    done = codemod(repo, "apply", RECIPE, "--patch", str(patch))
    assert done.returncode == 0, done.stderr.decode()
    assert b"3 files changed" in done.stderr
    assert f"wrote {patch} (3 files)".encode() in done.stderr

    replay = subprocess.run(
        ["patch", "-p1", "--batch", "--input", str(patch)],
        cwd=pristine,
        capture_output=True,
        check=False,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    for path in ("pkg/a.py", "pkg/sub/b.py", "pkg/sub/c.py", "untouched.py"):
        assert (pristine / path).read_bytes() == (repo / path).read_bytes(), path


def test_patch_of_a_clean_tree_is_empty(tmp_path: Path) -> None:
    repo = make_repo_with(tmp_path / "repo", "x = 1\n")
    patch = tmp_path / "none.patch"
    done = codemod(repo, "preview", RECIPE, "--patch", str(patch))
    assert done.returncode == 0
    assert patch.read_bytes() == b""


def make_repo_with(root: Path, text: str) -> Path:
    root.mkdir()
    (root / "m.py").write_text(text)
    return make_repo(root)
