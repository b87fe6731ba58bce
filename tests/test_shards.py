"""``--shard K/N``, ``--emit-partial`` and ``codemod finish``: the shards add up to the single run."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from codemods.engine.discover import SourceFile
from codemods.engine.shard import parse_shard, select, shard_of
from codemods.errors import CodemodError
from tests.cli_helpers import codemod, git, make_repo
from tests.test_engine_parallel import make_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

DEMO = Path(__file__).resolve().parent.parent / "examples" / "netra-demo"


def sections(patch: bytes) -> list[bytes]:
    """A patch cut into its per-file diffs."""
    parts = re.split(rb"(?m)^(?=--- )", patch)
    return [p for p in parts if p]


def demo_repo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO, tmp_path / "demo")
    return make_repo(tmp_path / "demo")


def tree_repo(tmp_path: Path) -> Path:
    root = make_tree(tmp_path / "tree", count=90)
    return make_repo(root)


# -- the partition -----------------------------------------------------------------------------
def test_the_partition_is_a_fixed_function_of_the_path() -> None:
    """Pinned values: the same on every machine, Python version and release (SHA-256 of the
    posix path), so the shards of a CI matrix never move under a running migration."""
    assert (shard_of("a.py", 7), shard_of("pkg/mod.py", 7), shard_of("é/ü.py", 7)) == (6, 3, 1)
    digest = hashlib.sha256(b"tests/test_x.py").digest()
    assert shard_of("tests/test_x.py", 5) == int.from_bytes(digest[:8], "big") % 5 + 1


def test_every_file_is_in_exactly_one_shard_and_keeps_it_when_others_come() -> None:
    files = [SourceFile(Path(f"/r/f{n}.py"), Path("/r"), f"d{n % 7}/f{n}.py") for n in range(500)]
    shards = [select(files, parse_shard(f"{k}/5")) for k in range(1, 6)]
    assert sorted(f.relpath for s in shards for f in s) == sorted(f.relpath for f in files)
    assert all(60 <= len(s) <= 140 for s in shards)  # roughly even
    more = [
        *files,
        *(SourceFile(Path(f"/r/n{n}.py"), Path("/r"), f"new/n{n}.py") for n in range(50)),
    ]
    again = [select(more, parse_shard(f"{k}/5")) for k in range(1, 6)]
    for before, after in zip(shards, again, strict=True):
        assert set(before) <= set(after)  # adding files moves no existing file


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_a_bad_shard_spec_is_a_clear_error(bad: str) -> None:
    with pytest.raises(CodemodError, match="--shard"):
        parse_shard(bad)


# -- shards vs one run -------------------------------------------------------------------------
def test_the_shards_patches_together_are_the_single_runs_patch(tmp_path: Path) -> None:
    repo = tree_repo(tmp_path)
    recipe = "session-id-to-request-id"
    single = codemod(repo, "preview", recipe, "--patch", str(tmp_path / "all.patch"))
    assert single.returncode == 0, single.stderr
    whole = (tmp_path / "all.patch").read_bytes()
    assert len(sections(whole)) >= 10
    parts: list[bytes] = []
    for k in (1, 2, 3, 4):
        done = codemod(
            repo,
            "preview",
            recipe,
            "--shard",
            f"{k}/4",
            "--patch",
            str(tmp_path / f"{k}.patch"),
            "--emit-partial",
            str(tmp_path / f"{k}.json"),
        )
        assert done.returncode == 0, done.stderr
        parts.append((tmp_path / f"{k}.patch").read_bytes())
    assert all(parts), "each shard changes something in this tree"
    pieces = [s for part in parts for s in sections(part)]
    assert len(pieces) == len(set(pieces)) == len(sections(whole))  # disjoint, nothing missing
    assert set(pieces) == set(sections(whole))
    # each shard's patch keeps discovery order, so merging by path order is the single patch
    joined = codemod(
        repo,
        "finish",
        "--partials",
        *(str(tmp_path / f"{k}.json") for k in (3, 1, 4, 2)),
        "--patch",
        str(tmp_path / "joined.patch"),
    )
    assert joined.returncode == 0, joined.stderr
    assert (tmp_path / "joined.patch").read_bytes() == whole
    summary = single.stderr.decode().strip().splitlines()[-1]
    assert joined.stderr.decode().strip().splitlines()[-1] == summary


def test_a_whole_tree_step_refuses_a_shard_without_a_partial(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    done = codemod(repo, "preview", "netra-remediation", "--shard", "1/2")
    assert done.returncode == 2
    assert b"step `register_markers`" in done.stderr
    assert b"--emit-partial" in done.stderr and b"codemod finish" in done.stderr
    assert done.stdout == b""


def test_finish_makes_the_whole_tree_edits_a_single_run_makes(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    single = codemod(repo, "preview", "netra-remediation", "--patch", str(tmp_path / "all.patch"))
    assert single.returncode == 0, single.stderr
    assert b"+++ b/pyproject.toml" in (tmp_path / "all.patch").read_bytes()
    for k in (1, 2, 3):
        done = codemod(
            repo,
            "preview",
            "netra-remediation",
            "--shard",
            f"{k}/3",
            "--emit-partial",
            str(tmp_path / f"{k}.json"),
        )
        assert done.returncode == 0, done.stderr
        assert b"pyproject.toml" not in done.stdout  # no shard edits the config alone
    joined = codemod(
        repo,
        "finish",
        "--partials",
        *(str(tmp_path / f"{k}.json") for k in (1, 2, 3)),
        "--patch",
        str(tmp_path / "joined.patch"),
    )
    assert joined.returncode == 0, joined.stderr
    assert (tmp_path / "joined.patch").read_bytes() == (tmp_path / "all.patch").read_bytes()
    assert b'+    "backend: registered by codemod' in joined.stdout  # the config diff is shown
    assert git(repo, "status", "--porcelain").stdout == ""  # preview shards: nothing written


def test_applied_shards_and_finish_leave_the_tree_a_single_apply_leaves(tmp_path: Path) -> None:
    one = demo_repo(tmp_path / "one")
    many = demo_repo(tmp_path / "many")
    assert codemod(one, "apply", "netra-remediation").returncode == 0
    for k in (1, 2):
        done = codemod(
            many,
            "apply",
            "netra-remediation",
            "--shard",
            f"{k}/2",
            "--emit-partial",
            str(tmp_path / f"{k}.json"),
        )
        assert done.returncode == 0, done.stderr
    assert "pyproject.toml" not in git(many, "status", "--porcelain").stdout
    partials = [str(tmp_path / "1.json"), str(tmp_path / "2.json")]
    pending = codemod(many, "finish", *partials, "--check")
    assert pending.returncode == 1  # the config edit is still to be made ...
    assert b"+++ b/pyproject.toml" in pending.stdout
    assert "pyproject.toml" not in git(many, "status", "--porcelain").stdout  # ... not made
    done = codemod(many, "finish", *partials)
    assert done.returncode == 0, done.stderr
    assert git(many, "diff").stdout == git(one, "diff").stdout
    assert "pyproject.toml" in git(many, "status", "--porcelain").stdout
    assert codemod(many, "finish", *partials, "--check").returncode == 0  # nothing left


def test_finish_on_another_checkout_re_roots_the_collected_paths(tmp_path: Path) -> None:
    first = demo_repo(tmp_path / "ci-1")
    for k in (1, 2):
        done = codemod(
            first,
            "preview",
            "netra-remediation",
            "--shard",
            f"{k}/2",
            "--emit-partial",
            str(tmp_path / f"{k}.json"),
        )
        assert done.returncode == 0, done.stderr
    elsewhere = demo_repo(tmp_path / "ci-2")
    done = codemod(
        elsewhere,
        "finish",
        "--partials",
        str(tmp_path / "1.json"),
        "--partials",
        str(tmp_path / "2.json"),
    )
    assert done.returncode == 0, done.stderr
    assert b"+++ b/pyproject.toml" in done.stdout
    assert b"ci-1" not in done.stdout


def test_finish_refuses_partials_that_are_not_every_shard_of_one_run(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path)
    for k in (1, 2, 3):
        codemod(
            repo,
            "preview",
            "netra-remediation",
            "--shard",
            f"{k}/3",
            "--emit-partial",
            str(tmp_path / f"{k}.json"),
        )
    codemod(
        repo,
        "preview",
        "session-id-to-request-id",
        "--shard",
        "3/3",
        "--emit-partial",
        str(tmp_path / "other.json"),
    )
    cases = {
        ("1", "2"): b"shard(s) 3 of 3 missing",
        ("1", "2", "other"): b"another recipe or step options",
        ("1", "2", "3", "3"): None,  # the same file twice is just one file
    }
    for names, message in cases.items():
        done = codemod(repo, "finish", *(str(tmp_path / f"{n}.json") for n in names))
        if message is None:
            assert done.returncode == 0, done.stderr
        else:
            assert done.returncode == 2, done.stderr
            assert message in done.stderr
    copy = json.loads((tmp_path / "3.json").read_text())
    copy["shard"] = [2, 3]
    (tmp_path / "dup.json").write_text(json.dumps(copy))
    done = codemod(
        repo,
        "finish",
        str(tmp_path / "1.json"),
        str(tmp_path / "2.json"),
        str(tmp_path / "dup.json"),
    )
    assert done.returncode == 2 and b"both shard 2/3" in done.stderr
    (tmp_path / "junk.json").write_text("{not json")
    done = codemod(repo, "finish", str(tmp_path / "junk.json"))
    assert done.returncode == 2 and b"not a partial file" in done.stderr
    assert b"Traceback" not in done.stderr


def test_the_shard_files_of_a_changed_tree_do_not_join(tmp_path: Path) -> None:
    repo = tree_repo(tmp_path)
    codemod(
        repo,
        "preview",
        "session-id-to-request-id",
        "--shard",
        "1/2",
        "--emit-partial",
        str(tmp_path / "1.json"),
    )
    (repo / "pkg1" / "late.py").write_text("x = 1\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    codemod(
        repo,
        "preview",
        "session-id-to-request-id",
        "--shard",
        "2/2",
        "--emit-partial",
        str(tmp_path / "2.json"),
    )
    done = codemod(repo, "finish", str(tmp_path / "1.json"), str(tmp_path / "2.json"))
    assert done.returncode == 2
    assert b"another set of files" in done.stderr


def test_codemod_undo_takes_finish_edits_back_then_each_shard(tmp_path: Path) -> None:
    """`finish` records what it writes in the undo journal, as `apply` does: the first
    `codemod undo` restores the whole-tree edit (pyproject.toml), the next ones the shards'."""
    many = demo_repo(tmp_path / "many")
    before = git(many, "diff").stdout
    partials = []
    for k in (1, 2):
        partial = str(tmp_path / f"{k}.json")
        done = codemod(
            many, "apply", "netra-remediation", "--shard", f"{k}/2", "--emit-partial", partial
        )
        assert done.returncode == 0, done.stderr
        partials.append(partial)
    shards_only = git(many, "diff").stdout
    assert codemod(many, "finish", *partials).returncode == 0
    assert "pyproject.toml" in git(many, "status", "--porcelain").stdout
    undone = codemod(many, "undo")
    assert undone.returncode == 0, undone.stderr
    assert "pyproject.toml" not in git(many, "status", "--porcelain").stdout
    assert git(many, "diff").stdout == shards_only  # the shards' edits are still there
    for _ in (1, 2):
        assert codemod(many, "undo").returncode == 0
    assert git(many, "diff").stdout == before
