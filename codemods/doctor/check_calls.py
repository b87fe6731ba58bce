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

from codemods.doctor.facts import CallSite, DataField, ModuleFacts, Signature
from codemods.doctor.findings import Finding, Proposal, Report
from codemods.doctor.index import ProjectModel, Target
from codemods.doctor.signatures import dataclass_signature

_TRANSPARENT_BASES = frozenset({"object", "ABC", "Generic", "Protocol"})


@dataclass
class _Group:
    candidates: set[str] | None = None
    patterns: set[str] = field(default_factory=set)
    evidence: list[str] = field(default_factory=list)


def check_calls(project: ProjectModel, paths: Iterable[Path], report: Report) -> None:
    resolver = _Resolver(project)
    groups: dict[tuple[str, str], _Group] = {}
    for path in paths:
        facts = project.facts[path]
        if facts.syntax_error is not None:
            continue
        module = project.module_of(path)
        for call in facts.calls:
            if call.shadowed:
                continue
            resolved = resolver.callee(facts, module, call.callee)
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


class _Resolver:
    """Resolves a dotted callee in a file to a project definition and its signature."""

    def __init__(self, project: ProjectModel) -> None:
        self.project = project

    def _root(self, facts: ModuleFacts, module: str, root: str) -> tuple[Target, str] | None:
        if facts.bindings.get(root) != 1:
            return None
        if root in facts.classes or root in facts.functions:
            return Target("def", module, root), f"{module}.{root}"
        ref = self.project.module_binding(facts, root)
        if ref is None or ref.module is None:
            return None
        if ref.name is None:
            return Target("module", ref.module if ref.binds_leaf else root), (
                ref.module if ref.binds_leaf else root
            )
        spelled = ref.spelled + ("" if ref.spelled.endswith(".") else ".") + ref.name
        if spelled.startswith("."):
            spelled = "*." + spelled.lstrip(".")
        if not self.project.in_project(ref.module):
            return None
        return self.project.lookup(ref.module, ref.name), spelled

    def resolve(self, facts: ModuleFacts, module: str, dotted: str) -> tuple[Target, str] | None:
        parts = dotted.split(".")
        found = self._root(facts, module, parts[0])
        if found is None:
            return None
        target, spelled = found
        for part in parts[1:]:
            spelled += f".{part}"
            if target.kind == "module":
                target = self.project.lookup(target.module, part)
            elif target.kind == "def" and part == parts[-1]:
                return Target("method", f"{target.module}.{target.name}", part), spelled
            else:
                return None
        return target, spelled

    def callee(
        self, facts: ModuleFacts, module: str, dotted: str
    ) -> tuple[str, str, Signature, bool] | None:
        found = self.resolve(facts, module, dotted)
        if found is None:
            return None
        target, spelled = found
        if target.kind == "method":
            owner_module, _, owner = target.module.rpartition(".")
            sig = self.method(owner_module, owner, target.name)
            if sig is None or sig.kind not in ("classmethod", "staticmethod"):
                return None
            return f"{target.module}.{target.name}", spelled, sig, sig.kind == "classmethod"
        if target.kind != "def":
            return None
        owner_facts = self.project.facts_of(target.module)
        if owner_facts is None:
            return None
        qualified = f"{target.module}.{target.name}"
        if target.name in owner_facts.functions:
            sig = owner_facts.functions[target.name]
            return None if sig.opaque else (qualified, spelled, sig, False)
        init = self.init(target.module, target.name, 0)
        return None if init is None else (qualified, spelled, init, True)

    # -- classes -----------------------------------------------------------------------------
    def _class(self, module: str, name: str) -> tuple[ModuleFacts, str] | None:
        facts = self.project.facts_of(module)
        if facts is None or name not in facts.classes:
            return None
        return facts, module

    def _bases(self, module: str, name: str) -> list[tuple[str, str]] | None:
        """Project base classes as (module, name); None when one is unknown."""
        found = self._class(module, name)
        if found is None:
            return None
        facts, _ = found
        out = []
        for base in facts.classes[name].bases:
            if base.rsplit(".", 1)[-1] in _TRANSPARENT_BASES:
                continue
            resolved = self.resolve(facts, module, base) if base else None
            if resolved is None or resolved[0].kind != "def":
                return None
            target = resolved[0]
            if self._class(target.module, target.name) is None:
                return None
            out.append((target.module, target.name))
        return out

    def method(self, module: str, name: str, method: str, depth: int = 0) -> Signature | None:
        found = self._class(module, name)
        if found is None or depth > 20:
            return None
        cls = found[0].classes[name]
        if cls.opaque:
            return None
        if method in cls.methods:
            sig = cls.methods[method]
            return None if sig.opaque else sig
        bases = self._bases(module, name)
        if bases is None or len(bases) > 1:
            return None
        return self.method(*bases[0], method, depth + 1) if bases else None

    def fields(self, module: str, name: str, depth: int) -> list[DataField] | None:
        found = self._class(module, name)
        bases = self._bases(module, name)
        if found is None or bases is None or depth > 20:
            return None
        cls = found[0].classes[name]
        merged: dict[str, DataField] = {}
        for base in reversed(bases):
            base_cls = self.project.facts_of(base[0])
            if base_cls is not None and base_cls.classes[base[1]].dataclass:
                inherited = self.fields(*base, depth + 1)
                if inherited is None:
                    return None
                merged.update({f.name: f for f in inherited})
        merged.update({f.name: f for f in cls.fields})
        return list(merged.values())

    def init(self, module: str, name: str, depth: int) -> Signature | None:
        found = self._class(module, name)
        if found is None or depth > 20:
            return None
        cls = found[0].classes[name]
        if cls.opaque:
            return None
        if "__init__" in cls.methods:
            sig = cls.methods["__init__"]
            return None if sig.opaque else sig
        if cls.dataclass:
            fields = self.fields(module, name, depth)
            return None if fields is None else dataclass_signature(name, cls.line, fields)
        bases = self._bases(module, name)
        if bases is None or len(bases) > 1:
            return None
        if not bases:
            return Signature(name, cls.line, ("self",), frozenset(), frozenset(), kind="method")
        return self.init(*bases[0], depth + 1)
