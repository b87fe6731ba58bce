"""``unified_diff``: patches that ``git apply`` takes, on real files, whichever way the hunks
are found (line for line when an edit kept every line in place, else ``difflib``)."""

from __future__ import annotations

import difflib
import random
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from codemods.engine.diff import split_lines, unified_diff

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _git_apply(tmp_path: Path, old: bytes, new: bytes) -> bytes:
    """What ``git apply`` makes of ``old`` with the patch (the file is called ``f.py``)."""
    work = tmp_path / "w"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    (work / "f.py").write_bytes(old)
    patch = unified_diff(old, new, "f.py")
    done = subprocess.run(["git", "apply", "-"], cwd=work, input=patch, capture_output=True)
    assert done.returncode == 0, (done.stderr, patch)
    return (work / "f.py").read_bytes()


def _difflib(old: bytes, new: bytes) -> list[bytes]:
    """The hunks' changed lines as ``difflib`` has them (headers and context left out)."""
    lines = difflib.diff_bytes(difflib.unified_diff, split_lines(old), split_lines(new), n=0)
    return sorted(x for x in lines if x[:1] in b"+-" and not x.startswith((b"---", b"+++")))


def _reference(old: bytes, new: bytes) -> bytes:
    """The patch as ``difflib`` alone writes it (what ``unified_diff`` did before)."""
    out = bytearray()
    lines = difflib.diff_bytes(
        difflib.unified_diff, split_lines(old), split_lines(new), b"a/f.py", b"b/f.py"
    )
    for line in lines:
        out += line
        if not line.endswith(b"\n"):
            out += b"\n\\ No newline at end of file\n"
    return bytes(out)


SHAPES = [
    (b"a\nb\nc\n", b"a\nB\nc\n"),  # one line in place
    (b"a\nb\nc", b"a\nb\nC"),  # the last line has no newline
    (b"a\nb\nc\n", b"a\nb\nc"),  # the last newline removed
    (b"x\ny\nx\ny\n", b"x\nx\nx\ny\n"),  # the new line is another line of the file
    (b"a\r\nb\r\n", b"a\r\nB\r\n"),  # CRLF stays in the line
    (b"", b"new\n"),
    (b"gone\n", b""),
    (b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", b"1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n"),  # two hunks
    (b"1\n2\n3\n4\n5\n6\n7\n8\n", b"1\nX\n3\n4\n5\n6\nY\n8\n"),  # one hunk: context meets
]


@pytest.mark.parametrize(("old", "new"), SHAPES)
def test_git_apply_takes_the_patch_of_each_shape(tmp_path: Path, old: bytes, new: bytes) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    assert _git_apply(tmp_path, old, new) == new
    assert unified_diff(old, new, "f.py") == _reference(old, new)  # short: no junk lines


def test_no_change_is_no_patch() -> None:
    assert unified_diff(b"a\nb\n", b"a\nb\n", "f.py") == b""


def test_real_modules_renamed_in_place_apply_and_change_what_difflib_changes(
    tmp_path: Path,
) -> None:
    """Stdlib modules with a word renamed on every line that spells it (line for line) and
    with lines inserted and dropped (difflib): each patch applies to exactly the new bytes,
    and the line-for-line one changes the same lines as difflib, or fewer (difflib treats the
    popular blank lines of a long file as junk and may rewrite one beside a change)."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    files = sorted(p for p in STDLIB.glob("*.py") if b"import" in p.read_bytes())
    for path in random.Random(5).sample(files, 25):
        old = path.read_bytes()
        renamed = re.sub(rb"\bimport\b", b"import ", old)
        assert _git_apply(tmp_path, old, renamed) == renamed
        ours = sorted(
            x
            for x in unified_diff(old, renamed, "f.py").splitlines(keepends=True)
            if x[:1] in b"+-" and not x.startswith((b"---", b"+++"))
        )
        theirs = _difflib(old, renamed)
        assert set(ours) <= set(theirs), path
        moved = renamed.replace(b"\n", b"\n\n", 3)  # three lines more: difflib
        assert _git_apply(tmp_path, old, moved) == moved
