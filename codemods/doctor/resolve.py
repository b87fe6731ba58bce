"""Resolve a dotted name in a file to a project definition, and what that definition accepts.

``uec.UserExecutionContext.from_request`` in a file that did
``import pkg.services.user_execution_context as uec`` resolves to the classmethod
``from_request`` of class ``pkg.services.user_execution_context.UserExecutionContext``, with
the pattern LibCST's qualified names give for it (``pkg.services...UserExecutionContext.from_request``).
Whenever a step cannot be known for sure (rebound names, unknown bases or decorators), the
answer is ``None``: the checks then stay silent.
"""

from __future__ import annotations

from codemods.analysis.facts import DataField, ImportRef, ModuleFacts, Signature
from codemods.analysis.project import ProjectIndex, Target
from codemods.analysis.signatures import dataclass_signature

_TRANSPARENT_BASES = frozenset({"object", "ABC", "Generic", "Protocol"})
_TYPE_ATTRIBUTES = frozenset(dir(type))


class Resolver:
    """Resolves a dotted callee in a file to a project definition and its signature."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project

    def _root(self, facts: ModuleFacts, module: str, root: str) -> tuple[Target, str] | None:
        count = facts.bindings.get(root, 0)
        if count == 1 and (root in facts.classes or root in facts.functions):
            return Target("def", module, root), f"{module}.{root}"
        refs = [r for r in facts.imports if r.local == root and r.module_level and not r.star]
        if count == 0 or root in facts.defined or len(refs) != count:
            return None
        found = [self._import_root(ref, root) for ref in refs]
        if None in found or len({f[0] for f in found if f is not None}) != 1:
            return None  # imported twice, as two different things
        return found[0]

    def _import_root(self, ref: ImportRef, root: str) -> tuple[Target, str] | None:
        if ref.module is None:
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

    def resolve(
        self, facts: ModuleFacts, module: str, dotted: str, via: ImportRef | None = None
    ) -> tuple[Target, str] | None:
        """``via``: the import the binding model says the root refers to (any scope)."""
        parts = dotted.split(".")
        found = (
            self._import_root(via, parts[0])
            if via is not None
            else self._root(facts, module, parts[0])
        )
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
        self, facts: ModuleFacts, module: str, dotted: str, via: ImportRef | None = None
    ) -> tuple[str, str, Signature, bool] | None:
        found = self.resolve(facts, module, dotted, via)
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

    # -- class attributes ----------------------------------------------------------------------
    def class_has(self, module: str, name: str, attribute: str, depth: int = 0) -> bool | None:
        """Whether class ``module.name`` (or a base) binds ``attribute``; None: cannot know."""
        found = self._class(module, name)
        if found is None or depth > 20:
            return None
        cls = found[0].classes[name]
        if cls.opaque:
            return None
        if attribute in cls.attributes:
            return True
        if attribute.startswith("__") or attribute in _TYPE_ATTRIBUTES:
            return None
        if any(b.rsplit(".", 1)[-1] in _TRANSPARENT_BASES - {"object"} for b in cls.bases):
            return None  # ABC.register, Generic.__class_getitem__, ...
        bases = self._bases(module, name)
        if bases is None:
            return None
        for base in bases:
            base_facts = self._class(*base)
            if base_facts is None or "__init_subclass__" in base_facts[0].classes[base[1]].methods:
                return None
            verdict = self.class_has(*base, attribute, depth + 1)
            if verdict is not False:
                return verdict
        return False

    def awaitable_class(self, module: str, name: str, depth: int = 0) -> bool | None:
        """Whether instances of project class ``module.name`` can be awaited."""
        found = self._class(module, name)
        if found is None or depth > 20:
            return None
        cls = found[0].classes[name]
        if "__await__" in cls.attributes:
            return True
        bases = self._bases(module, name)
        if bases is None or cls.opaque:
            return None
        for base in bases:
            verdict = self.awaitable_class(*base, depth + 1)
            if verdict is not False:
                return verdict
        return False
