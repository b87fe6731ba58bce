"""The case checker used by our own tests and by ``codemod test``.

A case is either a single file (``before.py`` + optional ``after.py``) or a tree
(``before/`` + optional ``after/``). No ``after`` means "must stay unchanged". Every case
is also re-run on its own output, which must not change again. ``case.yaml`` holds the
options of a step (for step fixtures) and, optionally::

    path: pkg/tests/test_x.py     # where the single file pretends to live
    recipe: other-id              # for a step fixture folder, run this recipe instead
    diagnostics: ["passes both"]  # substrings each expected in some diagnostic message
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codemods.analysis.project import ProjectIndex
from codemods.engine.results import Status
from codemods.engine.run import make_plan, run
from codemods.engine.transform import transform_source
from codemods.engine.write import write
from codemods.recipe import CompiledStep, Recipe
from codemods.steps import FileContext, Step, all_steps


@dataclass
class Case:
    name: str
    before: bytes | None = None  # single-file case
    after: bytes | None = None
    tree: Path | None = None  # tree case: the before/ folder
    after_tree: Path | None = None
    path: str = "example.py"
    options: dict[str, Any] = field(default_factory=dict)
    expect_diagnostics: tuple[str, ...] = ()
    source: Path | None = None  # where the case lives, for --update


@dataclass
class CaseResult:
    case: Case
    ok: bool
    problem: str = ""
    actual: bytes | None = None
    actual_tree: dict[str, bytes] | None = None
    diagnostics: tuple[str, ...] = ()


#: Where single-file cases pretend to live (never read: the index is given its files).
CASE_ROOT = Path(os.path.abspath(os.sep + "codemod-case"))


def case_context(path: str) -> FileContext:
    """The context of a single-file case that pretends to live at ``path``.

    Its module name comes from the project index, like every file's: every directory on
    the path is taken to be a package (``pkg/tests/test_x.py`` is ``pkg.tests.test_x``), so
    relative imports in a case resolve as the case's author wrote them.
    """
    parts = Path(path.replace("\\", "/")).parts
    where = CASE_ROOT.joinpath(*parts)
    packages = [CASE_ROOT.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts))]
    module = ProjectIndex(CASE_ROOT, files=[where, *packages]).module_of(where)
    return FileContext(path=Path(path), relpath=path, module_name=module)


def run_source(
    data: bytes, steps: Sequence[CompiledStep], path: str
) -> tuple[bytes, list[str], str | None]:
    """(output, diagnostic messages, problem) for one in-memory file."""
    ctx = case_context(path)
    outcome = transform_source(data, steps, ctx, path)
    messages = [f"{d.kind}: {d.message}" for d in outcome.diagnostics]
    if outcome.status is Status.FAILED:
        return data, messages, f"{outcome.reason}: {outcome.detail}"
    if outcome.status is Status.SKIPPED and outcome.reason != "skipped by step":
        return data, messages, f"{outcome.reason}: {outcome.detail}"
    return (outcome.new if outcome.new is not None else data), messages, None


def check_case(
    case: Case, steps: Sequence[CompiledStep], recipe: Recipe | None = None
) -> CaseResult:
    if case.tree is not None:
        return _check_tree_case(case, steps, recipe)
    assert case.before is not None
    expected = case.after if case.after is not None else case.before
    out, messages, problem = run_source(case.before, steps, case.path)
    if problem:
        return CaseResult(case, False, problem, out, diagnostics=tuple(messages))
    if out != expected:
        return CaseResult(
            case, False, "output differs from expected", out, diagnostics=tuple(messages)
        )
    for wanted in case.expect_diagnostics:
        if not any(wanted in m for m in messages):
            return CaseResult(
                case,
                False,
                f"no diagnostic mentions {wanted!r}; got {messages}",
                out,
                diagnostics=tuple(messages),
            )
    again, _, problem = run_source(out, steps, case.path)
    if problem or again != out:
        return CaseResult(
            case,
            False,
            "second run changed the output again (not idempotent)",
            again,
            diagnostics=tuple(messages),
        )
    return CaseResult(case, True, actual=out, diagnostics=tuple(messages))


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".codemod_cache" not in p.parts
    }


def _apply_tree(root: Path, recipe: Recipe, steps: Sequence[CompiledStep]) -> list[str]:
    plan = make_plan(recipe, [root], unsafe=True)
    plan = type(plan)(plan.recipe, tuple(steps), (), plan.files, plan.root, plan.scan_roots)
    messages: list[str] = []
    for result in run(plan):
        messages += [f"{d.kind}: {d.message}" for d in result.diagnostics]
        if result.status is Status.FAILED:
            raise RuntimeError(f"{result.relpath}: {result.reason}: {result.detail}")
        write(result, plan.scan_roots)
    return messages


def _check_tree_case(
    case: Case, steps: Sequence[CompiledStep], recipe: Recipe | None
) -> CaseResult:
    assert case.tree is not None
    recipe = recipe or Recipe("case", "case", "case", "", tuple(steps))
    expected = read_tree(case.after_tree or case.tree)
    with tempfile.TemporaryDirectory(prefix="codemod-case-") as tmp:
        work = Path(tmp) / "tree"
        shutil.copytree(case.tree, work)
        try:
            messages = _apply_tree(work, recipe, steps)
        except RuntimeError as exc:
            return CaseResult(case, False, str(exc))
        actual = read_tree(work)
        if actual != expected:
            differing = sorted(
                k for k in set(actual) | set(expected) if actual.get(k) != expected.get(k)
            )
            return CaseResult(
                case,
                False,
                f"tree differs from expected in: {', '.join(differing)}",
                actual_tree=actual,
                diagnostics=tuple(messages),
            )
        for wanted in case.expect_diagnostics:
            if not any(wanted in m for m in messages):
                return CaseResult(
                    case,
                    False,
                    f"no diagnostic mentions {wanted!r}; got {messages}",
                    actual_tree=actual,
                    diagnostics=tuple(messages),
                )
        _apply_tree(work, recipe, steps)
        if read_tree(work) != actual:
            return CaseResult(case, False, "second run changed the tree again (not idempotent)")
    return CaseResult(case, True, actual_tree=actual, diagnostics=tuple(messages))


def load_case_dir(directory: Path) -> Case:
    """One case folder: before.py/after.py or before/after trees, plus optional case.yaml."""
    meta: dict[str, Any] = {}
    if (directory / "case.yaml").is_file():
        meta = yaml.safe_load((directory / "case.yaml").read_text(encoding="utf-8")) or {}
    path = meta.pop("path", None)
    expect = tuple(meta.pop("diagnostics", ()) or ())
    options = meta.pop("options", meta)
    if (directory / "before").is_dir():
        after = directory / "after"
        return Case(
            directory.name,
            tree=directory / "before",
            after_tree=after if after.is_dir() else None,
            options=options,
            expect_diagnostics=expect,
            source=directory,
        )
    before = directory / "before.py"
    after = directory / "after.py"
    return Case(
        directory.name,
        before=before.read_bytes(),
        after=after.read_bytes() if after.is_file() else None,
        path=path or f"{directory.name}.py",
        options=options,
        expect_diagnostics=expect,
        source=directory,
    )


def iter_case_dirs(directory: Path) -> Iterator[Path]:
    for child in sorted(directory.iterdir()):
        if child.is_dir() and ((child / "before.py").is_file() or (child / "before").is_dir()):
            yield child


def step_from_options(step_id: str, options: dict[str, Any]) -> list[CompiledStep]:
    step_type: type[Step[Any]] = all_steps()[step_id]
    return [CompiledStep(step_type(step_type.Options.model_validate(options)), step_id)]


def step_example_cases(step_type: type[Step[Any]]) -> Iterator[tuple[Case, list[CompiledStep]]]:
    for example in step_type.examples:
        case = Case(
            example.title,
            before=example.before.encode(),
            after=example.after.encode() if example.after is not None else None,
            path=example.path,
            options=example.options,
        )
        yield case, step_from_options(step_type.id, example.options)


def recipe_example_cases(recipe: Recipe) -> Iterator[Case]:
    for example in recipe.examples:
        yield Case(
            example.title,
            before=example.before.encode(),
            after=example.after.encode() if example.after is not None else None,
            path=example.path,
        )
