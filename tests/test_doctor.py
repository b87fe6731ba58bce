"""`codemod doctor` on fixture projects: what it reports, what it must not, the recipe it writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from codemods.doctor import diagnose
from codemods.doctor.recipe import write_recipe
from codemods.errors import CodemodError
from codemods.recipe import RecipeLoader
from tests.conftest import FIXTURES

DOCTOR = FIXTURES / "doctor"

#: Every breakage of BREAKAGES.md the netra fixture reproduces, as (kind, file:line).
NETRA_EXPECTED = {
    ("syntax-error", "scripts/one_off_fix.py:6"),
    ("missing-module", "tests/test_patch_only.py:7"),
    ("missing-module", "tests/test_registry.py:1"),
    ("missing-module", "tests/test_registry_alias.py:1"),
    ("missing-name", "netra_backend/app/agents/supervisor/runner.py:3"),
    ("missing-name", "tests/test_state.py:2"),
    ("unexpected-keyword", "tests/test_context.py:8"),
    ("unexpected-keyword", "tests/test_context.py:19"),
    ("unexpected-keyword", "tests/test_context.py:25"),
    ("unexpected-keyword", "tests/test_context.py:32"),
    ("async-test-not-run", "tests/test_async.py:7"),
    ("async-test-not-run", "tests/test_async.py:20"),
    ("await-in-sync-test", "tests/test_async.py:24"),
    ("async-setup-method", "tests/test_async.py:17"),
    ("unregistered-marker", "tests/test_async.py:23"),
    ("unregistered-marker", "tests/test_marked_module.py:5"),
}


def codemod(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run `codemod` the way a user does: a real process, no colour."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "codemods", *args],
        cwd=cwd,
        capture_output=True,
        env=env,
        check=False,
    )


def _found(root: Path) -> set[tuple[str, str]]:
    return {(f.kind, f"{f.file}:{f.line}") for f in diagnose([root]).findings}


def _steps(recipe: Path) -> list[tuple[str, dict[str, object]]]:
    data = yaml.safe_load(recipe.read_text())
    return [next(iter(item.items())) for item in data["steps"]]


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def netra(tmp_path: Path) -> Path:
    target = tmp_path / "netra"
    shutil.copytree(DOCTOR / "netra", target)
    return target


def test_reports_each_breakage_and_nothing_else() -> None:
    # wiring.py, compat.py, lazy.py, models/, plugins/ (namespace package), the conftest
    # marker and `from helpers import ...` all look suspicious and must not be reported.
    assert _found(DOCTOR / "netra") == NETRA_EXPECTED


def test_messages_carry_the_evidence() -> None:
    report = diagnose([DOCTOR / "netra"])
    by_place = {f"{f.file}:{f.line}": f for f in report.findings}
    assert "unexpected indent" in by_place["scripts/one_off_fix.py:6"].message
    assert by_place["scripts/one_off_fix.py:6"].column == 4
    assert "No module named 'netra_backend.app.core.agent_registry'" in (
        by_place["tests/test_registry.py:1"].message
    )
    keyword = by_place["tests/test_context.py:8"].message
    assert (
        "UserExecutionContext.__init__() got an unexpected keyword argument 'session_id'" in keyword
    )
    assert "did you mean `request_id`?" in keyword
    assert "UserExecutionContext.from_request()" in by_place["tests/test_context.py:32"].message
    assert (
        "'slow' not found in `markers` of pytest.ini" in by_place["tests/test_async.py:23"].message
    )


def test_proposes_the_fixes_with_exact_targets() -> None:
    proposals = {
        (p.step, json.dumps(p.options, sort_keys=True))
        for p in diagnose([DOCTOR / "netra"]).proposals
    }
    uec = "netra_backend.app.services.user_execution_context.UserExecutionContext"
    expected = [
        (
            "rename_module",
            {
                "old": "netra_backend.app.core.agent_registry",
                "new": "netra_backend.app.agents.supervisor.agent_registry",
            },
        ),
        (
            "rename_symbol",
            {
                "old": "netra_backend.app.agents.execution.ExecutionStatus",
                "new": "netra_backend.app.schemas.core_enums.ExecutionStatus",
            },
        ),
        (
            "rename_symbol",
            {
                "old": "netra_backend.app.schemas.agent_models.DeepAgentState",
                "new": "netra_backend.app.agents.state.DeepAgentState",
            },
        ),
        ("rename_kwarg", {"callables": [uec], "old": "session_id", "new": "request_id"}),
        (
            "rename_kwarg",
            {"callables": [f"{uec}.from_request"], "old": "session_id", "new": "request_id"},
        ),
        ("sync_setup_methods", {}),
        ("add_asyncio_marker", {}),
        ("register_markers", {}),
    ]
    assert proposals == {(step, json.dumps(opts, sort_keys=True)) for step, opts in expected}


def test_written_recipe_loads_and_orders_moves_first(tmp_path: Path) -> None:
    recipe = tmp_path / "doctor-fixes.yaml"
    assert write_recipe(diagnose([DOCTOR / "netra"]), recipe)
    loaded = RecipeLoader().load(str(recipe))
    assert [s.step.id for s in loaded.steps] == [
        "rename_module",
        "rename_symbol",
        "rename_symbol",
        "rename_kwarg",
        "rename_kwarg",
        "sync_setup_methods",
        "add_asyncio_marker",
        "register_markers",
    ]
    text = recipe.read_text()
    assert (
        "# seen at: tests/test_patch_only.py:7, tests/test_registry.py:1,\n  # tests/test_registry_alias.py:1"
        in text
    )


def test_recipe_makes_doctor_clean_and_pytest_collect(netra: Path) -> None:
    before = _pytest(netra, "--collect-only")
    assert before.returncode != 0
    assert "6 errors during collection" in before.stdout

    doctor = codemod(netra, "doctor", ".", "--write-recipe", "doctor-fixes.yaml")
    assert doctor.returncode == 1, doctor.stderr
    applied = codemod(netra, "apply", "doctor-fixes.yaml", ".")
    assert applied.returncode == 0, applied.stderr.decode()

    # Only the unparseable script (not fixable, not collected) is left.
    assert _found(netra) == {("syntax-error", "scripts/one_off_fix.py:6")}
    after = _pytest(netra)  # collects without errors, and the async tests really run
    assert after.returncode == 0, after.stdout + after.stderr
    assert "14 passed" in after.stdout
    local_double = (netra / "tests" / "test_context.py").read_text()
    assert 'UserExecutionContext(session_id="s").session_id' in local_double


def test_ambiguous_cases_become_comments_not_steps(tmp_path: Path) -> None:
    report = diagnose([DOCTOR / "edge"])
    recipe = tmp_path / "edge-fixes.yaml"
    assert write_recipe(report, recipe)
    assert _steps(recipe) == [("register_markers", {"ignore": ["integraton"]})]
    comments = recipe.read_text().split("# Left for a person", 1)[1]
    for expected in (
        "`Formatter` is defined in 2 modules (shop.dupes_a,",
        "no project module defines `Thing`",
        "`shop.results.AgentExecutionResult` does not",
        "`TestClient.setup_method` awaits other coroutines",
        "use\n#   `rename_marker` (old: integraton, new: integration)",
        "#   (old: shop.pipeline.PipelineStep, new: shop.pipeline.PipelineStepConfig)",
        "registered markers no scanned file uses: integration;",
    ):
        assert expected in comments


def test_signatures_doctor_cannot_know_are_not_reported() -> None:
    reported = {
        f.line for f in diagnose([DOCTOR / "edge"]).findings if f.file == "src/shop/calls.py"
    }
    # 5 pydantic model, 6 inherited dataclass fields, 8 **extra, 9 unknown decorator,
    # 16 a parameter that shadows the class: none of them is reported.
    assert reported == {7, 10, 11, 12}


def test_one_finding_per_statement_and_module_attribute_uses() -> None:
    found = {
        (f.kind, f.line, f.message)
        for f in diagnose([DOCTOR / "edge"]).findings
        if f.file == "src/shop/attribute_uses.py"
    }
    assert found == {
        ("missing-module", 2, "No module named 'shop.gone' (importing `Alpha`, `Beta`)"),
        ("missing-name", 5, "module 'shop.orders' has no attribute 'Formatter'"),
        ("missing-name", 10, "module 'shop.orders' has no attribute 'Renamed'"),
    }


def test_errors_only_the_compiler_sees_are_syntax_errors() -> None:
    errors = [f for f in diagnose([DOCTOR / "edge"]).findings if f.kind == "syntax-error"]
    assert [(e.file, e.line, e.message) for e in errors] == [
        ("src/shop/compile_only.py", 13, "'await' outside async function")
    ]


def test_modules_doctor_cannot_read_are_not_reported() -> None:
    # A .pyi/extension module, names bound through globals(), a package extending its
    # __path__, and `helpers` (two files with one module name under pytest's sys.path).
    quiet = {
        "src/shop/uses_opaque.py",
        "tests/unit/test_unit.py",
        "tests/integration/test_integration.py",
    }
    assert [f for f in diagnose([DOCTOR / "edge"]).findings if f.file in quiet] == []


def test_renamed_class_attributes_and_awaits_of_sync_functions() -> None:
    report = diagnose([DOCTOR / "edge"])
    found = {
        (f.kind, f.line, f.message.split(" (")[0])
        for f in report.findings
        if f.file == "src/shop/runtime_uses.py"
    }
    # Not reported: a real classmethod, an attribute set as self.x, type's own `mro`, and
    # awaits of an async def, of `-> Awaitable[int]`, of a class with __await__, of `def`
    # without a return annotation.
    assert found == {
        ("missing-attribute", 6, "type object 'Context' has no attribute 'create_for_user'"),
        (
            "await-not-awaitable",
            9,
            "`get_manager(...)` is awaited but `shop.context.get_manager` is a plain `def` "
            "returning Manager | None",
        ),
    }
    assert any("`*.Context.create_for_user`" in p.reason for p in report.proposals)


def test_effective_config_decides_asyncio_mode() -> None:
    # pytest.ini (asyncio_mode = auto) beats pyproject.toml (strict).
    assert _found(DOCTOR / "auto_mode") == set()


def test_cli_json_and_exit_codes(netra: Path) -> None:
    result = codemod(netra, "doctor", "--format", "json", "tests")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["counts"]["unexpected-keyword"] == 4
    assert "syntax-error" not in data["counts"]  # scripts/ is outside the given path
    fixes = {f["fix"] for f in data["findings"] if f["file"] == "tests/test_context.py"}
    assert fixes == {
        "rename_kwarg (callables=['netra_backend.app.services.user_execution_context"
        ".UserExecutionContext'], old=session_id, new=request_id)",
        "rename_kwarg (callables=['netra_backend.app.services.user_execution_context"
        ".UserExecutionContext.from_request'], old=session_id, new=request_id)",
    }

    clean = codemod(DOCTOR / "auto_mode", "doctor")
    assert clean.returncode == 0
    assert b"doctor: no problems in 1 file" in clean.stderr


def test_cli_text_groups_by_kind(netra: Path) -> None:
    result = codemod(netra, "doctor")
    text = result.stdout.decode()
    assert "keyword arguments the callee does not accept (4)" in text
    assert "pytest markers not registered in the effective config (2)" in text
    assert text.index("files that do not parse") < text.index("imports of project modules")
    assert b"doctor: 16 problems of 8 kinds in 33 files; 8 fixes proposed" in result.stderr


def test_recipe_file_name_must_be_a_recipe_id(tmp_path: Path) -> None:
    with pytest.raises(CodemodError, match="kebab-case"):
        write_recipe(diagnose([DOCTOR / "auto_mode"]), tmp_path / "Doctor_Fixes.yaml")


def test_no_recipe_when_nothing_is_fixable(tmp_path: Path) -> None:
    assert not write_recipe(diagnose([DOCTOR / "auto_mode"]), tmp_path / "fixes.yaml")
    assert not (tmp_path / "fixes.yaml").exists()


def test_relative_imports_and_same_file_classes_round_trip(tmp_path: Path) -> None:
    project = tmp_path / "relative"
    shutil.copytree(DOCTOR / "relative", project)
    recipe = tmp_path / "relative-fixes.yaml"
    assert write_recipe(diagnose([project]), recipe)
    # `from ..ctx import Ctx` and `from .. import ctx` both spell `..ctx.Ctx` for LibCST.
    assert [opts["callables"] for _step, opts in _steps(recipe)] == [
        ["*.ctx.Ctx"],
        ["pkg.local.Local"],
    ]
    applied = codemod(project, "apply", str(recipe), ".")
    assert applied.returncode == 0, applied.stderr.decode()
    assert diagnose([project]).findings == []
    assert (
        'second = ctx_module.Ctx(\n    user_id="u",\n    request_id="s",\n)'
        in (project / "pkg" / "sub" / "use.py").read_text()
    )


def test_patch_targets_are_checked() -> None:
    messages = {
        (f.kind, f"{f.file}:{f.line}", f.message)
        for f in diagnose([DOCTOR / "edge"]).findings
        if f.message.startswith("patch target")
    }
    assert messages == {
        (
            "missing-name",
            "tests/test_patches.py:6",
            "patch target 'shop.orders.Formatter': module 'shop.orders' has no attribute "
            "'Formatter'",
        ),
        (
            "missing-module",
            "tests/test_patches.py:10",
            "patch target 'shop.gone.Thing.method': No module named 'shop.gone'",
        ),
    }


def test_a_name_imported_twice_is_checked_only_when_both_agree() -> None:
    found = [
        (f.kind, f.line)
        for f in diagnose([DOCTOR / "edge"]).findings
        if f.file == "src/shop/imported_twice.py"
    ]
    assert found == [("unexpected-keyword", 8)]


def test_cli_usage_errors_exit_2() -> None:
    bad_format = codemod(DOCTOR / "auto_mode", "doctor", "--format", "yaml")
    assert bad_format.returncode == 2
    assert b"--format must be text or json" in bad_format.stderr
    bad_name = codemod(DOCTOR / "auto_mode", "doctor", "--write-recipe", "/tmp/Not_Kebab.yaml")
    assert bad_name.returncode == 2
    assert b"kebab-case" in bad_name.stderr
