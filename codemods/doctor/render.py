"""The ``codemod doctor`` command body: diagnose, render (rich or JSON), write the recipe.

Findings go to stdout grouped by kind, the one-line summary to stderr. Exit code 1 when
anything was found (a CI gate), 0 when the project is clean.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text

from codemods.doctor import KINDS, Report, diagnose
from codemods.doctor.recipe import check_recipe_path, write_recipe
from codemods.errors import CodemodError, ExitCode
from codemods.output import Output


def run_doctor(
    paths: Sequence[Path], fmt: str, recipe: Path | None, out: Output, root: Path | None = None
) -> int:
    if fmt not in ("text", "json"):
        raise CodemodError(f"--format must be text or json, not {fmt!r}")
    if recipe is not None:
        check_recipe_path(recipe)
    report = diagnose(paths, root)
    written = write_recipe(report, recipe) if recipe is not None else False
    if fmt == "json":
        data = report.as_json()
        data["recipe"] = str(recipe) if written else None
        out.out.print_json(json.dumps(data), indent=2)
    else:
        render_text(report, out)
    problems = len(report.findings)
    kinds = len(report.counts())
    line = (
        f"doctor: {problems} problem{'s' * (problems != 1)} of {kinds} kind{'s' * (kinds != 1)} "
        f"in {report.files} file{'s' * (report.files != 1)}"
        if problems
        else f"doctor: no problems in {report.files} file{'s' * (report.files != 1)}"
    )
    steps = sum(p.step is not None for p in report.proposals)
    if steps:
        line += f"; {steps} fix{'es' * (steps != 1)} proposed"
    out.summary(line, failed=False)
    if recipe is not None:
        if written:
            out.note(f"recipe written to {recipe}; review it with `codemod preview {recipe}`")
        else:
            out.note("nothing doctor can fix automatically: no recipe written")
    return ExitCode.CHANGES_PENDING if problems else ExitCode.OK


def render_text(report: Report, out: Output) -> None:
    counts = report.counts()
    for kind, heading in KINDS.items():
        if kind not in counts:
            continue
        out.out.print(Text.assemble((f"{heading} ", "bold"), (f"({counts[kind]})", "cyan")))
        for finding in report.findings:
            if finding.kind == kind:
                out.out.print(
                    Text.assemble("  ", (finding.location(), "bold"), "  ", finding.message)
                )
        out.out.print()
    steps = [p for p in report.proposals if p.step is not None]
    manual = [p for p in report.proposals if p.step is None]
    if steps:
        out.out.print(Text("proposed fixes (write them with --write-recipe FILE)", style="bold"))
        for proposal in steps:
            options = ", ".join(f"{k}={v}" for k, v in proposal.options.items())
            places = len(proposal.evidence)
            out.out.print(
                Text.assemble(
                    "  ",
                    (proposal.step or "", "bold green"),
                    f" {options}" if options else "",
                    (f"  ({places} place{'s' * (places != 1)})", "dim"),
                )
            )
        out.out.print()
    if report.mentions:
        out.out.print(Text("alternative imports left alone (not counted)", style="bold"))
        for mention in report.mentions:
            out.out.print(
                Text.assemble(
                    "  ",
                    (mention.location(), "bold"),
                    "  ",
                    mention.message,
                    (f"  [{mention.fix}]", "dim"),
                )
            )
        out.out.print()
    if manual:
        out.out.print(Text("left for a person (doctor does not guess)", style="bold"))
        for proposal in manual:
            where = ", ".join(proposal.evidence[:3])
            more = f" (+{len(proposal.evidence) - 3} more)" if len(proposal.evidence) > 3 else ""
            shown = f"  [{where}{more}]" if where else ""
            out.out.print(Text.assemble("  - ", proposal.reason, (shown, "dim")))
        out.out.print()
