"""``codemod test``: run the examples and fixture cases of recipes and step types, and report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.text import Text

from codemods.engine.diff import unified_diff
from codemods.errors import ExitCode
from codemods.output import Output
from codemods.recipe import CompiledStep, RecipeLoader
from codemods.steps import all_steps
from codemods.testing import (
    Case,
    CaseResult,
    check_case,
    iter_case_dirs,
    load_case_dir,
    recipe_example_cases,
    step_example_cases,
)

Planned = tuple[str, Case, list[CompiledStep]]


def _planned(targets: list[str]) -> Iterator[Planned]:
    loader = RecipeLoader()
    if not targets:
        for step_id, step_type in sorted(all_steps().items()):
            for case, steps in step_example_cases(step_type):
                yield f"step {step_id}", case, steps
        targets = [info.id for info in loader.available()]
    for target in targets:
        path = Path(target)
        if path.is_dir():
            recipe = None
            yaml_files = sorted(path.glob("*.y*ml"))
            if len(yaml_files) == 1 and yaml_files[0].name != "case.yaml":
                recipe = loader.load(str(yaml_files[0]))
            for case_dir in iter_case_dirs(path):
                case = load_case_dir(case_dir)
                steps = list(recipe.steps) if recipe else []
                yield f"cases {path}", case, steps
            continue
        recipe = loader.load(target)
        for case in recipe_example_cases(recipe):
            yield f"recipe {recipe.id}", case, list(recipe.steps)
        cases_dir = Path(recipe.source).with_suffix("").parent / f"{recipe.id}.cases"
        if cases_dir.is_dir():
            for case_dir in iter_case_dirs(cases_dir):
                yield f"recipe {recipe.id}", load_case_dir(case_dir), list(recipe.steps)


def run_cases(targets: list[str], out: Output) -> int:
    passed = failed = 0
    failures: list[tuple[str, CaseResult]] = []
    for group, case, steps in _planned(targets):
        result = check_case(case, steps)
        if result.ok:
            passed += 1
            if out.verbose:
                out.err.print(Text.assemble(("PASS ", "green"), f"{group}: {case.name}"))
        else:
            failed += 1
            failures.append((group, result))
            out.err.print(
                Text.assemble(("FAIL ", "bold red"), f"{group}: {case.name}: {result.problem}")
            )
            if result.actual is not None and case.before is not None:
                expected = case.after if case.after is not None else case.before
                out.diff(unified_diff(expected, result.actual, case.path))
    out.summary(f"{passed} passed, {failed} failed", failed=bool(failed))
    return ExitCode.FILE_FAILED if failed else ExitCode.OK
