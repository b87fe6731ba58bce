"""Keep the candidate steps whose output reproduces the hand fix exactly (learn checks itself).

The recipe of the kept steps is run with the engine (``transform_source``, as ``codemod test``
does) on every "before" file. Its output's hunks are compared with the hand fix's: a hunk the
recipe makes that the hand fix did not make (or made differently) is *wrong*; a hand-fix hunk
the recipe makes exactly is *explained*; the rest are *unexplained*. "Exactly" is up to the
order of the top-level import block (a step puts a moved import where isort would, a person
edits it in place; :mod:`codemods.learn.order`), byte for byte everywhere else. Starting from every
candidate, the candidate whose removal helps most is dropped until nothing is wrong, no file
fails and a second run changes nothing; then steps that explain nothing are dropped
(a module rename git saw is kept: it is evidence of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from codemods.analysis.project import ProjectIndex
from codemods.engine.prefilter import needles_match
from codemods.engine.results import Status
from codemods.engine.transform import transform_source
from codemods.learn.examples import Hunk, Pair, hunks, module_name
from codemods.learn.infer import Candidate
from codemods.learn.order import canonical
from codemods.recipe import CompiledStep
from codemods.steps import FileContext, all_steps


@dataclass
class Checked:
    pair: Pair
    output: bytes
    expected: list[Hunk]
    actual: list[Hunk]
    problem: str | None = None
    #: The output's import block was put in the hand fix's order before comparing
    #: (:mod:`codemods.learn.order`): reproduced up to import order.
    reordered: bool = False

    @property
    def reproduced(self) -> bool:
        """The whole file came out as the hand fix made it (up to import order)."""
        return self.problem is None and not self.wrong and not self.unexplained

    @property
    def wrong(self) -> list[Hunk]:
        return [h for h in self.actual if h not in self.expected]

    @property
    def explained(self) -> list[Hunk]:
        return [h for h in self.expected if h in self.actual]

    @property
    def unexplained(self) -> list[Hunk]:
        return [h for h in self.expected if h not in self.actual]


@dataclass
class Evaluation:
    files: list[Checked]

    @property
    def wrong(self) -> list[Hunk]:
        return [h for f in self.files for h in f.wrong]

    @property
    def explained(self) -> list[Hunk]:
        return [h for f in self.files for h in f.explained]

    @property
    def reordered(self) -> list[str]:
        """Files whose explained hunks hold only up to the order of their import block."""
        return [f.pair.path for f in self.files if f.reordered and f.explained]

    @property
    def problems(self) -> list[str]:
        return [f"{f.pair.path}: {f.problem}" for f in self.files if f.problem]

    @property
    def ok(self) -> bool:
        return not self.wrong and not self.problems

    def cost(self) -> tuple[int, int, int]:
        return (len(self.problems), len(self.wrong), -len(self.explained))


@dataclass
class Selection:
    kept: list[Candidate]
    explains: dict[int, list[Hunk]]  # id(candidate) -> the hunks it alone accounts for
    rejected: list[tuple[Candidate, str]] = field(default_factory=list)
    evaluation: Evaluation | None = None


def compile_candidate(candidate: Candidate) -> CompiledStep:
    step_type = all_steps()[candidate.step]
    return CompiledStep(
        step_type(step_type.Options.model_validate(candidate.options)), candidate.step
    )


class Checker:
    """Runs a list of candidates over every example pair (results cached per step list)."""

    def __init__(self, pairs: Sequence[Pair], root: Path, project: ProjectIndex) -> None:
        self.pairs = list(pairs)
        self.root = root
        self.project = project
        self._compiled: dict[int, CompiledStep] = {}
        self._memo: dict[tuple[int, ...], Evaluation] = {}
        self._files: dict[tuple[int, tuple[int, ...]], Checked] = {}
        #: Skip, per file, the candidates whose needles occur in neither version of it (the
        #: result is then checked once more with every candidate: see :func:`select`).
        self.shortcut = True

    def compiled(self, candidate: Candidate) -> CompiledStep:
        if id(candidate) not in self._compiled:
            self._compiled[id(candidate)] = compile_candidate(candidate)
        return self._compiled[id(candidate)]

    def run_one(
        self, steps: Sequence[CompiledStep], path: str, data: bytes
    ) -> tuple[bytes, str | None]:
        ctx = FileContext(
            path=self.root / path,
            relpath=path,
            module_name=module_name(self.project, path),
            root=self.root,
            project=self.project,
        )
        outcome = transform_source(data, steps, ctx, path, generated_marker=None)
        if outcome.status is Status.FAILED:
            return data, f"{outcome.reason}: {outcome.detail}"
        return (outcome.new if outcome.new is not None else data), None

    def evaluate(self, chosen: Sequence[Candidate]) -> Evaluation:
        key = (int(self.shortcut), *(id(c) for c in chosen))
        if key not in self._memo:
            self._memo[key] = Evaluation([self._check(i, chosen) for i in range(len(self.pairs))])
        return self._memo[key]

    def _check(self, index: int, chosen: Sequence[Candidate]) -> Checked:
        pair = self.pairs[index]
        if self.shortcut:
            chosen = [
                c
                for c in chosen
                if needles_match(self.compiled(c), pair.before)
                or needles_match(self.compiled(c), pair.after)
            ]
        key = (index if self.shortcut else -1 - index, tuple(id(c) for c in chosen))
        if key not in self._files:
            steps = [self.compiled(c) for c in chosen]
            expected = hunks(pair.path, pair.before, pair.after)
            out, problem = (
                self.run_one(steps, pair.path, pair.before) if steps else (pair.before, None)
            )
            if problem is None and steps and out != pair.before:
                again, problem = self.run_one(steps, pair.path, out)
                if problem is None and again != out:
                    problem = "a second run changes the output again (not idempotent)"
            compared = canonical(out, pair.after)
            self._files[key] = Checked(
                pair,
                out,
                expected,
                hunks(pair.path, pair.before, out if compared is None else compared),
                problem,
                reordered=compared is not None,
            )
        return self._files[key]


def select(candidates: Sequence[Candidate], checker: Checker) -> Selection:
    checker.shortcut = True
    selection = _select(candidates, checker)
    checker.shortcut = False  # the claim written in the recipe is checked in full
    full = checker.evaluate(selection.kept)
    assert selection.evaluation is not None
    if full.ok and len(full.explained) == len(selection.evaluation.explained):
        selection.evaluation = full
        return selection
    return _select(candidates, checker)


def _select(candidates: Sequence[Candidate], checker: Checker) -> Selection:
    rejected: list[tuple[Candidate, str]] = []
    chosen: list[Candidate] = []
    for candidate in candidates:
        try:
            checker.compiled(candidate)
        except ValidationError as exc:
            first = exc.errors()[0]
            rejected.append((candidate, f"not valid options: {first['msg']}"))
            continue
        except ValueError as exc:  # a learned pattern the pattern step cannot compile
            rejected.append((candidate, f"not valid options: {exc}"))
            continue
        chosen.append(candidate)
    current = checker.evaluate(chosen)
    while chosen and not current.ok:
        options = [
            (checker.evaluate([c for c in chosen if c is not drop]), drop) for drop in chosen
        ]
        best, drop = min(options, key=lambda o: o[0].cost())
        rejected.append((drop, _why(current, best)))
        chosen = [c for c in chosen if c is not drop]
        current = best
    if not current.ok:  # even no step at all cannot fail, so this cannot happen
        raise AssertionError(current.problems)
    for candidate in reversed(list(chosen)):
        without = checker.evaluate([c for c in chosen if c is not candidate])
        if without.ok and len(without.explained) == len(current.explained):
            if candidate.from_git_rename:
                continue  # git saw the module renamed: evidence of its own
            rejected.append((candidate, "explains no hunk the other steps do not"))
            chosen = [c for c in chosen if c is not candidate]
            current = without
    explains: dict[int, list[Hunk]] = {}
    for candidate in chosen:
        without = checker.evaluate([c for c in chosen if c is not candidate])
        explains[id(candidate)] = [h for h in current.explained if h not in without.explained]
    return Selection(chosen, explains, rejected, current)


def _why(before: Evaluation, after: Evaluation) -> str:
    wrong = [h for h in before.wrong if h not in after.wrong]
    if wrong:
        shown = wrong[0]
        return (
            f"its output differs from the hand fix at {shown.location()}"
            + (f" (+{len(wrong) - 1} more)" if len(wrong) > 1 else "")
            + ":\n"
            + shown.text()
        )
    problems = [p for p in before.problems if p not in after.problems]
    if problems:
        return problems[0]
    return "dropped to make the other steps' output match the hand fix"
