"""Byte fidelity: a change in one place leaves every other byte of the file exactly as it was.

Each case folder under ``tests/fixtures/safety/bytes/`` holds a ``before.py`` with one
awkward property (CRLF, a BOM, a latin-1 cookie, form feeds, ...) and the ``after.py`` that
``codemod apply`` must produce, byte for byte: only ``timeout=`` -> ``deadline=`` in the call to
``connect``. The fixtures are committed with ``-text`` (see the folder's ``.gitattributes``) so
git never converts their line endings.

Hostile files (undecodable, binary, empty, huge, absurdly nested) are run through the real
command in a subprocess: they must be reported or left alone, and never crash the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from typer.testing import CliRunner

from codemods.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "safety" / "bytes"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "before.py").is_file())

RECIPE = """\
title: Rename timeout to deadline in connect calls
description: Used by the byte-fidelity tests.
steps:
  - rename_kwarg:
      callables: ["*.connect"]
      old: timeout
      new: deadline
"""


@pytest.fixture
def recipe_file(tmp_path: Path) -> Path:
    path = tmp_path / "rename-timeout.yaml"
    path.write_text(RECIPE)
    return path


def test_fixture_set_is_complete() -> None:
    wanted = {
        "crlf",
        "mixed_line_endings",
        "bom",
        "latin1_cookie",
        "tabs",
        "form_feed",
        "no_trailing_newline",
        "backslash_continuation",
    }
    assert wanted <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_only_the_intended_bytes_change(case: str, tmp_path: Path, recipe_file: Path) -> None:
    before = (FIXTURES / case / "before.py").read_bytes()
    expected = (FIXTURES / case / "after.py").read_bytes()
    assert before != expected, "a fixture must contain a change"
    work = tmp_path / "tree"
    work.mkdir()
    target = work / "mod.py"
    target.write_bytes(before)
    os.chmod(target, 0o640)

    result = CliRunner().invoke(app, ["apply", str(recipe_file), str(work), "--color", "never"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == expected
    assert os.stat(target).st_mode & 0o777 == 0o640  # the mode is kept too
    # no temp file left behind (.codemod_cache holds the cache and the undo journal)
    assert sorted(p.name for p in work.iterdir()) == [".codemod_cache", "mod.py"]

    again = CliRunner().invoke(app, ["apply", str(recipe_file), str(work), "--color", "never"])
    assert again.exit_code == 0, again.output
    assert target.read_bytes() == expected  # a second run changes nothing

    undone = CliRunner().invoke(app, ["undo", str(work), "--color", "never"])
    assert undone.exit_code == 0, undone.output
    assert target.read_bytes() == before  # `codemod undo` gives back every byte, and the mode
    assert os.stat(target).st_mode & 0o777 == 0o640


@pytest.mark.parametrize("case", CASES)
def test_preview_diff_applies_with_git(case: str, tmp_path: Path, recipe_file: Path) -> None:
    """The diff of an awkward file is a real patch: ``git apply`` turns before into after."""
    before = (FIXTURES / case / "before.py").read_bytes()
    expected = (FIXTURES / case / "after.py").read_bytes()
    work = tmp_path / "tree"
    work.mkdir()
    (work / "mod.py").write_bytes(before)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    result = subprocess.run(
        [sys.executable, "-m", "codemods", "preview", str(recipe_file), ".", "--color", "never"],
        cwd=work,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (work / "mod.py").read_bytes() == before  # preview writes nothing
    patch = tmp_path / "change.patch"
    patch.write_bytes(result.stdout)
    subprocess.run(["git", "apply", str(patch)], cwd=work, check=True)
    assert (work / "mod.py").read_bytes() == expected


# -- hostile files ---------------------------------------------------------------------------

CALL = b"from net import connect\nconn = connect('h', timeout=5)\n"

HOSTILE: dict[str, bytes] = {
    # latin-1 bytes, no coding cookie: not UTF-8, so not Python 3 source
    "latin1_no_cookie.py": b"# R\xe9sum\xe9\n" + CALL + b"NAME = 'caf\xe9'\n",
    "nul_bytes.py": CALL + b"\x00\x01\x02binary\xff\xfe" * 50,
    "random_binary.py": bytes((i * 151 + 7) % 255 + 1 for i in range(4096)) + CALL,
    "empty.py": b"",
    "only_bom.py": b"\xef\xbb\xbf",
    "unknown_codec.py": b"# -*- coding: no-such-codec -*-\n" + CALL,
    "utf16.py": "from net import connect\nconn = connect('h', timeout=5)\n".encode("utf-16"),
    "cookie_lies.py": b"# -*- coding: ascii -*-\n" + CALL + b"X = '\xc3\xa9'\n",
    "syntax_error.py": CALL + b"def broken(:\n    pass\n",
    "nested_parens.py": CALL + b"x = " + b"(" * 30_000 + b"1" + b")" * 30_000 + b"\n",
    "long_binop_chain.py": CALL + b"x = " + b"+".join([b"a"] * 30_000) + b"\n",
    "long_attribute_chain.py": CALL + b"x = a" + b".b" * 30_000 + b"\n",
    "many_elifs.py": CALL + b"if a:\n    pass\n" + b"elif a:\n    pass\n" * 30_000,
    "deep_unary.py": CALL + b"x = " + b"-" * 30_000 + b"a\n",
    "deep_lambda.py": CALL + b"x = " + b"lambda: " * 30_000 + b"a\n",
}


def test_hostile_files_are_reported_and_never_crash_the_run(
    tmp_path: Path, recipe_file: Path
) -> None:
    work = tmp_path / "tree"
    work.mkdir()
    for name, data in HOSTILE.items():
        (work / name).write_bytes(data)
    (work / "good.py").write_bytes(CALL)
    (work / "dir_named.py").mkdir()  # a directory with a .py name is not a file

    result = subprocess.run(
        [sys.executable, "-m", "codemods", "apply", str(recipe_file), str(work)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "300"},
        timeout=300,
        check=False,
    )
    # the run finished (no segfault, no traceback), and the good file was changed
    assert result.returncode in (0, 3), result.stderr
    assert "Traceback" not in result.stderr
    assert (work / "good.py").read_bytes() == CALL.replace(b"timeout", b"deadline")
    for name, data in HOSTILE.items():
        on_disk = (work / name).read_bytes()
        if on_disk != data:  # changed: only if it is clean UTF-8 source that still parses
            cst.parse_module(on_disk)
            assert on_disk == data.replace(b"timeout=5", b"deadline=5"), name
    reported = {
        name
        for name in HOSTILE
        if any(line.startswith(name) for line in result.stderr.splitlines())
    }
    must_report = {
        "latin1_no_cookie.py",
        "nul_bytes.py",
        "random_binary.py",
        "unknown_codec.py",
        "cookie_lies.py",
        "syntax_error.py",
        "nested_parens.py",
        "long_binop_chain.py",
        "long_attribute_chain.py",
        "many_elifs.py",
        "deep_unary.py",
        "deep_lambda.py",
    }
    assert must_report <= reported, result.stderr
    assert "1 file changed" in result.stderr
    assert [p.name for p in work.rglob("*.codemod-tmp")] == []


def test_huge_file_is_reported_not_parsed(tmp_path: Path, recipe_file: Path) -> None:
    """Tens of MB of matching code: skipped with a reason, not parsed for minutes."""
    work = tmp_path / "tree"
    work.mkdir()
    body = b"".join(b"conn_%d = connect('h%d', timeout=5)\n" % (i, i) for i in range(700_000))
    huge = b"from net import connect\n" + body
    assert len(huge) > 20_000_000
    (work / "huge.py").write_bytes(huge)
    (work / "small.py").write_bytes(CALL)
    result = CliRunner().invoke(
        app, ["apply", str(recipe_file), str(work), "--color", "never"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert (work / "huge.py").read_bytes() == huge
    assert "huge.py: skipped: too large" in result.output
    assert (work / "small.py").read_bytes() == CALL.replace(b"timeout", b"deadline")


def test_lossy_rendering_alone_is_not_a_change(tmp_path: Path, recipe_file: Path) -> None:
    """LibCST drops a form feed before a statement; with nothing to rename, nothing changes."""
    work = tmp_path / "tree"
    work.mkdir()
    data = b"from net import connect\n\x0cdef a(host):\n    return connect(host, deadline=5)\n"
    assert b"timeout" not in data
    data += b"# timeout is only mentioned here\n"
    (work / "mod.py").write_bytes(data)
    result = CliRunner().invoke(app, ["preview", str(recipe_file), str(work), "--color", "never"])
    assert result.exit_code == 0, result.output
    assert "1 unchanged" in result.output
    assert "+" not in result.output.replace("+++", "")
    assert (work / "mod.py").read_bytes() == data


def test_change_on_a_line_libcst_cannot_reproduce_is_refused(
    tmp_path: Path, recipe_file: Path
) -> None:
    """The form feed sits on the very line that changes: the file is skipped, not damaged."""
    work = tmp_path / "tree"
    work.mkdir()
    data = b"from net import connect\n\x0cconn = connect('h', timeout=5)\n"
    (work / "mod.py").write_bytes(data)
    result = CliRunner().invoke(app, ["apply", str(recipe_file), str(work), "--color", "never"])
    assert result.exit_code == 0, result.output
    assert "mod.py:2: skipped: not reproducible byte for byte" in result.output
    assert (work / "mod.py").read_bytes() == data
