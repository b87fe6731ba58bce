"""Helpers for tests that run `codemod` the way a user does: a real process in a real git repo."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from codemods.cli import app

CODEMOD = [sys.executable, "-m", "codemods"]
RECIPE = "session-id-to-request-id"
IMPORT = "from netra_backend.app.services.user_execution_context import UserExecutionContext\n"


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        check=False,
    )


def make_repo(path: Path) -> Path:
    """Commit everything under ``path`` as a fresh git repository."""
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    done = git(path, "commit", "-qm", "init")
    assert done.returncode == 0, done.stderr
    return path


def codemod(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    real: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``codemod ARGS`` in ``cwd``: in this process (fast), or as a real process."""
    if real:
        full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
        return subprocess.run(
            [*CODEMOD, *args], cwd=cwd, capture_output=True, env=full_env, input=stdin, check=False
        )
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(
            app, list(args), env={"NO_COLOR": "1", **(env or {})}, input=stdin
        )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(
        ["codemod", *args], result.exit_code, result.stdout_bytes, result.stderr_bytes
    )


def calls(*lines: str, gap: int = 8) -> str:
    """A module calling UserExecutionContext on each given line, ``gap`` filler lines apart."""
    out = [IMPORT]
    for index, line in enumerate(lines):
        out.append("\n" + "".join(f"# filler {index}.{k}\n" for k in range(gap)))
        out.append(line + "\n")
    return "".join(out)
