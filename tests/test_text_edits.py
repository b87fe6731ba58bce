"""Steps that decide from the ``ast`` (``Step.edit``) give exactly what their LibCST path gives.

The engine splices their edits into the file's text at the ``ast`` positions and never hands
LibCST the file; the output is judged by ``compile()`` like any other. Each such step is run
over every fixture case and example twice, once as it is and once with its ``edit`` switched
off (so LibCST's full tree decides): bytes and diagnostics (with positions) must be equal.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from codemods.analysis.astnames import Resolver
from codemods.engine import Status, make_plan, run
from codemods.engine.transform import Outcome, transform_source
from codemods.recipe import CompiledStep, RecipeLoader
from codemods.steps import Step, all_steps
from codemods.testing import (
    case_context,
    iter_case_dirs,
    load_case_dir,
    step_example_cases,
    step_from_options,
)
from tests.conftest import FIXTURES, RECIPES

TEXT_STEPS = sorted(i for i, t in all_steps().items() if not t.needs_libcst())


def _pairs(step_id: str) -> list[tuple[str, bytes, list[CompiledStep]]]:
    out = []
    for case_dir in iter_case_dirs(FIXTURES / "steps" / step_id):
        case = load_case_dir(case_dir)
        if case.before is not None:
            out.append((case.path, case.before, step_from_options(step_id, case.options)))
    for case, steps in step_example_cases(all_steps()[step_id]):
        if case.before is not None:
            out.append((case.path, case.before, steps))
    return out


def _outcome(data: bytes, steps: list[CompiledStep], path: str) -> Outcome:
    return transform_source(data, steps, case_context(path), path)


def _seen(outcome: Outcome) -> tuple[Any, ...]:
    return outcome.status, outcome.new, outcome.diagnostics, outcome.reason


def test_the_steps_that_decide_without_libcst() -> None:
    # `codemod list` says which steps still need LibCST's full tree; these are the others
    assert "rename_kwarg" in TEXT_STEPS


@pytest.mark.parametrize("step_id", TEXT_STEPS)
def test_ast_edits_equal_libcst_on_every_case(
    step_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pairs = _pairs(step_id)
    fast = [_seen(_outcome(data, steps, path)) for path, data, steps in pairs]
    monkeypatch.setattr(all_steps()[step_id], "edit", Step.edit)
    slow = [_seen(_outcome(data, steps, path)) for path, data, steps in pairs]
    assert any(s[0] is Status.CHANGED for s in fast)
    for (path, _, _), a, b in zip(pairs, fast, slow, strict=True):
        if b[3] == "not reproducible byte for byte":  # LibCST drops lone `\r` line ends:
            assert a[0] is Status.CHANGED  # the text path can still make the change
            continue
        assert a == b, path


def test_recipes_mixing_text_and_libcst_steps_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a text step before and after LibCST steps: the handover keeps every result
    recipes = []
    loader = RecipeLoader()
    for info in loader.available():
        recipe = loader.load(info.id)
        if any(not s.step.needs_libcst() for s in recipe.steps):
            recipes.append((info.id, recipe))
    assert recipes
    cases = [
        (recipe, load_case_dir(d))
        for recipe_id, recipe in recipes
        if (RECIPES / f"{recipe_id}.cases").is_dir()
        for d in iter_case_dirs(RECIPES / f"{recipe_id}.cases")
    ]
    cases = [(r, c) for r, c in cases if c.before is not None]
    assert cases
    fast = [_seen(_outcome(c.before, list(r.steps), c.path)) for r, c in cases]  # type: ignore[arg-type]
    for step_id in TEXT_STEPS:
        monkeypatch.setattr(all_steps()[step_id], "edit", Step.edit)
    slow = [_seen(_outcome(c.before, list(r.steps), c.path)) for r, c in cases]  # type: ignore[arg-type]
    assert fast == slow


def test_a_file_a_text_step_decides_never_reaches_libcst(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "use.py").write_bytes(
        b"import app.ctx as c\r\n\r\nx = c.UserExecutionContext(\r\n    session_id=1,  # kept\r\n)\r\n"
    )

    def refuse(*_: object) -> cst.Module:
        raise AssertionError("LibCST was asked to parse a file the ast path decides")

    monkeypatch.setattr(cst, "parse_module", refuse)
    recipe = RecipeLoader().load("session-id-to-request-id")
    steps = [s for s in recipe.steps if s.step.id == "rename_kwarg"]
    plan = make_plan(recipe, [tmp_path])
    plan = type(plan)(plan.recipe, tuple(steps), (), plan.files, plan.root, plan.scan_roots)
    (result,) = run(plan, jobs=1)
    assert result.status is Status.CHANGED, (result.reason, result.detail)
    assert result.new == (
        b"import app.ctx as c\r\n\r\nx = c.UserExecutionContext(\r\n    request_id=1,  # kept\r\n)\r\n"
    )
    assert result.parsed


def _kwarg_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, callables: str, files: dict[str, str]
) -> dict[str, tuple]:
    """``rename_kwarg stdout -> out`` on ``files``, with its ``ast`` path off and on (LibCST
    refused then): asserts both give the same result; (status, bytes, messages) per file."""
    from codemods.steps.rename_kwarg import RenameKwarg

    recipe_file = tmp_path / "r.yaml"
    recipe_file.write_text(
        "title: t\ndescription: d\nsteps:\n  - rename_kwarg:\n"
        f"      callables: [{callables}]\n      old: stdout\n      new: out\n"
    )
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    recipe = RecipeLoader().load(str(recipe_file))

    def outcome() -> dict[str, tuple]:
        return {
            str(r.relpath): (r.status, r.new, [d.message for d in r.diagnostics])
            for r in run(make_plan(recipe, [tmp_path]), jobs=1)
        }

    with monkeypatch.context() as patch:
        patch.setattr(RenameKwarg, "edit", Step.edit)
        slow = outcome()

    def refuse(*_: object) -> cst.Module:
        raise AssertionError("LibCST was asked to parse a file the ast path decides")

    monkeypatch.setattr(cst, "parse_module", refuse)
    fast = outcome()
    assert fast == slow
    return fast


def test_calls_to_the_defining_modules_own_callable_are_decided_by_the_ast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # subprocess.py calls its own `run(..., stdout=PIPE)`: the full name of a local def
    # matches (as the LibCST path's qualified names do); a function's local of the same name
    # and a class attribute do not
    source = (
        "class Popen:\n    def __init__(self, stdout=None):\n        pass\n\n"
        "def run(*args, stdout=None):\n    return Popen(stdout=stdout)\n\n"
        "def check_output(*args):\n    return run(*args, stdout=1)\n\n"
        "def other():\n    def run(stdout):\n        return stdout\n    return run(stdout=2)\n\n"
        "class C:\n    def run(self, stdout):\n        return stdout\n    x = run(None, stdout=3)\n"
    )
    files = {"pkg/__init__.py": "", "pkg/proc.py": source}
    results = _kwarg_both_ways(tmp_path, monkeypatch, "pkg.proc.run, pkg.proc.Popen", files)
    status, data, _ = results["pkg/proc.py"]
    assert status is Status.CHANGED
    new = data.decode()
    assert "return Popen(out=stdout)" in new and "run(*args, out=1)" in new
    assert "return run(stdout=2)" in new and "x = run(None, stdout=3)" in new


def test_relative_imports_of_the_callable_are_decided_by_the_ast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asyncio/windows_events.py: `from . import windows_utils` then `windows_utils.Popen(...)`
    files = {
        "pkg/__init__.py": "",
        "pkg/use.py": (
            "from . import proc\nfrom .proc import Popen as P\nproc.Popen(stdout=1)\nP(stdout=2)\n"
        ),
        "pkg/sub/__init__.py": (
            "from .. import proc\nfrom ... import proc as beyond\nfrom .proc import Popen\n"
            "proc.Popen(stdout=3)\nbeyond.Popen(stdout=4)\nPopen(stdout=5)\n"
        ),
    }
    results = _kwarg_both_ways(tmp_path, monkeypatch, "pkg.proc.Popen", files)
    assert results["pkg/use.py"][1] == (
        b"from . import proc\nfrom .proc import Popen as P\nproc.Popen(out=1)\nP(out=2)\n"
    )
    package = results["pkg/sub/__init__.py"][1].decode()
    assert "proc.Popen(out=3)" in package  # `..` from pkg.sub is pkg
    assert "beyond.Popen(stdout=4)" in package  # beyond the top package: nothing
    assert "Popen(stdout=5)" in package  # pkg.sub.proc.Popen is another class


def test_output_that_does_not_compile_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a text step whose edit breaks the file: compile() judges the spliced text as any output
    from codemods.analysis.text import TextEdit
    from codemods.steps.rename_kwarg import RenameKwarg

    monkeypatch.setattr(RenameKwarg, "edit", lambda self, source, ctx: [TextEdit(0, 0, "(")])
    target = tmp_path / "use.py"
    target.write_text(
        "from app.ctx import UserExecutionContext\nUserExecutionContext(session_id=1)\n"
    )
    recipe = RecipeLoader().load("session-id-to-request-id")
    results = [r for r in run(make_plan(recipe, [tmp_path]), jobs=1)]
    (result,) = results
    assert result.status is Status.FAILED and result.reason == "output does not parse"
    assert target.read_text().startswith("from app.ctx")


def test_the_resolver_sees_the_scope_of_every_node() -> None:
    text = (
        "import a as x\n@x.deco(x.k)\ndef f(p=x.d, *, q: x.T = 1) -> x.R:\n    x = 2\n    return x\n"
        "class C(x.Base, metaclass=x.Meta):\n    x = 3\n    y = [x for _ in x.items]\n"
    )
    resolver = Resolver.of(ast.parse(text), text)
    names = {}
    for node, scope in resolver.walk():
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            names[node.attr] = resolver.qualified_names(node, scope)
    # decorators, defaults, annotations and bases are read outside the function or class;
    # the comprehension's first iterable in the class body (`x` is the class attribute there)
    for attr in ("deco", "k", "d", "T", "R", "Base", "Meta"):
        assert names[attr] == {f"a.{attr}"}, attr
    assert names["items"] == {"\0C.x.items"}


def test_codemod_list_says_which_steps_still_need_libcsts_full_tree() -> None:
    from typer.testing import CliRunner

    from codemods.cli import app

    listed = CliRunner().invoke(app, ["list", "--color", "never"], env={"COLUMNS": "240"})
    assert listed.exit_code == 0
    rows = {line.split()[0]: line for line in listed.output.splitlines() if line.strip()}
    for step_id, step_type in all_steps().items():
        wanted = "LibCST's full tree" if step_type.needs_libcst() else "ast + text edits"
        if step_id == "pattern":  # decides reports on the ast, rewrites with LibCST
            wanted = "LibCST's full tree (reports: ast)"
        assert wanted in rows[step_id], rows[step_id]
    assert "ast + text edits" in rows["rename_kwarg"]
