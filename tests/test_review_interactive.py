"""`codemod apply --interactive`, driven through a real pseudo-terminal with pexpect."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

from tests.cli_helpers import CODEMOD, RECIPE, calls, git, make_repo

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

OLD = 'UserExecutionContext(user_id="u{n}", session_id="s{n}")'
NEW = 'UserExecutionContext(user_id="u{n}", request_id="s{n}")'


def call(n: int, new: bool = False) -> str:
    return (NEW if new else OLD).format(n=n)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.py").write_text(calls(call(1), call(2), call(3)))
    (root / "b.py").write_text(calls(call(4), call(5)))
    (root / "c.py").write_text(calls(call(6)))
    return make_repo(root)


def spawn(root: Path, *args: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable,
        [*CODEMOD[1:], "apply", RECIPE, ".", "--interactive", "--color", "never", *args],
        cwd=str(root),
        env={**os.environ, "NO_COLOR": "1", "TERM": "xterm", **(env or {})},
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    return child


def answer(child: pexpect.spawn, prompt: str, reply: str) -> str:
    """Wait for ``prompt`` (a plain substring), send ``reply``; return what was shown before."""
    child.expect_exact(prompt)
    shown = plain(child.before)
    child.sendline(reply)
    return shown


def plain(text: str) -> str:
    assert "\x1b[" not in text, "--color never must not emit escape codes"
    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r\n", "\n")


def finish(child: pexpect.spawn) -> tuple[str, int]:
    child.expect(pexpect.EOF)
    rest = plain(child.before)
    child.close()
    return rest, child.exitstatus


def test_yes_no_all_skip_file(repo: Path) -> None:
    child = spawn(repo)
    shown = answer(child, "(1/3) Apply this hunk to a.py [y,n,a,d,e,q,?]? ", "y")
    # the file, the steps that fired, and the hunk as a diff
    assert "[1/3] a.py" in shown and "steps: rename_kwarg" in shown and "(3 hunks)" in shown
    assert "-" + call(1) in shown and "+" + call(1, new=True) in shown
    shown = answer(child, "(2/3) Apply this hunk to a.py", "n")
    assert "+" + call(2, new=True) in shown
    answer(child, "(3/3) Apply this hunk to a.py", "y")
    shown = answer(child, "(1/2) Apply this hunk to b.py", "a")  # this and the rest of b.py
    assert "[2/3] b.py" in shown
    shown = answer(child, "(1/1) Apply this hunk to c.py", "d")  # leave c.py alone
    rest, status = finish(child)
    assert status == 0, rest
    assert "2 files changed" in rest and "1 file left as they were" in rest

    a = (repo / "a.py").read_text()
    assert call(1, new=True) in a and call(2) in a and call(3, new=True) in a
    b = (repo / "b.py").read_text()
    assert call(4, new=True) in b and call(5, new=True) in b
    assert git(repo, "diff", "--quiet", "--", "c.py").returncode == 0


def test_quit_keeps_accepted_hunks_and_stops(repo: Path) -> None:
    child = spawn(repo)
    answer(child, "(1/3) Apply this hunk to a.py", "y")
    answer(child, "(2/3) Apply this hunk to a.py", "q")
    rest, status = finish(child)
    assert status == 0, rest
    assert "Apply this hunk to b.py" not in rest
    a = (repo / "a.py").read_text()
    assert call(1, new=True) in a and call(2) in a and call(3) in a
    changed = git(repo, "status", "--porcelain").stdout.split("\n")
    assert [line for line in changed if line.endswith(".py")] == [" M a.py"]


def test_unknown_answer_prints_help_and_asks_again(repo: Path) -> None:
    child = spawn(repo)
    answer(child, "(1/3) Apply this hunk to a.py", "x")
    shown = answer(child, "(1/3) Apply this hunk to a.py", "q")
    assert "a - apply this hunk and all remaining hunks in this file" in shown
    _, status = finish(child)
    assert status == 0
    assert git(repo, "status", "--porcelain", "--", "a.py").stdout == ""


def test_end_of_input_quits_without_writing(repo: Path) -> None:
    child = spawn(repo)
    child.expect_exact("(1/3) Apply this hunk to a.py")
    child.sendeof()
    _, status = finish(child)
    assert status == 0
    assert git(repo, "status", "--porcelain", "--", "*.py").stdout == ""


EDITOR = """\
import pathlib, sys
counter = pathlib.Path(sys.argv[0]).with_suffix(".count")
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
target = pathlib.Path(sys.argv[1])
if n == 0:
    target.write_text("UserExecutionContext(user_id=  # broken by hand\\n")
else:
    target.write_text(target.read_text().replace("request_id", "trace_id"))
"""


def test_edit_must_parse_or_is_asked_again(repo: Path, tmp_path: Path) -> None:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    child = spawn(repo, env={"EDITOR": f"{sys.executable} {script}", "VISUAL": ""})
    answer(child, "(1/3) Apply this hunk to a.py", "e")
    # the first edit does not parse: rejected, and the same hunk is asked again
    shown = answer(child, "(1/3) Apply this hunk to a.py", "e")
    assert "edited hunk rejected" in shown
    shown = answer(child, "(2/3) Apply this hunk to a.py", "d")
    assert "edited hunk accepted" in shown
    answer(child, "(1/2) Apply this hunk to b.py", "q")
    rest, status = finish(child)
    assert status == 0, rest
    a = (repo / "a.py").read_text()
    assert 'UserExecutionContext(user_id="u1", trace_id="s1")' in a
    assert call(2) in a and call(3) in a
    assert "broken by hand" not in a
    compile(a, "a.py", "exec")


def test_interactive_refuses_check(repo: Path) -> None:
    child = spawn(repo, "--check")
    rest, status = finish(child)
    assert status == 2
    assert "--interactive" in rest


TWO_STEPS = """\
title: Two fixes at once
description: Rename a keyword and move a helper, to see which step made which hunk.
steps:
  - rename_kwarg:
      callables: ["*.UserExecutionContext"]
      old: session_id
      new: request_id
  - rename_symbol:
      old: legacy.helpers.make
      new: legacy.builders.make
"""


def test_each_hunk_names_the_step_that_made_it(tmp_path: Path) -> None:
    root = tmp_path / "two"
    root.mkdir()
    (root / "two-steps.yaml").write_text(TWO_STEPS)
    (root / "m.py").write_text("from legacy.helpers import make\n" + calls(call(1), "make()"))
    make_repo(root)
    child = pexpect.spawn(
        sys.executable,
        [*CODEMOD[1:], "apply", "two-steps.yaml", "m.py", "-i", "--color", "never"],
        cwd=str(root),
        env={**os.environ, "NO_COLOR": "1"},
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    shown = answer(child, "(1/2) Apply this hunk to m.py", "y")
    assert "steps: rename_kwarg, rename_symbol" in shown  # the file
    assert "hunk 1/2 at line 1  step: rename_symbol" in shown
    shown = answer(child, "(2/2) Apply this hunk to m.py", "n")
    assert "hunk 2/2 at line 12  step: rename_kwarg" in shown
    rest, status = finish(child)
    assert status == 0, rest
    text = (root / "m.py").read_text()
    assert "from legacy.builders import make" in text and call(1) in text
