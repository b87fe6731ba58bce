"""The import-moving steps beyond their fixture cases: option errors, helpers, target checks, CLI."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from codemods.analysis.imports import (
    Symbol,
    add_import,
    parse_symbol,
    resolve_module,
    rewrite_path_string,
)
from codemods.analysis.project import ProjectIndex
from codemods.cli import app
from codemods.engine.transform import needles_match
from codemods.recipe import CompiledStep, Recipe
from codemods.steps import all_steps
from codemods.testing import check_case, load_case_dir, step_from_options
from tests.conftest import FIXTURES, RECIPES

runner = CliRunner()


@pytest.mark.parametrize(
    ("spelled", "module", "is_package", "expected"),
    [
        ("pkg.core", "anything", False, "pkg.core"),
        (".agent_registry", "pkg.core.test_x", False, "pkg.core.agent_registry"),
        ("..core", "pkg.tests.test_x", False, "pkg.core"),
        (".", "pkg.tests.test_x", False, "pkg.tests"),
        (".agent_registry", "pkg.core", True, "pkg.core.agent_registry"),
        ("..", "pkg.core", True, "pkg"),
        ("...x", "pkg.test_x", False, None),  # more dots than packages
        (".x", None, False, None),  # unknown module name
    ],
)
def test_resolve_module(
    spelled: str, module: str | None, is_package: bool, expected: str | None
) -> None:
    assert resolve_module(spelled, module, is_package=is_package) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pkg.mod.AgentRegistry", Symbol("pkg.mod", "AgentRegistry")),
        ("pkg.mod.get_registry", Symbol("pkg.mod", "get_registry")),
        ("pkg.mod.Context.create_for_user", Symbol("pkg.mod", "Context", "create_for_user")),
        ("pkg.Mod:Name", Symbol("pkg.Mod", "Name")),
        ("pkg.mod:Context.create", Symbol("pkg.mod", "Context", "create")),
        ("*.Context.create_for_user", Symbol("*", "Context", "create_for_user")),
    ],
)
def test_parse_symbol(text: str, expected: Symbol) -> None:
    assert parse_symbol(text) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"old": "pkg.mod.A", "new": "pkg.mod.Cls.attr"},
            "must both be module-level names or both class",
        ),
        ({"old": "pkg.mod.Cls.a", "new": "pkg.other.Cls.b"}, "only the attribute may change"),
        ({"old": "*.Cls", "new": "*.Other"}, "`*.` path must be"),
        ({"old": "pkg.mod.A", "new": "pkg.mod.A"}, "name the same thing"),
        ({"old": "not a path", "new": "pkg.mod.A"}, "is not a dotted path"),
        ({"old": "pkg.mod.A", "new": "pkg.mod.B", "typo": 1}, "Extra inputs"),
    ],
)
def test_rename_symbol_rejects_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("*", r"\*").replace(".", r"\.")):
        all_steps()["rename_symbol"].Options.model_validate(options)


def test_rename_module_rejects_bad_options() -> None:
    options = all_steps()["rename_module"].Options
    with pytest.raises(ValidationError, match="same module"):
        options.model_validate({"old": "a.b", "new": "a.b"})
    with pytest.raises(ValidationError, match="dotted module path"):
        options.model_validate({"old": "a.b", "new": "a/b"})


def test_path_strings_need_the_whole_path_or_a_dotted_prefix() -> None:
    def rewrite(code: str) -> str | None:
        node = cst.parse_expression(code)
        assert isinstance(node, cst.SimpleString)
        out = rewrite_path_string(node, "app.core", "app.agents")
        return None if out is None else out.value

    assert rewrite('"app.core"') == '"app.agents"'
    assert rewrite("'app.core.Registry.get'") == "'app.agents.Registry.get'"
    assert rewrite('"app.core_v2.Registry"') is None
    assert rewrite('"see app.core.Registry"') is None
    assert rewrite('b"app.core"') is None


def test_needles_skip_files_that_cannot_match() -> None:
    step = step_from_options(
        "rename_symbol",
        {"old": "app.core.registry.AgentRegistry", "new": "app.agents.registry.AgentRegistry"},
    )[0]
    assert needles_match(step, b"from app.core.registry import AgentRegistry\n")
    assert needles_match(step, b"from . import AgentRegistry\n")  # relative, inside the old package
    assert not needles_match(step, b"from app.core.settings import Settings\n")
    method = step_from_options(
        "rename_symbol", {"old": "*.Ctx.create_for_user", "new": "*.Ctx.from_request"}
    )[0]
    assert not needles_match(method, b"from app import Ctx\nCtx.from_request()\n")


def test_project_index_knows_what_a_module_defines(tmp_path: Path) -> None:
    pkg = tmp_path / "app"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "from .models import Model as PublicModel\n__all__ = ['lazy']\n"
    )
    (pkg / "models.py").write_text(
        "import os\nfrom typing import Any\n\nclass Model: ...\n\ndef make(): ...\n\n"
        "LIMIT: int = 3\nA = B = 1\n\ntry:\n    import fast as speed\nexcept ImportError:\n    speed = None\n"
    )
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "star.py").write_text("from os.path import *\n")
    (pkg / "dynamic.py").write_text("def __getattr__(name): ...\n")
    (pkg / "broken.py").write_text("def broken(:\n")
    index = ProjectIndex(tmp_path)

    for name in ("Model", "make", "LIMIT", "A", "B", "os", "Any", "speed"):
        assert index.defines("app.models", name) is True, name
    assert index.defines("app.models", "Missing") is False
    for name in ("PublicModel", "models", "sub", "star"):
        assert index.defines("app", name) is True, name
    # listed in __all__ but bound nowhere: `from app import lazy` raises ImportError
    assert index.defines("app", "lazy") is False
    assert index.defines("app.star", "join") is None  # star import: unknowable
    assert index.defines("app.dynamic", "anything") is None
    assert index.defines("app.broken", "broken") is None
    assert index.defines("app.nowhere", "X") is None
    assert index.in_project("app.nowhere") and not index.in_project("requests.api")


def test_no_warning_when_the_target_defines_the_name() -> None:
    case = load_case_dir(FIXTURES / "steps" / "rename_module" / "target_verification_warns")
    result = check_case(case, step_from_options("rename_module", case.options))
    assert result.ok, result.problem
    warnings = [d for d in result.diagnostics if "does not" in d]
    assert len(warnings) == 2, warnings  # RegistryError and app.agents.helpers, not AgentRegistry
    assert not any("`AgentRegistry`" in w for w in warnings)


def test_warning_points_at_the_rewritten_import(tmp_path: Path) -> None:
    (tmp_path / "app" / "agents").mkdir(parents=True)
    for init in ("app/__init__.py", "app/agents/__init__.py"):
        (tmp_path / init).write_text("")
    (tmp_path / "app" / "agents" / "registry.py").write_text("class AgentRegistry: ...\n")
    (tmp_path / "test_x.py").write_text("import os\n\nfrom app.core.registry import Missing\n")
    result = runner.invoke(app, ["preview", str(_recipe_file(tmp_path)), str(tmp_path), "-v"])
    assert result.exit_code == 0, result.output
    assert "test_x.py:3" in result.stderr
    assert "does not define `Missing`" in result.stderr


def _recipe_file(tmp_path: Path) -> Path:
    path = tmp_path.parent / "move-core.yaml"
    path.write_text(
        "title: Move core\ndescription: Moves app.core.\n"
        "steps:\n  - rename_module:\n      old: app.core\n      new: app.agents\n"
    )
    return path


def test_preview_of_the_example_rewrites_a_patch_string(example_copy: Path) -> None:
    result = runner.invoke(app, ["preview", "agent-registry-imports", str(example_copy)])
    assert result.exit_code == 0, result.output
    assert (
        '-@mock.patch("netra_backend.app.core.agent_registry.AgentRegistry.get")' in result.stdout
    )
    assert (
        '+@mock.patch("netra_backend.app.agents.supervisor.agent_registry.AgentRegistry.get")'
        in result.stdout
    )
    assert "2 comment/docstring mentions" in result.stderr
    assert (
        "does not" not in result.stderr
    )  # the new modules exist in the example and define the names


def test_example_tests_pass_after_the_import_recipes(example_copy: Path) -> None:
    """The example's broken imports are fixed for real: its tests then import and pass."""
    import subprocess
    import sys

    for recipe in (
        "agent-registry-imports",
        "execution-status-imports",
        "pipeline-step-config",
        "create-for-user-to-from-request",
        "remove-unused-resource-import",
    ):
        result = runner.invoke(app, ["apply", recipe, str(example_copy), "--allow-dirty"])
        assert result.exit_code == 0, result.output
    tests = [
        "test_agent_registry.py",
        "test_pipeline_steps.py",
        "test_context_factory.py",
        "test_limits.py",
    ]
    assert "import resource" not in (example_copy / "tests" / "test_limits.py").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=example_copy / "tests",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout


def test_explain_rename_symbol_shows_options_and_examples() -> None:
    result = runner.invoke(app, ["explain", "rename_symbol"])
    assert result.exit_code == 0, result.output
    for option in ("old", "new", "alias_old_name", "reused_name_attributes"):
        assert option in result.stdout
    assert "+from app.agents.registry import AgentRegistry" in result.stdout
    assert "(no change expected)" in result.stdout


def test_add_import_helper_places_import_after_future_and_never_duplicates() -> None:
    module = cst.parse_module(
        '"""Doc."""\nfrom __future__ import annotations\n\nimport os\n\nx = os.sep\n'
    )
    once = add_import(module, "pytest")
    assert (
        once.code
        == '"""Doc."""\nfrom __future__ import annotations\n\nimport os\nimport pytest\n\nx = os.sep\n'
    )
    assert add_import(once, "pytest").code == once.code


def test_recipe_composition_runs_every_import_recipe_on_one_file() -> None:
    """The five recipes together on one file: each sees the previous one's output."""
    from codemods.recipe import RecipeLoader

    loader = RecipeLoader()
    steps: list[CompiledStep] = []
    for recipe_id in (
        "agent-registry-imports",
        "execution-status-imports",
        "pipeline-step-config",
        "create-for-user-to-from-request",
        "remove-unused-resource-import",
    ):
        steps += loader.load(recipe_id).steps
    recipe = Recipe("all", "all", "all", "", tuple(steps))
    case_dir = RECIPES / "agent-registry-imports.cases" / "every_import_spelling"
    result = check_case(load_case_dir(case_dir), steps, recipe)
    assert result.ok, result.problem


def test_example_package_is_the_fixed_api() -> None:
    """The example's package code already uses the new layout; only its tests are broken."""
    package = Path(__file__).resolve().parent.parent / "examples" / "netra-demo" / "netra_backend"
    assert not (package / "app" / "core").exists()
    assert (
        "class PipelineStepConfig"
        in (package / "app/agents/supervisor/execution_context.py").read_text()
    )


def test_a_file_too_deep_for_scope_analysis_is_skipped_not_failed(tmp_path: Path) -> None:
    """LibCST's metadata recurses once per implicitly concatenated string (pydoc's topics.py)."""
    chain = "".join('    "a"\n' for _ in range(3000))
    (tmp_path / "deep.py").write_text(
        f"from typing import Optional\nx = (\n{chain})\ny: Optional[int] = None\n"
    )
    recipe = tmp_path.parent / "optional.yaml"
    # `reused_name_attributes` is only decided on LibCST's tree, which hits the limit
    recipe.write_text(
        "title: Rename Optional\ndescription: Renames it.\n"
        "steps:\n  - rename_symbol:\n      old: typing.Optional\n      new: typing.Opt\n"
        "      reused_name_attributes: ['NO_SUCH_*']\n"
    )
    before = (tmp_path / "deep.py").read_bytes()
    result = runner.invoke(app, ["apply", str(recipe), str(tmp_path), "--allow-dirty"])
    assert result.exit_code == 0, result.output
    # valid Python: the limit hit is named, it is not called a syntax error or too deep
    assert "deep.py: skipped: analysis limit: rename_symbol: LibCST's analysis" in result.stderr
    assert (tmp_path / "deep.py").read_bytes() == before
    # the plain rename is decided from the `ast`, which has no such limit: the file is renamed
    recipe.write_text(
        "title: Rename Optional\ndescription: Renames it.\n"
        "steps:\n  - rename_symbol:\n      old: typing.Optional\n      new: typing.Opt\n"
    )
    result = runner.invoke(app, ["apply", str(recipe), str(tmp_path), "--allow-dirty"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "deep.py").read_bytes() == before.replace(b"Optional", b"Opt")
