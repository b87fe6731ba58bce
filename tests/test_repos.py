"""``--repos FILE``: one run per repository, each on its own; a report and patch per repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import codemod, git, make_repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

DEMO = Path(__file__).resolve().parent.parent / "examples" / "netra-demo"
RECIPE = "session-id-to-request-id"
CHANGE = (
    "from app.context import UserExecutionContext\n\n"
    "ctx = UserExecutionContext(session_id='s{n}')\n"
)


def three_repos(tmp_path: Path) -> tuple[Path, Path, Path]:
    demo = tmp_path / "demo"
    shutil.copytree(DEMO, demo)
    make_repo(demo)
    own = tmp_path / "own-config"
    (own / "src").mkdir(parents=True)
    (own / "vendor").mkdir()
    for n in range(3):
        (own / "src" / f"m{n}.py").write_text(CHANGE.format(n=n))
    (own / "vendor" / "v.py").write_text(CHANGE.format(n=9))
    (own / "pyproject.toml").write_text('[tool.codemod]\nexclude = ["vendor/**"]\n')
    make_repo(own)
    dirty = tmp_path / "dirty"
    dirty.mkdir()
    (dirty / "a.py").write_text(CHANGE.format(n=1))
    make_repo(dirty)
    (dirty / "a.py").write_text(CHANGE.format(n=2))  # an uncommitted edit
    return demo, own, dirty


def test_apply_over_three_repositories(tmp_path: Path) -> None:
    demo, own, dirty = three_repos(tmp_path)
    listing = tmp_path / "repos.txt"
    listing.write_text("# the fleet\ndemo\n\nown-config   # has its own [tool.codemod]\ndirty\n")
    out = tmp_path / "out"
    done = codemod(tmp_path, "apply", RECIPE, "--repos", str(listing), "--out", str(out))
    assert done.returncode == 3, done.stderr  # one repository failed ...
    err = done.stderr.decode()
    # ... and the others were done all the same
    assert git(demo, "status", "--porcelain").stdout.strip()
    assert git(own, "status", "--porcelain").stdout.split() == [
        "M",
        "src/m0.py",
        "M",
        "src/m1.py",
        "M",
        "src/m2.py",
    ]
    assert "vendor" not in git(own, "status", "--porcelain").stdout  # its own config applied
    assert (dirty / "a.py").read_text() == CHANGE.format(n=2)  # its own dirty-tree guard
    for name in ("demo", "own-config"):
        assert (out / f"{name}.patch").read_bytes()
        report = json.loads((out / f"{name}.json").read_text())
        assert report["mode"] == "apply" and report["summary"]["changed"] > 0
        assert (out / f"{name}.log").exists()
    assert (demo / ".codemod_cache").is_dir()  # each repository's own cache, none here
    assert not (tmp_path / ".codemod_cache").exists()
    assert not (out / "dirty.json").exists()
    summary = {o["name"]: o for o in json.loads((out / "summary.json").read_text())}
    assert summary["demo"]["result"] == summary["own-config"]["result"] == "ok"
    assert summary["own-config"]["changed"] == 3
    assert summary["dirty"]["result"] == "error"
    assert "uncommitted changes" in summary["dirty"]["error"]
    assert "Repositories" in err and "own-config" in err
    assert "3 repositories: 2 ok, 0 with changes pending, 1 failed" in err


def test_preview_patches_are_each_repositorys_own_patch(tmp_path: Path) -> None:
    demo, own, _dirty = three_repos(tmp_path)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{demo}\n{own}\nfile://{own}\n")  # absolute paths, and a git URL
    out = tmp_path / "out"
    done = codemod(tmp_path, "preview", RECIPE, "--repos", str(listing), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "checkouts" / "own-config-2" / ".git").exists()  # the URL was cloned
    for name, repo in (("demo", demo), ("own-config", own), ("own-config-2", own)):
        alone = codemod(repo, "preview", RECIPE, "--patch", str(tmp_path / "alone.patch"))
        assert alone.returncode == 0
        assert (out / f"{name}.patch").read_bytes() == (tmp_path / "alone.patch").read_bytes()
        applied = git(repo, "apply", "--check", str(out / f"{name}.patch"))
        assert applied.returncode == 0, applied.stderr
    assert git(demo, "status", "--porcelain").stdout == ""  # preview wrote nothing


def test_check_mode_and_a_missing_repository(tmp_path: Path) -> None:
    demo, _own, _dirty = three_repos(tmp_path)
    listing = tmp_path / "repos.txt"
    listing.write_text("demo\nnot-there\n")
    done = codemod(
        tmp_path,
        "apply",
        RECIPE,
        "--check",
        "--repos",
        str(listing),
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode == 3
    summary = {o["name"]: o for o in json.loads((tmp_path / "out" / "summary.json").read_text())}
    assert summary["demo"]["result"] == "changes pending"
    assert summary["not-there"]["error"].startswith("not a directory")
    assert git(demo, "status", "--porcelain").stdout == ""


def test_repos_rejects_options_that_have_no_meaning_per_repository(tmp_path: Path) -> None:
    (tmp_path / "repos.txt").write_text(".\n")
    done = codemod(tmp_path, "preview", RECIPE, "src", "--repos", "repos.txt")
    assert done.returncode == 2 and b"--repos cannot go with PATHS" in done.stderr
    done = codemod(tmp_path, "preview", RECIPE, "--repos", "missing.txt")
    assert done.returncode == 2 and b"cannot read the repository list" in done.stderr


def test_each_repository_run_has_the_per_file_budget_given(tmp_path: Path) -> None:
    """--file-timeout reaches every repository's own run (it used to run with the default)."""
    repo = tmp_path / "one"
    repo.mkdir()
    (repo / "a.py").write_text(CHANGE.format(n=1))
    make_repo(repo)
    listing = tmp_path / "repos.txt"
    listing.write_text("one\n")
    out = tmp_path / "out"
    args = ("preview", RECIPE, "--repos", str(listing), "--out", str(out))
    done = codemod(tmp_path, *args, "--file-timeout", "0.000001")
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "one.json").read_text())
    assert report["summary"]["skipped"] == 1
    assert [f["reason"] for f in report["files"]] == ["over budget"]
    assert "1 repository: 1 ok" in done.stderr.decode()
    again = codemod(tmp_path, *args)  # the default budget: the file is changed
    assert json.loads((out / "one.json").read_text())["summary"]["changed"] == 1, again.stderr
