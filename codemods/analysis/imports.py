"""Shared helpers for steps that read or rewrite imports (pure functions over LibCST nodes).

Building blocks, not a transformer: resolve relative imports, build dotted expressions and
import statements, drop one alias from an import keeping its layout, rewrite string literals
that name a dotted path (``patch("pkg.mod.Name")``), tell whether text mentions a path,
and add or remove imports through LibCST's own ``AddImportsVisitor`` / ``RemoveImportsVisitor``.

>>> resolve_module("..core", "pkg.tests.test_x", is_package=False)
'pkg.core'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.modules import resolve_module
from codemods.analysis.text import word_re
from codemods.analysis.visit import wrap

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
DOTTED_RE = re.compile(rf"^{_IDENT}(\.{_IDENT})*$")


# -- names ----------------------------------------------------------------------------------


def import_from_module(
    node: cst.ImportFrom, file_module: str | None, is_package: bool
) -> str | None:
    """The absolute module of a ``from ... import`` statement (``None`` if unresolvable)."""
    dots = "." * len(node.relative)
    name = get_full_name_for_node(node.module) if node.module is not None else ""
    return resolve_module(dots + (name or ""), file_module, is_package=is_package)


def relative_spelling(
    target: str, file_module: str | None, *, is_package: bool
) -> tuple[int, str] | None:
    """How a relative import in ``file_module`` names module ``target``: (dots, rest).

    >>> relative_spelling("attr._pycompat", "attr._make", is_package=False)
    (1, '_pycompat')
    >>> relative_spelling("pkg.util", "pkg.sub.mod", is_package=False)
    (2, 'util')
    >>> relative_spelling("other.x", "pkg.mod", is_package=False) is None
    True
    """
    if not file_module:
        return None
    package = file_module.split(".")
    if not is_package:
        package = package[:-1]
    parts = target.split(".")
    common = 0
    while common < min(len(package), len(parts)) and package[common] == parts[common]:
        common += 1
    if common == 0:
        return None  # another top-level package: only an absolute import reaches it
    return len(package) - common + 1, ".".join(parts[common:])


def from_module_changes(
    node: cst.ImportFrom, target: str, file_module: str | None, *, is_package: bool
) -> dict[str, object]:
    """The ``module``/``relative`` changes that make ``node`` import from ``target``, relative
    if ``node`` was relative (and ``target`` can be reached that way), absolute otherwise."""
    if node.relative:
        spelled = relative_spelling(target, file_module, is_package=is_package)
        if spelled is not None:
            dots, rest = spelled
            return {
                "relative": [cst.Dot()] * dots,
                "module": dotted_expr(rest) if rest else None,
            }
    return {"module": dotted_expr(target), "relative": ()}


ImportNode = cst.Import | cst.ImportFrom
ImportLine = cst.SimpleStatementLine | cst.SimpleStatementSuite


def iter_imports(module: cst.Module) -> list[tuple[ImportNode, ImportLine, cst.CSTNode]]:
    """Every import statement of ``module``, in source order, with its line and its block."""
    found: list[tuple[ImportNode, ImportLine, cst.CSTNode]] = []
    _collect_imports(module.body, module, found)
    return found


def _collect_imports(
    body: Iterable[cst.BaseStatement | cst.BaseSmallStatement],
    block: cst.CSTNode,
    found: list[tuple[ImportNode, ImportLine, cst.CSTNode]],
) -> None:
    """Every import statement under ``body``, in order, with its line and block.

    Walks statements only (imports are never inside expressions), so it costs a fraction of a
    visit of the whole tree. The block of a line is the Module or IndentedBlock holding it; a
    one-line suite (``if x: import y``) is its own block.
    """
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            found.extend((s, stmt, block) for s in stmt.body if isinstance(s, ImportNode))
            continue
        for suite in _suites(stmt):
            if isinstance(suite, cst.SimpleStatementSuite):
                found.extend((s, suite, suite) for s in suite.body if isinstance(s, ImportNode))
            elif isinstance(suite, cst.IndentedBlock):
                _collect_imports(suite.body, suite, found)


_CLAUSES = (cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.If, cst.MatchCase)


def _suites(node: cst.CSTNode) -> Iterable[cst.BaseSuite]:
    """The suites of a compound statement: its body, ``elif``/``else``/``except``/``finally``
    and ``case`` clauses' bodies, in source order."""
    for child in node.children:
        if isinstance(child, cst.BaseSuite):
            yield child
        elif isinstance(child, _CLAUSES):
            yield from _suites(child)


def dotted_expr(dotted: str) -> cst.Name | cst.Attribute:
    """``"a.b.c"`` as an expression node (``Attribute(Attribute(Name(a), b), c)``)."""
    parts = dotted.split(".")
    node: cst.Name | cst.Attribute = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def import_from_stmt(module: str, name: str, asname: str | None = None) -> cst.SimpleStatementLine:
    """``from module import name [as asname]`` as a statement line."""
    alias = cst.ImportAlias(
        name=cst.Name(name), asname=cst.AsName(cst.Name(asname)) if asname else None
    )
    return cst.SimpleStatementLine([cst.ImportFrom(module=dotted_expr(module), names=[alias])])


def import_stmt(module: str, asname: str | None = None) -> cst.SimpleStatementLine:
    """``import module [as asname]`` as a statement line."""
    alias = cst.ImportAlias(
        name=dotted_expr(module), asname=cst.AsName(cst.Name(asname)) if asname else None
    )
    return cst.SimpleStatementLine([cst.Import(names=[alias])])


def import_module_stmt(module: str, binding: str) -> cst.SimpleStatementLine:
    """A statement that binds module ``module`` to the local name ``binding``.

    ``pkg.mod`` bound to ``mod`` -> ``from pkg import mod``; bound to ``m`` ->
    ``from pkg import mod as m``; a top-level module -> ``import mod [as m]``.
    """
    parent, _, last = module.rpartition(".")
    if not parent:
        return import_stmt(module, None if binding == module else binding)
    return import_from_stmt(parent, last, None if binding == last else binding)


def with_asname(alias: cst.ImportAlias, asname: str | None) -> cst.ImportAlias:
    """``alias`` with its ``as`` name set (keeping the existing spacing) or removed."""
    if asname is None:
        return alias.with_changes(asname=None)
    if alias.asname is not None:
        return alias.with_changes(asname=alias.asname.with_changes(name=cst.Name(asname)))
    return alias.with_changes(asname=cst.AsName(cst.Name(asname)))


def without_alias(
    node: cst.ImportFrom | cst.Import, index: int
) -> cst.ImportFrom | cst.Import | None:
    """``node`` minus its ``index``-th alias, keeping layout; ``None`` if none would remain.

    The names that stay keep their own line comments; the removed name's comment is the
    caller's to carry (``line_comment``), never handed to its neighbour."""
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    kept = [a for i, a in enumerate(names) if i != index]
    if not kept:
        return None
    if index == len(names) - 1:  # the new last alias takes over the removed one's comma
        kept[-1], node = _last_comma(node, names[index - 1], names[index])
    if isinstance(node, cst.Import) and isinstance(kept[-1].comma, cst.Comma):
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=kept)


def _last_comma(
    node: cst.ImportFrom | cst.Import, before: cst.ImportAlias, removed: cst.ImportAlias
) -> tuple[cst.ImportAlias, cst.ImportFrom | cst.Import]:
    """``before`` as the new last name of ``node`` once ``removed`` (the last) is gone.

    The removed name's comma carries the layout up to the closing parenthesis, so the new last
    name takes it over, with its own line's comment instead of the removed one's. Where the
    removed name had no comma on its own line (``x,  # c`` then ``y)``), the kept name's comma
    and comment stay and the parenthesis closes on the next line as it did.
    """
    own, gone = before.comma, removed.comma
    own_after = (  # the kept name's comma ends its line (a comment may sit there)
        own.whitespace_after
        if isinstance(own, cst.Comma)
        and isinstance(own.whitespace_after, cst.ParenthesizedWhitespace)
        else None
    )
    if isinstance(gone, cst.Comma) and isinstance(
        gone.whitespace_after, cst.ParenthesizedWhitespace
    ):
        first_line = own_after.first_line if own_after is not None else cst.TrailingWhitespace()
        layout = gone.whitespace_after.with_changes(first_line=first_line)
        return before.with_changes(comma=gone.with_changes(whitespace_after=layout)), node
    if (
        isinstance(own, cst.Comma)
        and own_after is not None
        and own_after.first_line.comment is not None
        and isinstance(node, cst.ImportFrom)
        and node.rpar is not None
    ):
        closing = node.rpar.whitespace_before
        last_line = (
            closing.last_line
            if isinstance(closing, cst.ParenthesizedWhitespace)
            else own_after.last_line
        )
        comma = own.with_changes(whitespace_after=own_after.with_changes(last_line=last_line))
        rpar = node.rpar.with_changes(whitespace_before=cst.SimpleWhitespace(""))
        return before.with_changes(comma=comma), node.with_changes(rpar=rpar)
    return before.with_changes(comma=gone), node


def line_comment(node: cst.ImportFrom | cst.Import, index: int) -> cst.Comment | None:
    """The comment after the ``index``-th name of a parenthesised import, on its line (after
    its comma, or, for a last name without one, before the closing parenthesis)."""
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    comma = names[index].comma
    if isinstance(comma, cst.Comma):
        after = comma.whitespace_after
    elif isinstance(node, cst.ImportFrom) and node.rpar is not None:
        after = node.rpar.whitespace_before
    else:
        return None
    return after.first_line.comment if isinstance(after, cst.ParenthesizedWhitespace) else None


def with_line_comment(
    line: cst.SimpleStatementLine, comment: cst.Comment | None
) -> cst.SimpleStatementLine:
    """``line`` ending in ``comment`` (two spaces before it), if there is one."""
    if comment is None:
        return line
    return line.with_changes(
        trailing_whitespace=cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "), comment=comment
        )
    )


def binding_of(alias: cst.ImportAlias) -> str:
    """The local name an import alias binds: ``as`` name, or the first dotted segment."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return (get_full_name_for_node(alias.name) or "").split(".")[0]


@dataclass(frozen=True)
class Symbol:
    """A dotted path split into module, module-level name and optional class attribute."""

    module: str  # "*" for "a class of this name imported from any module"
    name: str
    attr: str | None = None

    @property
    def dotted(self) -> str:
        return ".".join(p for p in (self.module, self.name, self.attr) if p)


def parse_symbol(text: str) -> Symbol:
    """``pkg.mod.Name``, ``pkg.mod:Name``, ``pkg.mod.Cls.attr``, ``pkg.mod:Cls.attr``, ``*.Cls.attr``.

    Without ``:``, a path whose second-to-last segment is capitalised (``mod.Cls.attr``) is a
    class attribute; everything else is a module-level name (the last segment).
    """
    if ":" in text:
        module, _, rest = text.partition(":")
        parts = rest.split(".")
        if not DOTTED_RE.match(module) or not DOTTED_RE.match(rest) or len(parts) > 2:
            raise ValueError(f"{text!r} is not `pkg.mod:Name` or `pkg.mod:Cls.attr`")
        return Symbol(module, parts[0], parts[1] if len(parts) == 2 else None)
    parts = text.split(".")
    if parts[0] == "*":
        if len(parts) != 3 or not DOTTED_RE.match(".".join(parts[1:])):
            raise ValueError(f"{text!r}: a `*.` path must be `*.Cls.attr`")
        return Symbol("*", parts[1], parts[2])
    if not DOTTED_RE.match(text) or len(parts) < 2:
        raise ValueError(f"{text!r} is not a dotted path such as `pkg.mod.Name`")
    if len(parts) >= 3 and parts[-2][:1].isupper():
        return Symbol(".".join(parts[:-2]), parts[-2], parts[-1])
    return Symbol(".".join(parts[:-1]), parts[-1])


# -- strings ----------------------------------------------------------------------------------


def names_path(value: str, path: str) -> bool:
    """Whether a string value names ``path`` exactly or as a prefix followed by ``.``."""
    return (value == path or value.startswith(path + ".")) and bool(DOTTED_RE.match(value))


def replace_string_value(node: cst.SimpleString, new_value: str) -> cst.SimpleString | None:
    """``node`` holding ``new_value`` with the same prefix and quotes (``None`` if escapes)."""
    if any(ch in node.prefix.lower() for ch in "bf"):
        return None
    inner = node.value[len(node.prefix) + len(node.quote) : -len(node.quote)]
    if inner != node.evaluated_value or "\\" in new_value or node.quote[0] in new_value:
        return None
    return node.with_changes(value=f"{node.prefix}{node.quote}{new_value}{node.quote}")


def rewrite_path_string(node: cst.SimpleString, old: str, new: str) -> cst.SimpleString | None:
    """``"old.A.x"`` -> ``"new.A.x"`` when the string names ``old``; else ``None``."""
    value = node.evaluated_value
    if not isinstance(value, str) or not names_path(value, old):
        return None
    if new.startswith(old + ".") and names_path(value, new):  # already moved (idempotence)
        return None
    return replace_string_value(node, new + value[len(old) :])


def mentions(text: str, path: str) -> bool:
    """Whether ``text`` mentions dotted ``path`` as a whole word (not as part of a longer name)."""
    return word_re(path).search(text) is not None


def rename_in_annotation(value: str, old: str, new: str) -> str:
    """Rename the identifier ``old`` (not attribute names ``x.old``) inside annotation text."""
    return word_re(old).sub(new, value)


# -- adding and removing imports through LibCST's own visitors ------------------------------------


def add_import(
    module: cst.Module, from_module: str, name: str | None = None, asname: str | None = None
) -> cst.Module:
    """``module`` with ``import from_module`` or ``from from_module import name`` added once.

    Uses LibCST's ``AddImportsVisitor``: placed after the module docstring, ``from __future__``
    imports and the leading import block, never inside a multi-line import; no duplicate when
    the file already imports it.
    """
    wrapper = wrap(module)
    from libcst.codemod import CodemodContext  # ~0.3 s to import: only where an edit needs it
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem

    context = CodemodContext(wrapper=wrapper)
    item = ImportItem(from_module, name, asname)
    return wrapper.visit(AddImportsVisitor(context, [item]))


def add_needed_import(module: cst.Module, name: str) -> cst.Module:
    """``module`` with ``import name`` added exactly where LibCST's ``AddImportsVisitor`` puts
    it, unless the module's leading imports already have it.

    The place: after a leading docstring (or ``__strict__`` flag) and after the block of
    one-import lines that follows it (``__future__`` imports included), with an empty line
    before the next statement. Done from the module's top-level statements alone: the
    visitor itself walks and copies the whole tree twice (seconds on a big module).
    """
    body = list(module.body)
    start = 1 if body and _is_leading_marker(body[0]) else 0
    at = start
    for stmt in body[start:]:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            break
        small = stmt.body[0]
        if not isinstance(small, cst.Import | cst.ImportFrom):
            break
        if isinstance(small, cst.Import) and any(
            a.asname is None and a.evaluated_name == name for a in small.names
        ):
            return module  # already imported
        at += 1
    line = cst.parse_statement(f"import {name}", config=module.config_for_parsing)
    rest = body[at:]
    if rest:
        first = rest[0]
        if not first.leading_lines:
            rest[0] = first.with_changes(leading_lines=(cst.EmptyLine(),))
        elif first.leading_lines[0].comment is not None:
            rest[0] = first.with_changes(leading_lines=(cst.EmptyLine(), *first.leading_lines))
    return module.with_changes(body=[*body[:at], line, *rest])


def _is_leading_marker(stmt: cst.BaseStatement) -> bool:
    """A docstring or ``__strict__ = ...`` first statement, which imports must come after."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    first = stmt.body[0]
    if isinstance(first, cst.Expr):
        return isinstance(first.value, cst.SimpleString)
    return (
        isinstance(first, cst.Assign)
        and len(first.targets) == 1
        and isinstance(first.targets[0].target, cst.Name)
        and first.targets[0].target.value == "__strict__"
    )


def remove_unused_imports(
    module: cst.Module,
    imports: Sequence[tuple[str, str | None, str | None]],
    full_module_name: str | None = None,
    is_package: bool = False,
) -> cst.Module:
    """``module`` without the given ``(module, name, asname)`` imports that nothing uses.

    Uses LibCST's ``RemoveImportsVisitor``, which keeps an import still referenced by code,
    a string annotation or ``__all__``. Relative imports are resolved from the file's package
    (the module itself for an ``__init__.py``), which the visitor needs to be told.
    """
    package = full_module_name
    if full_module_name is not None and not is_package:
        package = full_module_name.rpartition(".")[0] or None
    from libcst.codemod import CodemodContext  # ~0.3 s to import: only where an edit needs it
    from libcst.codemod.visitors import RemoveImportsVisitor

    # The visitor keys `import m [as x]` removals by module, so one alias per module per pass.
    batches: list[list[tuple[str, str | None, str | None]]] = []
    for item in dict.fromkeys(imports):
        if item[1] is None:
            batch = next((b for b in batches if all(o[0] != item[0] or o[1] for o in b)), None)
        else:
            batch = batches[0] if batches else None
        if batch is None:
            batches.append(batch := [])
        batch.append(item)
    for batch in batches:
        wrapper = wrap(module)
        context = CodemodContext(
            wrapper=wrapper, full_module_name=full_module_name, full_package_name=package
        )
        module = wrapper.visit(RemoveImportsVisitor(context, batch))
    return module
