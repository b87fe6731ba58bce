"""``codemod new recipe ID``: a recipe file and one test case that pass ``codemod test``.

Creates, in the target folder::

    ID.yaml                      the recipe: title, description, one rename_kwarg step, examples
    ID.cases/basic/before.py     a case: code before the recipe runs
    ID.cases/basic/after.py      ... and what it must become

Edit the step and the case, then run ``codemod test ID.yaml`` (``--update`` rewrites
``after.py`` from the actual output once it looks right).
"""

from __future__ import annotations

import difflib
import json
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from codemods.errors import CodemodError
from codemods.recipe.models import RECIPE_ID
from codemods.steps import Example, Step, all_steps

SCHEMA_COMMENT = "# yaml-language-server: $schema={schema}\n"

RECIPE = """\
{modeline}title: {title}
description: >
  Describe what breaks (the error people see) and what this recipe changes, in full
  sentences. This scaffold renames the keyword `old_name` to `new_name` in calls to
  `mypkg.api.make_client`, however it was imported; replace the step with your own.
steps:
  - rename_kwarg:
      callables:
        - "*.make_client"
      old: old_name
      new: new_name
examples:
  - title: a call through an alias is renamed
    before: |
      from mypkg.api import make_client as mk

      client = mk(old_name=1)
    after: |
      from mypkg.api import make_client as mk

      client = mk(new_name=1)
  - title: another function with the same keyword is left alone
    before: |
      from mypkg.other import make_server

      server = make_server(old_name=1)
"""

BEFORE = """\
from mypkg.api import make_client


def build():
    return make_client(
        host="localhost",
        old_name=3,  # the keyword this recipe renames
    )
"""


@dataclass(frozen=True)
class Scaffold:
    recipe: Path
    case: Path


def _targets(recipe_id: str, directory: Path) -> tuple[Path, Path]:
    if not RECIPE_ID.match(recipe_id):
        raise CodemodError(
            f"`{recipe_id}` is not a recipe id",
            hint="use lowercase words joined by `-`, like `rename-client-kwarg`",
        )
    recipe_path = directory / f"{recipe_id}.yaml"
    case_dir = directory / f"{recipe_id}.cases" / "basic"
    for existing in (recipe_path, case_dir.parent):
        if existing.exists():
            raise CodemodError(
                f"{existing} already exists", hint="pick another id, or remove it first"
            )
    return recipe_path, case_dir


def new_recipe(recipe_id: str, directory: Path, schema: Path | None = None) -> Scaffold:
    """Write the recipe and its first case; refuse to overwrite anything."""
    recipe_path, case_dir = _targets(recipe_id, directory)
    title = recipe_id.replace("-", " ").capitalize()
    modeline = SCHEMA_COMMENT.format(schema=schema.as_uri()) if schema is not None else ""
    directory.mkdir(parents=True, exist_ok=True)
    recipe_path.write_text(RECIPE.format(modeline=modeline, title=title), encoding="utf-8")
    case_dir.mkdir(parents=True)
    (case_dir / "before.py").write_text(BEFORE, encoding="utf-8")
    (case_dir / "after.py").write_text(BEFORE.replace("old_name=3", "new_name=3"), encoding="utf-8")
    return Scaffold(recipe_path, case_dir)


# -- a recipe for any step type ----------------------------------------------------------------
def _block(text: str, indent: int) -> str:
    """``text`` as a YAML scalar after ``key:``: a literal block where it reads back exactly."""
    pad = " " * indent
    lines = text.split("\n")
    simple = (
        text.endswith("\n")
        and not text.endswith("\n\n")
        and not text.startswith((" ", "\n"))
        and "\r" not in text
        and all(line == line.rstrip() for line in lines)
    )
    if not simple:
        return " " + json.dumps(text)
    body = "".join(f"{pad}{line}\n" if line else "\n" for line in lines[:-1])
    return " |\n" + body


def _options_yaml(options: dict[str, Any], indent: int) -> str:
    if not options:
        return " {}\n"
    dumped = yaml.safe_dump(options, default_flow_style=False, sort_keys=False, allow_unicode=True)
    return "\n" + "".join(f"{' ' * indent}{line}\n" for line in dumped.splitlines())


def _step_recipe(
    step_type: type[Step[Any]], example: Example, others: list[Example], title: str, modeline: str
) -> str:
    doc = (step_type.__doc__ or "").strip().split("\n\n")[0].split("\n")[0].strip()
    description = textwrap.fill(
        "Describe what breaks (the error people see) and what this recipe changes, in full "
        f"sentences. This scaffold runs one `{step_type.id}` step ({doc.rstrip('.')}), "
        "configured as in its first example; replace the options with your own.",
        width=94,
        initial_indent="  ",
        subsequent_indent="  ",
    )
    out = [
        f"{modeline}title: {title}\n",
        "description: >\n",
        description + "\n",
        "steps:\n",
        f"  - {step_type.id}:{_options_yaml(example.options, 6)}",
        "examples:\n",
    ]
    for item in [example, *others]:
        out.append(f"  - title: {json.dumps(item.title)}\n")
        if item.path != "example.py":
            out.append(f"    path: {json.dumps(item.path)}\n")
        out.append(f"    before:{_block(item.before, 6)}")
        if item.after is not None:
            out.append(f"    after:{_block(item.after, 6)}")
    return "".join(out)


def new_step_recipe(
    recipe_id: str, directory: Path, step_id: str, schema: Path | None = None
) -> Scaffold:
    """A recipe running one ``step_id`` step, with its examples and a first case folder.

    The step's first example that changes code gives the options, the recipe's examples (that
    one, and those of the step with the same options) and the case. A whole-tree step (one that
    edits other files, such as ``register_markers``) gets a ``before/``/``after/`` tree case,
    whose ``after/`` is what the step really produces. Every case and example is run before
    this returns: a scaffold that would not pass ``codemod test`` is an error, and is removed.
    """
    steps = all_steps()
    if step_id not in steps:
        close = difflib.get_close_matches(step_id, steps, n=1)
        raise CodemodError(
            f"unknown step type `{step_id}`",
            hint=f"did you mean `{close[0]}`?"
            if close
            else f"known step types: {', '.join(sorted(steps))}",
        )
    step_type = steps[step_id]
    if not step_type.examples:
        raise CodemodError(
            f"step type `{step_id}` has no embedded example to start from",
            hint="scaffold with another --step and change it",
        )
    recipe_path, case_dir = _targets(recipe_id, directory)
    example = next((e for e in step_type.examples if e.after is not None), step_type.examples[0])
    others = [e for e in step_type.examples if e is not example and e.options == example.options]
    modeline = SCHEMA_COMMENT.format(schema=schema.as_uri()) if schema is not None else ""
    title = recipe_id.replace("-", " ").capitalize()
    directory.mkdir(parents=True, exist_ok=True)
    recipe_path.write_text(
        _step_recipe(step_type, example, others, title, modeline), encoding="utf-8"
    )
    try:
        _write_case(recipe_path, case_dir, step_type, example)
    except BaseException:
        recipe_path.unlink(missing_ok=True)
        shutil.rmtree(case_dir.parent, ignore_errors=True)
        raise
    return Scaffold(recipe_path, case_dir)


def _write_case(
    recipe_path: Path, case_dir: Path, step_type: type[Step[Any]], example: Example
) -> None:
    from codemods.recipe import RecipeLoader
    from codemods.testing import check_case, load_case_dir, recipe_example_cases

    recipe = RecipeLoader().load(str(recipe_path))
    case_dir.mkdir(parents=True)
    if step_type.is_whole_tree():
        before = case_dir / "before" / example.path
        before.parent.mkdir(parents=True)
        before.write_text(example.before, encoding="utf-8")
        result = check_case(load_case_dir(case_dir), list(recipe.steps), recipe)
        if result.actual_tree is None:
            raise CodemodError(f"the `{step_type.id}` example does not run: {result.problem}")
        for rel, data in result.actual_tree.items():
            target = case_dir / "after" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    else:
        (case_dir / "before.py").write_text(example.before, encoding="utf-8")
        if example.after is not None:
            (case_dir / "after.py").write_text(example.after, encoding="utf-8")
        if example.path != "example.py":
            (case_dir / "case.yaml").write_text(f"path: {json.dumps(example.path)}\n")
    cases = [*recipe_example_cases(recipe), load_case_dir(case_dir)]
    for case in cases:
        result = check_case(case, list(recipe.steps), recipe)
        if not result.ok:
            raise CodemodError(
                f"the scaffold's case {case.name!r} does not pass: {result.problem}",
                hint="please report this: every step type's first example should scaffold",
            )
