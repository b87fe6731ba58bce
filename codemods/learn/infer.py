"""Candidate steps that could explain a set of before/after examples.

Each candidate is read off the two versions of a file with the stdlib ``ast``: imports that
changed module or name (a symbol moved or renamed, partial from-imports and aliases too), an
``import m`` that became ``import m2``, a module file git saw renamed, or every name imported
from a module the change deleted now coming from one other module (a module moved), an
import that disappeared (removed), a keyword that changed name in calls matched in order, a
``mark.<name>`` that changed name, an ``asyncio`` mark that appeared on an async test, and an
``async def setup_method`` (or another xunit hook) that became ``def``.

Candidates are guesses: :mod:`codemods.learn.select` keeps only those whose output on the
"before" files reproduces the hand fix exactly.
"""

from __future__ import annotations

import ast
import difflib
import warnings
from dataclasses import dataclass, field
from typing import Any

from codemods.analysis.imports import resolve_module
from codemods.analysis.project import ProjectIndex
from codemods.analysis.signatures import dotted
from codemods.learn.examples import Evidence, Pair, module_name
from codemods.steps import all_steps

_CLASS_HOOKS = ("setup_method", "teardown_method", "setup_class", "teardown_class")
_MODULE_HOOKS = ("setup_module", "teardown_module", "setup_function", "teardown_function")


def step_rank(step_id: str) -> tuple[int, str]:
    """Where a step goes in a recipe: by each step type's ``order`` (moves first), then id."""
    return (all_steps()[step_id].order, step_id)


@dataclass
class Candidate:
    step: str
    options: dict[str, Any]
    reason: str
    seen_at: list[str] = field(default_factory=list)
    from_git_rename: bool = False  # backed by git's rename detection, not only by examples

    def key(self) -> tuple[str, str]:
        return (self.step, repr(sorted(self.options.items())))

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.options.items())
        return f"{self.step}({shown})"


@dataclass(frozen=True)
class _From:
    module: str
    name: str
    asname: str | None
    line: int

    @property
    def binding(self) -> str:
        return self.asname or self.name

    def key(self) -> tuple[str, str, str | None]:
        return (self.module, self.name, self.asname)


@dataclass(frozen=True)
class _Import:
    module: str
    asname: str | None
    line: int


@dataclass
class _Facts:
    froms: list[_From] = field(default_factory=list)
    imports: list[_Import] = field(default_factory=list)
    calls: list[tuple[str, int, tuple[str, ...], int]] = field(default_factory=list)
    marks: list[tuple[str, int]] = field(default_factory=list)
    asyncio_marked: set[str] = field(default_factory=set)
    asyncio_pytestmark: bool = False
    async_hooks: dict[str, tuple[bool, int]] = field(
        default_factory=dict
    )  # qualname -> (class?, line)
    toplevel: set[str] = field(default_factory=set)
    module: str | None = None  # the file's own dotted name
    async_tests: dict[str, bool] = field(default_factory=dict)  # test qualname -> async?


def _parse(data: bytes) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _is_asyncio_mark(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    text = dotted(node) or ""
    return text.endswith("mark.asyncio")


def facts_of(path: str, data: bytes, index: ProjectIndex) -> _Facts | None:
    tree = _parse(data)
    if tree is None:
        return None
    facts = _Facts()
    me = module_name(index, path)
    facts.module = me
    is_package = path.endswith("__init__.py")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            spelled = "." * node.level + (node.module or "")
            absolute = resolve_module(spelled, me, is_package=is_package)
            if absolute is None:
                continue
            for alias in node.names:
                if alias.name != "*":
                    facts.froms.append(_From(absolute, alias.name, alias.asname, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                facts.imports.append(_Import(alias.name, alias.asname, node.lineno))
        elif isinstance(node, ast.Call):
            callee = dotted(node.func)
            if callee is not None:
                keywords = tuple(k.arg or "**" for k in node.keywords)
                facts.calls.append((callee, len(node.args), keywords, node.lineno))
        elif isinstance(node, ast.Attribute):
            owner = dotted(node.value)
            if owner is not None and (owner == "mark" or owner.endswith(".mark")):
                facts.marks.append((node.attr, node.lineno))
    facts.calls.sort(key=lambda c: c[3])
    facts.marks.sort(key=lambda m: m[1])
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            facts.toplevel.add(stmt.name)
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            values = (
                stmt.value.elts if isinstance(stmt.value, ast.List | ast.Tuple) else [stmt.value]
            )
            facts.asyncio_pytestmark = any(_is_asyncio_mark(v) for v in values)
    _functions(tree.body, "", facts, in_class=False)
    return facts


def _functions(body: list[ast.stmt], prefix: str, facts: _Facts, *, in_class: bool) -> None:
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            _functions(stmt.body, f"{prefix}{stmt.name}.", facts, in_class=True)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            qualname = prefix + stmt.name
            if any(_is_asyncio_mark(d) for d in stmt.decorator_list):
                facts.asyncio_marked.add(qualname)
            if stmt.name.startswith("test"):
                facts.async_tests[qualname] = isinstance(stmt, ast.AsyncFunctionDef)
            hooks = _CLASS_HOOKS if in_class else _MODULE_HOOKS
            if stmt.name in hooks:
                facts.async_hooks[qualname] = (
                    isinstance(stmt, ast.AsyncFunctionDef),
                    stmt.lineno,
                )


#: Steps whose list options add up across examples: step -> (the options that must be equal).
_UNION = {"sync_setup_methods": (), "remove_import": ("module",), "rename_kwarg": ("old", "new")}


class _Collector:
    def __init__(self) -> None:
        self.found: dict[tuple[str, str], Candidate] = {}
        #: old module -> new module -> names the examples' from-imports moved (same name)
        self.moved_names: dict[str, dict[str, set[str]]] = {}
        self.moved_at: dict[str, list[str]] = {}  # old module -> where

    def add(self, step: str, options: dict[str, Any], reason: str, where: str, **kw: Any) -> None:
        candidate = Candidate(step, options, reason, [where] if where else [], **kw)
        key = candidate.key()
        if step in _UNION:
            key = (step, repr([options.get(k) for k in _UNION[step]] + [sorted(options)]))
        existing = self.found.get(key)
        if existing is None:
            self.found[key] = candidate
            return
        existing.seen_at.extend(w for w in candidate.seen_at if w not in existing.seen_at)
        existing.from_git_rename |= candidate.from_git_rename
        for name, value in options.items():
            if isinstance(value, list):
                existing.options[name] = sorted(set(existing.options.get(name, [])) | set(value))


def candidates(evidence: Evidence, index: ProjectIndex) -> list[Candidate]:
    """Every candidate step, in recipe order, merged across examples."""
    out = _Collector()
    module_moves = _module_renames(evidence, index)
    files = {module_name(index, o): (o, n) for o, n in evidence.renamed_modules or ()}
    for old, new in module_moves.items():
        old_file, new_file = files.get(old, (old, new))
        out.add(
            "rename_module",
            {"old": old, "new": new},
            f"git sees the module `{old}` renamed to `{new}` ({old_file} -> {new_file})",
            "",
            from_git_rename=True,
        )
    for pair in evidence.pairs:
        before = facts_of(pair.old_path or pair.path, pair.before, index)
        after = facts_of(pair.path, pair.after, index)
        if before is None or after is None:
            continue
        _imports(pair, before, after, module_moves, out)
        _keywords(pair, before, after, out)
        _markers(pair, before, after, out)
        _pytest(pair, before, after, out)
    _whole_module_moves(evidence, index, module_moves, out)
    found = list(out.found.values())
    for c in found:
        if c.step == "rename_kwarg":
            names = ", ".join(f"`{x}`" for x in c.options["callables"])
            c.reason = (
                f"calls to {names} pass `{c.options['new']}=` instead of `{c.options['old']}=`"
            )
        elif c.step == "remove_import" and c.options.get("names"):
            c.reason = (
                f"`from {c.options['module']} import {', '.join(c.options['names'])}` was removed"
            )
        elif c.step == "sync_setup_methods":
            hooks = [*c.options["methods"], *c.options["module_functions"]]
            c.reason = f"`async def` {', '.join(f'`{h}`' for h in hooks)} became `def`"
    return sorted(found, key=lambda c: step_rank(c.step))


def _gone(module: str, new: str, evidence: Evidence, index: ProjectIndex) -> str | None:
    """How we know ``module`` no longer exists after the fix (or ``None``: it may)."""
    for path in evidence.deleted or ():
        if module_name(index, path) == module:
            return f"the change deletes {path}"
    if (
        evidence.deleted is None  # file pairs, no history: ask the project as it is
        and index.module_file(module) is None
        and index.module_file(new) is not None
    ):
        return f"the project has no module `{module}`"
    for pair in evidence.pairs:
        if module_name(index, pair.old_path or pair.path) != module:
            continue
        before, after = _parse(pair.before), _parse(pair.after)
        if before is None or after is None:
            return None
        was, now = _definitions(before), _definitions(after)
        if was and not was & now:
            return f"{pair.path} no longer defines any of {', '.join(sorted(was))}"
    return None


def _definitions(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(stmt.name)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _whole_module_moves(
    evidence: Evidence, index: ProjectIndex, module_moves: dict[str, str], out: _Collector
) -> None:
    """``from a import X, Y`` -> ``from b import X, Y`` in every example, and ``a`` is gone (or
    keeps none of its definitions): the module moved, so one ``rename_module`` (which keeps
    each statement where it is) instead of a ``rename_symbol`` per name."""
    for old, targets in out.moved_names.items():
        if len(targets) != 1 or "" in targets or old in module_moves:
            continue
        ((new, names),) = targets.items()
        why = _gone(old, new, evidence, index)
        if why is None:
            continue
        shown = ", ".join(f"`{n}`" for n in sorted(names))
        for where in dict.fromkeys(out.moved_at[old]):
            out.add(
                "rename_module",
                {"old": old, "new": new},
                f"every name the examples import from `{old}` ({shown}) comes from `{new}` "
                f"after the fix, and {why}",
                where,
            )


def _module_renames(evidence: Evidence, index: ProjectIndex) -> dict[str, str]:
    moves: dict[str, str] = {}
    for old_path, new_path in evidence.renamed_modules or ():
        old, new = module_name(index, old_path), module_name(index, new_path)
        if old and new and old != new:
            moves[old] = new
    # a package moved as a whole: keep `pkg.old -> pkg.new`, drop its submodules' moves
    for old, new in list(moves.items()):
        for sub_old, sub_new in list(moves.items()):
            if sub_old.startswith(old + ".") and sub_new == new + sub_old[len(old) :]:
                del moves[sub_old]
    return moves


def _imports(
    pair: Pair, before: _Facts, after: _Facts, module_moves: dict[str, str], out: _Collector
) -> None:
    after_keys = {f.key() for f in after.froms}
    before_keys = {f.key() for f in before.froms}
    removed = [f for f in before.froms if f.key() not in after_keys]
    added = [f for f in after.froms if f.key() not in before_keys]
    matched: set[int] = set()

    def take(r: _From, a: _From) -> None:
        matched.add(id(a))
        where = f"{pair.path}:{a.line}"
        dotted = f"{r.module}.{r.name}"
        if dotted in module_moves or (r.name == a.name and module_moves.get(r.module) == a.module):
            return  # the module's own rename explains it
        targets = out.moved_names.setdefault(r.module, {})
        targets.setdefault(a.module if r.name == a.name else "", set()).add(r.name)
        out.moved_at.setdefault(r.module, []).append(where)
        out.add(
            "rename_symbol",
            {"old": _symbol(r.module, r.name), "new": _symbol(a.module, a.name)},
            f"`{r.name}` is imported from `{a.module}` instead of `{r.module}`"
            if r.name == a.name
            else f"`{r.module}.{r.name}` became `{a.module}.{a.name}`",
            where,
        )

    leftovers: list[_From] = []
    for r in removed:
        same = [
            a for a in added if id(a) not in matched and a.name == r.name and a.asname == r.asname
        ]
        kept_alias = [
            a
            for a in added
            if id(a) not in matched and r.asname and a.asname == r.asname and a.name != r.name
        ]
        if same:
            take(r, same[0])
        elif kept_alias:
            take(r, kept_alias[0])
        else:
            leftovers.append(r)
    spare = [a for a in added if id(a) not in matched and a.asname is None]
    plain = [r for r in leftovers if r.asname is None]
    if len(plain) == 1 and len(spare) == 1:  # one name out, one name in: a rename
        take(plain[0], spare[0])
        leftovers.remove(plain[0])
    imports_after = {(i.module, i.asname) for i in after.imports}
    imports_before = {(i.module, i.asname) for i in before.imports}
    gone = [i for i in before.imports if (i.module, i.asname) not in imports_after]
    new = [i for i in after.imports if (i.module, i.asname) not in imports_before]
    for i in gone:
        partner = [n for n in new if n.asname == i.asname and (i.asname or len(new) == 1)]
        if partner and partner[0].module != i.module:
            out.add(
                "rename_module",
                {"old": i.module, "new": partner[0].module},
                f"`import {i.module}` became `import {partner[0].module}`",
                f"{pair.path}:{partner[0].line}",
            )
        elif not partner and not any(i.module.startswith(m) for m in module_moves):
            out.add(
                "remove_import",
                {"module": i.module},
                f"`import {i.module}` was removed",
                f"{pair.path}:{i.line}",
            )
    by_module: dict[str, list[_From]] = {}
    for r in leftovers:
        if r.module in module_moves or f"{r.module}.{r.name}" in module_moves:
            continue
        by_module.setdefault(r.module, []).append(r)
    for module, names in by_module.items():
        out.add(
            "remove_import",
            {"module": module, "names": sorted({r.name for r in names})},
            f"`from {module} import {', '.join(sorted({r.name for r in names}))}` was removed",
            f"{pair.path}:{names[0].line}",
        )


def _symbol(module: str, name: str) -> str:
    """rename_symbol's spelling: ``pkg.mod:Name`` when a module segment is capitalised."""
    if any(part[:1].isupper() for part in module.split(".")):
        return f"{module}:{name}"
    return f"{module}.{name}"


def _resolve_parts(callee: str, facts: _Facts, path: str) -> tuple[str, str] | None:
    """``UC.from_request`` -> (``pkg.ctx``, ``UserContext.from_request``) through the imports."""
    head, _, rest = callee.partition(".")
    for f in facts.froms:
        if f.binding == head:
            return f.module, f.name + (f".{rest}" if rest else "")
    for i in facts.imports:
        if i.asname == head:
            return (i.module, rest) if rest else None
    # `import a.b` binds `a`: the longest imported module the callee starts with
    spelled = sorted(
        (i.module for i in facts.imports if i.asname is None and callee.startswith(i.module + ".")),
        key=len,
    )
    if spelled:
        return spelled[-1], callee[len(spelled[-1]) + 1 :]
    if head in facts.toplevel:
        return (facts.module, callee) if facts.module else None
    return None


def _resolve(callee: str, facts: _Facts, path: str) -> str | None:
    parts = _resolve_parts(callee, facts, path)
    return f"{parts[0]}.{parts[1]}" if parts else None


def _attribute_renamed(pair: Pair, b: tuple, a: tuple, before: _Facts, out: _Collector) -> None:
    """``UC.create_for_user(...)`` -> ``UC.from_request(...)``: a method (or a module's function)
    renamed, reached through an imported class or module."""
    owner, _, old = b[0].rpartition(".")
    owner_after, _, new = a[0].rpartition(".")
    if not owner or owner != owner_after or old == new or b[1:3] != a[1:3]:
        return
    parts = _resolve_parts(b[0], before, pair.old_path or pair.path)
    if parts is None or parts[1].count(".") > 1:
        return
    module, rest = parts
    renamed = rest.rsplit(".", 1)[0] + f".{new}" if "." in rest else new
    out.add(
        "rename_symbol",
        {"old": f"{module}:{rest}", "new": f"{module}:{renamed}"},
        f"`{b[0]}(...)` became `{a[0]}(...)`",
        f"{pair.path}:{a[3]}",
    )


def _keywords(pair: Pair, before: _Facts, after: _Facts, out: _Collector) -> None:
    left = [c[0].rsplit(".", 1)[-1] for c in before.calls]
    right = [c[0].rsplit(".", 1)[-1] for c in after.calls]
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag not in ("equal", "replace") or i2 - i1 != j2 - j1:
            continue
        for b, a in zip(before.calls[i1:i2], after.calls[j1:j2], strict=True):
            if b[0] != a[0]:
                _attribute_renamed(pair, b, a, before, out)
            if b[1] != a[1]:
                continue
            gone = set(b[2]) - set(a[2])
            came = set(a[2]) - set(b[2])
            if len(gone) != 1 or len(came) != 1 or "**" in gone | came:
                continue
            (old,), (new,) = gone, came
            resolved = {
                _resolve(b[0], before, pair.old_path or pair.path),
                _resolve(a[0], after, pair.path),
            }
            callables = sorted(r for r in resolved if r)
            if not callables:
                short = a[0].split(".")
                if len(short) > 2:
                    continue
                callables = [f"*.{a[0]}"]
            out.add(
                "rename_kwarg",
                {"callables": callables, "old": old, "new": new},
                "",
                f"{pair.path}:{a[3]}",
            )


def _markers(pair: Pair, before: _Facts, after: _Facts, out: _Collector) -> None:
    # the asyncio mark is added_asyncio_marker's business, not a rename
    before_marks = [m for m in before.marks if m[0] != "asyncio"]
    after_marks = [m for m in after.marks if m[0] != "asyncio"]
    left = [m[0] for m in before_marks]
    right = [m[0] for m in after_marks]
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or i2 - i1 != j2 - j1:
            continue
        for (old, _), (new, line) in zip(before_marks[i1:i2], after_marks[j1:j2], strict=True):
            if old != new and new not in left and old not in right:
                out.add(
                    "rename_marker",
                    {"old": old, "new": new},
                    f"the marker `{old}` is spelled `{new}`",
                    f"{pair.path}:{line}",
                )


def _pytest(pair: Pair, before: _Facts, after: _Facts, out: _Collector) -> None:
    gained = sorted(after.asyncio_marked - before.asyncio_marked)
    made_async = any(
        not was and after.async_tests.get(name) for name, was in before.async_tests.items()
    )
    if gained:
        out.add(
            "add_asyncio_marker",
            {"fix_await_in_sync_tests": made_async},
            "async tests gained `@pytest.mark.asyncio`",
            f"{pair.path}",
        )
    if after.asyncio_pytestmark and not before.asyncio_pytestmark:
        out.add(
            "add_asyncio_marker",
            {"style": "pytestmark", "fix_await_in_sync_tests": made_async},
            "the module gained `pytestmark = pytest.mark.asyncio`",
            f"{pair.path}",
        )
    methods: set[str] = set()
    functions: set[str] = set()
    lines: list[int] = []
    for qualname, (was_async, _) in before.async_hooks.items():
        now = after.async_hooks.get(qualname)
        if was_async and now is not None and not now[0]:
            (methods if "." in qualname else functions).add(qualname.rsplit(".", 1)[-1])
            lines.append(now[1])
    if methods or functions:
        out.add(
            "sync_setup_methods",
            {"methods": sorted(methods), "module_functions": sorted(functions)},
            f"`async def {sorted(methods | functions)[0]}` became `def`",
            f"{pair.path}:{min(lines)}",
        )
