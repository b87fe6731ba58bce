"""One stdlib ``ast`` pass over one file: everything the checks need, as :class:`ModuleFacts`.

The stdlib parser is used (not LibCST) because doctor reads every file of the project and
only needs facts, not a lossless tree; it is about ten times faster.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import replace
from pathlib import Path

from codemods.analysis.bindings import Binding, BindingModel, Use
from codemods.analysis.facts import (
    AwaitSite,
    CallSite,
    ImportRef,
    MarkUse,
    ModuleFacts,
)
from codemods.analysis.parse_pytest import PytestFacts
from codemods.analysis.signatures import class_facts, dotted, function_signature


def parse_file(
    path: Path,
    relpath: str,
    module: str,
    is_package: bool,
    python_functions: object = None,
    python_classes: object = None,
) -> ModuleFacts:
    """Facts of one file; ``module`` is its name (for relative imports), the two options are
    pytest's effective ``python_functions``/``python_classes`` (``None``: the defaults)."""
    facts = ModuleFacts(path=path, relpath=relpath)
    try:
        data = path.read_bytes()
    except OSError as exc:
        facts.syntax_error = (None, None, f"cannot read: {exc.strerror}")
        return facts
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data, filename=relpath)
    except SyntaxError as exc:
        facts.syntax_error = (exc.lineno, exc.offset, exc.msg)
        return facts
    except (ValueError, RecursionError) as exc:  # NUL bytes, absurd nesting
        facts.syntax_error = (None, None, str(exc) or type(exc).__name__)
        return facts
    try:
        model = BindingModel(tree, module, is_package=is_package)
    except RecursionError as exc:
        facts.syntax_error = (None, None, str(exc) or type(exc).__name__)
        return facts
    collector = _Collector(facts, module, is_package, model)
    collector.python_functions, collector.python_classes = python_functions, python_classes
    try:
        collector.visit(tree)
    finally:
        model.release()  # the facts are plain data: nothing asks the model again
    try:  # errors the parser accepts but the compiler does not ('await' outside async, ...)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree, relpath, "exec", dont_inherit=True)
    except SyntaxError as exc:
        if not any(t.awaits and t.line <= (exc.lineno or 0) <= t.end_line for t in facts.tests):
            facts.syntax_error = (exc.lineno, exc.offset, exc.msg)
    except (ValueError, RecursionError):
        pass
    return facts


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def _import_refs(model: BindingModel) -> tuple[list[ImportRef], dict[int, ImportRef]]:
    """One :class:`ImportRef` per name each import statement binds (stars included), in source
    order, and the ref of each import :class:`Binding` (by ``id``): the binding model decides
    what a statement binds, resolves relative imports and knows alternative branches."""
    refs: list[ImportRef] = []
    of_binding: dict[int, ImportRef] = {}
    for stmt in model.imports:
        node = stmt.node
        alt = stmt.alternative
        alternative = (alt.group, alt.branch, alt.kind) if alt is not None else None
        common = {
            "guarded": alt is not None and alt.kind == "try" and alt.branch == 0,
            "module_level": stmt.scope is model.module_scope,
            "alternative": alternative,
        }
        by_alias = {id(b.alias): b for b in stmt.bindings}
        for alias in node.names:
            if isinstance(node, ast.Import):
                ref = ImportRef(
                    node.lineno,
                    node.col_offset + 1,
                    alias.name,
                    None,
                    alias.asname or alias.name.split(".")[0],
                    alias.name,
                    binds_leaf=alias.asname is not None,
                    **common,  # type: ignore[arg-type]
                )
            else:
                ref = ImportRef(
                    node.lineno,
                    node.col_offset + 1,
                    stmt.module,
                    alias.name,
                    alias.asname or alias.name,
                    "." * node.level + (node.module or ""),
                    star=alias.name == "*",
                    **common,  # type: ignore[arg-type]
                )
            refs.append(ref)
            binding = by_alias.get(id(alias))
            if binding is not None:
                of_binding[id(binding)] = ref
    refs.sort(key=lambda r: (r.line, r.column))
    return refs, of_binding


class _Collector(PytestFacts, ast.NodeVisitor):
    def __init__(
        self, facts: ModuleFacts, module: str, is_package: bool, model: BindingModel
    ) -> None:
        self.f = facts
        self.module = module
        self.is_package = is_package
        self.model = model
        facts.imports, self._ref_of = _import_refs(model)
        self._stmt_of = {id(s.node): s for s in model.imports}
        #: the names each function or lambda binds, as the binding model scoped them
        self._locals = {
            id(sc.node): set(sc.bindings)
            for sc in model.scopes
            if sc.kind in ("function", "lambda")
        }
        self._uses: dict[tuple[int, int, str], Use] = {
            (u.line, u.col, u.name): u for u in model.uses if u.where == "code"
        }
        self.python_functions: object = None
        self.python_classes: object = None
        self.scopes: list[set[str]] = []  # function locals, innermost last (pytest facts)
        self.classes: list[tuple[str, frozenset[str]]] = []  # (name, marks)
        self.pytest_names: set[str] = set()  # local names of `pytest`
        self.mark_names: set[str] = set()  # local names of `pytest.mark`
        self.module_marks: frozenset[str] = frozenset()

    # -- bindings --------------------------------------------------------------------------
    @property
    def module_scope(self) -> bool:
        return not self.scopes and not self.classes

    def bind(self, name: str, defined: bool = True) -> None:
        if name == "__path__":
            self.f.extends_path = True
        if self.module_scope:
            self.f.bindings[name] = self.f.bindings.get(name, 0) + 1
            if defined:
                self.f.defined.add(name)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for name in _target_names(target):
                self.bind(name)
                if name == "__all__" and self.module_scope:
                    self._set_all(node.value, extend=False)
                elif name == "pytestmark":
                    self._pytestmark(node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            for name in _target_names(node.target):
                self.bind(name)
                if name == "__all__" and self.module_scope:
                    self._set_all(node.value, extend=False)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        for name in _target_names(node.target):
            self.bind(name)
            if name == "__all__" and self.module_scope:
                self._set_all(node.value, extend=True)
        self.generic_visit(node)

    def _set_all(self, value: ast.expr, extend: bool) -> None:
        names = _strings(value)
        if names is None:
            self.f.all_dynamic = True
            return
        base = list(self.f.all_names or ()) if extend else []
        self.f.all_names = (*base, *names)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        for name in _target_names(node.target):
            self.bind(name)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                for name in _target_names(item.optional_vars):
                    self.bind(name)
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.bind(node.target.id)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self.f.bindings[name] = self.f.bindings.get(name, 0) + 1
            self.f.defined.add(name)

    # -- imports (the refs themselves come from the binding model) ---------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "pytest":
                self.pytest_names.add(alias.asname or "pytest")
            self.bind(alias.asname or alias.name.split(".")[0], defined=False)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = self._stmt_of[id(node)].module
        for alias in node.names:
            if module == "pytest" and alias.name == "mark":
                self.mark_names.add(alias.asname or "mark")
            if alias.name != "*":
                self.bind(alias.asname or alias.name, defined=False)

    # -- what a use refers to (asked of the binding model) -----------------------------------
    def _root_of(self, node: ast.expr, name: str) -> tuple[bool, ImportRef | None]:
        """``(shadowed, via)`` for the root name of the chain ``node`` starts with: ``via`` is
        the import every binding the read may see makes (same target), in any scope;
        ``shadowed`` when the read sees something else inside a function or class (a local
        doctor cannot follow). A module-level def/class gives ``(False, None)``."""
        use = self._uses.get((node.lineno, node.col_offset, name))
        if use is None:
            return any(name in scope for scope in self.scopes), None
        scope = self.model.scope_read(use.scope, name, use.line, use.col)
        if scope is None:
            return False, None  # a builtin or an unbound name: nothing to resolve
        seen: list[Binding] = self.model.may_see(use)
        refs = [self._ref_of.get(id(b)) for b in seen]
        first = refs[0] if refs else None
        if (
            first is not None
            and all(r is not None for r in refs)
            and len({b.target for b in seen}) == 1
            and seen[0].target is not None
        ):
            return False, first  # `import a.b` and `import a.c` both bind `a` to package a
        return scope is not self.model.module_scope, None

    # -- definitions -----------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.visit(default)
        if self.module_scope:
            self.bind(node.name)
            self.f.functions[node.name] = function_signature(node)
            if node.name == "__getattr__":
                self.f.has_getattr = True
        self._pytest_function(node)
        self.scopes.append(self._locals.get(id(node), set()))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(self._locals.get(id(node), set()))
        self.visit(node.body)
        self.scopes.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for part in (*node.decorator_list, *node.bases, *node.keywords):
            self.visit(part)
        if self.module_scope:
            self.bind(node.name)
            self.f.classes[node.name] = class_facts(node)
        marks = self._marks_in(node.decorator_list)
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
            ):
                marks |= self._marks_in([stmt.value])
        if self.classes:
            marks |= self.classes[-1][1]
        self.classes.append((node.name, frozenset(marks)))
        for stmt in node.body:
            self.visit(stmt)
        self.classes.pop()

    # -- calls and dotted uses ---------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        named = tuple(kw.arg for kw in node.keywords if kw.arg is not None)
        callee = dotted(node.func) if named else None
        if callee is not None:
            shadowed, via = self._root_of(node.func, callee.split(".")[0])
            self.f.calls.append(
                CallSite(
                    node.lineno,
                    node.col_offset + 1,
                    callee,
                    named,
                    sum(not isinstance(a, ast.Starred) for a in node.args),
                    any(isinstance(a, ast.Starred) for a in node.args),
                    any(kw.arg is None for kw in node.keywords),
                    shadowed=shadowed,
                    via=via,
                )
            )
        called = dotted(node.func) or ""
        target = _path_string(called, node)
        if target is not None:
            self.f.path_strings.append((target, node.lineno, node.col_offset + 1))
        if called in ("globals", "vars") and not node.args:
            self.f.dynamic = True
        elif called.rsplit(".", 1)[-1] in ("extend_path", "declare_namespace") or (
            called.startswith("__path__.")
        ):
            self.f.extends_path = True
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "addinivalue_line"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "markers"
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value.split(":")[0].split("(")[0].strip()
            if name:
                self.f.addinivalue_markers.add(name)
        self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> None:
        if isinstance(node.value, ast.Call):
            callee = dotted(node.value.func)
            if callee is not None:
                shadowed, via = self._root_of(node.value.func, callee.split(".")[0])
                self.f.awaits.append(
                    AwaitSite(node.lineno, node.col_offset + 1, callee, shadowed, via)
                )
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = dotted(node)
        if chain is None or not isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
            return
        parts = chain.split(".")
        shadowed, via = self._root_of(node, parts[0])
        if via is not None:
            self.f.chains.append((chain, node.lineno, node.col_offset + 1, via))
        if shadowed:
            return
        mark = self._mark_name(parts)
        if mark is not None:
            self.f.marks.append(MarkUse(mark, node.lineno, node.col_offset + 1))

    def visit_Module(self, node: ast.Module) -> None:
        self.generic_visit(node)
        if self.module_marks:  # `pytestmark` may be assigned below the tests it covers
            self.f.tests = [replace(t, marks=t.marks | self.module_marks) for t in self.f.tests]


def _path_string(called: str, node: ast.Call) -> str | None:
    """The dotted target of ``patch("a.b.C")``, ``monkeypatch.setattr("a.b.C.x", v)`` & co."""
    parts = called.split(".")
    first = node.args[0] if node.args else None
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    is_patch = parts[-1] == "patch" or (
        len(parts) >= 2 and parts[-2] == "patch" and parts[-1] in ("dict", "multiple")
    )
    is_monkeypatch = (
        len(parts) == 2
        and parts[0] == "monkeypatch"
        and ((parts[1] == "setattr" and len(node.args) == 2) or parts[1] == "delattr")
    )
    value = first.value.strip()
    if (
        (is_patch or is_monkeypatch)
        and "." in value
        and all(p.isidentifier() for p in value.split("."))
    ):
        return value
    return None
