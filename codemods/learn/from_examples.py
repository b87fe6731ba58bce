"""``codemod learn --commit REV`` / ``--pair BEFORE:AFTER``: a recipe from a fix made by hand.

:func:`learn` infers candidate steps from the examples (:mod:`~codemods.learn.infer`), keeps
those the self-check confirms (:mod:`~codemods.learn.select`), and returns a :class:`Learned`
with the recipe text, the hunks no step explains and the candidates it rejected (and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codemods.analysis.project import ProjectIndex
from codemods.learn.examples import EMBED_MAX_LINES, Evidence, Hunk
from codemods.learn.infer import Candidate, candidates, facts_of
from codemods.learn.patterns import pattern_candidates
from codemods.learn.render import ExampleText, StepText, comment, places, recipe_text
from codemods.learn.select import Checker, Evaluation, Selection, select

MAX_EXAMPLES = 5


@dataclass
class Learned:
    evidence: Evidence
    selection: Selection
    unexplained: list[Hunk]
    recipe: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def steps(self) -> list[Candidate]:
        return self.selection.kept

    def as_json(self) -> dict[str, Any]:
        sel = self.selection
        return {
            "source": self.evidence.description,
            "commit": self.evidence.commit,
            "examples": len(self.evidence.pairs),
            "reproduced_up_to_import_order": (
                sel.evaluation.reordered if sel.evaluation is not None else []
            ),
            "steps": [
                {
                    "step": c.step,
                    "options": c.options,
                    "reason": c.reason,
                    "explains": [h.location() for h in sel.explains.get(id(c), [])],
                    "git_rename": c.from_git_rename,
                }
                for c in sel.kept
            ],
            "unexplained": [
                {"file": h.path, "line": h.line, "diff": h.text()} for h in self.unexplained
            ],
            "not_read": list(self.evidence.others or []),
            "rejected": [
                {"step": c.step, "options": c.options, "why": why} for c, why in sel.rejected
            ],
            "recipe": self.recipe,
            "notes": self.notes,
        }


def learn(evidence: Evidence, root: Path) -> Learned:
    project = ProjectIndex(root)
    readable = []
    for pair in evidence.pairs:
        if facts_of(pair.old_path or pair.path, pair.before, project) is None:
            evidence.others = [
                *(evidence.others or []),
                f"{pair.path} (does not parse before the fix)",
            ]
        else:
            readable.append(pair)
    evidence.pairs = readable
    found = candidates(evidence, project)
    checker = Checker(readable, root, project)
    selection = select(found, checker)
    evaluation = selection.evaluation
    assert evaluation is not None
    # what no other step explains: try pattern rules read off those changes
    left = [h for f in evaluation.files for h in f.unexplained]
    rules = pattern_candidates(readable, left, project) if left else []
    if rules:
        selection = select([*found, *rules], checker)
    evaluation = selection.evaluation
    assert evaluation is not None
    kept_rules = [c for c in selection.kept if c.step == "pattern"]
    for number, rule in enumerate(kept_rules, 1):
        rule.options["id"] = f"learned-{number}"  # a name for messages; numbered as kept
    unexplained = [h for f in evaluation.files for h in f.unexplained]
    learned = Learned(evidence, selection, unexplained, None)
    if selection.kept:
        learned.recipe = _render(learned, checker)
    return learned


def _examples(evaluation: Evaluation) -> tuple[list[ExampleText], list[tuple[str, str]]]:
    """The example files embedded as the recipe's cases, and the others with the reason.

    A case's ``after`` is the recipe's own output, so ``codemod test`` passes on it: the hand
    fix's file, or the same up to the order of its import block (the title says so).
    """
    examples: list[ExampleText] = []
    left_out: list[tuple[str, str]] = []
    for f in evaluation.files:
        path = f.pair.path
        if f.problem:
            left_out.append((path, f"the recipe fails on it: {f.problem}"))
            continue
        if not f.reproduced:
            left_out.append((path, "the recipe does not reproduce all of its hand fix"))
            continue
        try:
            before, after = f.pair.before.decode("utf-8"), f.output.decode("utf-8")
        except UnicodeDecodeError:
            left_out.append((path, "not UTF-8"))
            continue
        if "\r" in before + after:
            left_out.append((path, "CR line endings, which a YAML case cannot hold"))
        elif before.count("\n") > EMBED_MAX_LINES:
            left_out.append((path, f"longer than {EMBED_MAX_LINES} lines"))
        elif len(examples) >= MAX_EXAMPLES:
            left_out.append((path, f"the recipe embeds at most {MAX_EXAMPLES} cases"))
        else:
            title = f"{path} as fixed by hand" + (
                " (its imports in the order the recipe writes them)" if f.reordered else ""
            )
            examples.append(ExampleText(title, path, before, after))
    return examples, left_out


def _render(learned: Learned, checker: Checker) -> str:
    evidence, selection = learned.evidence, learned.selection
    evaluation = selection.evaluation
    assert evaluation is not None
    total = sum(len(f.expected) for f in evaluation.files)
    explained = len(evaluation.explained)
    steps = []
    for c in selection.kept:
        lines = [c.reason]
        if evidence.commit:
            lines.append(f"evidence: {evidence.description}")
        explains = [h.location() for h in selection.explains.get(id(c), [])]
        text = places("explains", explains, "")
        lines += [t[2:] for t in text]
        if not explains:
            lines.append("no hand-fixed example to check it against: review it")
        steps.append(StepText(c.step, c.options, lines))
    examples, left_out = _examples(evaluation)
    reordered = evaluation.reordered
    header = [
        f"Written by `codemod learn` from {evidence.description}",
        f"Checked before writing: on its {len(evaluation.files)} example file(s) the recipe makes "
        f"{explained} of the {total} hunks of the hand fix exactly"
        + (
            f" ({len(reordered)} file(s) reproduced up to import order: the recipe writes "
            f"imports in isort's order, the hand fix did not: {', '.join(reordered)})"
            if reordered
            else ""
        )
        + ", and no other change.",
        f"Embedded below as cases: {len(examples)} of the {len(evaluation.files)} file(s)"
        + (":" if left_out else "."),
        *[f"- not embedded: {path} ({why})" for path, why in left_out],
        "Review, then: codemod test <this file>; codemod preview <this file> <project>",
    ]
    footer: list[str] = []
    if learned.unexplained:
        footer.append("# Not explained by any step (do these by hand, or extend the recipe):")
        for h in learned.unexplained:
            footer.append(f"# - {h.location()}")
            footer += [f"#     {line}".rstrip() for line in h.text().splitlines()[:12]]
    if evidence.others:
        footer.append("# Changes learn does not read (not Python files, or added/deleted files):")
        footer += [f"# - {o}" for o in evidence.others]
    if selection.rejected:
        footer.append("# Candidates rejected by the self-check:")
        for c, why in selection.rejected:
            lines = comment(f"{c.describe()}: {why}")
            footer.append(f"# - {lines[0][2:]}")
            footer += [f"#   {line[2:]}".rstrip() for line in lines[1:]]
    subject = evidence.description.split(" (", 1)[0]
    return recipe_text(
        header=header,
        title=f"Learned from {subject}",
        description=(
            f"Written by `codemod learn` from {evidence.description}: the steps that reproduce "
            "the hand-made fix of its example files exactly, to make the same fix everywhere "
            "else. Each step names the hunks it explains."
        ),
        steps=steps,
        examples=examples,
        footer=footer,
    )
