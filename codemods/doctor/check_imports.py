"""Imports of project modules and names that do not resolve, and where the names went.

A missing name is "moved" when exactly one other project module defines it (``def``,
``class`` or an assignment; test files are never targets). Several candidates, or none, are
reported as comments in the recipe: doctor does not guess.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from codemods.analysis.facts import ImportRef, ModuleFacts
from codemods.analysis.project import ProjectIndex
from codemods.doctor.findings import Finding, Proposal, Report


@dataclass
class _Need:
    """Every place that needs ``module.name`` (module missing, or name missing in it)."""

    module_missing: bool
    evidence: list[str] = field(default_factory=list)
    plain_import: bool = False


def check_imports(project: ProjectIndex, paths: Iterable[Path], report: Report) -> None:
    needs: dict[tuple[str, str], _Need] = {}
    bare_modules: dict[str, list[str]] = {}  # missing modules imported with no name used
    for path in paths:
        facts = project.facts_at(path)
        if facts.syntax_error is not None:
            continue
        missing: dict[tuple[int, int, str], list[str]] = {}  # one finding per statement
        for ref in facts.imports:
            if ref.star and ref.module is not None and project.exists(ref.module):
                continue
            why = _left_alone(project, facts, ref)
            if why is not None:
                _mention(project, facts, ref, why, report)
            elif not ref.guarded:
                _check_ref(project, facts, ref, report, needs, bare_modules, missing)
        for target, line, column in facts.path_strings:
            _check_path_string(project, facts, target, line, column, report, needs)
        for (line, column, module), names in missing.items():
            what = f" (importing {', '.join(f'`{n}`' for n in names)})" if names else ""
            report.findings.append(
                Finding(
                    "missing-module",
                    facts.relpath,
                    line,
                    column,
                    f"No module named '{module}'{what}",
                )
            )
    _propose(project, needs, bare_modules, report)


def _resolves(project: ProjectIndex, ref: ImportRef) -> bool:
    """Whether ``ref`` imports something that exists (in the project, or outside it)."""
    if ref.module is None:
        return False
    if not ref.spelled.startswith(".") and not project.in_project(ref.module):
        return True  # not ours to judge: an installed package or the stdlib
    if not project.exists(ref.module):
        return False
    return ref.name is None or ref.star or project.lookup(ref.module, ref.name).kind != "missing"


def _left_alone(project: ProjectIndex, facts: ModuleFacts, ref: ImportRef) -> str | None:
    """Why the move steps leave ``ref`` alone as an alternative import (the binding model's
    branches), or None: a fallback branch (``except ImportError:``, the ``else:`` of
    ``if sys.version_info`` / ``TYPE_CHECKING``), or a branch whose sibling branch imports the
    same name from the one module that defines it (where a proposed move would point it: the
    step then leaves it alone as "already imports the new path")."""
    if ref.alternative is None:
        return None
    group, branch, kind = ref.alternative
    kind_text = "try/except ImportError" if kind == "try" else "if/else"
    definers = [d for d in project.definers(ref.name) if d != ref.module] if ref.name else []
    new = definers[0] if len(definers) == 1 else None  # where a proposal would point it
    if new is not None and any(
        other.alternative is not None
        and other.alternative[0] == group
        and other.alternative[1] != branch
        and other.local == ref.local
        and other.module is not None
        and (other.module == new or other.module.startswith(new + "."))
        and _resolves(project, other)
        for other in facts.imports
    ):
        return f"another branch of this {kind_text} already imports the new path"
    return f"the fallback branch of a {kind_text}" if branch > 0 else None


def _mention(
    project: ProjectIndex, facts: ModuleFacts, ref: ImportRef, why: str, report: Report
) -> None:
    """What ``_check_ref`` would find for ``ref``, listed as mentions (not problems, no step)."""
    scratch = Report(report.root)
    missing: dict[tuple[int, int, str], list[str]] = {}
    _check_ref(project, facts, ref, scratch, {}, {}, missing)
    found = list(scratch.findings)
    for (line, column, module), names in missing.items():
        what = f" (importing {', '.join(f'`{n}`' for n in names)})" if names else ""
        found.append(
            Finding(
                "missing-module", facts.relpath, line, column, f"No module named '{module}'{what}"
            )
        )
    for finding in found:
        report.add_mention(
            Finding(
                finding.kind,
                finding.file,
                finding.line,
                finding.column,
                finding.message,
                fix=f"alternative import left alone ({why})",
            )
        )


def _missing_prefix(project: ProjectIndex, module: str) -> str:
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if not project.exists(prefix):
            return prefix
    return module


def _check_ref(
    project: ProjectIndex,
    facts: ModuleFacts,
    ref: ImportRef,
    report: Report,
    needs: dict[tuple[str, str], _Need],
    bare: dict[str, list[str]],
    missing_modules: dict[tuple[int, int, str], list[str]],
) -> None:
    where = f"{facts.relpath}:{ref.line}"
    if ref.module is None:
        report.findings.append(
            Finding(
                "missing-module",
                facts.relpath,
                ref.line,
                ref.column,
                f"relative import `{ref.spelled}` goes beyond the top-level package",
            )
        )
        return
    if not ref.spelled.startswith(".") and not project.in_project(ref.module):
        return
    if not project.exists(ref.module):
        missing = _missing_prefix(project, ref.module)
        names = _names_used(facts, ref)
        listed = missing_modules.setdefault((ref.line, ref.column, missing), [])
        if ref.name and not ref.star:
            listed.append(ref.name)
        if not names:
            bare.setdefault(ref.module, []).append(where)
        for name in names:
            need = needs.setdefault((ref.module, name), _Need(module_missing=True))
            need.evidence.append(where)
            need.plain_import |= ref.name is None
        return
    if ref.star:
        return
    if ref.name is None:  # `import pkg.mod as m` ... `m.Gone`: an AttributeError when used
        _check_attributes(project, facts, ref, ref.module, _prefix(ref), report, needs)
        return
    target = project.lookup(ref.module, ref.name)
    if target.kind == "module":  # `from pkg import mod` ... `mod.Gone`
        _check_attributes(project, facts, ref, target.module, f"{ref.local}.", report, needs)
    if target.kind != "missing":
        return
    report.findings.append(
        Finding(
            "missing-name",
            facts.relpath,
            ref.line,
            ref.column,
            f"cannot import name '{ref.name}' from '{ref.module}'",
        )
    )
    needs.setdefault((ref.module, ref.name), _Need(module_missing=False)).evidence.append(where)


def _check_attributes(
    project: ProjectIndex,
    facts: ModuleFacts,
    ref: ImportRef,
    module: str,
    prefix: str,
    report: Report,
    needs: dict[tuple[str, str], _Need],
) -> None:
    for name, line, column in _attribute_uses(facts, ref, prefix):
        if project.lookup(module, name).kind != "missing":
            continue
        report.findings.append(
            Finding(
                "missing-name",
                facts.relpath,
                line,
                column,
                f"module '{module}' has no attribute '{name}'",
            )
        )
        need = needs.setdefault((module, name), _Need(module_missing=False))
        need.evidence.append(f"{facts.relpath}:{line}")


def _prefix(ref: ImportRef) -> str:
    """How uses of the module a plain import binds start: ``m.`` or ``pkg.mod.``."""
    return f"{ref.local}." if ref.binds_leaf else f"{ref.module}."


def _check_path_string(
    project: ProjectIndex,
    facts: ModuleFacts,
    target: str,
    line: int,
    column: int,
    report: Report,
    needs: dict[tuple[str, str], _Need],
) -> None:
    """``patch("pkg.old_mod.Name")``: the module part must exist and define the name."""
    parts = target.split(".")
    if not project.in_project(parts[0]):
        return
    k = max((i for i in range(1, len(parts) + 1) if project.exists(".".join(parts[:i]))), default=0)
    if k == 0 or k == len(parts):
        return
    module, name = ".".join(parts[:k]), parts[k]
    if project.lookup(module, name).kind != "missing":
        return
    where = f"{facts.relpath}:{line}"
    if k + 1 < len(parts) and name.islower() and parts[k + 1][:1].isupper():
        missing_module = f"{module}.{name}"  # `pkg.gone_mod.Name`: a module that is not there
        report.findings.append(
            Finding(
                "missing-module",
                facts.relpath,
                line,
                column,
                f"patch target '{target}': No module named '{missing_module}'",
            )
        )
        need = needs.setdefault((missing_module, parts[k + 1]), _Need(module_missing=True))
    else:
        report.findings.append(
            Finding(
                "missing-name",
                facts.relpath,
                line,
                column,
                f"patch target '{target}': module '{module}' has no attribute '{name}'",
            )
        )
        need = needs.setdefault((module, name), _Need(module_missing=False))
    need.evidence.append(where)


def _attribute_uses(facts: ModuleFacts, ref: ImportRef, prefix: str) -> list[tuple[str, int, int]]:
    """``(name, line, column)`` of each ``<prefix>name`` use in the file whose root refers to
    the binding ``ref`` makes (the binding model's answer)."""
    return [
        (chain[len(prefix) :].split(".")[0], line, column)
        for chain, line, column, via in facts.chains
        if chain.startswith(prefix) and _same_binding(via, ref)
    ]


def _same_binding(via: ImportRef, ref: ImportRef) -> bool:
    if via == ref:
        return True
    # `import a.b` and `import a.c` both bind `a` to the package `a`
    return (
        via.name is None
        and ref.name is None
        and not via.binds_leaf
        and not ref.binds_leaf
        and via.local == ref.local
    )


def _names_used(facts: ModuleFacts, ref: ImportRef) -> list[str]:
    """The names a file takes from the module ``ref`` imports."""
    if ref.star:
        return []
    if ref.name is not None:
        return [ref.name]
    return list(dict.fromkeys(name for name, _l, _c in _attribute_uses(facts, ref, _prefix(ref))))


def _propose(
    project: ProjectIndex,
    needs: dict[tuple[str, str], _Need],
    bare: dict[str, list[str]],
    report: Report,
) -> None:
    targets: dict[tuple[str, str], str | None] = {}
    for (module, name), need in needs.items():
        definers = [d for d in project.definers(name) if d != module]
        if len(definers) == 1:
            targets[(module, name)] = definers[0]
            continue
        targets[(module, name)] = None
        if definers:
            reason = (
                f"`{module}.{name}` is missing and `{name}` is defined in {len(definers)} modules "
                f"({', '.join(definers)}): pick one and add a `rename_symbol` step"
            )
        else:
            reason = f"`{module}.{name}` is missing and no project module defines `{name}`"
            facts = project.facts_of(module)
            close = difflib.get_close_matches(name, sorted(facts.defined), n=1) if facts else []
            if close:
                reason += (
                    f"; `{module}` defines `{close[0]}`: if it was renamed, add a `rename_symbol` "
                    f"step (old: {module}.{name}, new: {module}.{close[0]})"
                )
            else:
                reason += ": restore it or remove the imports by hand"
        subject = ("module", module) if need.module_missing else ("name", module, name)
        report.add_proposal(Proposal(None, {}, reason, need.evidence, subject=subject))
    for module in sorted({m for (m, _n), need in needs.items() if need.module_missing}):
        names = sorted(n for (m, n) in needs if m == module)
        found = {targets[(module, n)] for n in names}
        evidence = [e for n in names for e in needs[(module, n)].evidence]
        same_leaf = {t.rsplit(".", 1)[-1] for t in found if t} == {module.rsplit(".", 1)[-1]}
        if len(found) == 1 and None not in found and (same_leaf or len(names) > 1):
            (new,) = found
            assert new is not None
            report.add_proposal(
                Proposal(
                    "rename_module",
                    {"old": module, "new": new},
                    f"module `{module}` does not exist; everything imported from it "
                    f"({', '.join(names)}) is defined in `{new}`",
                    evidence + bare.pop(module, []),
                    subject=("module", module),
                )
            )
            for n in names:
                targets[(module, n)] = None  # handled as a module move
    for (module, name), new_module in sorted(targets.items()):
        if new_module is None:
            continue
        need = needs[(module, name)]
        why = "does not exist" if need.module_missing else f"does not define `{name}`"
        report.add_proposal(
            Proposal(
                "rename_symbol",
                {"old": f"{module}.{name}", "new": f"{new_module}.{name}"},
                f"`{module}` {why}; `{name}` is defined only in `{new_module}`",
                need.evidence,
                subject=("module", module) if need.module_missing else ("name", module, name),
            )
        )
    for module, evidence in sorted(bare.items()):
        report.add_proposal(
            Proposal(
                None,
                {},
                f"module `{module}` does not exist and no name used from it tells where it went",
                evidence,
                subject=("module", module),
            )
        )
