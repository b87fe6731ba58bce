"""Write what learn found as a recipe YAML: steps with their evidence as comments, examples.

Example of the output (``codemod learn --commit 1a2b3c4``)::

    # Written by `codemod learn` from commit 1a2b3c4 (Move the registry)
    title: Learned from commit 1a2b3c4
    description: >-
      ...
    steps:
      # git sees the module `app.core.registry` renamed to `app.agents.registry`
      # explains: tests/test_a.py:1, tests/test_b.py:3
      - rename_module:
          old: app.core.registry
          new: app.agents.registry
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class StepText:
    step: str
    options: dict[str, Any]
    comments: list[str] = field(default_factory=list)


@dataclass
class ExampleText:
    title: str
    path: str
    before: str
    after: str | None


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=100)


def comment(text: str, indent: str = "") -> list[str]:
    out: list[str] = []
    for raw in text.splitlines() or [""]:
        wrapped = textwrap.wrap(raw, 96 - len(indent), break_long_words=False) or [""]
        out += [f"{indent}# {line}".rstrip() for line in wrapped]
    return out


def places(label: str, where: Sequence[str], indent: str) -> list[str]:
    if not where:
        return []
    shown = ", ".join(where[:6]) + (f" (+{len(where) - 6} more)" if len(where) > 6 else "")
    return comment(f"{label}: {shown}", indent)


def recipe_text(
    *,
    header: Sequence[str],
    title: str,
    description: str,
    steps: Sequence[StepText],
    examples: Sequence[ExampleText] = (),
    footer: Sequence[str] = (),
) -> str:
    """The recipe YAML; every step keeps its comments right above it."""
    title = re.sub(r"\.+$", "", title)
    out = [line for h in header for line in comment(h)]
    out.append(dump({"title": title}).rstrip())
    out.append("description: >-")
    out += [f"  {line}" for line in textwrap.wrap(description, 92)]
    out.append("steps:")
    for step in steps:
        for text in step.comments:
            out += comment(text, "  ")
        body = dump(step.options).rstrip() if step.options else ""
        if body and body != "{}":
            out.append(f"  - {step.step}:")
            out += [f"      {line}".rstrip() for line in body.splitlines()]
        else:
            out.append(f"  - {step.step}: {{}}")
    if examples:
        items = []
        for e in examples:
            item: dict[str, Any] = {"title": e.title, "path": e.path, "before": e.before}
            if e.after is not None:
                item["after"] = e.after
            items.append(item)
        out.append(dump({"examples": items}).rstrip())
    if footer:
        out.append("")
        out += list(footer)
    return "\n".join(out) + "\n"
