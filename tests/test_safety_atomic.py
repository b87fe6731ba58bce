"""Atomicity and concurrency, tested for real.

* ``codemod apply`` killed with SIGKILL at random moments over a few hundred files: every file
  is either fully old or fully new, and the next ``apply`` finishes the job and removes any
  temp file (``.<name>.<random>.codemod-tmp``) the killed run left behind.
* A file modified on disk between codemod's read and its write is not overwritten, and the
  run reports it (exit 3, "changed on disk").
"""

from __future__ import annotations

import importlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codemods.cli import app

# the package exports the function `write`, which hides the module of the same name
write_module = importlib.import_module("codemods.engine.write")
run_module = importlib.import_module("codemods.engine.run")

RECIPE = """\
title: Rename timeout to deadline in connect calls
description: Used by the atomicity tests.
steps:
  - rename_kwarg:
      callables: ["*.connect"]
      old: timeout
      new: deadline
"""
COUNT = 200


def old_source(n: int) -> bytes:
    return b"from net import connect\n\nconn = connect('h%d', timeout=%d)\n" % (n, n)


def new_source(n: int) -> bytes:
    return old_source(n).replace(b"timeout=", b"deadline=")


def make_tree(root: Path) -> Path:
    for n in range(COUNT):
        path = root / f"pkg{n % 7}" / f"mod_{n:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(old_source(n))
    return root


def apply_process(recipe: Path, tree: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "codemods", "apply", str(recipe), str(tree), "--no-cache"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )


def states(tree: Path) -> dict[str, int]:
    """How many files are old, new, or neither (which must never happen)."""
    counts = {"old": 0, "new": 0, "torn": 0}
    for n in range(COUNT):
        data = (tree / f"pkg{n % 7}" / f"mod_{n:03d}.py").read_bytes()
        counts["old" if data == old_source(n) else "new" if data == new_source(n) else "torn"] += 1
    return counts


def temp_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*") if p.name.endswith(".codemod-tmp"))


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "rename-timeout.yaml"
    path.write_text(RECIPE)
    return path


@pytest.mark.slow  # six kill-and-rerun trials over hundreds of files: ~12 s idle, ~60 s loaded
def test_sigkill_leaves_every_file_old_or_new(tmp_path: Path, recipe: Path) -> None:
    # calibrate: how long a full run takes here, and when its first write lands
    calibration = make_tree(tmp_path / "calibration")
    first = calibration / "pkg0" / "mod_000.py"
    start = time.monotonic()
    proc = apply_process(recipe, calibration)
    first_write = None
    while proc.poll() is None:
        if first_write is None and first.read_bytes() == new_source(0):
            first_write = time.monotonic() - start
        time.sleep(0.002)
    total = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert states(calibration) == {"old": 0, "new": COUNT, "torn": 0}
    first_write = first_write or total * 0.8

    rng = random.Random(20261121)
    # half the kills anywhere in the run, half inside the write phase
    moments = [rng.uniform(0.0, total) for _ in range(2)]
    moments += [rng.uniform(first_write, total) for _ in range(4)]
    seen = {"mixed": 0, "temps": 0}
    for trial, moment in enumerate(moments):
        tree = make_tree(tmp_path / f"trial{trial}")
        proc = apply_process(recipe, tree)
        time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        counts = states(tree)
        assert counts["torn"] == 0, f"trial {trial} at {moment:.2f}s: {counts}"
        if counts["old"] and counts["new"]:
            seen["mixed"] += 1
        seen["temps"] += len(temp_files(tree))

        again = apply_process(recipe, tree)
        _, err = again.communicate(timeout=300)
        assert again.returncode == 0, err
        assert states(tree) == {"old": 0, "new": COUNT, "torn": 0}
        assert temp_files(tree) == [], f"trial {trial}: temp files left behind"
    print(
        f"\nSIGKILL trials: {len(moments)}, killed mid-write: {seen['mixed']}, "
        f"temp files left by the kill (then removed): {seen['temps']}"
    )


def test_next_apply_removes_stale_temp_files_and_only_those(tmp_path: Path, recipe: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "a.py").write_bytes(old_source(1))
    (tree / "b.py").write_bytes(new_source(2))  # nothing to do in this one
    stale = [tree / "pkg" / ".a.py.k3j9x_2q.codemod-tmp", tree / ".b.py.0abc1234.codemod-tmp"]
    for path in stale:
        path.write_bytes(b"half-written")
    keep = [
        tree / "pkg" / "notes.codemod-tmp",  # not named like ours
        tree / ".a.py.TOOLONGNAME.codemod-tmp",
        tree / "pkg" / "user.py",
    ]
    for path in keep:
        path.write_bytes(b"user data")

    preview = CliRunner().invoke(app, ["preview", str(recipe), str(tree), "--no-cache"])
    assert preview.exit_code == 0, preview.output
    assert all(p.exists() for p in stale)  # preview never deletes anything

    result = CliRunner().invoke(
        app, ["apply", str(recipe), str(tree), "--no-cache", "--color", "never"]
    )
    assert result.exit_code == 0, result.output
    assert "removed 2 temp file(s) left by an interrupted earlier run" in result.output
    assert not any(p.exists() for p in stale)
    assert all(p.read_bytes() == b"user data" for p in keep)
    assert (tree / "pkg" / "a.py").read_bytes() == new_source(1)


def test_file_changed_between_read_and_write_is_not_overwritten(
    tmp_path: Path, recipe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone saves the file while codemod runs: their version wins and the run says so."""
    tree = tmp_path / "tree"
    tree.mkdir()
    target = tree / "edited.py"
    target.write_bytes(old_source(1))
    (tree / "other.py").write_bytes(old_source(2))
    users_version = old_source(1) + b"# saved by the user meanwhile\n"

    real_fsync = os.fsync

    def fsync_then_user_saves(fd: int) -> None:
        real_fsync(fd)  # codemod's temp file is written; the user saves just before the rename
        if target.read_bytes() == old_source(1):
            target.write_bytes(users_version)

    monkeypatch.setattr(write_module.os, "fsync", fsync_then_user_saves)
    result = CliRunner().invoke(
        app, ["apply", str(recipe), str(tree), "--no-cache", "--jobs", "1", "--color", "never"]
    )

    assert result.exit_code == 3, result.output
    assert target.read_bytes() == users_version
    assert (tree / "other.py").read_bytes() == new_source(2)
    assert "edited.py: failed: changed on disk" in result.output
    assert "not overwritten" in result.output
    assert sorted(p.name for p in tree.iterdir()) == ["edited.py", "other.py"]  # no temp file


def test_file_changed_after_the_run_read_it_is_not_overwritten(
    tmp_path: Path, recipe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through the engine's own order: read and transform, then the file changes."""
    tree = tmp_path / "tree"
    tree.mkdir()
    target = tree / "edited.py"
    target.write_bytes(old_source(1))
    real_process = run_module._transform

    def process_then_edit(source, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_process(source, data, *args, **kwargs)
        source.path.write_bytes(data + b"# edited while codemod was thinking\n")
        return result

    monkeypatch.setattr(run_module, "_transform", process_then_edit)
    result = CliRunner().invoke(
        app, ["apply", str(recipe), str(tree), "--no-cache", "--jobs", "1", "--color", "never"]
    )
    assert result.exit_code == 3, result.output
    assert target.read_bytes() == old_source(1) + b"# edited while codemod was thinking\n"
    assert "edited.py: failed: changed on disk" in result.output


def test_a_deleted_file_is_not_recreated(
    tmp_path: Path, recipe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    target = tree / "gone.py"
    target.write_bytes(old_source(1))
    real_process = run_module._transform

    def process_then_delete(source, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_process(source, data, *args, **kwargs)
        source.path.unlink()
        return result

    monkeypatch.setattr(run_module, "_transform", process_then_delete)
    result = CliRunner().invoke(
        app, ["apply", str(recipe), str(tree), "--no-cache", "--jobs", "1", "--color", "never"]
    )
    assert result.exit_code == 3, result.output
    assert not target.exists()
    assert list(tree.iterdir()) == []
    assert "gone.py: failed" in result.output
