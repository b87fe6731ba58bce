"""``codemod new recipe ID``: a recipe file and one test case that pass ``codemod test``.

Creates, in the target folder::

    ID.yaml                      the recipe: title, description, one rename_kwarg step, examples
    ID.cases/basic/before.py     a case: code before the recipe runs
    ID.cases/basic/after.py      ... and what it must become

Edit the step and the case, then run ``codemod test ID.yaml`` (``--update`` rewrites
``after.py`` from the actual output once it looks right).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codemods.errors import CodemodError
from codemods.recipe.models import RECIPE_ID

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


def new_recipe(recipe_id: str, directory: Path, schema: Path | None = None) -> Scaffold:
    """Write the recipe and its first case; refuse to overwrite anything."""
    if not RECIPE_ID.match(recipe_id):
        raise CodemodError(
            f"`{recipe_id}` is not a recipe id",
            hint="use lowercase words joined by `-`, like `rename-client-kwarg`",
        )
    recipe_path = directory / f"{recipe_id}.yaml"
    case_dir = directory / f"{recipe_id}.cases" / "basic"
    for existing in (recipe_path, case_dir):
        if existing.exists():
            raise CodemodError(
                f"{existing} already exists", hint="pick another id, or remove it first"
            )
    title = recipe_id.replace("-", " ").capitalize()
    modeline = SCHEMA_COMMENT.format(schema=schema.as_uri()) if schema is not None else ""
    directory.mkdir(parents=True, exist_ok=True)
    recipe_path.write_text(RECIPE.format(modeline=modeline, title=title), encoding="utf-8")
    case_dir.mkdir(parents=True)
    (case_dir / "before.py").write_text(BEFORE, encoding="utf-8")
    (case_dir / "after.py").write_text(BEFORE.replace("old_name=3", "new_name=3"), encoding="utf-8")
    return Scaffold(recipe_path, case_dir)
