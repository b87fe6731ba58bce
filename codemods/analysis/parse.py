"""One stdlib ``ast`` pass over one file: everything the checks need, as :class:`ModuleFacts`.

The stdlib parser is used (not LibCST) because doctor reads every file of the project and
only needs facts, not a lossless tree; it is about ten times faster.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import replace
from pathlib import Path

from codemods.analysis.facts import (
    AwaitSite,
    CallSite,
    ImportRef,
    MarkUse,
    ModuleFacts,
)
from codemods.analysis.modules import resolve_module
from codemods.analysis.parse_pytest import PytestFacts
from codemods.analysis.signatures import class_facts, dotted, function_signature

_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


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
    collector = _Collector(facts, module, is_package)
    collector.python_functions, collector.python_classes = python_functions, python_classes
    collector.visit(tree)
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


def _handler_guards(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((dotted(t) or "").rsplit(".", 1)[-1] in _GUARDS for t in types)


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


def _function_locals(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    args = node.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    declared: set[str] = set()
    stack: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
    while stack:
        child = stack.pop()
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(child.name)
            stack.extend(child.decorator_list)
            continue
        elif isinstance(child, ast.Lambda):
            continue
        elif isinstance(child, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in child.names}
        elif isinstance(child, ast.Global | ast.Nonlocal):
            declared |= set(child.names)
        stack.extend(ast.iter_child_nodes(child))
    return names - declared


class _Collector(PytestFacts, ast.NodeVisitor):
    def __init__(self, facts: ModuleFacts, module: str, is_package: bool) -> None:
        self.f = facts
        self.module = module
        self.is_package = is_package
        self.python_functions: object = None
        self.python_classes: object = None
        self.scopes: list[set[str]] = []  # function locals, innermost last
        self.classes: list[tuple[str, frozenset[str]]] = []  # (name, marks)
        self.guard = 0
        self.pytest_names: set[str] = set()  # local names of `pytest`
        self.mark_names: set[str] = set()  # local names of `pytest.mark`
        self.module_marks: frozenset[str] = frozenset()
        self.chains: list[tuple[str, int, int]] = []

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

    def visit_Try(self, node: ast.Try | ast.TryStar) -> None:
        guarded = any(_handler_guards(h) for h in node.handlers)
        self.guard += guarded
        for stmt in node.body:
            self.visit(stmt)
        self.guard -= guarded
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    # -- imports ---------------------------------------------------------------------------
    def _add_import(self, ref: ImportRef) -> None:
        self.f.imports.append(ref)
        if not ref.star:
            self.bind(ref.local, defined=False)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "pytest":
                self.pytest_names.add(alias.asname or "pytest")
            local = alias.asname or alias.name.split(".")[0]
            self._add_import(
                ImportRef(
                    node.lineno,
                    node.col_offset + 1,
                    alias.name,
                    None,
                    local,
                    alias.name,
                    guarded=self.guard > 0,
                    binds_leaf=alias.asname is not None,
                    module_level=self.module_scope,
                )
            )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        spelled = "." * node.level + (node.module or "")
        module = resolve_module(spelled, self.module, is_package=self.is_package)
        for alias in node.names:
            if module == "pytest" and alias.name == "mark":
                self.mark_names.add(alias.asname or "mark")
            self._add_import(
                ImportRef(
                    node.lineno,
                    node.col_offset + 1,
                    module,
                    alias.name,
                    alias.asname or alias.name,
                    spelled,
                    guarded=self.guard > 0,
                    star=alias.name == "*",
                    module_level=self.module_scope,
                )
            )

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
        self.scopes.append(_function_locals(node))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(_function_locals(node))
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
            root = callee.split(".")[0]
            self.f.calls.append(
                CallSite(
                    node.lineno,
                    node.col_offset + 1,
                    callee,
                    named,
                    sum(not isinstance(a, ast.Starred) for a in node.args),
                    any(isinstance(a, ast.Starred) for a in node.args),
                    any(kw.arg is None for kw in node.keywords),
                    shadowed=any(root in scope for scope in self.scopes),
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
                self.f.awaits.append(
                    AwaitSite(
                        node.lineno,
                        node.col_offset + 1,
                        callee,
                        shadowed=any(callee.split(".")[0] in scope for scope in self.scopes),
                    )
                )
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = dotted(node)
        if chain is None or not isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
            return
        parts = chain.split(".")
        if any(parts[0] in scope for scope in self.scopes):
            return
        self.chains.append((chain, node.lineno, node.col_offset + 1))
        mark = self._mark_name(parts)
        if mark is not None:
            self.f.marks.append(MarkUse(mark, node.lineno, node.col_offset + 1))

    def visit_Module(self, node: ast.Module) -> None:
        self.generic_visit(node)
        roots = {r.local for r in self.f.imports if not r.star}
        self.f.chains = [c for c in self.chains if c[0].split(".")[0] in roots]
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
