"""``codemod learn --api OLD..NEW``: recipe steps from the API change between two revisions.

griffe loads each package statically at both revisions (``griffe.load_git``: a temporary
git worktree, nothing imported) and lists what broke (``griffe.find_breaking_changes``).
Each breakage is then explained, or listed as not explained:

- a module removed: git's rename detection (or a new module with exactly the same
  definitions) names where it went -> ``rename_module``;
- a module-level name removed: a new definition elsewhere with the same name and the same
  signature or body -> moved; the same body under a new name -> renamed (``rename_symbol``);
  a name the old module still provides through an import (a re-export) is not a breakage:
  it is listed as "nothing to do";
- a parameter removed: a new parameter at the same position, of the same kind, whose name
  the old signature did not have -> ``rename_kwarg`` for the function or class;
- a class attribute, method or enum member removed: a new one in the same class with the
  same value or body -> ``rename_symbol`` in its ``pkg.mod.Cls.attr`` form.

Each proposal carries its evidence: the last commit in the range that touched the new
definition's file, and both definitions' file:line.
"""

from __future__ import annotations

import ast
import logging
import tempfile
import textwrap
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codemods.analysis.project import ProjectIndex
from codemods.errors import CodemodError
from codemods.learn import git
from codemods.learn.examples import module_name
from codemods.learn.infer import step_rank
from codemods.learn.render import StepText, comment, recipe_text

logging.getLogger("griffe").setLevel(logging.ERROR)


@dataclass
class ApiChange:
    kind: str  # module-moved, symbol-moved, symbol-renamed, parameter-renamed,
    # attribute-renamed, re-exported, unexplained
    old: str
    new: str | None
    step: str | None
    options: dict[str, Any]
    reason: str
    evidence: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "step": self.step,
            "options": self.options,
            "reason": self.reason,
            "evidence": self.evidence,
        }


@dataclass
class ApiReport:
    old: str
    new: str
    packages: list[str]
    changes: list[ApiChange]
    recipe: str | None = None

    @property
    def proposals(self) -> list[ApiChange]:
        return [c for c in self.changes if c.step]

    def summary(self) -> list[str]:
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        shown = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no API change"
        lines = [f"api {self.old}..{self.new} ({', '.join(self.packages)}): {shown}"]
        for c in self.changes:
            arrow = f" -> {c.new}" if c.new else ""
            lines.append(f"  {c.kind}: {c.old}{arrow}")
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "packages": self.packages,
            "changes": [c.as_json() for c in self.changes],
            "recipe": self.recipe,
        }


def _packages(root: Path, rev: str) -> dict[str, str]:
    """Top-level packages at ``rev`` -> the search path they live under (``.`` or ``src``)."""
    found: dict[str, str] = {}
    for path in git.files_at(root, rev):
        parts = path.split("/")
        if parts[-1] != "__init__.py":
            continue
        if len(parts) == 2 and parts[0].isidentifier():
            found.setdefault(parts[0], ".")
        elif len(parts) == 3 and parts[0] == "src" and parts[1].isidentifier():
            found.setdefault(parts[1], "src")
    return {k: v for k, v in found.items() if k not in ("tests", "test", "docs")}


def _load(root: Path, package: str, rev: str, base: str) -> Any:
    import griffe

    try:
        return griffe.load_git(
            package,
            ref=rev,
            repo=root,
            search_paths=[base],
            allow_inspection=False,
            resolve_aliases=False,
        )
    except (ImportError, OSError, griffe.GriffeError, ValueError) as exc:
        raise CodemodError(f"griffe cannot load `{package}` at {rev[:12]}: {exc}") from None


def _objects(obj: Any) -> Iterator[Any]:
    """Every module, class, function and attribute defined under ``obj`` (aliases excluded)."""
    for member in obj.members.values():
        if member.is_alias:
            continue
        yield member
        if member.is_module or member.is_class:
            yield from _objects(member)


def _shape(obj: Any) -> str | None:
    """The definition's body with its own name blanked, for "same body" comparisons."""
    if obj.is_attribute:
        return f"attr:{obj.value}" if obj.value is not None else None
    try:
        source = textwrap.dedent(obj.source)
        tree = ast.parse(source)
    except (SyntaxError, ValueError, OSError, TypeError, AttributeError):
        return None
    if not tree.body or not isinstance(
        tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ):
        return None
    node = tree.body[0]
    node.name = "_"
    return ast.dump(node)


def _signature(obj: Any) -> tuple[tuple[str, str], ...] | None:
    if obj.is_function:
        return tuple((p.name, p.kind.value) for p in obj.parameters)
    if obj.is_class:
        try:
            return tuple((p.name, p.kind.value) for p in obj.parameters)
        except Exception:  # griffe cannot always build a class's parameters
            return None
    return None


class _Context:
    """Where the two versions come from: git revisions of ``root``, or two folders (``new_dir``)."""

    def __init__(
        self,
        root: Path,
        old: str,
        new: str,
        renamed: dict[str, str],
        new_dir: Path | None = None,
    ) -> None:
        self.root, self.old, self.new, self.renamed = root, old, new, renamed
        self.new_dir = new_dir
        self._commit: dict[str, str] = {}
        self._files: set[str] | None = None

    def files(self) -> set[str]:
        if self._files is None:
            if self.new_dir is not None:
                self._files = {
                    p.relative_to(self.new_dir).as_posix() for p in self.new_dir.rglob("*.py")
                }
            else:
                self._files = set(git.files_at(self.root, self.new))
        return self._files

    def rel(self, obj: Any, prefix: str) -> str:
        path = obj.relative_package_filepath.as_posix()
        return path if prefix == "." else f"{prefix}/{path}"

    def commit_for(self, relpath: str) -> str:
        if self.new_dir is not None:
            return f"{self.old}..{self.new}"
        if relpath not in self._commit:
            commits = git.commits_between(self.root, self.old, self.new, relpath)
            if commits:
                c = commits[0]
                self._commit[relpath] = (
                    f"commit {git.short(self.root, c)} ({git.subject(self.root, c)})"
                )
            else:
                self._commit[relpath] = (
                    f"{git.short(self.root, self.old)}..{git.short(self.root, self.new)}"
                )
        return self._commit[relpath]


def _symbol(path: str, module: str) -> str:
    """rename_symbol's spelling of ``module.rest``: ``module:rest`` if ``module`` is capitalised."""
    rest = path[len(module) + 1 :]
    if any(part[:1].isupper() for part in module.split(".")):
        return f"{module}:{rest}"
    return path


def learn_api(root: Path, spec: str, package: str | None = None) -> ApiReport:
    import griffe

    if ".." not in spec:
        raise CodemodError(f"--api {spec!r}: give two revisions, `OLD..NEW`")
    old_side, _, new_side = spec.partition("..")
    if old_side and new_side and Path(old_side).exists() and Path(new_side).exists():
        return _learn_from_folders(Path(old_side), Path(new_side), package)
    root = git.repo_root(root)
    old, new = git.revision_range(root, spec)
    old_pkgs, new_pkgs = _packages(root, old), _packages(root, new)
    names = [package] if package else sorted(set(old_pkgs) & set(new_pkgs))
    if not names:
        raise CodemodError(
            "no package exists at both revisions",
            hint="name it with --package (a directory with __init__.py at the top or under src/)",
        )
    renamed: dict[str, str] = {}
    index = ProjectIndex(root)
    for change in git.changed_files(root, old, new):
        if change.status == "R" and change.old_path and change.new_path:
            a, b = module_name(index, change.old_path), module_name(index, change.new_path)
            if a and b:
                renamed[a] = b
    ctx = _Context(root, old, new, renamed)
    changes: list[ApiChange] = []
    for name in names:
        if name not in old_pkgs or name not in new_pkgs:
            raise CodemodError(f"package `{name}` does not exist at both revisions")
        old_api = _load(root, name, old, old_pkgs[name])
        new_api = _load(root, name, new, new_pkgs[name])
        breakages = list(griffe.find_breaking_changes(old_api, new_api))
        changes += _explain(breakages, old_api, new_api, ctx, old_pkgs[name], new_pkgs[name])
    shown = spec if spec.count("..") == 1 and all(spec.split("..")) else None
    old_name, new_name = (
        shown.split("..") if shown else (git.short(root, old), git.short(root, new))
    )
    report = ApiReport(old_name, new_name, names, changes)
    report.recipe = _render(report)
    return report


def _unpacked(path: Path, into: Path) -> Path:
    """A folder as is; a wheel (or any zip) extracted into ``into``, refusing unsafe names."""
    if path.is_dir():
        return path.resolve()
    if not zipfile.is_zipfile(path):
        raise CodemodError(
            f"{path} is neither a folder nor a wheel", hint="give two folders or two .whl files"
        )
    target = into / path.stem
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.startswith("/") or ".." in Path(member).parts:
                raise CodemodError(f"{path}: unsafe member name {member!r}")
        archive.extractall(target)
    return target


def _folder_packages(folder: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for init in sorted(folder.glob("*/__init__.py")):
        found[init.parent.name] = "."
    for init in sorted(folder.glob("src/*/__init__.py")):
        found.setdefault(init.parent.name, "src")
    return {k: v for k, v in found.items() if k.isidentifier() and k not in ("tests", "test")}


def _learn_from_folders(old_path: Path, new_path: Path, package: str | None) -> ApiReport:
    """``--api OLD_DIR..NEW_DIR`` (or two wheels): no history, so no commits as evidence."""
    import griffe

    with tempfile.TemporaryDirectory(prefix="codemod-api-") as tmp:
        old_dir = _unpacked(old_path, Path(tmp) / "old")
        new_dir = _unpacked(new_path, Path(tmp) / "new")
        old_pkgs, new_pkgs = _folder_packages(old_dir), _folder_packages(new_dir)
        names = [package] if package else sorted(set(old_pkgs) & set(new_pkgs))
        if not names:
            raise CodemodError("no package exists in both versions", hint="name it with --package")
        ctx = _Context(new_dir, old_path.name, new_path.name, {}, new_dir=new_dir)
        changes: list[ApiChange] = []
        for name in names:
            if name not in old_pkgs or name not in new_pkgs:
                raise CodemodError(f"package `{name}` does not exist in both versions")
            apis = []
            for folder, bases in ((old_dir, old_pkgs), (new_dir, new_pkgs)):
                try:
                    apis.append(
                        griffe.load(
                            name,
                            search_paths=[folder / bases[name]],
                            allow_inspection=False,
                            resolve_aliases=False,
                        )
                    )
                except (ImportError, OSError, griffe.GriffeError) as exc:
                    raise CodemodError(
                        f"griffe cannot load `{name}` from {folder}: {exc}"
                    ) from None
            breakages = list(griffe.find_breaking_changes(apis[0], apis[1]))
            changes += _explain(breakages, apis[0], apis[1], ctx, old_pkgs[name], new_pkgs[name])
    report = ApiReport(old_path.name, new_path.name, names, changes)
    report.recipe = _render(report)
    return report


def _explain(
    breakages: list[Any], old_api: Any, new_api: Any, ctx: _Context, old_base: str, new_base: str
) -> list[ApiChange]:
    import griffe

    old_index = {o.path: o for o in [old_api, *_objects(old_api)]}
    new_index = {o.path: o for o in [new_api, *_objects(new_api)]}
    added = [o for p, o in new_index.items() if p not in old_index]
    out: list[ApiChange] = []
    moved_modules: dict[str, str] = {}
    for b in breakages:
        if isinstance(b, griffe.ObjectRemovedBreakage) and b.old_value.is_module:
            moved = _module_removed(b.old_value, added, ctx, old_base, new_base)
            out.append(moved)
            if moved.new:
                moved_modules[moved.old] = moved.new
    for b in breakages:
        if isinstance(b, griffe.ObjectRemovedBreakage) and not b.old_value.is_module:
            obj = b.old_value
            if any(obj.path.startswith(m + ".") for m in moved_modules):
                continue
            out.append(_object_removed(obj, added, new_index, ctx, old_base, new_base))
        elif isinstance(b, griffe.ParameterRemovedBreakage):
            change = _parameter_removed(b, old_index, ctx, old_base, new_base)
            if change is not None:
                out.append(change)
    # a dataclass field renamed is the constructor's parameter renamed: one change, not two
    params = {
        (c.old.split("(")[0], c.old.split("(")[1][:-1]): c
        for c in out
        if c.kind == "parameter-renamed"
    }
    kept = []
    for c in out:
        owner, _, attr = c.old.rpartition(".")
        renamed_param = params.get((owner, attr))
        if c.kind == "unexplained" and renamed_param is not None:
            renamed_param.reason += (
                f"; it is a field too: reads of `.{attr}` on instances are not followed"
            )
            continue
        kept.append(c)
    out = kept
    # names whose definition left the module while an import there still provides them
    for path, obj in old_index.items():
        if obj.is_alias or obj.is_module or not obj.parent or not obj.parent.is_module:
            continue
        now = _lookup(new_api, path)
        if now is not None and now.is_alias:
            out.append(
                ApiChange(
                    "re-exported",
                    path,
                    now.target_path,
                    None,
                    {},
                    f"`{path}` is now defined in `{now.target_path.rsplit('.', 1)[0]}` and "
                    f"`{obj.parent.path}` still imports it: nothing to do",
                    [f"{ctx.rel(obj, old_base)}:{obj.lineno} (before)"],
                )
            )
    return out


def _lookup(api: Any, path: str) -> Any:
    parts = path.split(".")[1:]
    obj = api
    for part in parts:
        members = getattr(obj, "members", None)
        if members is None or part not in members:
            return None
        obj = members[part]
        if obj.is_alias and part != parts[-1]:
            return None
    return obj


def _module_removed(
    obj: Any, added: list[Any], ctx: _Context, old_base: str, new_base: str
) -> ApiChange:
    old_file = ctx.rel(obj, old_base)
    target = ctx.renamed.get(obj.path)
    if target is None:
        defined = {n for n, m in obj.members.items() if not m.is_alias and m.is_public}
        same = [
            m
            for m in added
            if m.is_module
            and defined
            and {n for n, x in m.members.items() if not x.is_alias and x.is_public} == defined
        ]
        if len(same) == 1:
            target = same[0].path
            why = f"`{target}` defines exactly what `{obj.path}` defined"
        else:
            return ApiChange(
                "unexplained",
                obj.path,
                None,
                None,
                {},
                f"the module `{obj.path}` was removed and no new module defines the same names",
                [f"{old_file} (before)"],
            )
    else:
        why = f"git sees `{obj.path}`'s file renamed"
    new_file = _guess_file(ctx, target, new_base)
    evidence = [ctx.commit_for(new_file), f"{old_file} (before)", new_file]
    return ApiChange(
        "module-moved",
        obj.path,
        target,
        "rename_module",
        {"old": obj.path, "new": target},
        f"the module `{obj.path}` moved to `{target}`: {why}",
        evidence,
    )


def _guess_file(ctx: _Context, module: str, base: str) -> str:
    path = module.replace(".", "/")
    prefix = "" if base == "." else f"{base}/"
    files = ctx.files()
    for candidate in (f"{prefix}{path}.py", f"{prefix}{path}/__init__.py"):
        if candidate in files:
            return candidate
    return f"{prefix}{path}.py"


def _object_removed(
    obj: Any,
    added: list[Any],
    new_index: dict[str, Any],
    ctx: _Context,
    old_base: str,
    new_base: str,
) -> ApiChange:
    before = f"{ctx.rel(obj, old_base)}:{obj.lineno} (before)"
    parent = obj.parent
    shape, signature = _shape(obj), _signature(obj)
    in_class = parent is not None and parent.is_class
    pool = [
        m
        for m in added
        if m.kind == obj.kind
        and not m.is_module
        and (
            (m.parent is not None and m.parent.path == parent.path)
            if in_class
            else m.parent.is_module
        )
    ]
    moved = [
        m
        for m in pool
        if not in_class
        and m.name == obj.name
        and (
            (shape is not None and _shape(m) == shape)
            or (signature is not None and _signature(m) == signature)
        )
    ]
    renamed = [m for m in pool if m.name != obj.name and shape is not None and _shape(m) == shape]
    found = moved if len(moved) == 1 else (renamed if len(renamed) == 1 and not moved else [])
    if not found:
        return ApiChange(
            "unexplained",
            obj.path,
            None,
            None,
            {},
            f"`{obj.path}` was removed; no single new definition has the same "
            + ("value or body" if in_class else "name and signature, or the same body"),
            [before],
        )
    target = found[0]
    after = f"{ctx.rel(target, new_base)}:{target.lineno}"
    evidence = [ctx.commit_for(ctx.rel(target, new_base)), before, after]
    if in_class:
        module = _module_of(obj)
        return ApiChange(
            "attribute-renamed",
            obj.path,
            target.path,
            "rename_symbol",
            {"old": _symbol(obj.path, module), "new": _symbol(target.path, module)},
            f"`{parent.name}.{obj.name}` became `{parent.name}.{target.name}` (same "
            + ("value" if obj.is_attribute else "body")
            + ")",
            evidence,
        )
    kind = "symbol-moved" if target.name == obj.name else "symbol-renamed"
    why = (
        f"`{obj.name}` moved from `{parent.path}` to `{target.parent.path}` (same name and "
        + ("body" if shape is not None and _shape(target) == shape else "signature")
        + ")"
        if kind == "symbol-moved"
        else f"`{obj.path}` became `{target.path}` (same body)"
    )
    return ApiChange(
        kind,
        obj.path,
        target.path,
        "rename_symbol",
        {
            "old": _symbol(obj.path, parent.path),
            "new": _symbol(target.path, target.parent.path),
        },
        why,
        evidence,
    )


def _module_of(obj: Any) -> str:
    while obj is not None and not obj.is_module:
        obj = obj.parent
    return obj.path if obj is not None else ""


def _parameter_removed(
    b: Any, old_index: dict[str, Any], ctx: _Context, old_base: str, new_base: str
) -> ApiChange | None:
    function = b.obj
    old_function = old_index.get(function.path)
    if old_function is None:
        return None
    old_params = list(old_function.parameters)
    new_params = list(function.parameters)
    gone = b.old_value
    index = next((i for i, p in enumerate(old_params) if p.name == gone.name), None)
    callable_obj = function.parent if function.name == "__init__" else function
    line = function.lineno or callable_obj.lineno  # a dataclass's __init__ has no line
    where = f"{ctx.rel(function, new_base)}:{line}"
    evidence = [ctx.commit_for(ctx.rel(function, new_base)), where]
    old_names = {p.name for p in old_params}
    if index is None or index >= len(new_params):
        replacement = None
    else:
        candidate = new_params[index]
        same_kind = candidate.kind == gone.kind
        replacement = candidate if same_kind and candidate.name not in old_names else None
    label = callable_obj.path
    if replacement is None:
        return ApiChange(
            "unexplained",
            f"{label}({gone.name})",
            None,
            None,
            {},
            f"`{label}` lost its parameter `{gone.name}` and no new parameter of the same kind "
            "took its place",
            evidence,
        )
    method = (
        callable_obj.is_function
        and callable_obj.parent is not None
        and callable_obj.parent.is_class
    )
    labels: set[str] = set(getattr(callable_obj, "labels", ()))
    if method and not ({"classmethod", "staticmethod"} & set(labels)):
        return ApiChange(
            "unexplained",
            f"{label}({gone.name})",
            f"{label}({replacement.name})",
            None,
            {},
            f"`{label}` renamed its parameter `{gone.name}` to `{replacement.name}`, but calls "
            "of an instance method cannot be told apart statically: rename them by hand",
            evidence,
        )
    module = _module_of(callable_obj)
    return ApiChange(
        "parameter-renamed",
        f"{label}({gone.name})",
        f"{label}({replacement.name})",
        "rename_kwarg",
        {
            "callables": [_symbol(label, module).replace(":", ".")],
            "old": gone.name,
            "new": replacement.name,
        },
        f"`{label}` renamed its parameter `{gone.name}` to `{replacement.name}` (same position, "
        f"same kind: {gone.kind.value})",
        evidence,
    )


def _render(report: ApiReport) -> str | None:
    proposals = sorted(report.proposals, key=lambda c: step_rank(c.step or "rename_module"))
    if not proposals:
        return None
    steps = [
        StepText(c.step or "", c.options, [c.reason, "evidence: " + ", ".join(c.evidence)])
        for c in proposals
    ]
    footer: list[str] = []
    others = [c for c in report.changes if not c.step]
    if others:
        footer.append("# Not proposed as steps:")
        for c in others:
            lines = comment(f"{c.kind}: {c.reason} ({', '.join(c.evidence)})")
            footer.append(f"# - {lines[0][2:]}")
            footer += [f"#   {line[2:]}" for line in lines[1:]]
    return recipe_text(
        header=[
            f"Written by `codemod learn --api {report.old}..{report.new}` "
            f"({', '.join(report.packages)})",
            "Review, then: codemod preview <this file> <project>",
        ],
        title=f"Follow the API change {report.old}..{report.new}",
        description=(
            f"Written by `codemod learn` from the API of {', '.join(report.packages)} at "
            f"{report.old} and {report.new}: each step follows one moved or renamed module, "
            "name or parameter, and names its evidence."
        ),
        steps=steps,
        footer=footer,
    )
