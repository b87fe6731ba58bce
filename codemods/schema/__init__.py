"""The JSON Schema of recipe files, generated from the pydantic models and shipped as
``codemods/schema/recipe.schema.json`` so editors can complete and check recipe keys::

    # yaml-language-server: $schema=<path printed by `codemod schema --path`>
    title: My recipe
    steps:
      - rename_kwarg: {callables: ["*.Client"], old: a, new: b}

Each ``steps`` item is one of the step types (with that step's typed options) or
``{recipe: <id or file>}``. After changing a model or adding a step type, regenerate with
``codemod schema --write`` (a test fails while the shipped file is out of date).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codemods.recipe.models import RecipeModel
from codemods.steps import all_steps

SCHEMA_PATH = Path(__file__).resolve().parent / "recipe.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate() -> dict[str, Any]:
    """The schema for a recipe file, with one typed alternative per step type."""
    schema = RecipeModel.model_json_schema()
    defs: dict[str, Any] = dict(schema.pop("$defs", {}))
    alternatives: list[dict[str, Any]] = []
    for step_id, step_type in sorted(all_steps().items()):
        options = step_type.Options.model_json_schema(ref_template=f"#/$defs/{step_id}.{{model}}")
        for name, sub in options.pop("$defs", {}).items():
            defs[f"{step_id}.{name}"] = sub
        options["title"] = f"{step_id} options"
        defs[f"step.{step_id}"] = options
        value: dict[str, Any] = {"$ref": f"#/$defs/step.{step_id}"}
        if not options.get("required"):
            value = {"anyOf": [value, {"type": "null"}]}
        alternatives.append(
            {
                "type": "object",
                "title": step_id,
                "description": step_type.title() + ("" if step_type.safe else " (unsafe)"),
                "properties": {step_id: value},
                "required": [step_id],
                "additionalProperties": False,
            }
        )
    alternatives.append(
        {
            "type": "object",
            "title": "recipe",
            "description": "Run another recipe here: a recipe id or a path to a recipe file.",
            "properties": {"recipe": {"type": "string", "minLength": 1}},
            "required": ["recipe"],
            "additionalProperties": False,
        }
    )
    steps = schema["properties"]["steps"]
    steps["items"] = {"oneOf": alternatives}
    return {
        "$schema": DIALECT,
        "title": "codemod recipe",
        "description": schema.pop("description", "A codemod recipe file."),
        **{k: v for k, v in schema.items() if k != "title"},
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


def shipped() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def write() -> Path:
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    return SCHEMA_PATH
