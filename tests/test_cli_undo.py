"""``codemod undo``, run the way a user runs it: apply, (edit), undo, check the bytes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_helpers import codemod, make_repo

RECIPE = """\
title: Rename timeout to deadline in connect calls
description: Used by the undo tests.
steps:
  - rename_kwarg:
      callables: ["*.connect"]
      old: timeout
      new: deadline
"""


def old_source(n: int) -> bytes:
    return b"from net import connect\n\nconn = connect('h%d', timeout=%d)\n" % (n, n)


def new_source(n: int) -> bytes:
    return old_source(n).replace(b"timeout=", b"deadline=")


def make_tree(root: Path, count: int = 3) -> list[Path]:
    files = []
    for n in range(count):
        path = root / "src" / f"pkg{n % 7}" / f"mod_{n:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(old_source(n))
        files.append(path)
    (root / "rename-timeout.yaml").write_text(RECIPE)
    return files


def out(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode() + result.stderr.decode()


def test_undo_restores_unedited_files_and_names_the_edited_one(tmp_path: Path) -> None:
    files = make_tree(tmp_path)
    (tmp_path / "src" / "pkg0" / "mod_000.py").chmod(0o640)
    make_repo(tmp_path)
    applied = codemod(tmp_path, "apply", "rename-timeout.yaml", "src")
    assert applied.returncode == 0, out(applied)
    assert [f.read_bytes() for f in files] == [new_source(n) for n in range(3)]

    edited = files[1]
    edited.write_bytes(new_source(1) + b"# my own edit\n")
    result = codemod(tmp_path, "undo", "--color", "never")
    assert result.returncode == 3, out(result)
    assert files[0].read_bytes() == old_source(0)
    assert files[2].read_bytes() == old_source(2)
    assert edited.read_bytes() == new_source(1) + b"# my own edit\n"
    assert (files[0].stat().st_mode & 0o777) == 0o640
    text = out(result)
    assert "restored 2 files of run" in text
    assert (
        "src/pkg1/mod_001.py: not restored: edited since codemod wrote it "
        "(--force restores it anyway)" in text
    )

    forced = codemod(tmp_path, "undo", "--force")
    assert forced.returncode == 0, out(forced)
    assert edited.read_bytes() == old_source(1)
    assert "restored 1 file of run" in out(forced)
    assert "2 files already as before the apply" in out(forced)
    # the tree is exactly the commit again
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True
    )
    assert status.stdout == ""

    again = codemod(tmp_path, "undo")
    assert again.returncode == 3
    assert "nothing to undo" in out(again)


def test_undo_outside_git_from_a_subdirectory_and_list(tmp_path: Path) -> None:
    files = make_tree(tmp_path, count=2)
    assert codemod(tmp_path, "apply", "rename-timeout.yaml", ".").returncode == 0
    files[0].write_bytes(old_source(0))  # the user reverted this one by hand
    listed = codemod(tmp_path / "src" / "pkg1", "undo", "--list")
    assert listed.returncode == 0, out(listed)
    lines = listed.stdout.decode().splitlines()
    assert len(lines) == 1 and "rename-timeout  2 files  can be undone" in lines[0]

    result = codemod(tmp_path / "src" / "pkg1", "undo")  # finds the journal above
    assert result.returncode == 0, out(result)
    assert [f.read_bytes() for f in files] == [old_source(0), old_source(1)]
    assert "1 file already as before the apply: src/pkg0/mod_000.py" in out(result)
    assert "undone" in codemod(tmp_path, "undo", "--list").stdout.decode()


def test_undo_takes_back_the_runs_one_by_one_and_keeps_the_last_ten(tmp_path: Path) -> None:
    make_tree(tmp_path, count=1)
    target = tmp_path / "src" / "pkg0" / "mod_000.py"
    versions = []
    for n in range(12):
        target.write_bytes(b"# v%d\n" % n + old_source(0))
        versions.append(target.read_bytes())
        assert codemod(tmp_path, "apply", "rename-timeout.yaml", ".").returncode == 0
    runs = codemod(tmp_path, "undo", "--list").stdout.decode().splitlines()
    assert len(runs) == 10
    assert codemod(tmp_path, "undo").returncode == 0
    assert target.read_bytes() == versions[11]
    # the run before wrote `deadline` into v10; the file is now v11+timeout: edited since
    result = codemod(tmp_path, "undo")
    assert result.returncode == 3
    assert "not restored: edited since" in out(result)


def test_no_cache_apply_records_nothing(tmp_path: Path) -> None:
    make_tree(tmp_path, count=1)
    assert codemod(tmp_path, "apply", "rename-timeout.yaml", ".", "--no-cache").returncode == 0
    assert not (tmp_path / ".codemod_cache").exists()
    result = codemod(tmp_path, "undo")
    assert result.returncode == 2
    assert "no undo journal" in out(result)


def test_interactive_apply_is_recorded_file_by_file(tmp_path: Path) -> None:
    files = make_tree(tmp_path, count=2)
    result = codemod(tmp_path, "apply", "rename-timeout.yaml", ".", "-i", stdin=b"y\nn\n")
    assert result.returncode == 0, out(result)
    assert [f.read_bytes() for f in files] == [new_source(0), old_source(1)]
    assert "1 file  can be undone" in codemod(tmp_path, "undo", "--list").stdout.decode()
    assert codemod(tmp_path, "undo").returncode == 0
    assert [f.read_bytes() for f in files] == [old_source(0), old_source(1)]


def _journal_run(root: Path) -> Path:
    (run,) = (root / ".codemod_cache" / "journal").iterdir()
    return run


@pytest.mark.parametrize("damage", ["blob", "manifest", "truncated", "escape"])
def test_a_damaged_journal_is_reported_and_nothing_is_restored(tmp_path: Path, damage: str) -> None:
    files = make_tree(tmp_path, count=3)
    assert codemod(tmp_path, "apply", "rename-timeout.yaml", ".").returncode == 0
    run = _journal_run(tmp_path)
    if damage == "blob":  # one byte of the last file's original flipped
        blob = run / "blobs-0.bin"
        data = bytearray(blob.read_bytes())
        data[-len(new_source(2)) - 5] ^= 0x20
        blob.write_bytes(bytes(data))
    elif damage == "manifest":
        (run / "run.json").write_text('{"format": 1, "files": [')
    elif damage == "truncated":
        blob = run / "blobs-0.bin"
        blob.write_bytes(blob.read_bytes()[:-10])
    else:  # a manifest pointing outside the project
        doc = json.loads((run / "run.json").read_text())
        doc["files"][1]["path"] = "../outside.py"
        (run / "run.json").write_text(json.dumps(doc))
    result = codemod(tmp_path, "undo", "--force")
    assert result.returncode == 3, out(result)
    assert "is damaged" in out(result) and "nothing was restored" in out(result)
    assert "Traceback" not in out(result)
    assert [f.read_bytes() for f in files] == [new_source(n) for n in range(3)]
    assert not (tmp_path.parent / "outside.py").exists()


def test_a_symlinked_journal_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    files = make_tree(project, count=1)
    assert codemod(project, "apply", "rename-timeout.yaml", ".").returncode == 0
    journal = project / ".codemod_cache" / "journal"
    elsewhere = tmp_path / "elsewhere"
    journal.rename(elsewhere)
    journal.symlink_to(elsewhere)
    result = codemod(project, "undo")
    assert result.returncode == 3
    assert "is a symbolic link" in out(result)
    assert files[0].read_bytes() == new_source(0)
    files[0].write_bytes(old_source(0))
    applied = codemod(project, "apply", "rename-timeout.yaml", ".")
    assert applied.returncode == 3
    assert "symbolic link" in out(applied)
    assert files[0].read_bytes() == old_source(0)  # refused before writing anything


COUNT = 200


def _states(files: list[Path]) -> dict[str, int]:
    counts = {"old": 0, "new": 0, "torn": 0}
    for n, path in enumerate(files):
        data = path.read_bytes()
        counts["old" if data == old_source(n) else "new" if data == new_source(n) else "torn"] += 1
    return counts


def _process(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "codemods", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.slow  # five kill-and-rerun trials over 200 files, as the apply ones (CI runs them)
def test_sigkill_during_undo_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    """Undo killed at random moments: no torn file; the next undo finishes the job."""
    calibration = tmp_path / "calibration"
    files = make_tree(calibration, COUNT)
    assert codemod(calibration, "apply", "rename-timeout.yaml", ".", "-j", "1").returncode == 0
    start = time.monotonic()
    proc = _process(calibration, "undo")
    first_restore = None
    while proc.poll() is None:
        if first_restore is None and files[0].read_bytes() == old_source(0):
            first_restore = time.monotonic() - start
        time.sleep(0.002)
    total = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert _states(files) == {"old": COUNT, "new": 0, "torn": 0}
    first_restore = first_restore or total * 0.8

    rng = random.Random(20261201)
    mixed = 0
    for trial in range(5):
        root = tmp_path / f"trial{trial}"
        files = make_tree(root, COUNT)
        assert codemod(root, "apply", "rename-timeout.yaml", ".", "-j", "1").returncode == 0
        proc = _process(root, "undo")
        time.sleep(rng.uniform(first_restore, total))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        counts = _states(files)
        assert counts["torn"] == 0, f"trial {trial}: {counts}"
        mixed += bool(counts["old"] and counts["new"])
        again = codemod(root, "undo")
        if "nothing to undo" not in out(again):  # unless the killed undo had finished
            assert again.returncode == 0, out(again)
        assert _states(files) == {"old": COUNT, "new": 0, "torn": 0}
        assert not [p for p in root.rglob("*.codemod-tmp")]
    print(f"\nundo SIGKILL trials: 5, killed mid-restore: {mixed}")


@pytest.mark.slow
def test_undo_after_an_apply_killed_mid_write(tmp_path: Path) -> None:
    """A killed apply leaves a 'pending' journal: undo restores what it wrote, no more."""
    calibration = tmp_path / "calibration"
    make_tree(calibration, COUNT)
    start = time.monotonic()
    proc = _process(calibration, "apply", "rename-timeout.yaml", ".", "-j", "1")
    proc.communicate(timeout=300)
    total = time.monotonic() - start

    rng = random.Random(7)
    for trial in range(3):
        root = tmp_path / f"trial{trial}"
        files = make_tree(root, COUNT)
        proc = _process(root, "apply", "rename-timeout.yaml", ".", "-j", "1")
        time.sleep(rng.uniform(total * 0.5, total))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _states(files)["torn"] == 0
        result = codemod(root, "undo")
        if "no undo journal" in out(result) or "is damaged" in out(result):
            # killed before the journal was complete: then nothing had been written
            assert _states(files) == {"old": COUNT, "new": 0, "torn": 0}
            continue
        assert result.returncode == 0, out(result)
        assert _states(files) == {"old": COUNT, "new": 0, "torn": 0}


def test_undo_removes_a_file_the_apply_created(tmp_path: Path) -> None:
    """register_markers creates pytest.ini when there is no pytest config: undo removes it."""
    (tmp_path / "tests").mkdir()
    test_file = tmp_path / "tests" / "test_api.py"
    test_file.write_text("import pytest\n\n\n@pytest.mark.backend\ndef test_api():\n    pass\n")
    applied = codemod(tmp_path, "apply", "register-markers", ".")
    assert applied.returncode == 0, out(applied)
    assert "backend: registered by codemod" in (tmp_path / "pytest.ini").read_text()
    result = codemod(tmp_path, "undo")
    assert result.returncode == 0, out(result)
    assert not (tmp_path / "pytest.ini").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".codemod_cache", "tests"]


def test_undo_after_an_apply_killed_while_recording_says_there_is_no_journal(
    tmp_path: Path,
) -> None:
    """An apply killed before its journal's manifest was written had written no file: undo
    says there is no journal (it used to say every apply had been undone already)."""
    files = make_tree(tmp_path, 3)
    before = [p.read_bytes() for p in files]
    (tmp_path / ".codemod_cache" / "journal" / "20261201T000000-1-abcd").mkdir(parents=True)
    result = codemod(tmp_path, "undo")
    assert result.returncode != 0
    assert "no undo journal" in out(result)
    assert "undone already" not in out(result)
    assert [p.read_bytes() for p in files] == before
