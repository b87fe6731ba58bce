"""The pre-checks (needles, then each step's ``ast`` pre-check) never change a result.

They only decide which files LibCST parses: every fixture case must come out byte for byte
the same, with the same diagnostics, with them and without them (``CODEMOD_NO_PREFILTER=1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codemods.engine import Status, make_plan, run
from codemods.engine.prefilter import NO_PREFILTER_ENV
from codemods.recipe import RecipeLoader
from codemods.steps import FileContext, NoTree, Source, Step, all_steps
from codemods.testing import (
    case_context,
    check_case,
    iter_case_dirs,
    load_case_dir,
    run_source,
    step_example_cases,
    step_from_options,
)
from tests.conftest import FIXTURES, recipe_case_groups

CASES = [
    case
    for group in sorted((FIXTURES / "steps").iterdir())
    if group.is_dir()
    for case in iter_case_dirs(group)
]
#: Steps whose ``precheck`` is more than the default "can't tell".
PRECHECKED = sorted(
    step_id for step_id, step_type in all_steps().items() if step_type.precheck is not Step.precheck
)


def test_the_steps_with_an_ast_precheck_are_the_expected_ones() -> None:
    # if this changes, the comparisons below still cover every step: it only documents which
    # steps do more than the needles
    assert {"add_asyncio_marker", "remove_import", "sync_setup_methods"} <= set(PRECHECKED)


@pytest.mark.parametrize("case_dir", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_result_with_and_without_prechecks(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = load_case_dir(case_dir)
    steps = step_from_options(case_dir.parent.name, case.options)
    if case.tree is not None:  # a whole tree: the fixture's expected after/ must hold both ways
        monkeypatch.setenv(NO_PREFILTER_ENV, "1")
        assert check_case(case, steps).ok
        return
    assert case.before is not None
    filtered = run_source(case.before, steps, case.path)
    monkeypatch.setenv(NO_PREFILTER_ENV, "1")
    unfiltered = run_source(case.before, steps, case.path)
    assert filtered == unfiltered


RECIPE_CASES = [
    case
    for group in recipe_case_groups()
    for case in iter_case_dirs(group)
]


@pytest.mark.parametrize("case_dir", RECIPE_CASES, ids=lambda p: f"{p.parent.stem}/{p.name}")
def test_same_recipe_result_with_and_without_prechecks(
    case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # several steps in a row: after one changes the file, the next is checked again against
    # the new code (a second spelling of the same rename is then not run for nothing)
    recipe = RecipeLoader().load(case_dir.parent.stem)
    case = load_case_dir(case_dir)
    if case.tree is not None:
        monkeypatch.setenv(NO_PREFILTER_ENV, "1")
        assert check_case(case, list(recipe.steps), recipe).ok
        return
    assert case.before is not None
    filtered = run_source(case.before, list(recipe.steps), case.path)
    monkeypatch.setenv(NO_PREFILTER_ENV, "1")
    assert run_source(case.before, list(recipe.steps), case.path) == filtered


def test_two_spellings_of_one_rename_change_the_file_once(tmp_path: Path) -> None:
    # both create_for_user renames match the file; once the first has renamed the call, the
    # second finds no `create_for_user` left: the file is attributed to the first alone
    (tmp_path / "svc.py").write_text(
        "from netra_backend.app.services.user_execution_context import UserExecutionContext\n\n"
        "ctx = UserExecutionContext.create_for_user(user_id='u')\n"
    )
    recipe = RecipeLoader().load("create-for-user-to-from-request")
    assert len(recipe.steps) == 2
    (result,) = run(make_plan(recipe, [tmp_path]), jobs=1)
    assert result.status is Status.CHANGED
    assert result.new is not None and b"UserExecutionContext.from_request(" in result.new
    assert result.fired == (recipe.steps[0].step.id,)


@pytest.mark.parametrize("step_id", PRECHECKED)
def test_precheck_says_yes_wherever_the_step_does_something(step_id: str) -> None:
    """The contract of ``Step.precheck``, on every case and example that changes or reports."""
    checked = 0
    pairs = [
        (load_case_dir(d), step_from_options(step_id, load_case_dir(d).options))
        for d in CASES
        if d.parent.name == step_id
    ]
    pairs += list(step_example_cases(all_steps()[step_id]))
    for case, steps in pairs:
        if case.before is None:
            continue
        out, messages, _ = run_source(case.before, steps, case.path)
        if out == case.before and not messages:
            continue
        ctx = case_context(case.path)
        assert any(_precheck(s.step, case.before, ctx) for s in steps), case.name
        checked += 1
    assert checked


def _precheck(step: Step[Any], data: bytes, ctx: FileContext) -> bool:
    try:
        return step.precheck(Source(data), ctx)
    except NoTree:  # the engine then runs the step
        return True


def test_files_the_prechecks_rule_out_are_never_parsed(tmp_path: Path) -> None:
    (tmp_path / "unused.py").write_text("import os, resource\n\nprint(os.sep)\n")
    (tmp_path / "used_in_function.py").write_text(
        "def limits():\n    import resource\n\n    return resource.getrlimit(resource.RLIMIT_CORE)\n"
    )
    (tmp_path / "used_globally.py").write_text(
        "try:\n    import resource\nexcept ImportError:\n    resource = None\n\n\n"
        "def limits():\n    return resource.getpagesize()\n"
    )
    (tmp_path / "prose.py").write_text('import os\n\nDOC = "see importlib.resources\\n"\n')
    (tmp_path / "shadowed.py").write_text(
        "import resource\n\n\ndef f():\n    resource = 1\n    return resource\n"
    )
    recipe = RecipeLoader().load("remove-unused-resource-import")
    results = {Path(r.path).name: r for r in run(make_plan(recipe, [tmp_path]), jobs=1)}
    assert results["unused.py"].status is Status.CHANGED
    assert results["unused.py"].new == b"import os\n\nprint(os.sep)\n"
    assert results["shadowed.py"].status is Status.CHANGED  # the function's own name
    for name in ("used_in_function.py", "used_globally.py", "prose.py"):
        assert results[name].status is Status.UNCHANGED, name
        assert not results[name].parsed, name


def test_a_file_the_interpreter_cannot_parse_still_reaches_libcst(tmp_path: Path) -> None:
    # `await` in a sync test is a SyntaxError for `ast`: the step itself must see the file
    (tmp_path / "test_ws.py").write_text("def test_ws(client):\n    assert await client.ping()\n")
    recipe = RecipeLoader().load("asyncio-markers")
    (result,) = [r for r in run(make_plan(recipe, [tmp_path]), jobs=1) if r.relpath.endswith(".py")]
    assert result.status is Status.CHANGED
    assert result.new is not None and b"async def test_ws" in result.new


def test_test_names_in_a_file_with_another_encoding_are_not_misjudged(tmp_path: Path) -> None:
    # the bytes search for test-named `def`s cannot decode a latin-1 name: it must not rule
    # the file out (pytest reads the config's non-ASCII pattern and the file's declared encoding)
    (tmp_path / "pytest.ini").write_text("[pytest]\npython_functions = vérifie_*\n", "utf-8")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_ping.py").write_bytes(
        "# -*- coding: latin-1 -*-\nasync def vérifie_ping():\n    pass\n".encode("latin-1")
    )
    recipe = RecipeLoader().load("asyncio-markers")
    results = [r for r in run(make_plan(recipe, [tmp_path]), jobs=1) if r.relpath.endswith(".py")]
    (result,) = results
    assert result.status is Status.CHANGED, (result.reason, result.detail)
    assert result.new is not None
    assert "@pytest.mark.asyncio\nasync def vérifie_ping" in result.new.decode("latin-1")


def test_a_non_ascii_needle_finds_a_file_that_declares_another_encoding(tmp_path: Path) -> None:
    # needles are text: `clé` is b"cl\xe9" in a latin-1 file, not its UTF-8 bytes
    recipe_file = tmp_path / "cle.yaml"
    recipe_file.write_text(
        "title: clé becomes key\ndescription: The keyword was renamed.\nsteps:\n"
        "  - rename_kwarg:\n      callables: ['*.Client']\n      old: clé\n      new: key\n",
        "utf-8",
    )
    src = tmp_path / "src"
    src.mkdir()
    (src / "use.py").write_bytes(
        "# -*- coding: latin-1 -*-\nfrom net import Client\n\nClient(clé=1)\n".encode("latin-1")
    )
    (src / "plain.py").write_bytes("from net import Client\n\nClient(clé=1)\n".encode())
    recipe = RecipeLoader().load(str(recipe_file))
    results = {Path(r.path).name: r for r in run(make_plan(recipe, [src]), jobs=1)}
    for name, encoding in (("use.py", "latin-1"), ("plain.py", "utf-8")):
        result = results[name]
        assert result.status is Status.CHANGED, (name, result.reason, result.detail)
        assert result.new is not None
        assert result.new.decode(encoding).endswith("Client(key=1)\n"), name
