"""Attribute uses that fail when the test runs: ``Cls.renamed_method`` and ``await sync()``.

- ``UserExecutionContext.create_for_user(...)`` after the classmethod became ``from_request``:
  a class attribute no class in the (fully known) hierarchy binds;
- ``await get_websocket_manager(...)`` after the function became synchronous: an ``await`` of
  a project ``def`` whose return annotation names only things that cannot be awaited.

Both are reported for a person: no step type removes an ``await`` or guesses a new name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from codemods.analysis.facts import ModuleFacts, Signature
from codemods.analysis.project import ProjectIndex
from codemods.doctor.findings import Finding, Proposal, Report
from codemods.doctor.resolve import Resolver

_NOT_AWAITABLE = frozenset(
    {
        "None",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "Optional",
        "Union",
        "Dict",
        "List",
        "Tuple",
        "Set",
        "typing.Optional",
        "typing.Union",
    }
)


def check_runtime(project: ProjectIndex, paths: Iterable[Path], report: Report) -> None:
    resolver = Resolver(project)
    for path in paths:
        facts = project.facts_at(path)
        if facts.syntax_error is not None:
            continue
        module = project.module_of(path)
        _class_attributes(resolver, facts, module, report)
        _awaits(resolver, facts, module, report)


def _class_attributes(resolver: Resolver, facts: ModuleFacts, module: str, report: Report) -> None:
    reported: set[tuple[str, int]] = set()
    for chain, line, column, via in facts.chains:
        parts = chain.split(".")
        for k in range(1, len(parts)):
            found = resolver.resolve(facts, module, ".".join(parts[:k]), via)
            if found is None or found[0].kind not in ("module", "def"):
                break
            target = found[0]
            if target.kind == "module":
                continue
            owner = resolver.project.facts_of(target.module)
            if owner is None or target.name not in owner.classes:
                break
            attribute = parts[k]
            if (chain, line) in reported:
                break
            if resolver.class_has(target.module, target.name, attribute) is False:
                reported.add((chain, line))
                cls = owner.classes[target.name]
                close = difflib.get_close_matches(attribute, sorted(cls.attributes), n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                report.findings.append(
                    Finding(
                        "missing-attribute",
                        facts.relpath,
                        line,
                        column,
                        f"type object '{target.name}' has no attribute '{attribute}' "
                        f"(`{target.module}.{target.name}`, line {cls.line}){hint}",
                    )
                )
                report.add_proposal(
                    Proposal(
                        None,
                        {},
                        f"`{target.name}.{attribute}` does not exist on "
                        f"`{target.module}.{target.name}`"
                        + (f" (closest: `{close[0]}`)" if close else "")
                        + ": if it was renamed, add a `rename_symbol` step for "
                        f"`*.{target.name}.{attribute}`",
                        [f"{facts.relpath}:{line}"],
                    )
                )
            break


def _awaits(resolver: Resolver, facts: ModuleFacts, module: str, report: Report) -> None:
    for site in facts.awaits:
        if site.shadowed:
            continue
        found = resolver.resolve(facts, module, site.callee, site.via)
        if found is None:
            continue
        target = found[0]
        sig: Signature | None = None
        owner_module = target.module
        if target.kind == "def":
            owner = resolver.project.facts_of(target.module)
            sig = owner.functions.get(target.name) if owner is not None else None
        elif target.kind == "method":
            owner_module, _, cls = target.module.rpartition(".")
            sig = resolver.method(owner_module, cls, target.name)
            if sig is not None and sig.kind not in ("classmethod", "staticmethod"):
                sig = None
        if sig is None or sig.opaque or sig.is_async or sig.returns is None:
            continue
        if not _never_awaitable(resolver, owner_module, sig):
            continue
        qualified = f"{target.module}.{target.name}"
        report.findings.append(
            Finding(
                "await-not-awaitable",
                facts.relpath,
                site.line,
                site.column,
                f"`{site.callee}(...)` is awaited but `{qualified}` is a plain `def` returning "
                f"{' | '.join(sig.returns)} (line {sig.line}): TypeError when the test runs",
            )
        )
        report.add_proposal(
            Proposal(
                None,
                {},
                f"`{qualified}` is no longer async: remove the `await` in front of its calls "
                "(no step type does this yet)",
                [f"{facts.relpath}:{site.line}"],
            )
        )


def _never_awaitable(resolver: Resolver, module: str, sig: Signature) -> bool:
    owner = resolver.project.facts_of(module)
    if owner is None or sig.returns is None:
        return False
    for name in sig.returns:
        if name in _NOT_AWAITABLE:
            continue
        found = resolver.resolve(owner, module, name)
        if (
            found is None
            or found[0].kind != "def"
            or found[0].name not in ((resolver.project.facts_of(found[0].module) or owner).classes)
        ):
            return False
        if resolver.awaitable_class(found[0].module, found[0].name) is not False:
            return False
    return True
