"""The ``rename_kwarg`` step type. Its description is written once, in the docstring of
:class:`RenameKwarg` (``codemod explain rename_kwarg`` shows it).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import ClassVar

import libcst as cst
from libcst.metadata import ScopeProvider
from pydantic import Field, field_validator

from codemods.analysis.astnames import LOCAL, Resolver, Undecided, dotted_name
from codemods.analysis.imports import resolve_module
from codemods.analysis.names import (
    DottedPattern,
    matches_any,
    matches_names,
    qualified_names_for,
    qualified_names_of,
)
from codemods.analysis.text import TextEdit, TextMap
from codemods.analysis.visit import line_col, transform_with_metadata
from codemods.steps._base import Example, FileContext, Needles, Source, Step, StepOptions

_DOTTED = r"^(\*\.)?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_*][A-Za-z0-9_]*)*$"


class RenameKwargOptions(StepOptions):
    callables: list[str] = Field(
        min_length=1,
        description=(
            "Dotted qualified names of the callables whose calls are rewritten, e.g. "
            "`pkg.mod.UserExecutionContext`. A leading `*.` matches the name imported from any "
            "module (`*.UserExecutionContext`); list classmethods as `*.Cls.method`."
        ),
    )
    old: str = Field(description="The keyword argument to rename.", pattern=r"^[A-Za-z_]\w*$")
    new: str = Field(description="Its new name.", pattern=r"^[A-Za-z_]\w*$")
    match_bare_name: bool = Field(
        default=False,
        description=(
            "Also match calls by their spelled name alone (`UserExecutionContext(...)`, "
            "`x.UserExecutionContext(...)`), whatever they resolve to: for code that defines "
            "its own stand-ins of the class."
        ),
    )

    @field_validator("callables")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        import re

        for item in value:
            if not re.match(_DOTTED, item):
                raise ValueError(
                    f"{item!r} is not a dotted name such as `pkg.mod.Cls` or `*.Cls.method`"
                )
        return value


class RenameKwarg(Step[RenameKwargOptions]):
    """Rename a keyword argument in calls to given classes or functions

    When a constructor or function renames a parameter, every call that still passes the old
    keyword fails with ``TypeError: ... got an unexpected keyword argument``. Calls are matched
    by what they resolve to through imports, aliases and module attributes, so a local class
    that merely shares the name is left alone unless ``match_bare_name`` is set. A call that
    already passes the new keyword is left unchanged and reported (renaming would produce a
    duplicate keyword, a SyntaxError).
    """

    Options: ClassVar = RenameKwargOptions
    order: ClassVar = 20  # calls, once their imports point at the new places
    examples: ClassVar = (
        Example(
            title="aliased import, multi-line call with a comment",
            options={
                "callables": ["*.UserExecutionContext"],
                "old": "session_id",
                "new": "request_id",
            },
            before=(
                "from app.context import UserExecutionContext as UEC\n\n"
                "ctx = UEC(\n    user_id=uid,\n    session_id=sid,  # from the handshake\n    **extra,\n)\n"
            ),
            after=(
                "from app.context import UserExecutionContext as UEC\n\n"
                "ctx = UEC(\n    user_id=uid,\n    request_id=sid,  # from the handshake\n    **extra,\n)\n"
            ),
        ),
        Example(
            title="a local class with the same name is not the imported one",
            options={
                "callables": ["*.UserExecutionContext"],
                "old": "session_id",
                "new": "request_id",
            },
            before=(
                "class UserExecutionContext:\n"
                "    def __init__(self, session_id):\n        self.session_id = session_id\n\n"
                "ctx = UserExecutionContext(session_id='s')\n"
            ),
        ),
    )

    def needles(self) -> Needles:
        return [[self.options.old, DottedPattern(c).last] for c in self.options.callables]

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        return transform_with_metadata(module, _Renamer(self.options, ctx))

    def edit(self, source: Source, ctx: FileContext) -> list[TextEdit] | None:
        """The same rename decided from the ``ast``: imports resolved by ``symtable`` (see
        :mod:`codemods.analysis.astnames`); None (LibCST decides) where that is not certain."""
        text = source.text
        if text is None:
            return None
        old = self.options.old
        # where `old=` is spelled: only the calls around those places are looked at (a
        # `**{"old": ...}` key has no such spelling: then every call is)
        around: list[tuple[int, int]] | None = [
            text.position(m.start())
            for m in re.finditer(rf"\b{re.escape(old)}(?:[\s\\]|#[^\r\n]*)*=(?!=)", text.text)
        ]
        if "**" in text.text and re.search(rf"[\'\"]{re.escape(old)}[\'\"]", text.text):
            around = None
        elif not around:
            return []
        try:
            resolver = Resolver.of(source.tree, text.text)
            return _AstRenamer(self.options, ctx, text, resolver).run(around)
        except Undecided:
            return None


class _Renamer(cst.CSTTransformer):
    # Positions are needed only for the rare duplicate-keyword warning: `line_col` resolves
    # them then, not for every file that passes the needles.
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, options: RenameKwargOptions, ctx: FileContext) -> None:
        super().__init__()
        self.opts = options
        self.ctx = ctx
        self.patterns = [DottedPattern(c) for c in options.callables]

    def _target(self, call: cst.Call) -> DottedPattern | None:
        qnames = qualified_names_for(
            qualified_names_of(self, call.func),
            self.ctx.module_name,
            is_package=self.ctx.path.name == "__init__.py",
        )
        return matches_any(self.patterns, qnames, call.func, bare=self.opts.match_bare_name)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        old, new = self.opts.old, self.opts.new
        keywords = {a.keyword.value for a in updated.args if a.keyword is not None}
        star_dict_keys = {k for a in updated.args for k in _star_dict_keys(a)}
        if old not in keywords and old not in star_dict_keys:
            return updated
        pattern = self._target(original)
        if pattern is None:
            return updated
        if new in keywords or new in star_dict_keys:
            line, col = line_col(self, original)
            self.ctx.warn(
                f"call to {pattern.text} passes both `{old}` and `{new}`; left unchanged "
                f"(renaming would duplicate `{new}`)",
                line,
                col,
            )
            return updated
        args = [_rename_in_arg(a, old, new) for a in updated.args]
        return updated.with_changes(args=args)


class _AstRenamer:
    """:class:`_Renamer` over the ``ast``: the same calls, the same warnings, as text edits."""

    def __init__(
        self, options: RenameKwargOptions, ctx: FileContext, text: TextMap, resolver: Resolver
    ) -> None:
        self.opts, self.ctx, self.text, self.resolver = options, ctx, text, resolver
        self.patterns = [DottedPattern(c) for c in options.callables]

    def run(self, around: list[tuple[int, int]] | None) -> list[TextEdit]:
        old, new = self.opts.old, self.opts.new
        edits: list[TextEdit] = []
        warnings: list[tuple[tuple[int, int], str, int, int]] = []
        for node, scope in self.resolver.walk(around):
            if not isinstance(node, ast.Call) or not any(
                k.arg == old or old in _ast_star_keys(k, self.text) for k in node.keywords
            ):
                continue
            keywords = {k.arg for k in node.keywords if k.arg is not None}
            star_keys = {key for k in node.keywords for key in _ast_star_keys(k, self.text)}
            pattern = self._target(node, scope)
            if pattern is None:
                continue
            if new in keywords or new in star_keys:
                line, col = self.text.line_col(self.text.offset(node.lineno, node.col_offset))
                message = (
                    f"call to {pattern.text} passes both `{old}` and `{new}`; left unchanged "
                    f"(renaming would duplicate `{new}`)"
                )
                end = (node.end_lineno or 0, node.end_col_offset or 0)
                warnings.append((end, message, line, col))  # LibCST warns in leave order
                continue
            edits += self._renames(node)
        for _, message, line, col in sorted(warnings, key=lambda w: w[0]):
            self.ctx.warn(message, line, col)
        return edits

    def _target(self, call: ast.Call, scope: object) -> DottedPattern | None:
        qnames = set()
        module_name = self.ctx.module_name
        for name in self.resolver.qualified_names(call.func, scope):  # type: ignore[arg-type]
            if name.startswith("."):  # as qualified_names_for: from the file's own package
                is_package = self.ctx.path.name == "__init__.py"
                resolved = resolve_module(name, module_name, is_package=is_package)
                if resolved is not None:
                    qnames.add(resolved)
            elif not name.startswith(LOCAL):
                qnames.add(name)
            elif self.ctx.module_name:  # as qualified_names_for: `pkg.mod.Name` matches it
                qnames.add(f"{LOCAL}{self.ctx.module_name}.{name[len(LOCAL) :]}")
        dotted = dotted_name(call.func) if self.opts.match_bare_name else None
        return matches_names(self.patterns, qnames, dotted)

    def _renames(self, call: ast.Call) -> list[TextEdit]:
        old, new, text = self.opts.old, self.opts.new, self.text
        out = []
        for keyword in call.keywords:
            if keyword.arg == old:
                start = text.offset(keyword.lineno, keyword.col_offset)
                if text.text[start : start + len(old)] != old:
                    raise Undecided("keyword not where the ast says")
                out.append(TextEdit(start, start + len(old), new))
            elif keyword.arg is None and isinstance(keyword.value, ast.Dict):
                for key in keyword.value.keys:
                    literal = _single_string(key, text)
                    if literal is not None and literal[2] == old:
                        prefix, quote, _ = literal
                        start, end = text.span(key)  # type: ignore[arg-type]
                        out.append(TextEdit(start, end, f"{prefix}{quote}{new}{quote}"))
        return out


def _ast_star_keys(keyword: ast.keyword, text: TextMap) -> set[str]:
    """String keys of a ``**{"key": value}`` argument (one string literal each, as LibCST's
    ``SimpleString``: an implicitly concatenated key is not one)."""
    if keyword.arg is not None or not isinstance(keyword.value, ast.Dict):
        return set()
    out = set()
    for key in keyword.value.keys:
        literal = _single_string(key, text)
        if literal is not None:
            out.add(literal[2])
    return out


def _single_string(node: ast.expr | None, text: TextMap) -> tuple[str, str, str] | None:
    """(prefix, quote, value) of a str constant spelled as one string literal, else None."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return None
    spelled = text.segment(node)
    try:
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(spelled).readline)
            if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
        ]
    except (tokenize.TokenError, SyntaxError):
        return None
    if len(tokens) != 1 or tokens[0].type != tokenize.STRING:
        return None
    prefix = spelled[: len(spelled) - len(spelled.lstrip("rRuUbBfF"))]
    rest = spelled[len(prefix) :]
    quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[:1]
    return prefix, quote, node.value


def _star_dict_keys(arg: cst.Arg) -> set[str]:
    """String keys of a ``**{"key": value}`` argument."""
    if arg.star != "**" or not isinstance(arg.value, cst.Dict):
        return set()
    keys = set()
    for element in arg.value.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            keys.add(element.key.evaluated_value)
    return {k for k in keys if isinstance(k, str)}


def _rename_in_arg(arg: cst.Arg, old: str, new: str) -> cst.Arg:
    if arg.keyword is not None and arg.keyword.value == old:
        return arg.with_changes(keyword=arg.keyword.with_changes(value=new))
    if arg.star == "**" and isinstance(arg.value, cst.Dict):
        elements = []
        for element in arg.value.elements:
            key = getattr(element, "key", None)
            if isinstance(key, cst.SimpleString) and key.evaluated_value == old:
                quote = key.quote
                prefix = key.prefix
                element = element.with_changes(
                    key=key.with_changes(value=f"{prefix}{quote}{new}{quote}")
                )
            elements.append(element)
        return arg.with_changes(value=arg.value.with_changes(elements=elements))
    return arg
