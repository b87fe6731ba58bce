"""Boundaries: what `codemod apply` may write, and what it leaves alone.

* nothing is written outside the paths given (the one exception is the no-change cache,
  ``.codemod_cache/`` at the project root, which ``--no-cache`` turns off);
* a symlink that points outside the tree is not followed for writing; a symlinked directory
  is not walked;
* generated files (``@generated`` in the first lines, configurable) and ``.pyi`` stubs are
  skipped unless asked for;
* recipes are data: loading one never runs code (see also ``test_safety_recipes.py``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codemods.cli import app

RECIPE = """\
title: Rename timeout to deadline in connect calls
description: Used by the boundary tests.
steps:
  - rename_kwarg:
      callables: ["*.connect"]
      old: timeout
      new: deadline
"""
OLD = b"from net import connect\n\nconn = connect('h', timeout=5)\n"
NEW = OLD.replace(b"timeout", b"deadline")


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under ``root``: file bytes, symlink targets, directories."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = ("symlink", os.readlink(path))
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = path.read_bytes()
    return out


def codemod(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "recipes" / "rename-timeout.yaml"
    path.parent.mkdir()
    path.write_text(RECIPE)
    return path


def test_nothing_outside_the_given_directory_is_written(tmp_path: Path, recipe: Path) -> None:
    repo = tmp_path / "repo"
    for rel in ("src/a.py", "src/sub/b.py", "other/c.py", "d.py"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(OLD)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    before = snapshot(tmp_path)

    code, output = codemod("apply", recipe, repo / "src", "--allow-dirty", "--no-cache")
    assert code == 0, output

    after = snapshot(tmp_path)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == ["repo/src/a.py", "repo/src/sub/b.py"]
    assert after["repo/src/a.py"] == NEW


def test_only_the_cache_appears_outside_the_given_directory(tmp_path: Path, recipe: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "a.py").write_bytes(OLD)
    (repo / "b.py").write_bytes(OLD)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    before = snapshot(tmp_path)

    code, output = codemod("apply", recipe, repo / "src", "--allow-dirty")
    assert code == 0, output

    after = snapshot(tmp_path)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert {k for k in changed if not k.startswith("repo/.codemod_cache")} == {"repo/src/a.py"}


def test_a_named_file_is_the_only_file_written(tmp_path: Path, recipe: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("a.py", "b.py"):
        (tree / name).write_bytes(OLD)
    code, output = codemod("apply", recipe, tree / "a.py", "--no-cache")
    assert code == 0, output
    assert (tree / "a.py").read_bytes() == NEW
    assert (tree / "b.py").read_bytes() == OLD
    assert sorted(p.name for p in tree.iterdir()) == ["a.py", "b.py"]


def test_symlink_out_of_the_tree_is_not_followed_for_writing(tmp_path: Path, recipe: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "real.py").write_bytes(OLD)
    (outside / "pkg").mkdir()
    (outside / "pkg" / "deep.py").write_bytes(OLD)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "own.py").write_bytes(OLD)
    (tree / "link.py").symlink_to(outside / "real.py")
    (tree / "linked_dir").symlink_to(outside / "pkg", target_is_directory=True)

    code, output = codemod("apply", recipe, tree, "--no-cache", "--color", "never")

    assert code == 0, output
    assert (tree / "own.py").read_bytes() == NEW
    assert (outside / "real.py").read_bytes() == OLD
    assert (outside / "pkg" / "deep.py").read_bytes() == OLD  # symlinked dirs are not walked
    assert (tree / "link.py").is_symlink()
    assert "link.py: skipped: symlink out of tree" in output
    assert "not followed for writing" in output


def test_symlink_inside_the_tree_writes_its_target_once(tmp_path: Path, recipe: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "real.py").write_bytes(OLD)
    (tree / "alias.py").symlink_to(tree / "real.py")
    code, output = codemod("apply", recipe, tree, "--no-cache", "--color", "never")
    assert code == 0, output
    assert (tree / "real.py").read_bytes() == NEW
    assert (tree / "alias.py").is_symlink()  # the link is kept, not replaced by a copy
    assert os.readlink(tree / "alias.py") == str(tree / "real.py")
    assert "1 file changed" in output


GENERATED = b"# @generated by protoc-gen-python. DO NOT EDIT.\n" + OLD
CUSTOM = b'"""Code generated by sqlc. DO NOT EDIT."""\n' + OLD
LATE_MARKER = OLD + b"\n" * 12 + b"# the words @generated here are too late to count\n"


def test_generated_files_are_skipped_and_reported(tmp_path: Path, recipe: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "api_pb2.py").write_bytes(GENERATED)
    (tree / "late.py").write_bytes(LATE_MARKER)
    code, output = codemod("apply", recipe, tree, "--no-cache", "--color", "never")
    assert code == 0, output
    assert (tree / "api_pb2.py").read_bytes() == GENERATED
    assert "api_pb2.py: skipped: generated file" in output
    assert "--include-generated" in output  # says how to change it anyway
    assert (tree / "late.py").read_bytes() == LATE_MARKER.replace(b"timeout", b"deadline")

    code, output = codemod("apply", recipe, tree, "--no-cache", "--include-generated")
    assert code == 0, output
    assert (tree / "api_pb2.py").read_bytes() == GENERATED.replace(b"timeout", b"deadline")


def test_the_generated_marker_is_configurable(tmp_path: Path, recipe: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "queries.py").write_bytes(CUSTOM)
    (tree / "api_pb2.py").write_bytes(GENERATED)
    code, output = codemod(
        "apply", recipe, tree, "--no-cache", "--generated-marker", "DO NOT EDIT", "--color", "never"
    )
    assert code == 0, output
    assert (tree / "queries.py").read_bytes() == CUSTOM
    assert (tree / "api_pb2.py").read_bytes() == GENERATED  # also says DO NOT EDIT
    assert "queries.py: skipped: generated file" in output


def test_stubs_are_skipped_unless_asked(tmp_path: Path, recipe: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "net.pyi").write_bytes(OLD)
    (tree / "mod.py").write_bytes(OLD)
    code, output = codemod("apply", recipe, tree, "--no-cache")
    assert code == 0, output
    assert (tree / "net.pyi").read_bytes() == OLD
    assert (tree / "mod.py").read_bytes() == NEW

    code, output = codemod("apply", recipe, tree, "--no-cache", "--include-stubs")
    assert code == 0, output
    assert (tree / "net.pyi").read_bytes() == NEW


def test_preview_writes_nothing_at_all(tmp_path: Path, recipe: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_bytes(OLD)
    stale = tree / ".a.py.abcd1234.codemod-tmp"
    stale.write_bytes(b"half")
    before = snapshot(tmp_path)
    code, output = codemod("preview", recipe, tree, "--no-cache", "--color", "never")
    assert code == 0, output
    assert "+conn = connect('h', deadline=5)" in output
    assert snapshot(tmp_path) == before  # not even the stale temp file is touched


def test_recipe_loading_never_executes_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(
        "title: !!python/object/apply:os.system ['touch "
        + str(marker)
        + "']\ndescription: x.\nsteps:\n  - rename_kwarg: {callables: [a], old: b, new: c}\n"
    )
    tree = tmp_path / "tree"
    tree.mkdir()
    code, output = codemod("preview", evil, tree, "--color", "never")
    assert code == 2
    assert not marker.exists()
    assert "python/object/apply:os.system" in output
    assert "recipes are data" in output
