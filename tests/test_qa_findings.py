"""Bugs found by using issues 12, 17 and 18 on real code: each test is the smallest repo that showed one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import codemod, git, make_repo


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_doctor_lists_each_place_once_when_one_import_takes_several_names(tmp_path: Path) -> None:
    # rich's `from .cells import a, b, c, d, e` after cells.py moved: one place, not five.
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/text_cells.py": "def a(): ...\ndef b(): ...\ndef c(): ...\n",
            "pkg/segment.py": "from .cells import a, b, c\n",
            **{f"pkg/user{i}.py": "from pkg.cells import a\n" for i in range(6)},
        },
    )
    make_repo(tmp_path)
    done = codemod(tmp_path, "doctor", "--format", "json", "--write-recipe", "fix-cells.yaml")
    assert done.returncode == 1, done.stderr
    (proposal,) = json.loads(done.stdout)["proposals"]
    assert proposal["step"] == "rename_module"
    assert sorted(proposal["evidence"]) == sorted(set(proposal["evidence"]))
    assert len(proposal["evidence"]) == 7
    recipe = (tmp_path / "fix-cells.yaml").read_text()
    assert "(+1 more)" in recipe, recipe


CHANGE = (
    "from app.context import UserExecutionContext\n\nctx = UserExecutionContext(session_id='s')\n"
)


def test_repos_refuses_a_list_that_names_one_repository_twice(tmp_path: Path) -> None:
    # Two runs at once in one work tree would race on its files; the second line is a mistake.
    repo = tmp_path / "svc"
    repo.mkdir()
    (repo / "a.py").write_text(CHANGE)
    make_repo(repo)
    listing = tmp_path / "repos.txt"
    listing.write_text("svc\n./svc/\n")
    done = codemod(
        tmp_path, "apply", "session-id-to-request-id", "--repos", str(listing), "--out", "out"
    )
    assert done.returncode == 2, done.stderr
    err = done.stderr.decode()
    assert "line 2" in err and "line 1" in err, err
    assert not git(repo, "status", "--porcelain").stdout.strip()  # nothing ran


def test_repos_says_why_a_clone_failed(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "a.py").write_text(CHANGE)
    make_repo(good)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"good\nfile://{tmp_path}/nowhere/gone.git\n")
    out = tmp_path / "out"
    done = codemod(
        tmp_path, "apply", "session-id-to-request-id", "--repos", str(listing), "--out", str(out)
    )
    assert done.returncode == 3, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    gone = next(r for r in summary if r["name"] == "gone")
    # git's last line is "and the repository exists."; the reason is its first "fatal:" line
    assert "does not appear to be a git repository" in gone["error"], gone
    assert git(good, "status", "--porcelain").stdout.strip()  # the good one was still done


def test_apply_with_an_unwritable_patch_or_partial_path_writes_nothing(tmp_path: Path) -> None:
    # The files used to be written first and the patch/partial refused after: exit 2 with the
    # tree changed, and the shard's partial (needed by `codemod finish`) lost.
    repo = tmp_path / "svc"
    repo.mkdir()
    (repo / "a.py").write_text(CHANGE)
    make_repo(repo)
    recipe = "session-id-to-request-id"
    for args in (
        ("--patch", str(tmp_path / "no" / "such" / "x.patch")),
        ("--shard", "1/1", "--emit-partial", str(tmp_path / "no" / "p.json")),
        ("--shard", "1/1", "--emit-partial", str(tmp_path)),
    ):
        done = codemod(repo, "apply", recipe, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert b"nothing was run or written" in done.stderr, done.stderr
        assert not git(repo, "status", "--porcelain").stdout.strip(), args
    done = codemod(repo, "apply", recipe, "--patch", "fix.patch")  # a plain name still works
    assert done.returncode == 0, done.stderr
    assert (repo / "fix.patch").read_text().startswith("--- a/a.py")


def test_learn_text_output_shows_how_a_rejected_candidate_differs(tmp_path: Path) -> None:
    # The text said "its output differs from the hand fix at FILE:LINE:" and stopped there.
    # Here the hand fix renamed the keyword and also changed the value on the same line.
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/ctx.py": "def make(session_id=None):\n    return session_id\n",
            "tests/test_a.py": "from pkg.ctx import make\n\nassert make(session_id=1)\n",
        },
    )
    make_repo(tmp_path)
    (tmp_path / "tests/test_a.py").write_text(
        "from pkg.ctx import make\n\nassert make(request_id=2)\n"
    )
    git(tmp_path, "commit", "-qam", "rename the keyword, and another value")
    as_json = codemod(tmp_path, "learn", "--commit", "HEAD", "--format", "json")
    rejected = json.loads(as_json.stdout)["rejected"]
    assert rejected, as_json.stdout  # every one of the rejections below must be readable
    text = codemod(tmp_path, "learn", "--commit", "HEAD").stderr.decode()
    for r in rejected:
        first, *rest = r["why"].splitlines()
        after = text.split(first, 1)[1]  # the lines shown under this rejection
        shown = [t.strip() for t in after.splitlines()[1 : 1 + len(rest[:6])]]
        assert shown == [t.strip() for t in rest[:6]], text
