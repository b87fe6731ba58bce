"""When doctor cannot name the fix, ask the git history of the definition's file.

Each check that gives up (a keyword the callee no longer accepts with no clear
replacement, a module that does not exist, a name a module no longer defines) leaves a
proposal with a ``subject`` saying what it looked for. :func:`consult` asks
:mod:`codemods.learn.history` (bounded: the last few hundred commits of that one file) and,
when the history shows the rename or move, replaces the comment with the step, its reason
naming the commit. A step doctor proposed on its own (a keyword rename, a module move, a
name defined in one other module) gets the commit as evidence too, or a warning when the
history says otherwise.

    # `pkg.ctx.UserContext` does not accept `session_id`; history: commit 1a2b3c4 (Rename
    # session_id) renamed the parameter to `request_id` (pkg/ctx.py:8)
    - rename_kwarg: ...
"""

from __future__ import annotations

from pathlib import Path

from codemods.analysis.project import ProjectIndex
from codemods.doctor.findings import Proposal, Report
from codemods.learn import history
from codemods.vcs import repo_top


def _definition(index: ProjectIndex, top: Path, dotted: str) -> tuple[str, str] | None:
    """``pkg.mod.Cls.meth`` -> (file relative to the repository, ``Cls.meth``)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        path = index.module_file(".".join(parts[:cut]))
        if path is not None:
            try:
                rel = path.resolve().relative_to(top).as_posix()
            except ValueError:
                return None
            return rel, ".".join(parts[cut:])
    return None


def consult(
    report: Report, root: Path, index: ProjectIndex | None = None, *, limit: int = history.LIMIT
) -> None:
    """Replace (or back) the proposals that have a ``subject`` with what the history shows."""
    if not any(p.subject for p in report.proposals):
        return
    top = repo_top(root)
    if top is None:
        return
    index = index or ProjectIndex(root)
    proposals, report.proposals = report.proposals, []
    for proposal in proposals:
        report.add_proposal(_consulted(proposal, index, top, limit))


def _consulted(proposal: Proposal, index: ProjectIndex, top: Path, limit: int) -> Proposal:
    subject = proposal.subject
    if not subject:
        return proposal
    kind = subject[0]
    if kind == "keyword":
        target, old = subject[1], subject[2]
        place = _definition(index, top, target)
        if place is None:
            return proposal
        found = history.renamed_parameter(top, place[0], place[1], old, limit=limit)
        if found is None:
            return proposal
        note = (
            f"history: {found.evidence()} renamed the parameter `{old}` to `{found.new}` "
            f"({found.where})"
        )
        if proposal.step == "rename_kwarg":
            if proposal.options.get("new") == found.new:
                proposal.reason += f"; {note}"
            else:
                proposal.reason += f"; but {note}: check which one is right"
            return proposal
        return Proposal(
            "rename_kwarg",
            {"callables": sorted(set(subject[3:]) or {target}), "old": old, "new": found.new},
            f"`{target}` does not accept `{old}`; {note}",
            proposal.evidence,
        )
    if kind == "module":
        module = subject[1]
        moved = history.moved_module(top, module, limit=limit)
        hops = 0
        while moved is not None and index.module_file(moved.new) is None and hops < 5:
            moved, hops = history.moved_module(top, moved.new, limit=limit), hops + 1
        if moved is None or index.module_file(moved.new) is None:
            return proposal
        note = f"history: {moved.evidence()} moved it to `{moved.new}` ({moved.where})"
        if proposal.step is not None:  # doctor's own rename_module or rename_symbol
            new = str(proposal.options.get("new", ""))
            agrees = new == moved.new or (
                proposal.step == "rename_symbol" and new.rpartition(".")[0] == moved.new
            )
            return _backed(proposal, note, agrees)
        return Proposal(
            "rename_module",
            {"old": module, "new": moved.new},
            f"module `{module}` does not exist; {note}",
            proposal.evidence,
        )
    if kind == "name":
        module, name = subject[1], subject[2]
        path = index.module_file(module)
        if path is None:
            return proposal
        try:
            rel = path.resolve().relative_to(top).as_posix()
        except ValueError:
            return proposal
        found = history.moved_name(top, rel, name, limit=limit)
        if found is None:
            return proposal
        new_module, _, new_name = found.new.rpartition(".")
        if not index.defines(new_module, new_name):
            return proposal
        note = (
            f"history: {found.evidence()} "
            + ("moved" if new_name == name else "renamed")
            + f" it to `{found.new}` ({found.where})"
        )
        if proposal.step is not None:
            return _backed(proposal, note, proposal.options.get("new") == found.new)
        return Proposal(
            "rename_symbol",
            {"old": f"{module}.{name}", "new": found.new},
            f"`{module}` does not define `{name}`; {note}",
            proposal.evidence,
        )
    return proposal


def _backed(proposal: Proposal, note: str, agrees: bool) -> Proposal:
    """A step doctor proposed on its own, with what the history says about it."""
    proposal.reason += f"; {note}" if agrees else f"; but {note}: check which one is right"
    return proposal
