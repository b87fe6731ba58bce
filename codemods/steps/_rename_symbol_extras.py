"""Two more forms of ``rename_symbol`` options, run on top of its own machinery:

- a wildcard old module, ``pkg.models.**.Param`` (``*`` one segment, ``**`` any number): each
  module matching it that the file imports the name from is moved as if it had been spelled
  out, so a name re-exported from many submodules is one step;
- a name that becomes an attribute of an imported object, ``airflow.configuration.get`` ->
  ``airflow.configuration:conf.get``: every reference to the old name (through any import or
  alias, never a local that shadows it) becomes ``conf.get`` with
  ``from airflow.configuration import conf`` (or the file's existing import of it), the old
  import is removed once unused, and strings naming the old path follow.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import libcst as cst

from codemods.analysis.imports import (
    DOTTED_RE,
    Symbol,
    import_from_module,
    iter_imports,
    parse_symbol,
    rewrite_path_string,
)
from codemods.analysis.visit import transform_with_metadata
from codemods.steps._base import FileContext, Needles

if TYPE_CHECKING:
    from codemods.steps.rename_symbol import RenameSymbol


def _split(text: str) -> tuple[str, str] | None:
    """``("pkg.models.**", "Param")`` for a wildcard module path, else None."""
    if text.startswith("*.") or "*" not in text:
        return None
    module, sep, name = text.partition(":")
    if not sep:
        module, _, name = text.rpartition(".")
    return module, name


def is_extended(old: str, new: str) -> bool:
    return _split(old) is not None or _is_attribute_move(old, new)


def _is_attribute_move(old: str, new: str) -> bool:
    if ":" not in new or "*" in old:
        return False
    try:
        o, n = parse_symbol(old), parse_symbol(new)
    except ValueError:
        return False
    return o.attr is None and n.attr is not None


def check_extended(old: str, new: str) -> None:
    split = _split(old)
    if split is not None:
        module, name = split
        if (
            not re.fullmatch(r"[A-Za-z_*][\w*]*(\.[A-Za-z_*][\w*]*)*", module)
            or not name.isidentifier()
        ):
            raise ValueError(
                f"{old!r}: a wildcard path is `pkg.models.**.Name` (`*` one segment, `**` any)"
            )
        if "*" in new:
            raise ValueError(
                "`new` must be a concrete path (only `old` may have a wildcard module)"
            )
        if parse_symbol(new).attr is not None:
            raise ValueError("with a wildcard `old`, `new` must be a module-level name")
        return
    n = parse_symbol(new)
    assert n.attr is not None
    if not DOTTED_RE.match(n.module):
        raise ValueError(f"{new!r} must be `pkg.mod:object.attribute`")


def extended_needles(old: str) -> Needles:
    split = _split(old)
    if split is not None:
        return [[split[1]]]
    return [[parse_symbol(old).name]]


def _module_glob(module: str) -> re.Pattern[str]:
    """``pkg.models.**`` -> a regex: ``*`` is one segment (or part of one), ``**`` any number."""
    out = ""
    for seg in module.split("."):
        if seg == "**":
            out += r"(?:\.[A-Za-z_]\w*)*" if out else r"(?:[A-Za-z_]\w*\.)*"
            continue
        piece = re.escape(seg).replace(r"\*", r"\w*")
        out += piece if (not out or out.endswith(r"\.)*")) else r"\." + piece
    return re.compile(rf"^{out}$")


def concrete_modules(module: cst.Module, ctx: FileContext, glob: str, name: str) -> list[str]:
    """The modules matching ``glob`` that this file imports ``name`` (or itself) from."""
    pattern = _module_glob(glob)
    is_package = ctx.path.name == "__init__.py"
    found: list[str] = []
    for node, _line, _block in iter_imports(module):
        if isinstance(node, cst.Import):
            for alias in node.names:
                dotted = cst.helpers.get_full_name_for_node(alias.name) or ""
                if pattern.match(dotted):
                    found.append(dotted)
            continue
        resolved = import_from_module(node, ctx.module_name, is_package)
        if resolved is None or isinstance(node.names, cst.ImportStar):
            continue
        for alias in node.names:
            imported = cst.helpers.get_full_name_for_node(alias.name) or ""
            if imported == name and pattern.match(resolved):
                found.append(resolved)
            elif pattern.match(f"{resolved}.{imported}"):
                found.append(f"{resolved}.{imported}")
    return list(dict.fromkeys(found))


def extended_transform(step: RenameSymbol, module: cst.Module, ctx: FileContext) -> cst.Module:
    from codemods.steps.rename_symbol import RenameSymbol

    opts = step.options
    split = _split(opts.old)
    if split is not None:
        glob, name = split
        new = parse_symbol(opts.new)
        for concrete in concrete_modules(module, ctx, glob, name):
            if (concrete, name) == (new.module, new.name):
                continue  # already where it belongs
            one = opts.model_copy(update={"old": f"{concrete}:{name}"})
            module = RenameSymbol(one).transform(module, ctx)
        return module
    return _attribute_move(parse_symbol(opts.old), parse_symbol(opts.new), module, ctx)


def _attribute_move(old: Symbol, new: Symbol, module: cst.Module, ctx: FileContext) -> cst.Module:
    from codemods.steps._pattern_options import ImportsModel
    from codemods.steps.pattern import Pattern, PatternOptions

    assert new.attr is not None
    # the imports the rewrite can leave unused: the old name's, and the old module's aliases
    dead = [f"from {old.module} import {old.name}"]
    parent, _, last = old.module.rpartition(".")
    for node, _line, block in iter_imports(module):
        if block is not module or (
            isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar)
        ):
            continue
        for alias in node.names:  # type: ignore[union-attr]
            asname = (
                alias.asname.name.value
                if alias.asname and isinstance(alias.asname.name, cst.Name)
                else None
            )
            dotted = cst.helpers.get_full_name_for_node(alias.name) or ""
            if isinstance(node, cst.Import) and dotted == old.module and asname:
                dead.append(f"import {old.module} as {asname}")
            elif isinstance(node, cst.ImportFrom) and parent and dotted == last:
                source = cst.helpers.get_full_name_for_node(node.module) if node.module else None
                if source == parent and not node.relative:
                    dead.append(
                        f"from {parent} import {last}" + (f" as {asname}" if asname else "")
                    )
    rule = Pattern(
        PatternOptions(
            pattern=f"{old.module}.{old.name}",
            fix=f"{new.name}.{new.attr}",
            imports=ImportsModel(add=[f"from {new.module} import {new.name}"], remove_if_unused=dead),
        )
    )
    module = rule.transform(module, ctx)
    strings = _PathStrings(f"{old.module}.{old.name}", f"{new.module}.{new.name}.{new.attr}")
    return transform_with_metadata(module, strings)


class _PathStrings(cst.CSTTransformer):
    """``patch("old.path")`` -> ``patch("new.path")`` for strings that name the old path."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old, self.new = old, new

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.SimpleString:
        return rewrite_path_string(updated, self.old, self.new) or updated
