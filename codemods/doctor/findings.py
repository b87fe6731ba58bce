"""What doctor reports: findings (one problem at one place) and proposals (a recipe step)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: Kinds in report order, with the heading shown in the summary.
KINDS: dict[str, str] = {
    "syntax-error": "files that do not parse",
    "missing-module": "imports of project modules that do not exist",
    "missing-name": "imports of names a project module does not define",
    "unexpected-keyword": "keyword arguments the callee does not accept",
    "missing-attribute": "class attributes that do not exist (renamed methods)",
    "await-not-awaitable": "awaits of project functions that are not async",
    "async-test-not-run": "async tests strict-mode pytest-asyncio will not run",
    "await-in-sync-test": "sync tests that await (SyntaxError)",
    "async-setup-method": "async setup/teardown methods pytest never awaits",
    "unregistered-marker": "pytest markers not registered in the effective config",
}


def step_order() -> tuple[str, ...]:
    """Step ids in the order a recipe runs them: by each step's ``order``, then by id."""
    from codemods.steps import all_steps

    steps = all_steps()
    return tuple(sorted(steps, key=lambda step_id: (steps[step_id].order, step_id)))


@dataclass(frozen=True)
class Finding:
    kind: str
    file: str
    line: int | None
    column: int | None
    message: str
    fix: str | None = None  # one line: what the written recipe does about it, or why not

    def location(self) -> str:
        out = self.file
        if self.line:
            out += f":{self.line}"
            if self.column:
                out += f":{self.column}"
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class Proposal:
    """One recipe step (``step`` set) or one comment for a case that must not be guessed."""

    step: str | None
    options: dict[str, Any]
    reason: str
    evidence: list[str] = field(default_factory=list)
    #: What a check looked for, for the history lookup (codemods.doctor.history):
    #: ("keyword", callee, old, *patterns), ("module", dotted) or ("name", module, name).
    subject: tuple[str, ...] = ()

    def key(self) -> tuple[str | None, str]:
        return (self.step, repr(sorted(self.options.items())) if self.step else self.reason)


@dataclass
class Report:
    root: str
    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What would be a problem but is an alternative import the steps leave alone (the
    #: fallback branch of ``try/except ImportError``, ``if sys.version_info``, ...): listed,
    #: never counted, never a proposal; ``fix`` says why (the steps' mention, word for word).
    mentions: list[Finding] = field(default_factory=list)

    def add_mention(self, mention: Finding) -> None:
        if mention not in self.mentions:
            self.mentions.append(mention)

    def add_proposal(self, proposal: Proposal) -> None:
        """Merge proposals for the same step and options (their evidence adds up)."""
        for existing in self.proposals:
            if existing.key() == proposal.key():
                existing.evidence.extend(e for e in proposal.evidence if e not in existing.evidence)
                return
        # One import statement naming several missing names is one place, not several.
        proposal.evidence = list(dict.fromkeys(proposal.evidence))
        self.proposals.append(proposal)

    def sort(self) -> None:
        """Findings by kind then place; steps in recipe order, then the comments."""
        kinds = list(KINDS)
        self.findings.sort(key=lambda f: (kinds.index(f.kind), f.file, f.line or 0, f.column or 0))
        self.mentions.sort(key=lambda f: (f.file, f.line or 0, f.column or 0))
        rank = {step: i for i, step in enumerate(step_order())}
        self.proposals.sort(key=lambda p: rank.get(p.step, len(rank)) if p.step else len(rank) + 1)

    def link_fixes(self) -> None:
        """Tell each finding what the recipe does about it (by matching evidence places)."""
        fixes: dict[str, str] = {}
        for proposal in self.proposals:
            if proposal.step is None:
                text = "left for a person: " + proposal.reason
            else:
                options = ", ".join(f"{k}={v}" for k, v in proposal.options.items())
                text = f"{proposal.step}" + (f" ({options})" if options else "")
            for place in proposal.evidence:
                fixes.setdefault(place, text)
        self.findings = [
            f if f.fix else replace(f, fix=fixes.get(f"{f.file}:{f.line}", "no fix proposed"))
            for f in self.findings
        ]

    def counts(self) -> dict[str, int]:
        out = {kind: 0 for kind in KINDS}
        for finding in self.findings:
            out[finding.kind] = out.get(finding.kind, 0) + 1
        return {k: v for k, v in out.items() if v}

    def as_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files": self.files,
            "counts": self.counts(),
            "findings": [f.as_json() for f in self.findings],
            "proposals": [
                {"step": p.step, "options": p.options, "reason": p.reason, "evidence": p.evidence}
                for p in self.proposals
            ],
            "notes": self.notes,
            "mentions": [m.as_json() for m in self.mentions],
        }
