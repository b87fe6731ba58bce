"""``codemod doctor``: find what breaks collection before pytest does, statically.

Nothing in the project is imported or run. Doctor asks the same
:class:`~codemods.analysis.project.ProjectIndex` the steps ask (module names, import roots,
name lookup, and each file's stdlib-``ast`` facts, parsed once on first use); its checks look
at the files under the given paths:

- :mod:`~codemods.doctor.check_imports`: project imports that do not resolve, and moves;
- :mod:`~codemods.doctor.check_calls`: keyword arguments a project callee does not accept;
- :mod:`~codemods.doctor.check_runtime`: renamed class attributes, awaits of sync functions;
- :mod:`~codemods.doctor.check_pytest`: async tests, async setup hooks, unregistered markers;
- files that do not parse, at the location ``compile()`` reports.

:func:`diagnose` returns a :class:`~codemods.doctor.findings.Report`;
:mod:`~codemods.doctor.recipe` turns its proposals into a recipe.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from codemods.analysis.modules import OPAQUE_SUFFIXES
from codemods.analysis.project import ProjectIndex, find_root
from codemods.doctor.check_calls import check_calls
from codemods.doctor.check_imports import check_imports
from codemods.doctor.check_pytest import check_pytest
from codemods.doctor.check_runtime import check_runtime
from codemods.doctor.findings import KINDS, Finding, Proposal, Report
from codemods.doctor.history import consult as consult_history
from codemods.engine.discover import discover

__all__ = ["KINDS", "Finding", "Proposal", "Report", "diagnose"]


def diagnose(paths: Sequence[Path], root: Path | None = None) -> Report:
    """Analyse the project around ``paths``; report problems in the files under ``paths``."""
    paths = list(paths) or [Path(".")]
    root = Path(os.path.abspath(root or find_root(paths)))
    found = {f.path for f in discover([root], root, extensions=(".py", *OPAQUE_SUFFIXES))}
    if [Path(os.path.abspath(p)) for p in paths] == [root]:
        in_scope = sorted(p for p in found if p.suffix == ".py")
    else:
        in_scope = sorted({f.path for f in discover(paths, root)})
    opaque = {p for p in found if p.name.endswith(OPAQUE_SUFFIXES)}
    project = ProjectIndex(root, [*(found - opaque), *in_scope], opaque)
    report = Report(root=str(root), files=len(in_scope))
    for path in in_scope:
        facts = project.facts_at(path)
        if facts.syntax_error is not None:
            line, column, message = facts.syntax_error
            report.findings.append(
                Finding(
                    "syntax-error",
                    facts.relpath,
                    line,
                    column,
                    message,
                    fix="not fixable by a recipe: repair the file by hand",
                )
            )
    check_imports(project, in_scope, report)
    check_calls(project, in_scope, report)
    check_runtime(project, in_scope, report)
    check_pytest(project, in_scope, report)
    consult_history(report, root, project)
    report.sort()
    report.link_fixes()
    return report
