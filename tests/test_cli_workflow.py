"""The everyday workflow, run as a user runs it: partial runs, what was written, CI
annotations, scaffolding any step type, and the rough edges a new user hit (issue 16)."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from codemods.steps import all_steps
from tests.cli_helpers import codemod, make_repo
from tests.conftest import EXAMPLE

write_module = importlib.import_module("codemods.engine.write")

UEC = b"from a import UserExecutionContext\nx = UserExecutionContext(session_id=1)\n"
RENAMED = UEC.replace(b"session_id", b"request_id")
#: Mentions what the recipe looks for, but does not parse.
BROKEN = b"from a import UserExecutionContext\ndef f(:\n    UserExecutionContext(session_id=1)\n"


def text(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode() + result.stderr.decode()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    tree = tmp_path / "netra-demo"
    shutil.copytree(EXAMPLE, tree)
    return make_repo(tree)


# -- --only / --skip ---------------------------------------------------------------------------
def test_only_runs_one_sub_recipe_and_the_summary_says_what_was_left_out(demo: Path) -> None:
    result = codemod(demo, "apply", "netra-remediation", "--only", "agent-registry-imports")
    assert result.returncode == 0, text(result)
    changed = subprocess.run(
        ["git", "diff", "--name-only"], cwd=demo, capture_output=True, text=True
    ).stdout.split()
    assert changed == ["tests/test_agent_registry.py"]
    err = result.stderr.decode()
    assert "1 file changed" in err
    assert "11 steps left out (--only/--skip)" in err
    assert "2 rename_symbol (create-for-user-to-from-request)" in err
    assert "1 register_markers (register-markers)" in err


def test_skip_by_step_type_and_by_sub_recipe(demo: Path) -> None:
    full = codemod(demo, "preview", "netra-remediation")
    partial = codemod(
        demo,
        "preview",
        "netra-remediation",
        "--skip",
        "rename_module",
        "--skip",
        "register-markers",
    )
    assert partial.returncode == 0, text(partial)
    assert "+++ b/tests/test_agent_registry.py" in full.stdout.decode()
    assert "+++ b/tests/test_agent_registry.py" not in partial.stdout.decode()
    assert "+++ b/pyproject.toml" not in partial.stdout.decode()
    assert "+++ b/tests/test_user_context.py" in partial.stdout.decode()
    assert "3 steps left out (--only/--skip)" in partial.stderr.decode()
    doc = codemod(
        demo, "preview", "netra-remediation", "--skip", "rename_module", "--format", "json"
    )
    assert '"left_out": 2' in doc.stdout.decode()


def test_only_and_skip_reject_an_unknown_id(demo: Path) -> None:
    result = codemod(demo, "preview", "netra-remediation", "--only", "agent-registy-imports")
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "has no step or sub-recipe `agent-registy-imports`" in err
    assert "hint: did you mean `agent-registry-imports`?" in err
    everything = codemod(demo, "preview", "session-id-to-request-id", "--skip", "rename_kwarg")
    assert everything.returncode == 2
    assert "left no step to run" in everything.stderr.decode()


# -- -v / -q -----------------------------------------------------------------------------------
def test_verbose_lists_each_file_written_and_quiet_prints_only_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_bytes(UEC)
    (tmp_path / "b.py").write_bytes(UEC)
    (tmp_path / "broken.py").write_bytes(BROKEN)
    verbose = codemod(tmp_path, "apply", "session-id-to-request-id", ".", "-v")
    err = verbose.stderr.decode()
    assert verbose.returncode == 0, err
    assert "wrote a.py\n" in err and "wrote b.py\n" in err
    assert "broken.py:2:7: skipped: syntax error" in err
    assert "2 files changed" in err

    for name in ("a.py", "b.py"):
        (tmp_path / name).write_bytes(UEC)
    quiet = codemod(tmp_path, "apply", "session-id-to-request-id", ".", "-q")
    assert quiet.returncode == 0
    assert quiet.stderr == b""  # no skipped line, no summary
    assert (tmp_path / "a.py").read_bytes() == RENAMED

    (tmp_path / "a.py").write_bytes(UEC)
    (tmp_path / "b.py").write_bytes(UEC)
    real_write = write_module.atomic_write

    def refuse_b(path: Path, data: bytes, expected_old: bytes | None) -> None:
        if path.name == "b.py":
            raise PermissionError(13, "Permission denied")
        real_write(path, data, expected_old)

    monkeypatch.setattr(write_module, "atomic_write", refuse_b)
    failing = codemod(tmp_path, "apply", "session-id-to-request-id", ".", "-q")
    assert failing.returncode == 3
    lines = failing.stderr.decode().splitlines()
    assert lines[0] == "b.py: failed: write error: Permission denied"
    assert all("skipped" not in line and "wrote" not in line for line in lines)
    assert (tmp_path / "a.py").read_bytes() == RENAMED


# -- --format github ---------------------------------------------------------------------------
def test_format_github_annotates_changes_skips_and_failures(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"import os\n\n" + UEC)
    (tmp_path / "broken.py").write_bytes(BROKEN)
    result = codemod(tmp_path, "preview", "session-id-to-request-id", ".", "--format", "github")
    assert result.returncode == 0, text(result)
    lines = result.stdout.decode().splitlines()
    assert lines[0] == (
        "::warning file=broken.py,line=2,col=7,title=codemod (file-skipped)::"
        "skipped: syntax error: invalid syntax"
    )
    assert lines[1].startswith(
        "::warning file=a.py,line=4,title=codemod (rename_kwarg)::"
        "rename_kwarg would change line 4 (recipe session-id-to-request-id)%0A--- a/a.py%0A"
    )
    assert (
        "%0A-x = UserExecutionContext(session_id=1)%0A+x = UserExecutionContext(request_id=1)"
        in lines[1]
    )
    assert len(lines) == 2
    applied = codemod(tmp_path, "apply", "session-id-to-request-id", ".", "--format", "github")
    assert "::notice file=a.py,line=4,title=codemod (rename_kwarg)::rename_kwarg changed" in (
        applied.stdout.decode()
    )


# -- codemod new --step ------------------------------------------------------------------------
@pytest.mark.parametrize("step_id", sorted(all_steps()))
def test_new_recipe_for_every_step_type_passes_codemod_test(tmp_path: Path, step_id: str) -> None:
    recipe_id = step_id.replace("_", "-") + "-fix"
    made = codemod(tmp_path, "new", "recipe", recipe_id, "--step", step_id)
    assert made.returncode == 0, text(made)
    recipe = tmp_path / f"{recipe_id}.yaml"
    assert f"  - {step_id}:" in recipe.read_text()
    case = tmp_path / f"{recipe_id}.cases" / "basic"
    assert (case / "before.py").is_file() or (case / "before").is_dir()
    tested = codemod(tmp_path, "test", str(recipe))
    assert tested.returncode == 0, text(tested)
    assert re.search(r"\d+ passed, 0 failed", tested.stderr.decode())
    # the case is real: breaking its expected output makes `codemod test` fail
    after = case / "after.py"
    if not after.is_file():
        after = next(p for p in (case / "after").rglob("*") if p.is_file())
    after.write_text(after.read_text() + "# not what the step produces\n")
    assert codemod(tmp_path, "test", str(recipe)).returncode != 0


def test_new_recipe_with_an_unknown_step(tmp_path: Path) -> None:
    result = codemod(tmp_path, "new", "recipe", "x", "--step", "rename_symbl")
    assert result.returncode == 2
    assert "unknown step type `rename_symbl`" in result.stderr.decode()
    assert "did you mean `rename_symbol`?" in result.stderr.decode()
    assert list(tmp_path.iterdir()) == []


# -- a single file outside git -----------------------------------------------------------------
def test_single_file_outside_git_is_named_and_the_patch_applies(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_bytes(UEC)
    result = codemod(tmp_path, "preview", "session-id-to-request-id", "t.py", "--patch", "p.diff")
    assert result.returncode == 0, text(result)
    assert result.stdout.decode().startswith("--- a/t.py\n+++ b/t.py\n")
    assert (tmp_path / "p.diff").read_bytes() == result.stdout
    doc = codemod(tmp_path, "preview", "session-id-to-request-id", "t.py", "--format", "json")
    assert '"path": "t.py"' in doc.stdout.decode()
    patched = subprocess.run(["patch", "-p1", "--dry-run", "-i", "p.diff"], cwd=tmp_path)
    if shutil.which("patch"):
        assert patched.returncode == 0
    assert subprocess.run(["git", "apply", "p.diff"], cwd=tmp_path).returncode == 0
    assert (tmp_path / "t.py").read_bytes() == RENAMED


# -- usage errors and --help -------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["apply", "--color", "bogus", "x"],
        ["preview", "--bogus"],
        ["preview", "-j", "many"],
        ["explain"],
        ["nosuchcommand"],
        ["undo", "--list", "--nope"],
        ["new", "recipe"],
        ["preview", "--format", "bogus", "x"],
        ["apply", "--interactive", "--check", "x"],
        ["apply", "-q", "-v", "x"],
    ],
)
def test_every_usage_error_is_one_line_and_a_hint(tmp_path: Path, args: list[str]) -> None:
    result = codemod(tmp_path, *args, real=True)
    assert result.returncode == 2, text(result)
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("error: ")
    assert lines[1].startswith("  hint: ")
    assert "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize(
    "command",
    [
        "preview",
        "apply",
        "finish",
        "undo",
        "list",
        "explain",
        "test",
        "doctor",
        "learn",
        "new recipe",
    ],
)
def test_help_shows_brackets_and_readable_types(tmp_path: Path, command: str) -> None:
    result = codemod(tmp_path, *command.split(), "--help", env={"COLUMNS": "100"})
    assert result.returncode == 0
    help_text = result.stdout.decode()
    assert not re.search(r"<(bool|str|int|list|path)", help_text, re.I), help_text
    assert "╭" not in help_text
    if command in ("preview", "apply"):
        assert "listed under [tool.codemod] in" in help_text
        assert "--include GLOB" in help_text and "-j, --jobs N" in help_text
        assert "--only ID" in help_text


# -- config: explain and exclude ---------------------------------------------------------------
def test_explain_finds_recipes_in_the_configured_recipe_dirs(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "local-fix.yaml").write_text(
        "title: A local fix\ndescription: Renames it.\nsteps:\n"
        "  - rename_kwarg: {callables: ['*.connect'], old: timeout, new: deadline}\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.codemod]\nrecipe-dirs = ["tools"]\n')
    (tmp_path / "sub").mkdir()
    result = codemod(tmp_path / "sub", "explain", "local-fix")
    assert result.returncode == 0, text(result)
    assert "local-fix: A local fix" in result.stdout.decode()


def test_a_command_line_path_the_config_excludes_gets_a_warning(tmp_path: Path) -> None:
    (tmp_path / "gen").mkdir()
    (tmp_path / "src").mkdir()
    for folder in ("gen", "src"):
        (tmp_path / folder / "t.py").write_bytes(UEC)
    (tmp_path / "pyproject.toml").write_text('[tool.codemod]\nexclude = ["gen/**"]\n')
    recipe = "session-id-to-request-id"
    for path in ("gen/t.py", "gen"):
        result = codemod(tmp_path, "apply", recipe, path)
        err = result.stderr.decode()
        assert f"{path}: warning: " in err
        assert "excluded by [tool.codemod] include/exclude" in err
        assert "0 files changed" in err
    assert (tmp_path / "gen" / "t.py").read_bytes() == UEC
    whole = codemod(tmp_path, "apply", recipe, ".")
    assert "warning" not in whole.stderr.decode()
    assert (tmp_path / "src" / "t.py").read_bytes() == RENAMED
    assert (tmp_path / "gen" / "t.py").read_bytes() == UEC


# -- preview --check over files that do not parse ----------------------------------------------
def test_check_fails_on_a_file_the_recipe_could_match_that_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_bytes(RENAMED)
    (tmp_path / "other.py").write_bytes(b"def broken(:\n")  # no needle: not the recipe's business
    clean = codemod(tmp_path, "preview", "--check", "session-id-to-request-id", ".")
    assert clean.returncode == 0, text(clean)
    (tmp_path / "half.py").write_bytes(b"x = UserExecutionContext(session_id=1\n")
    gate = codemod(tmp_path, "preview", "--check", "session-id-to-request-id", ".")
    assert gate.returncode == 1, text(gate)
    err = gate.stderr.decode()
    assert "half.py:1:25: skipped: syntax error" in err
    assert "check failed: 1 file the recipe could change did not parse" in err
    assert codemod(tmp_path, "preview", "session-id-to-request-id", ".").returncode == 0


# -- a recipe with several errors --------------------------------------------------------------
def test_every_error_of_a_recipe_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "title: A recipe.\n"
        "description: Does a thing.\n"
        "steps:\n"
        "  - renam_kwarg:\n"
        "      old: a\n"
        "  - rename_kwarg:\n"
        "      callables: ['*.c']\n"
        "      old: a\n"
        "      nwe: b\n"
        "  - rename_symbol: {old: x}\n"
    )
    result = codemod(tmp_path, "preview", "bad.yaml", ".")
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert [e.split(": ")[1] for e in errors] == [
        "bad.yaml:1:8",
        "bad.yaml:4:5",
        "bad.yaml:9:7",
        "bad.yaml:10:20",
    ]
    assert "trailing period" in errors[0]
    assert "unknown step type `renam_kwarg`" in errors[1]
    assert "unknown option `nwe`" in errors[2]
    assert "missing required option `new`" in errors[3]
    assert sum(line.startswith("  hint: ") for line in lines) == 4
    assert lines[-1] == "4 errors"


# -- what preview writes -----------------------------------------------------------------------
def test_preview_writes_only_the_cache_and_no_cache_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(UEC)
    (tmp_path / "b.py").write_bytes(b"print('nothing to do')\n")

    def files() -> set[str]:
        return {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}

    before = files()
    assert (
        codemod(tmp_path, "preview", "session-id-to-request-id", ".", "--no-cache").returncode == 0
    )
    assert files() == before
    assert codemod(tmp_path, "preview", "session-id-to-request-id", ".").returncode == 0
    assert {f for f in files() - before if not f.startswith(".codemod_cache/")} == set()
    assert not (tmp_path / ".codemod_cache" / "journal").exists()
