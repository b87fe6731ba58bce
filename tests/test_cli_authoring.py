"""Recipe authoring: `codemod test` (with --update), `codemod new recipe`, the recipe JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from codemods import schema as recipe_schema
from codemods.recipe import builtin_recipe_dir
from tests.cli_helpers import codemod


@pytest.fixture
def scaffolded(tmp_path: Path) -> Path:
    done = codemod(tmp_path, "new", "recipe", "rename-client-kwarg")
    assert done.returncode == 0, done.stderr.decode()
    assert b"created rename-client-kwarg.yaml" in done.stderr
    return tmp_path


def test_new_recipe_passes_codemod_test(scaffolded: Path) -> None:
    recipe = scaffolded / "rename-client-kwarg.yaml"
    case = scaffolded / "rename-client-kwarg.cases" / "basic"
    assert (case / "before.py").is_file() and (case / "after.py").is_file()
    done = codemod(scaffolded, "test", str(recipe), "--verbose", real=True)
    assert done.returncode == 0, done.stderr.decode()
    err = done.stderr.decode()
    # two embedded examples (one must not change) and the case folder
    assert "PASS recipe rename-client-kwarg: basic" in err
    assert "3 passed, 0 failed" in err
    # the recipe id works too, from the folder it lives in, and so does the cases folder
    assert codemod(scaffolded, "test", "rename-client-kwarg.cases").returncode == 0


def test_new_recipe_refuses_to_overwrite_or_a_bad_id(scaffolded: Path) -> None:
    again = codemod(scaffolded, "new", "recipe", "rename-client-kwarg")
    assert again.returncode == 2 and b"already exists" in again.stderr
    bad = codemod(scaffolded, "new", "recipe", "Rename_Client")
    assert bad.returncode == 2 and b"is not a recipe id" in bad.stderr


def test_failing_case_is_reported_and_update_rewrites_after(scaffolded: Path) -> None:
    case = scaffolded / "rename-client-kwarg.cases" / "basic"
    after = case / "after.py"
    expected = after.read_text()
    after.write_text(expected.replace("new_name=3", "wrong_name=3"))
    failed = codemod(scaffolded, "test", "rename-client-kwarg.yaml")
    assert failed.returncode == 3
    err = failed.stderr.decode()
    assert "FAIL recipe rename-client-kwarg: basic: output differs from expected" in err
    assert "2 passed, 1 failed" in err
    assert b"-        wrong_name=3" in failed.stdout and b"+        new_name=3" in failed.stdout

    updated = codemod(scaffolded, "test", "rename-client-kwarg.yaml", "--update")
    assert updated.returncode == 0, updated.stderr.decode()
    assert "2 passed, 0 failed, 1 updated" in updated.stderr.decode()
    assert after.read_text() == expected
    assert codemod(scaffolded, "test", "rename-client-kwarg.yaml").returncode == 0


def test_update_removes_after_when_the_output_equals_the_input(scaffolded: Path) -> None:
    case = scaffolded / "rename-client-kwarg.cases" / "untouched"
    case.mkdir()
    (case / "before.py").write_text("from elsewhere import make_server\nmake_server(old_name=1)\n")
    (case / "after.py").write_text("something else\n")
    assert codemod(scaffolded, "test", "rename-client-kwarg.yaml").returncode == 3
    assert codemod(scaffolded, "test", "rename-client-kwarg.yaml", "--update").returncode == 0
    assert not (case / "after.py").exists()  # no after.py: "must not change"


def test_update_leaves_a_case_whose_step_fails_alone(scaffolded: Path) -> None:
    case = scaffolded / "rename-client-kwarg.cases" / "broken"
    case.mkdir()
    (case / "before.py").write_text("from mypkg.api import make_client\nmake_client(old_name=1\n")
    (case / "after.py").write_text("x = 1\n")
    done = codemod(scaffolded, "test", "rename-client-kwarg.yaml", "--update")
    assert done.returncode == 3
    assert b"FAIL recipe rename-client-kwarg: broken: syntax error" in done.stderr
    assert (case / "after.py").read_text() == "x = 1\n"


def test_shipped_schema_is_in_sync_with_the_models() -> None:
    assert recipe_schema.shipped() == recipe_schema.render(), (
        "codemods/schema/recipe.schema.json is out of date: run `codemod schema --write`"
    )
    assert recipe_schema.SCHEMA_PATH.parent.name == "schema"
    assert recipe_schema.SCHEMA_PATH.is_relative_to(Path(recipe_schema.__file__).parent)


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(recipe_schema.shipped())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("path", sorted(builtin_recipe_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_every_builtin_recipe_validates_against_the_schema(path: Path) -> None:
    errors = [e.message for e in validator().iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


def test_schema_rejects_what_the_loader_rejects(scaffolded: Path) -> None:
    check = validator()
    good = yaml.safe_load((scaffolded / "rename-client-kwarg.yaml").read_text())
    assert check.is_valid(good)
    typo = json.loads(json.dumps(good))
    typo["steps"][0]["rename_kwarg"]["nwe"] = typo["steps"][0]["rename_kwarg"].pop("new")
    assert not check.is_valid(typo)
    unknown_step = json.loads(json.dumps(good))
    unknown_step["steps"][0] = {"rename_kwargs": {}}
    assert not check.is_valid(unknown_step)
    composed = json.loads(json.dumps(good))
    composed["steps"].append({"recipe": "session-id-to-request-id"})
    assert check.is_valid(composed)
    extra_key = {**good, "titel": "x"}
    assert not check.is_valid(extra_key)


def test_schema_command_prints_the_shipped_schema(tmp_path: Path) -> None:
    done = codemod(tmp_path, "schema")
    assert done.returncode == 0
    assert done.stdout.decode() == recipe_schema.shipped()
    where = codemod(tmp_path, "schema", "--path")
    assert Path(where.stdout.decode().strip()) == recipe_schema.SCHEMA_PATH


def test_update_rewrites_a_tree_case(scaffolded: Path) -> None:
    case = scaffolded / "rename-client-kwarg.cases" / "tree"
    (case / "before" / "pkg").mkdir(parents=True)
    (case / "before" / "pkg" / "m.py").write_text(
        "from mypkg.api import make_client\nmake_client(old_name=1)\n"
    )
    (case / "before" / "pkg" / "same.py").write_text("x = 1\n")
    (case / "after" / "pkg").mkdir(parents=True)
    (case / "after" / "pkg" / "m.py").write_text("stale\n")
    failed = codemod(scaffolded, "test", "rename-client-kwarg.yaml")
    assert failed.returncode == 3
    assert b"tree differs from expected in: pkg/m.py, pkg/same.py" in failed.stderr
    done = codemod(scaffolded, "test", "rename-client-kwarg.yaml", "--update")
    assert done.returncode == 0, done.stderr.decode()
    assert (case / "after" / "pkg" / "m.py").read_text().endswith("make_client(new_name=1)\n")
    assert (case / "after" / "pkg" / "same.py").read_text() == "x = 1\n"
