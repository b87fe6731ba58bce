"""What a definition's git history says it became: doctor asks when it cannot name a fix.

Bounded: at most :data:`LIMIT` commits that touched the file are read, newest first, with the
stdlib ``ast`` on the file's two versions around each commit. The answer carries its
evidence (the commit and the new definition's file:line) or is ``None``: history that
shows a removal without a clear replacement proposes nothing.

>>> renamed_parameter(root, "app/ctx.py", "UserContext", "session_id")  # doctest: +SKIP
Found(new='request_id', commit='1a2b3c4', subject='Rename session_id', where='app/ctx.py:8')
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from pathlib import Path

from codemods.analysis.project import ProjectIndex
from codemods.errors import CodemodError
from codemods.learn import git
from codemods.learn.examples import module_name

LIMIT = 300


@dataclass(frozen=True)
class Found:
    new: str  # the new parameter name, or the new dotted module / ``module.Name``
    commit: str  # short hash
    subject: str
    where: str  # file:line of the new definition (or the new file)

    def evidence(self) -> str:
        return f"commit {self.commit} ({self.subject})"


def _tree(data: bytes | None) -> ast.Module | None:
    if data is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _find(tree: ast.Module, qualname: str) -> ast.stmt | None:
    body: list[ast.stmt] = tree.body
    found: ast.stmt | None = None
    for part in qualname.split("."):
        found = next(
            (
                s
                for s in body
                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and s.name == part
            ),
            None,
        )
        if found is None:
            return None
        body = found.body if isinstance(found, ast.ClassDef) else []
    return found


def _parameters(node: ast.stmt) -> list[tuple[str, str]] | None:
    """(name, kind) in order, as a call sees them (``self``/``cls`` dropped for classes)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        a = node.args
        out = [(p.arg, "positional-only") for p in a.posonlyargs]
        out += [(p.arg, "positional or keyword") for p in a.args]
        out += [(p.arg, "keyword-only") for p in a.kwonlyargs]
        return out
    if isinstance(node, ast.ClassDef):
        init = _find(ast.Module(body=node.body, type_ignores=[]), "__init__")
        if init is not None:
            params = _parameters(init)
            return params[1:] if params else params
        if any("dataclass" in ast.unparse(d) for d in node.decorator_list):
            fields = []
            for s in node.body:
                if (
                    isinstance(s, ast.AnnAssign)
                    and isinstance(s.target, ast.Name)
                    and "ClassVar" not in ast.unparse(s.annotation)
                ):
                    fields.append((s.target.id, "positional or keyword"))
            return fields
    return None


def _commits(root: Path, relpath: str, limit: int, word: str) -> list[str]:
    """Commits among the last ``limit`` of ``relpath`` that changed how often ``word`` occurs."""
    out = git.git(
        root, "log", f"-n{limit}", "--format=%H", f"-S{word}", "HEAD", "--", relpath, check=False
    )
    return out.decode().split()


def renamed_parameter(
    root: Path, relpath: str, qualname: str, old: str, *, limit: int = LIMIT
) -> Found | None:
    """The commit that renamed ``qualname``'s parameter ``old``: same position, same kind."""
    try:
        for commit in _commits(root, relpath, limit, old):
            parent = git.parent_of(root, commit)
            if parent is None:
                return None
            before, after = (
                _tree(git.blob(root, parent, relpath)),
                _tree(git.blob(root, commit, relpath)),
            )
            if before is None or after is None:
                continue
            was, now = _find(before, qualname), _find(after, qualname)
            if was is None or now is None:
                continue
            old_params, new_params = _parameters(was), _parameters(now)
            if old_params is None or new_params is None:
                continue
            names = [n for n, _ in old_params]
            if old not in names or old in {n for n, _ in new_params}:
                continue
            index = names.index(old)  # this commit removed it: a rename, or nothing
            if index >= len(new_params):
                return None
            name, kind = new_params[index]
            if kind != old_params[index][1] or name in names:
                return None
            line = _field_line(now, name)
            return Found(
                name, git.short(root, commit), git.subject(root, commit), f"{relpath}:{line}"
            )
    except CodemodError:
        return None
    return None


def _field_line(node: ast.stmt, name: str) -> int:
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg) and sub.arg == name:
            return sub.lineno
        if (
            isinstance(sub, ast.AnnAssign)
            and isinstance(sub.target, ast.Name)
            and sub.target.id == name
        ):
            return sub.lineno
    return node.lineno


def moved_module(root: Path, dotted: str, *, limit: int = LIMIT) -> Found | None:
    """The commit where git saw the module's file renamed (``pkg/a.py`` or a package)."""
    paths = []
    for base in ("", "src/"):
        stem = base + dotted.replace(".", "/")
        paths += [f"{stem}.py", f"{stem}/__init__.py"]
    try:
        out = git.git(
            root,
            "log",
            f"-n{limit}",
            "--format=%H",
            "--diff-filter=DR",
            "HEAD",
            "--",
            *paths,
            check=False,
        )
    except CodemodError:
        return None
    # the path filter hides a rename's new side (git shows a deletion): read each commit whole
    commits = out.decode().split()
    for commit in commits[:limit]:
        parent = git.parent_of(root, commit)
        if parent is None:
            continue
        for change in git.changed_files(root, parent, commit):
            if change.status == "R" and change.old_path in paths and change.new_path:
                new = module_name(ProjectIndex(root), change.new_path)
                if new and new != dotted:
                    return Found(
                        new, git.short(root, commit), git.subject(root, commit), change.new_path
                    )
    return None


_Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _defs(tree: ast.Module) -> dict[str, _Def]:
    return {
        s.name: s
        for s in tree.body
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _shape(node: ast.stmt) -> str:
    copy = ast.parse(ast.unparse(node)).body[0]
    assert isinstance(copy, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    copy.name = "_"
    return ast.dump(copy)


def moved_name(root: Path, relpath: str, name: str, *, limit: int = LIMIT) -> Found | None:
    """Where the commit that removed ``name``'s definition from ``relpath`` put it.

    ``new`` is ``module.Name``: the same name defined by a file that did not define it before
    (moved), or the same body under another name (renamed, possibly moved too).
    """
    try:
        for commit in _commits(root, relpath, limit, name):
            parent = git.parent_of(root, commit)
            if parent is None:
                return None
            before = _tree(git.blob(root, parent, relpath))
            after = _tree(git.blob(root, commit, relpath))
            if before is None or name not in _defs(before):
                continue
            if after is not None and name in _defs(after):
                return None  # still defined after the newest change: not removed here
            shape = _shape(_defs(before)[name])
            same_name: list[tuple[str, _Def]] = []
            same_body: list[tuple[str, _Def]] = []
            for change in git.changed_files(root, parent, commit):
                path = change.new_path
                if path is None or not path.endswith(".py"):
                    continue
                new_tree = _tree(git.blob(root, commit, path))
                old_tree = (
                    _tree(git.blob(root, parent, change.old_path)) if change.old_path else None
                )
                if new_tree is None:
                    continue
                old_defs = _defs(old_tree) if old_tree is not None and path != relpath else {}
                for def_name, node in _defs(new_tree).items():
                    if def_name in old_defs:
                        continue
                    if def_name == name and path != relpath:
                        same_name.append((path, node))
                    elif def_name != name and _shape(node) == shape:
                        same_body.append((path, node))
            chosen = same_name if len(same_name) == 1 else same_body if len(same_body) == 1 else []
            if not chosen:
                return None
            path, node = chosen[0]
            module = module_name(ProjectIndex(root), path)
            if module is None:
                return None
            return Found(
                f"{module}.{node.name}",
                git.short(root, commit),
                git.subject(root, commit),
                f"{path}:{node.lineno}",
            )
    except CodemodError:
        return None
    return None
