"""Every fixture case and embedded example: expected output, and a second run changes nothing.

Layout: ``tests/fixtures/steps/<step_id>/<case>/`` (options in case.yaml) and
``recipes/<recipe_id>.cases/<case>/`` (beside the built-in recipe, as for any recipe).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.engine.diff import unified_diff
from codemods.recipe import RecipeLoader
from codemods.steps import all_steps
from codemods.testing import (
    check_case,
    iter_case_dirs,
    load_case_dir,
    recipe_example_cases,
    step_example_cases,
    step_from_options,
)
from tests.conftest import FIXTURES, recipe_case_groups


def _dirs(kind: str) -> list[Path]:
    groups = recipe_case_groups() if kind == "recipes" else sorted((FIXTURES / kind).iterdir())
    return [case for group in groups if group.is_dir() for case in iter_case_dirs(group)]


def _explain(result) -> str:  # type: ignore[no-untyped-def]
    case = result.case
    text = f"{case.name}: {result.problem}\n"
    if result.actual is not None and case.before is not None:
        expected = case.after if case.after is not None else case.before
        text += unified_diff(expected, result.actual, "expected-vs-actual.py").decode(errors="replace")
    return text


@pytest.mark.parametrize("case_dir", _dirs("steps"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_step_fixture(case_dir: Path) -> None:
    case = load_case_dir(case_dir)
    steps = step_from_options(case_dir.parent.name, case.options)
    result = check_case(case, steps)
    assert result.ok, _explain(result)


@pytest.mark.parametrize("case_dir", _dirs("recipes"), ids=lambda p: f"{p.parent.stem}/{p.name}")
def test_recipe_fixture(case_dir: Path) -> None:
    recipe = RecipeLoader().load(case_dir.parent.stem)
    result = check_case(load_case_dir(case_dir), list(recipe.steps), recipe)
    assert result.ok, _explain(result)


@pytest.mark.parametrize("step_id", sorted(all_steps()))
def test_step_examples(step_id: str) -> None:
    step_type = all_steps()[step_id]
    changes = [e for e in step_type.examples if e.after is not None]
    unchanged = [e for e in step_type.examples if e.after is None]
    if step_type.is_whole_tree() and not changes:
        # A whole-tree step changes config files, which a one-file example cannot show: its
        # changing examples are its tree fixture cases (a before/ and an after/ folder).
        changes = sorted((FIXTURES / "steps" / step_id).glob("*/after"))  # type: ignore[arg-type]
    assert changes and unchanged, "a step needs an example that changes code and one that must not"
    for case, steps in step_example_cases(step_type):
        result = check_case(case, steps)
        assert result.ok, _explain(result)


@pytest.mark.parametrize("recipe_id", [r.id for r in RecipeLoader().available()])
def test_recipe_examples(recipe_id: str) -> None:
    recipe = RecipeLoader().load(recipe_id)
    for case in recipe_example_cases(recipe):
        result = check_case(case, list(recipe.steps), recipe)
        assert result.ok, _explain(result)


def test_every_step_type_has_fixture_cases() -> None:
    have = {p.name for p in (FIXTURES / "steps").iterdir() if p.is_dir()}
    missing = sorted(set(all_steps()) - have)
    assert not missing, f"step types without fixture cases: {missing}"


def test_every_builtin_recipe_has_fixture_cases() -> None:
    have = {p.stem for p in recipe_case_groups()}
    missing = sorted({r.id for r in RecipeLoader().available()} - have)
    assert not missing, f"recipes without fixture cases: {missing}"
