"""The `pattern` step as a user meets it: recipes with patterns run through the CLI, precise
errors for bad patterns, files skipped with a reason instead of broken, cheap pre-checks.

The before/after behaviour of each capability is in tests/fixtures/steps/pattern/ and the
built-in recipes' fixtures; these tests cover what a fixture cannot show.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from codemods import schema as recipe_schema
from codemods.engine.results import Status
from codemods.engine.transform import transform_source
from codemods.errors import RecipeError
from codemods.recipe import RecipeLoader
from codemods.steps import FileContext, Source
from codemods.testing import step_from_options
from tests.cli_helpers import codemod, make_repo


def _run(options: dict, source: str, path: str = "pkg/mod.py"):  # type: ignore[no-untyped-def]
    steps = step_from_options("pattern", options)
    ctx = FileContext(
        path=Path(path), relpath=path, module_name=path.removesuffix(".py").replace("/", ".")
    )
    return transform_source(source.encode(), steps, ctx, path)


def _recipe(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "my-rule.yaml"
    path.write_text(textwrap.dedent(body))
    return path


# -- running through the CLI ---------------------------------------------------------------------


def test_unsafe_recipe_is_held_back_then_applied_with_unsafe(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "clock.py").write_text("from datetime import datetime as dt\n\nnow = dt.utcnow()\n")
    make_repo(repo)
    held = codemod(repo, "apply", "datetime-utcnow", ".")
    assert (
        repo / "clock.py"
    ).read_text() == "from datetime import datetime as dt\n\nnow = dt.utcnow()\n"
    assert "unsafe" in held.stderr.decode()
    done = codemod(repo, "apply", "datetime-utcnow", ".", "--unsafe")
    assert done.returncode == 0, done.stderr.decode()
    assert (
        repo / "clock.py"
    ).read_text() == "from datetime import UTC, datetime as dt\n\nnow = dt.now(UTC)\n"


def test_codemod_test_runs_the_pattern_recipes_cases() -> None:
    for recipe in (
        "datetime-utcnow",
        "agent-execution-result-kwargs",
        "agent-schemas-gone",
        "drop-await-of-sync",
        "unittest-setup-to-pytest",
    ):
        done = codemod(Path.cwd(), "test", recipe)
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
        assert "0 failed" in (done.stdout + done.stderr).decode()


def test_explain_documents_the_syntax() -> None:
    done = codemod(Path.cwd(), "explain", "pattern")
    text = done.stdout.decode()
    assert done.returncode == 0
    for needle in ("$$$ARGS", "not_inside", "rewriters", "remove_if_unused", "stop_by", "Example:"):
        assert needle in text


# -- errors at recipe load --------------------------------------------------------------------


def test_pattern_syntax_error_points_inside_the_block_scalar(tmp_path: Path) -> None:
    path = _recipe(
        tmp_path,
        """\
        title: Bad
        description: A bad pattern.
        steps:
          - pattern:
              pattern: |
                def setUp(self):
                    x = foo($X,,)
              fix: $X
        """,
    )
    with pytest.raises(RecipeError) as info:
        RecipeLoader().load(str(path))
    err = info.value
    assert err.location is not None and (err.location.line, err.location.column) == (7, 24)
    assert path.read_text().splitlines()[6][23] == ","  # the second comma
    assert err.path == "steps[0].pattern.pattern"


def test_fix_syntax_error_points_inside_the_quoted_string(tmp_path: Path) -> None:
    path = _recipe(
        tmp_path,
        """\
        title: Bad
        description: A bad fix.
        steps:
          - pattern:
              pattern: "foo($X)"
              fix: "bar($X, ))"
        """,
    )
    with pytest.raises(RecipeError) as info:
        RecipeLoader().load(str(path))
    err = info.value
    assert err.location is not None and (err.location.line, err.location.column) == (6, 22)
    assert err.path == "steps[0].pattern.fix"
    assert "of the fix" in err.message


@pytest.mark.parametrize(
    ("options", "wanted"),
    [
        ({"pattern": "foo($$$A)", "fix": "foo($$$A, x=1)"}, "matches the pattern again"),
        ({"pattern": "f($X)", "rule": {"kind": "Cal"}, "fix": "$X"}, "did you mean `Call`"),
        ({"pattern": "f($x)", "fix": "g"}, "must start a metavariable"),
        (
            {
                "pattern": "f($X)",
                "transform": {"Y": {"rewrite": {"source": "$X", "rewriters": ["nope"]}}},
                "fix": "$Y",
            },
            "unknown rewriter",
        ),
        (
            {"pattern": "f($X)", "imports": {"add": ["from import x"]}, "fix": "$X"},
            "is not `from module import name",
        ),
    ],
)
def test_bad_options_are_refused_with_a_reason(options: dict, wanted: str) -> None:
    with pytest.raises(Exception) as info:
        step_from_options("pattern", options)
    assert wanted in str(info.value)


# -- never break a file ---------------------------------------------------------------------------


def test_an_import_name_taken_by_the_file_skips_it_with_the_reason() -> None:
    outcome = _run(
        {
            "pattern": "$DT.utcnow()",
            "constraints": {"DT": {"qualified_name": "datetime.datetime"}},
            "fix": "$DT.now(UTC)",
            "imports": {"add": ["from datetime import UTC"]},
        },
        "from datetime import datetime\nUTC = 'x'\nnow = datetime.utcnow()\n",
    )
    assert outcome.status is Status.SKIPPED
    assert "`UTC` already means something else" in (outcome.detail or "")


def test_a_fix_that_uses_an_unimported_name_skips_the_file() -> None:
    outcome = _run(
        {
            "pattern": "$DT.utcnow()",
            "constraints": {"DT": {"qualified_name": "datetime.datetime"}},
            "fix": "$DT.now(timezone.utc)",
        },
        "from datetime import datetime\nnow = datetime.utcnow()\n",
    )
    assert outcome.status is Status.SKIPPED
    assert "uses `timezone`" in (outcome.detail or "") and "imports.add" in (outcome.detail or "")


def test_output_that_would_not_compile_skips_the_file() -> None:
    outcome = _run({"pattern": "del $X", "fix": "return $X"}, "x = 1\ndel x\n")
    assert outcome.status is Status.SKIPPED
    assert "would not compile" in (outcome.detail or "")


def test_a_rule_that_never_converges_is_stopped() -> None:
    outcome = _run(
        {
            "pattern": "$X + 1",
            "constraints": {"X": {"kind": ["Name", "BinaryOperation"]}},
            "fix": "$X + 1 + 1",
        },
        "y = x + 1\n",
    )
    assert outcome.status is Status.SKIPPED
    assert "never converges" in (outcome.detail or "")


def test_a_fixpoint_rewrites_matches_nested_in_a_rewritten_one() -> None:
    outcome = _run(
        {"pattern": "m.old($X)", "fix": "new($X)"}, "from m import new, old\nv = old(old(old(1)))\n"
    )
    assert outcome.status is Status.CHANGED
    assert outcome.new == b"from m import new, old\nv = new(new(new(1)))\n"


# -- cheap on files that cannot match ---------------------------------------------------------------


def test_needles_and_ast_precheck_come_from_the_patterns_literal_names() -> None:
    (compiled,) = step_from_options(
        "pattern",
        {
            "pattern": "$DT.utcnow()",
            "constraints": {"DT": {"qualified_name": "datetime.datetime"}},
            "fix": "$DT.now()",
        },
    )
    step = compiled.step
    # `utcnow` from the pattern; `datetime` from the constraint: however `$DT` is spelled
    # (`d.datetime`, `from datetime import datetime as DT`), its last part is in the file
    assert step.needles() == [["datetime", "utcnow"]]
    ctx = FileContext(path=Path("m.py"), relpath="m.py")
    assert not step.precheck(Source(b"# utcnow() only in a comment\nx = 'utcnow'\n"), ctx)
    assert step.precheck(Source(b"import datetime as d\nx = d.datetime.utcnow()\n"), ctx)
    (alias,) = step_from_options(
        "pattern", {"pattern": "datetime.datetime.utcnow()", "fix": "datetime.datetime.now()"}
    )
    # only the last segment of a qualified name is certain to be spelled (`dt.utcnow()`)
    assert alias.step.needles() == [["utcnow"]]


def test_prefilter_never_changes_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = RecipeLoader().load("drop-await-of-sync")
    sources = [
        b"from m import get_websocket_manager as g\nasync def f():\n    await g()\n",
        b"async def f(x):\n    await x.get_websocket_manager()\n",
        b"x = 1  # get_websocket_manager\n",
    ]
    ctx = lambda: FileContext(path=Path("m.py"), relpath="m.py", module_name="m")  # noqa: E731
    fast = [transform_source(s, recipe.steps, ctx(), "m.py").new for s in sources]
    monkeypatch.setenv("CODEMOD_NO_PREFILTER", "1")
    slow = [transform_source(s, recipe.steps, ctx(), "m.py").new for s in sources]
    assert fast == slow
    assert fast[0] is not None and b"await" not in fast[0]


# -- schema -------------------------------------------------------------------------------------------


def test_schema_covers_pattern_rules() -> None:
    schema = json.loads(recipe_schema.shipped())
    check = jsonschema.validators.validator_for(schema)(schema)
    recipe = yaml.safe_load(
        (Path(__file__).parents[1] / "recipes" / "unittest-setup-to-pytest.yaml").read_text()
    )
    assert check.is_valid(recipe)
    recipe["steps"][0]["pattern"]["rule"]["insid"] = recipe["steps"][0]["pattern"]["rule"].pop(
        "inside"
    )
    assert not check.is_valid(recipe)


def test_a_qualified_name_constraint_gives_its_last_segment_as_a_needle() -> None:
    """`await $CALL` names nothing, but its constraint does: a file without the callee's name
    is ruled out before any parsing (the drop-await-of-sync recipe ran on every file with an
    `await`)."""
    options = {
        "pattern": "await $CALL",
        "constraints": {"CALL": {"kind": "Call", "qualified_name": ["*.get_manager", "a.b.c.hub"]}},
        "fix": "$CALL",
    }
    (compiled,) = step_from_options("pattern", options)
    assert sorted(compiled.step.needles()) == [["get_manager"], ["hub"]]
    ctx = FileContext(path=Path("m.py"), relpath="m.py")
    assert not compiled.step.precheck(Source(b"async def f():\n    await other()\n"), ctx)
    aliased = "from ws import get_manager as g\n\nasync def f():\n    return await g()\n"
    assert compiled.step.precheck(Source(aliased.encode()), ctx)
    outcome = _run(options, aliased)
    assert outcome.status is Status.CHANGED
    assert outcome.new == aliased.replace("await g()", "g()").encode()
    (glob,) = step_from_options(
        "pattern", {**options, "constraints": {"CALL": {"qualified_name": ["ws.get_*"]}}}
    )
    assert glob.step.needles() is None  # a wildcard last segment promises no word
