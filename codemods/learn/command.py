"""What ``codemod learn`` does between parsing flags and exiting (the CLI stays thin)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from codemods.errors import CodemodError, ExitCode
from codemods.output import Output


def run_learn(
    *,
    paths: Sequence[str],
    commit: str | None,
    pairs: Sequence[str],
    api: str | None,
    package: str | None,
    output: Path | None,
    fmt: str,
    repo: Path,
    out: Output,
) -> int:
    if fmt not in ("text", "json"):
        raise CodemodError(f"--format must be text or json, not {fmt!r}")
    chosen = [
        name for name, value in (("--commit", commit), ("--pair", pairs), ("--api", api)) if value
    ]
    if len(chosen) != 1:
        raise CodemodError(
            "give exactly one source of evidence: --commit REV (or A..B), --pair BEFORE:AFTER, "
            "or --api OLD..NEW" + (f" (got {', '.join(chosen)})" if chosen else ""),
            hint="e.g. `codemod learn --commit HEAD tests/` after fixing a few files by hand",
        )
    if output is not None:
        from codemods.doctor.recipe import check_recipe_path

        check_recipe_path(output)
    if api:
        from codemods.learn.api import learn_api

        report = learn_api(repo, api, package)
        data = report.as_json()
        recipe, summary = report.recipe, report.summary()
        code = ExitCode.OK if report.proposals else ExitCode.CHANGES_PENDING
    else:
        from codemods.learn import examples, git
        from codemods.learn.from_examples import learn

        if commit:
            root = git.repo_root(repo)
            rel = [_relative(p, root) for p in paths]
            evidence = examples.from_git(root, commit, rel)
        else:
            root = repo.resolve()
            evidence = examples.from_files(pairs, root)
        if not evidence.pairs and not evidence.renamed_modules:
            raise CodemodError(
                f"{evidence.description} changes no Python file learn can read",
                hint="give the commit that made the fix by hand (or limit it to those paths)",
                exit_code=ExitCode.CHANGES_PENDING,
            )
        learned = learn(evidence, root)
        data = learned.as_json()
        recipe = learned.recipe
        summary = _summary(learned)
        code = ExitCode.OK if learned.steps else ExitCode.CHANGES_PENDING
    if output is not None and recipe is not None:
        output.write_text(recipe, encoding="utf-8")
        data["written"] = str(output)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif recipe is not None and output is None:
        sys.stdout.write(recipe)
    sys.stdout.flush()
    for line in summary:
        out.err.print(line, markup=False, highlight=False, soft_wrap=True)
    if output is not None and recipe is not None:
        out.err.print(f"wrote {output}", markup=False, highlight=False)
    return code


def _relative(path: str, root: Path) -> str:
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(root).as_posix() or "."
    except ValueError:
        raise CodemodError(f"{path} is outside the repository {root}") from None


def _summary(learned: object) -> list[str]:
    from codemods.learn.from_examples import Learned

    assert isinstance(learned, Learned)
    evaluation = learned.selection.evaluation
    assert evaluation is not None
    total = sum(len(f.expected) for f in evaluation.files)
    lines = [
        f"learned {len(learned.steps)} step(s) from {learned.evidence.description}: "
        f"{len(evaluation.explained)} of {total} hunks explained exactly, "
        f"{len(learned.unexplained)} not explained"
    ]
    if evaluation.reordered:
        lines.append(
            f"  reproduced up to import order (the recipe writes imports in isort's order, the hand "
            f"fix did not): "
            f"{', '.join(evaluation.reordered)}"
        )
    for h in learned.unexplained:
        lines.append(f"  not explained: {h.location()}")
        lines += [f"    {t}" for t in h.text().splitlines()[:6]]
    for other in learned.evidence.others or ():
        lines.append(f"  not read: {other}")
    for c, why in learned.selection.rejected:
        first, *rest = why.splitlines() or [""]
        lines.append(f"  rejected {c.describe()}: {first}")
        lines += [f"    {t}" for t in rest[:6]]  # the lines the step made differently
    return lines
