"""Recipe files: what a recipe author sees when a recipe is right, and when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.errors import RecipeError
from codemods.recipe import RecipeLoader, builtin_recipe_dir


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


GOOD_STEP = """\
  - rename_kwarg:
      callables: ["*.Client"]
      old: timeout
      new: timeout_s
"""


def load_error(path: Path) -> RecipeError:
    with pytest.raises(RecipeError) as info:
        RecipeLoader().load(str(path))
    return info.value


def test_builtin_recipes_are_found_from_the_checkout() -> None:
    assert (builtin_recipe_dir() / "session-id-to-request-id.yaml").is_file()
    ids = [r.id for r in RecipeLoader().available()]
    assert "session-id-to-request-id" in ids


def test_missing_option_names_path_line_and_what_is_expected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine",
        """\
title: Mine
description: Renames things.
steps:
  - rename_kwarg:
      callables: ["*.Client"]
      old: timeout
""",
    )
    err = load_error(path)
    assert err.path == "steps[0].rename_kwarg.new"
    assert err.location is not None and err.location.line == 5
    assert "missing required option `new`" in err.message
    assert str(path.name) in err.render()


def test_typo_in_step_id_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "typo",
        """\
title: Typo
description: A typo in a step id.
steps:
  - rename_kwarg:
      callables: ["*.C"]
      old: a
      new: b
  - renam_kwarg:
      old: a
""",
    )
    err = load_error(path)
    assert err.path == "steps[1].renam_kwarg"
    assert err.location is not None and err.location.line == 8
    assert err.hint == "did you mean `rename_kwarg`?"


def test_wrong_type_reports_value_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "types",
        "title: T\ndescription: D.\nsteps:\n" + GOOD_STEP.replace("new: timeout_s", "new: 3"),
    )
    err = load_error(path)
    assert err.path == "steps[0].rename_kwarg.new"
    assert err.location is not None and err.location.line == 7
    assert "valid string" in err.message and "3" in err.message


def test_unknown_option_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extra",
        "title: T\ndescription: D.\nsteps:\n" + GOOD_STEP + "      match_bare_names: true\n",
    )
    err = load_error(path)
    assert err.path == "steps[0].rename_kwarg.match_bare_names"
    assert err.hint == "did you mean `match_bare_name`?"


def test_title_with_trailing_period_is_refused(tmp_path: Path) -> None:
    err = load_error(
        write(
            tmp_path, "period", "title: Ends with a period.\ndescription: D.\nsteps:\n" + GOOD_STEP
        )
    )
    assert err.path == "title" and "trailing period" in err.message


def test_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "first", "title: A\ndescription: D.\nsteps:\n  - recipe: second\n")
    write(tmp_path, "second", "title: B\ndescription: D.\nsteps:\n  - recipe: first\n")
    err = load_error(tmp_path / "first.yaml")
    assert "cycle" in err.message and "first -> second -> first" in err.message


def test_composition_flattens_steps_in_order_with_filters(tmp_path: Path) -> None:
    write(
        tmp_path,
        "child",
        "title: Child\ndescription: D.\ninclude: ['tests/**']\nsteps:\n" + GOOD_STEP,
    )
    parent = write(
        tmp_path,
        "parent",
        "title: Parent\ndescription: D.\nsteps:\n"
        "  - recipe: session-id-to-request-id\n  - recipe: child\n",
    )
    recipe = RecipeLoader().load(str(parent))
    assert [s.origin for s in recipe.steps] == ["session-id-to-request-id", "child"]
    assert recipe.steps[1].applies_to("tests/test_a.py")
    assert not recipe.steps[1].applies_to("src/a.py")
    assert recipe.steps[0].applies_to("src/a.py")


def test_unknown_recipe_id_suggests_the_nearest() -> None:
    with pytest.raises(RecipeError) as info:
        RecipeLoader().load("session-id-to-requestid")
    assert info.value.hint == "did you mean `session-id-to-request-id`?"


def test_yaml_object_tags_are_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(
        tmp_path,
        "evil",
        f"title: !!python/object/apply:os.system ['touch {marker}']\n"
        "description: D.\nsteps:\n" + GOOD_STEP,
    )
    err = load_error(path)
    assert "not allowed" in err.message and err.location is not None and err.location.line == 1
    assert not marker.exists()


def test_bad_glob_and_empty_steps(tmp_path: Path) -> None:
    err = load_error(
        write(tmp_path, "noglob", "title: T\ndescription: D.\ninclude: ['']\nsteps:\n" + GOOD_STEP)
    )
    assert err.path == "include[0]"
    err = load_error(write(tmp_path, "nosteps", "title: T\ndescription: D.\nsteps: []\n"))
    assert err.path == "steps" and err.location is not None and err.location.line == 3
