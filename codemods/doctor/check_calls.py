"""Keyword arguments that a project class or function does not accept.

The callee is resolved through the calling file's imports (aliases, module attributes,
re-exports, classmethods). Its signature comes from ``__init__``, dataclass fields
(inherited ones too) or the ``def``; anything doctor cannot know for sure (``**kwargs``,
unknown decorators or base classes, metaclasses, ``__new__``) is never reported.

A rename is proposed when every failing call points at the same parameter: the only required
parameter the call leaves out (``session_id`` -> ``request_id``), or a close spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from codemods.analysis.facts import CallSite, ModuleFacts, Signature
from codemods.analysis.project import ProjectIndex
from codemods.doctor.findings import Finding, Proposal, Report
from codemods.doctor.resolve import Resolver


@dataclass
class _Group:
    candidates: set[str] | None = None
    patterns: set[str] = field(default_factory=set)
    evidence: list[str] = field(default_factory=list)


def check_calls(project: ProjectIndex, paths: Iterable[Path], report: Report) -> None:
    resolver = Resolver(project)
    groups: dict[tuple[str, str], _Group] = {}
    for path in paths:
        facts = project.facts_at(path)
        if facts.syntax_error is not None:
            continue
        module = project.module_of(path)
        for call in facts.calls:
            if call.shadowed:
                continue
            resolved = resolver.callee(facts, module, call.callee, call.via)
            if resolved is None:
                continue
            target, pattern, sig, drop_first = resolved
            _check_call(facts, call, target, pattern, sig, drop_first, report, groups)
    for (target, old), group in sorted(groups.items()):
        short = target.rsplit(".", 1)[-1]
        if group.candidates is not None and len(group.candidates) == 1:
            (new,) = group.candidates
            report.add_proposal(
                Proposal(
                    "rename_kwarg",
                    {"callables": sorted(group.patterns), "old": old, "new": new},
                    f"`{target}` does not accept `{old}`; `{new}` is the parameter every such "
                    "call leaves out",
                    group.evidence,
                    subject=("keyword", target, old, *sorted(group.patterns)),
                )
            )
        else:
            options = ", ".join(sorted(group.candidates or ())) or "none that looks similar"
            report.add_proposal(
                Proposal(
                    None,
                    {},
                    f"`{short}(..., {old}=...)`: `{target}` does not accept `{old}` and the "
                    f"replacement is not clear (candidates: {options}); rename or remove it by hand",
                    group.evidence,
                    subject=("keyword", target, old, *sorted(group.patterns)),
                )
            )


def _check_call(
    facts: ModuleFacts,
    call: CallSite,
    target: str,
    pattern: str,
    sig: Signature,
    drop_first: bool,
    report: Report,
    groups: dict[tuple[str, str], _Group],
) -> None:
    if sig.var_kw:
        return
    positional = list(sig.positional[1:] if drop_first else sig.positional)
    accepted = set(sig.keywords) - (set(sig.positional[:1]) if drop_first else set())
    unexpected = [k for k in call.keywords if k not in accepted]
    if not unexpected:
        return
    filled = set(call.keywords) | (
        set(positional) if call.star_args else set(positional[: call.positional])
    )
    free = accepted - filled
    required_missing = set() if call.star_kwargs else (set(sig.required) & free)
    if sig.kind in ("classmethod", "staticmethod"):
        short = ".".join(target.split(".")[-2:])
    elif drop_first:
        short = f"{target.rsplit('.', 1)[-1]}.__init__"
    else:
        short = target.rsplit(".", 1)[-1]
    for old in unexpected:
        if len(required_missing) == 1:
            candidates = set(required_missing)
        else:
            pool = sorted(required_missing or free)
            candidates = set(difflib.get_close_matches(old, pool, n=3, cutoff=0.6))
        hint = f"; did you mean `{sorted(candidates)[0]}`?" if len(candidates) == 1 else ""
        report.findings.append(
            Finding(
                "unexpected-keyword",
                facts.relpath,
                call.line,
                call.column,
                f"{short}() got an unexpected keyword argument '{old}' "
                f"(`{target}`, defined at line {sig.line}){hint}",
            )
        )
        group = groups.setdefault((target, old), _Group())
        group.patterns.add(pattern)
        group.evidence.append(f"{facts.relpath}:{call.line}")
        if call.star_kwargs and not candidates:
            continue  # nothing learnt from this call
        group.candidates = candidates if group.candidates is None else group.candidates & candidates
