"""Turn doctor's proposals into a recipe YAML, each step commented with its evidence.

Example of the output::

    title: Fix what codemod doctor found in netra
    description: >-
      Written by `codemod doctor` ...
    steps:
      # `netra_backend.app.core.agent_registry` does not exist; everything imported from it
      # (AgentRegistry) is defined in `netra_backend.app.agents.supervisor.agent_registry`
      # seen at: tests/test_registry.py:3, tests/test_registry_alias.py:4
      - rename_module:
          old: netra_backend.app.core.agent_registry
          new: netra_backend.app.agents.supervisor.agent_registry

    # Left for a person (doctor does not guess):
    # - `AgentExecutionResult(..., context=...)`: ... rename or remove it by hand
    #   seen at: tests/test_results.py:9
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import yaml

from codemods.doctor.findings import Proposal, Report, step_order
from codemods.errors import CodemodError

_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in textwrap.wrap(text, 92 - len(indent))]


def _evidence(evidence: list[str], indent: str) -> list[str]:
    shown = ", ".join(evidence[:6]) + (f" (+{len(evidence) - 6} more)" if len(evidence) > 6 else "")
    return _comment(f"seen at: {shown}", indent) if evidence else []


def _step_lines(proposal: Proposal, available: set[str]) -> list[str]:
    assert proposal.step is not None
    lines = _comment(proposal.reason, "  ") + _evidence(proposal.evidence, "  ")
    if proposal.options:
        body = yaml.safe_dump(proposal.options, default_flow_style=False, sort_keys=False)
        step = [f"  - {proposal.step}:"] + [f"      {line}" for line in body.splitlines()]
    else:
        step = [f"  - {proposal.step}: {{}}"]
    if proposal.step not in available:
        lines.append(f"  # step type `{proposal.step}` is not available in this installation:")
        step = [f"  # {line.strip()}" for line in step]
    return lines + step


def render_recipe(report: Report, available: set[str]) -> str | None:
    """The recipe text, or ``None`` when no proposal is a step."""
    steps = [p for p in report.proposals if p.step is not None]
    manual = [p for p in report.proposals if p.step is None]
    if not any(p.step in available for p in steps):
        return None
    order = step_order()
    steps.sort(key=lambda p: order.index(p.step) if p.step in order else len(order))
    name = Path(report.root).name
    counts = ", ".join(f"{n} {k}" for k, n in report.counts().items())
    out = [
        f"# Written by `codemod doctor` for {report.root}",
        f"# Findings: {counts or 'none'}.",
        "# Review, then: codemod preview <this file> <project>; codemod apply <this file> <project>",
        f"title: Fix what codemod doctor found in {name}",
        "description: >-",
        f"  Written by `codemod doctor` from a static analysis of {name}. Each step says what",
        "  was found and where; cases doctor would have to guess are comments at the end.",
        "steps:",
    ]
    for proposal in steps:
        out += _step_lines(proposal, available)
    if manual:
        out += ["", "# Left for a person (doctor does not guess):"]
        for proposal in manual:
            text = _comment(proposal.reason, "")
            out += [f"# - {text[0][2:]}", *(f"#   {t[2:]}" for t in text[1:])]
            out += [f"#   {t[2:]}" for t in _evidence(proposal.evidence, "")]
    return "\n".join(out) + "\n"


def check_recipe_path(target: Path) -> None:
    """A recipe's file stem is its id: refuse names the recipe loader would reject."""
    if not _KEBAB.match(target.stem) or target.suffix not in (".yaml", ".yml"):
        raise CodemodError(
            f"recipe file name `{target.name}` is not a kebab-case id ending in .yaml",
            hint="name it like `doctor-fixes.yaml`: lowercase words joined by `-`",
        )


def write_recipe(report: Report, target: Path) -> bool:
    """Write the recipe to ``target``; False (nothing written) when there is nothing to fix."""
    check_recipe_path(target)
    from codemods.steps import all_steps

    text = render_recipe(report, set(all_steps()))
    if text is None:
        return False
    target.write_text(text, encoding="utf-8")
    return True
