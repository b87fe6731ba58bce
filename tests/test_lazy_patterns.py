"""A warm re-run compiles no pattern: recipes load without compiling options that passed
before (engine/checked.py), and a pattern step compiles on first use. Broken recipes still
fail with their full message, and a file changed since the last run is still recomputed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from codemods.engine.checked import CheckedOptions
from codemods.errors import RecipeError
from codemods.recipe import RecipeLoader
from tests.conftest import ROOT

RECIPE = """\
title: utcnow to now(UTC)
description: >
  Replaces datetime.utcnow() with datetime.now(UTC).
steps:
  - pattern:
      pattern: $DT.utcnow()
      constraints:
        DT: {qualified_name: datetime.datetime}
      fix: $DT.now(UTC)
      imports:
        add: ["from datetime import UTC"]
"""

#: Runs the CLI in a fresh interpreter, counting the pattern compilations and reporting
#: whether LibCST's metadata machinery was needed; prints one JSON line last on stdout.
DRIVER = """\
import json, sys
import codemods.steps.pattern as pattern
calls = []
real = pattern.build_program
def counted(options):
    calls.append(1)
    return real(options)
pattern.build_program = counted
from codemods.cli import app
code = 0
try:
    app(sys.argv[1:], prog_name="codemod")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"compiled": len(calls), "code": code}))
"""


def _codemod(args: list[str], cache_home: Path, cwd: Path) -> tuple[dict[str, int], str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    *out, last = proc.stdout.rstrip("\n").split("\n")
    return json.loads(last), "\n".join(out), proc.stderr


def _backdate(root: Path) -> None:
    """mtimes outside the stat cache's racy window, as files of a real tree have."""
    when = time.time() - 3600
    for path in root.rglob("*.py"):
        os.utime(path, (when, when))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "utcnow-fix.yaml").write_text(RECIPE)
    (root / "pkg" / "plain.py").write_text("def f():\n    return 1\n")
    (root / "pkg" / "stamp.py").write_text(
        "import datetime\n\n\ndef f():\n    return datetime.date.today()\n"
    )
    (root / "pkg" / "mentions.py").write_text("# datetime.utcnow() is deprecated\nX = 1\n")
    _backdate(root)
    return root


def test_a_fully_cached_run_compiles_no_pattern(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "cache-home"
    args = ["preview", "utcnow-fix.yaml", "pkg"]
    cold, _, err = _codemod(args, home, project)
    assert cold["code"] == 0, err
    assert cold["compiled"] >= 1  # checked at load (and the file with `datetime` needed it)
    warm, out, err = _codemod(args, home, project)
    assert warm["code"] == 0, err
    assert "3 unchanged" in err
    assert warm["compiled"] == 0, "a run whose every file is a cache hit compiled a pattern"
    assert out == ""


def test_a_file_changed_since_the_last_run_is_recomputed_with_the_pattern(
    project: Path, tmp_path: Path
) -> None:
    home = tmp_path / "cache-home"
    args = ["preview", "utcnow-fix.yaml", "pkg"]
    assert _codemod(args, home, project)[0]["code"] == 0
    stamp = project / "pkg" / "stamp.py"
    stamp.write_text("import datetime\n\n\ndef f():\n    return datetime.datetime.utcnow()\n")
    _backdate(project)
    result, out, err = _codemod(args, home, project)
    assert result["code"] == 0, err
    assert result["compiled"] == 1  # the options were known good: compiled once, when needed
    assert "+    return datetime.datetime.now(datetime.UTC)" in out
    assert "1 file would be changed, 2 unchanged" in err


def test_a_broken_pattern_fails_precisely_on_every_run(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "cache-home"
    assert _codemod(["preview", "utcnow-fix.yaml", "pkg"], home, project)[0]["code"] == 0
    # a fix its own pattern matches again: refused when the recipe loads, on every run
    (project / "self-match.yaml").write_text(
        RECIPE.replace("$DT.utcnow()", "foo($$$A)")
        .replace("$DT.now(UTC)", "foo($$$A, x=1)")
        .replace("      constraints:\n        DT: {qualified_name: datetime.datetime}\n", "")
    )
    for _ in range(2):
        result, out, err = _codemod(["preview", "self-match.yaml", "pkg"], home, project)
        assert result["code"] == 2
        assert "self-match.yaml:6:7: steps[0].pattern:" in err
        assert "matches the pattern again" in err
        assert out == ""


def test_a_fix_that_does_not_parse_is_reported_at_its_line_after_the_recipe_ran_before(
    project: Path, tmp_path: Path
) -> None:
    home = tmp_path / "cache-home"
    args = ["preview", "utcnow-fix.yaml", "pkg"]
    assert _codemod(args, home, project)[0]["code"] == 0
    (project / "utcnow-fix.yaml").write_text(RECIPE.replace("$DT.now(UTC)", '"$DT.now(UTC, ))"'))
    result, _, err = _codemod(args, home, project)
    assert result["code"] == 2
    assert "utcnow-fix.yaml:9:" in err and "steps[0].pattern.fix" in err


def test_the_loader_skips_compiling_only_options_that_passed_before(tmp_path: Path) -> None:
    path = tmp_path / "utcnow-fix.yaml"
    path.write_text(RECIPE)
    store = CheckedOptions(tmp_path / "verdicts")
    assert not store.known
    (step,) = RecipeLoader(checked=store).load(str(path)).steps
    assert len(store.known) == 1  # checked in full, then remembered
    assert "program" in vars(step.step)  # the validator's program, not compiled again
    # a new process (a new store read from disk) loads it without compiling
    again = CheckedOptions(tmp_path / "verdicts")
    assert again.known == store.known
    (lazy,) = RecipeLoader(checked=again).load(str(path)).steps
    assert "program" not in vars(lazy.step)
    assert lazy.step.needles() == step.step.needles()  # compiled now, on first use
    assert "program" in vars(lazy.step)
    # options never seen are compiled at load: a broken one fails there, and is not kept
    bad = tmp_path / "bad-fix.yaml"
    bad.write_text(RECIPE.replace("$DT.now(UTC)", '"$DT.now(UTC, ))"'))
    with pytest.raises(RecipeError) as info:
        RecipeLoader(checked=again).load(str(bad))
    assert info.value.path == "steps[0].pattern.fix"
    assert len(CheckedOptions(tmp_path / "verdicts").known) == 1


def test_a_verdict_file_that_is_a_link_is_not_read(tmp_path: Path) -> None:
    store = CheckedOptions(tmp_path / "verdicts")
    store.add("a" * 64)
    elsewhere = tmp_path / "elsewhere"
    store.path.rename(elsewhere)
    store.path.symlink_to(elsewhere)
    assert not CheckedOptions(tmp_path / "verdicts").known


def test_builtin_recipes_load_in_a_fresh_process_without_compiling_once_known(
    tmp_path: Path,
) -> None:
    home = tmp_path / "cache-home"
    script = textwrap.dedent(
        """\
        import json, sys
        import codemods.steps.pattern as pattern
        calls = []
        real = pattern.build_program
        pattern.build_program = lambda o: calls.append(1) or real(o)
        from codemods.engine.checked import CheckedOptions
        from codemods.recipe import RecipeLoader
        recipe = RecipeLoader(checked=CheckedOptions()).load("unittest-setup-to-pytest")
        print(json.dumps({"compiled": len(calls), "steps": len(recipe.steps)}))
        """
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(home)}
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["compiled"] >= 1 and runs[0]["steps"] == runs[1]["steps"]
    assert runs[1]["compiled"] == 0
