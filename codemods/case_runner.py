"""``codemod test``: run the examples and fixture cases of recipes and step types, and report.

What a target names:

- a recipe id or recipe file: its embedded ``examples`` and the case folders in
  ``<id>.cases/`` next to the YAML file (the same layout for built-in and user recipes);
- a step type id: its embedded examples;
- a folder of case folders: named after a step type (options in each ``case.yaml``), or
  holding exactly one recipe file, or named ``<id>.cases``/``<id>`` after a recipe;
- a folder of recipe files (or of such case folders): everything in it.

Every case is also re-run on its own output (a second run must change nothing). With
``update=True`` a case whose output differs gets its ``after.py`` (or ``after/`` tree)
rewritten from the actual output; an output equal to the input removes ``after`` ("must not
change").
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text

from codemods.engine.diff import unified_diff
from codemods.errors import CodemodError, ExitCode
from codemods.output import Output
from codemods.recipe import CompiledStep, Recipe, RecipeLoader
from codemods.steps import all_steps
from codemods.testing import (
    Case,
    CaseResult,
    check_case,
    iter_case_dirs,
    load_case_dir,
    read_tree,
    recipe_example_cases,
    step_example_cases,
    step_from_options,
)


@dataclass
class Planned:
    group: str
    case: Case
    steps: list[CompiledStep]
    recipe: Recipe | None = None


def _recipe_cases(recipe: Recipe) -> Iterator[Planned]:
    group = f"recipe {recipe.id}"
    for case in recipe_example_cases(recipe):
        yield Planned(group, case, list(recipe.steps), recipe)
    folder = Path(recipe.source).parent / f"{recipe.id}.cases"
    if folder.is_dir():
        for case_dir in iter_case_dirs(folder):
            yield Planned(group, load_case_dir(case_dir), list(recipe.steps), recipe)


def _step_cases(step_id: str) -> Iterator[Planned]:
    for case, steps in step_example_cases(all_steps()[step_id]):
        yield Planned(f"step {step_id}", case, steps)


def _step_folder(folder: Path) -> Iterator[Planned]:
    for case_dir in iter_case_dirs(folder):
        case = load_case_dir(case_dir)
        yield Planned(f"step {folder.name}", case, step_from_options(folder.name, case.options))


def _folder(folder: Path, loader: RecipeLoader) -> Iterator[Planned]:
    case_dirs = list(iter_case_dirs(folder))
    recipes = [p for p in sorted(folder.glob("*.y*ml")) if p.name != "case.yaml"]
    if not case_dirs:
        if not recipes and not any(p.is_dir() for p in folder.iterdir()):
            raise CodemodError(f"{folder} holds no recipe files and no case folders")
        for path in recipes:
            yield from _recipe_cases(loader.load(str(path)))
        for child in sorted(p for p in folder.iterdir() if p.is_dir()):
            if child.suffix == ".cases" and (folder / f"{child.stem}.yaml").is_file():
                continue  # already run with its recipe
            if any(iter_case_dirs(child)):
                yield from _folder(child, loader)
        return
    if folder.name in all_steps():
        yield from _step_folder(folder)
        return
    recipe: Recipe | None = None
    if len(recipes) == 1:
        recipe = loader.load(str(recipes[0]))
    else:
        stem = folder.name.removesuffix(".cases")
        sibling = folder.parent / f"{stem}.yaml"
        recipe = loader.load(str(sibling) if sibling.is_file() else stem)
    for case_dir in case_dirs:
        yield Planned(f"recipe {recipe.id}", load_case_dir(case_dir), list(recipe.steps), recipe)


def planned(targets: list[str], loader: RecipeLoader) -> Iterator[Planned]:
    steps = all_steps()
    if not targets:
        for step_id in sorted(steps):
            yield from _step_cases(step_id)
        for info in loader.available():
            yield from _recipe_cases(loader.load(str(info.path)))
        return
    for target in targets:
        path = Path(target)
        if path.is_dir():
            yield from _folder(path, loader)
        elif target in steps and not path.exists():
            yield from _step_cases(target)
        else:
            yield from _recipe_cases(loader.load(target))


def update_case(case: Case, result: CaseResult) -> bool:
    """Rewrite the expected output of a case folder from ``result``; False if it cannot be."""
    fixable = result.problem == "output differs from expected" or result.problem.startswith(
        "tree differs from expected"
    )
    if case.source is None or not fixable:
        return False
    if case.tree is not None:
        if result.actual_tree is None:
            return False
        after = case.source / "after"
        if after.exists():
            shutil.rmtree(after)
        if result.actual_tree != read_tree(case.tree):
            for rel, data in result.actual_tree.items():
                target = after / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        return True
    if result.actual is None:
        return False
    after_file = case.source / "after.py"
    if result.actual == case.before:
        after_file.unlink(missing_ok=True)  # no after.py: "must not change"
    else:
        after_file.write_bytes(result.actual)
    return True


def run_cases(
    targets: list[str], out: Output, update: bool = False, extra_dirs: tuple[Path, ...] = ()
) -> int:
    loader = RecipeLoader(extra_dirs=extra_dirs)
    passed = failed = updated = 0
    for item in planned(targets, loader):
        case = item.case
        result = check_case(case, item.steps, item.recipe)
        if result.ok:
            passed += 1
            if out.verbose:
                out.err.print(Text.assemble(("PASS ", "green"), f"{item.group}: {case.name}"))
            continue
        if update and case.source is not None and update_case(case, result):
            again = check_case(load_case_dir(case.source), item.steps, item.recipe)
            if again.ok:
                updated += 1
                where = case.source / ("after" if case.tree is not None else "after.py")
                out.err.print(
                    Text.assemble(
                        ("UPDATED ", "bold yellow"), f"{item.group}: {case.name}: {where}"
                    )
                )
                continue
            result = again
        failed += 1
        out.err.print(
            Text.assemble(("FAIL ", "bold red"), f"{item.group}: {case.name}: {result.problem}")
        )
        if case.source is None and update:
            out.err.print("  (an embedded example: edit its `after:` in the recipe file by hand)")
        if result.actual is not None and case.before is not None:
            expected = case.after if case.after is not None else case.before
            patch = unified_diff(expected, result.actual, case.path)
            patch = patch.replace(b"--- a/", b"--- expected/", 1).replace(
                b"+++ b/", b"+++ actual/", 1
            )
            out.diff(patch)
    total = passed + failed + updated
    if total == 0:
        raise CodemodError(
            "no examples or cases to run",
            hint="add `examples:` to the recipe, or case folders in `<recipe-id>.cases/`",
        )
    line = f"{passed} passed, {failed} failed" + (f", {updated} updated" if updated else "")
    out.summary(line, failed=bool(failed))
    return ExitCode.FILE_FAILED if failed else ExitCode.OK
