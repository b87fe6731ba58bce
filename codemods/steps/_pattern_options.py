"""The YAML options of the ``pattern`` step and their compilation into analysis objects.

Kept apart from ``pattern.py`` so the step file stays readable: these are the pydantic models
(ast-grep's rule keys in snake_case; ast-grep's camelCase spellings are accepted too) and the
functions that turn them into :mod:`codemods.analysis.pattern_rules` rules.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import libcst as cst
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from codemods.analysis.imports import DOTTED_RE
from codemods.analysis.pattern_match import CompiledPattern
from codemods.analysis.pattern_rewrite import Transform
from codemods.analysis.pattern_rules import Rule
from codemods.analysis.pattern_syntax import PatternError, parse_pattern

_SUB = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PatternContext(BaseModel):
    """A pattern for a sub-node: parse ``context`` and match its first ``selector`` node."""

    model_config = _SUB
    context: str = Field(
        description="Python source around the node to match, e.g. `f(context=$V)`."
    )
    selector: str = Field(description="LibCST node type inside the context to match, e.g. `Arg`.")


def _check_pattern(value: str | PatternContext | None) -> str | PatternContext | None:
    if value is None:
        return None
    if isinstance(value, str):
        parse_pattern(value)
    else:
        parse_pattern("", context=value.context, selector=value.selector)
    return value


def _node_type(name: str) -> type[cst.CSTNode]:
    kind = getattr(cst, name, None)
    if isinstance(kind, type) and issubclass(kind, cst.CSTNode):
        return kind
    import difflib

    known = [
        n
        for n in dir(cst)
        if isinstance(getattr(cst, n), type) and issubclass(getattr(cst, n), cst.CSTNode)
    ]
    close = difflib.get_close_matches(name, known, n=1)
    raise ValueError(
        f"unknown node kind `{name}`"
        + (
            f"; did you mean `{close[0]}`?"
            if close
            else " (use a LibCST node type such as `Call` or `FunctionDef`)"
        )
    )


class RuleModel(BaseModel):
    """An ast-grep style rule: every key given must hold at the node."""

    model_config = _SUB
    pattern: str | PatternContext | None = Field(
        default=None,
        description="Python source with metavariables (`$X`, `$$$ARGS`, `$_`) the node must match.",
    )
    kind: str | list[str] | None = Field(
        default=None,
        description="LibCST node type(s) the node must be, e.g. `ClassDef` or `[Call, Attribute]`.",
    )
    regex: str | None = Field(
        default=None,
        description="A regular expression the node's source text must contain a match of.",
    )
    qualified_name: str | list[str] | None = Field(
        default=None,
        description="Glob(s) the node's qualified name (what it refers to through imports) must match, "
        "e.g. `pydantic.BaseSettings`, `unittest.*` or `*.get_manager` (`*.` never matches a name "
        "defined in the file itself); for a call, the called name's; for an argument, its value's.",
    )
    inside: RuleModel | None = Field(default=None, description="A rule some ancestor must satisfy.")
    not_inside: RuleModel | None = Field(
        default=None,
        description="A rule no ancestor may satisfy.",
        validation_alias=AliasChoices("not_inside", "notInside"),
    )
    has: RuleModel | None = Field(default=None, description="A rule some descendant must satisfy.")
    stop_by: Literal["end", "neighbor"] = Field(
        default="end",
        description="When this rule is the value of `inside`/`has`: `end` looks at every ancestor/descendant, "
        "`neighbor` only at the parent/children.",
        validation_alias=AliasChoices("stop_by", "stopBy"),
    )
    all: list[RuleModel] = Field(default_factory=list, description="Rules that must all hold.")
    any: list[RuleModel] = Field(default_factory=list, description="Rules of which one must hold.")
    not_: RuleModel | None = Field(
        default=None, alias="not", description="A rule that must not hold."
    )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | PatternContext | None) -> str | PatternContext | None:
        return _check_pattern(value)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | list[str] | None) -> str | list[str] | None:
        for name in [value] if isinstance(value, str) else value or []:
            _node_type(name)
        return value

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> RuleModel:
        if not self.model_fields_set - {"stop_by"}:
            raise ValueError(
                "a rule needs at least one of: pattern, kind, regex, qualified_name, inside, not_inside, has, all, any, not"
            )
        return self


class ReplaceModel(BaseModel):
    model_config = _SUB
    source: str = Field(description="The metavariable to transform, e.g. `$NAME`.")
    replace: str = Field(description="A regular expression to replace in its text.")
    by: str = Field(description="The replacement (`\\1` refers to a group).")


class SubstringModel(BaseModel):
    model_config = _SUB
    source: str = Field(description="The metavariable to cut, e.g. `$NAME`.")
    start_char: int | None = Field(
        default=None,
        description="First character kept (negative: from the end).",
        validation_alias=AliasChoices("start_char", "startChar"),
    )
    end_char: int | None = Field(
        default=None,
        description="First character dropped (negative: from the end).",
        validation_alias=AliasChoices("end_char", "endChar"),
    )


class ConvertModel(BaseModel):
    model_config = _SUB
    source: str = Field(description="The metavariable to convert, e.g. `$NAME`.")
    to_case: Literal[
        "lowerCase", "upperCase", "capitalize", "camelCase", "snakeCase", "kebabCase", "pascalCase"
    ] = Field(
        description="The case to convert its text to.",
        validation_alias=AliasChoices("to_case", "toCase"),
    )


class RewriteModel(BaseModel):
    model_config = _SUB
    source: str = Field(
        description="The (usually sequence) metavariable whose elements are rewritten, e.g. `$$$BODY`."
    )
    rewriters: list[str] = Field(
        min_length=1,
        description="Ids of `rewriters`; the first that matches an element rewrites it.",
    )
    join_by: str = Field(
        default="",
        description='Text put between the rewritten elements, e.g. `", "`.',
        validation_alias=AliasChoices("join_by", "joinBy"),
    )


class TransformModel(BaseModel):
    """Exactly one string operation on a metavariable, producing a new one."""

    model_config = _SUB
    replace: ReplaceModel | None = None
    substring: SubstringModel | None = None
    convert: ConvertModel | None = None
    rewrite: RewriteModel | None = None

    @model_validator(mode="after")
    def _one(self) -> TransformModel:
        given = [
            k
            for k in ("replace", "substring", "convert", "rewrite")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "a transform is exactly one of `replace`, `substring`, `convert`, `rewrite`"
            )
        return self


class RewriterModel(BaseModel):
    """A sub-rule applied by a `rewrite` transform to each element of a sequence."""

    model_config = _SUB
    id: str = Field(description="Name the `rewrite` transform refers to.")
    rule: RuleModel | None = Field(
        default=None, description="What the element (or a node inside it) must match."
    )
    pattern: str | PatternContext | None = Field(
        default=None, description="Shorthand for `rule: {pattern: ...}`."
    )
    constraints: dict[str, RuleModel] = Field(
        default_factory=dict, description="Rules on this rewriter's metavariables."
    )
    transform: dict[str, TransformModel] = Field(
        default_factory=dict, description="Transforms for this rewriter's fix."
    )
    fix: str = Field(description="The element's new text, with this rewriter's metavariables.")

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | PatternContext | None) -> str | PatternContext | None:
        return _check_pattern(value)


class ImportsModel(BaseModel):
    model_config = _SUB
    add: list[str] = Field(
        default_factory=list,
        description="Imports the fix needs, e.g. `from datetime import UTC`: added where the file's imports go "
        "(merged into an existing `from datetime import ...`) when a fix was applied; if the file already "
        "reaches the name (`import datetime`, or another alias), the fix is spelled that way instead.",
    )
    remove_if_unused: list[str] = Field(
        default_factory=list,
        description="Imports the fix may make dead, e.g. `from pydantic import Extra`: removed when the file "
        "used them before the rewrite and nothing (code, string annotation, type comment) uses them after.",
    )

    @field_validator("add", "remove_if_unused")
    @classmethod
    def _imports(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_import(item)
        return value


ImportSpec = tuple[str, str | None, str | None]  # (module, name or None, asname)

_FROM = re.compile(r"^from\s+([\w.]+)\s+import\s+(\w+)(?:\s+as\s+(\w+))?$")
_IMPORT = re.compile(r"^import\s+([\w.]+)(?:\s+as\s+(\w+))?$")


def parse_import(text: str) -> ImportSpec:
    """``"from m import n as a"`` -> ``("m", "n", "a")``; ``"import m"`` -> ``("m", None, None)``."""
    text = " ".join(text.split())
    m = _FROM.match(text)
    if m and DOTTED_RE.match(m.group(1)):
        return m.group(1), m.group(2), m.group(3)
    m = _IMPORT.match(text)
    if m and DOTTED_RE.match(m.group(1)):
        return m.group(1), None, m.group(2)
    raise ValueError(
        f"{text!r} is not `from module import name [as alias]` or `import module [as alias]`"
    )


def binding(spec: ImportSpec) -> tuple[str, str]:
    """(the local name an import binds, the qualified name it binds it to)."""
    module, name, asname = spec
    if name is not None:
        return asname or name, f"{module}.{name}"
    if asname:
        return asname, module
    return module.split(".")[0], module.split(".")[0]


# -- compiling -------------------------------------------------------------------------------


def compile_pattern(value: str | PatternContext) -> CompiledPattern:
    if isinstance(value, str):
        parsed = parse_pattern(value)
    else:
        parsed = parse_pattern("", context=value.context, selector=value.selector)
    return CompiledPattern(parsed.nodes, parsed.kind)


def fix_context(pattern: CompiledPattern | None) -> str:
    """How a fix for matches of ``pattern`` is parsed."""
    if pattern is None:
        return "statement"
    if pattern.kind == "selected":
        return type(pattern.nodes[0]).__name__
    if pattern.kind == "statements":
        return "statements"
    first = pattern.nodes[0]
    if pattern.kind == "expression":
        return "expression"
    if isinstance(first, cst.BaseSmallStatement | cst.BaseStatement):
        return "statement"
    return pattern.kind


def compile_rule(model: RuleModel, extra_pattern: str | PatternContext | None = None) -> Rule:
    source = model.pattern if model.pattern is not None else extra_pattern
    kinds: tuple[type[cst.CSTNode], ...] = ()
    if model.kind is not None:
        kinds = tuple(
            _node_type(k) for k in ([model.kind] if isinstance(model.kind, str) else model.kind)
        )
    return Rule(
        pattern=compile_pattern(source) if source is not None else None,
        kind=kinds,
        regex=re.compile(model.regex) if model.regex is not None else None,
        qualified_name=(
            (model.qualified_name,)
            if isinstance(model.qualified_name, str)
            else tuple(model.qualified_name or ())
        ),
        inside=compile_rule(model.inside) if model.inside else None,
        inside_neighbor=bool(model.inside and model.inside.stop_by == "neighbor"),
        not_inside=compile_rule(model.not_inside) if model.not_inside else None,
        has=compile_rule(model.has) if model.has else None,
        has_neighbor=bool(model.has and model.has.stop_by == "neighbor"),
        all=tuple(compile_rule(r) for r in model.all),
        any=tuple(compile_rule(r) for r in model.any),
        not_=compile_rule(model.not_) if model.not_ else None,
    )


def metavar_name(text: str, where: str) -> str:
    m = re.fullmatch(r"\$(?:\$\$)?([A-Z_][A-Z0-9_]*)", text.strip())
    if not m:
        raise ValueError(f"{where}: `{text}` is not a metavariable such as `$NAME` or `$$$ARGS`")
    return m.group(1)


def compile_transforms(models: dict[str, TransformModel]) -> tuple[tuple[str, Transform], ...]:
    out: list[tuple[str, Transform]] = []
    for name, model in models.items():
        target = name.lstrip("$")
        if model.replace is not None:
            t = Transform(
                "replace",
                metavar_name(model.replace.source, name),
                regex=re.compile(model.replace.replace),
                by=model.replace.by,
            )
        elif model.substring is not None:
            s = model.substring
            t = Transform(
                "substring", metavar_name(s.source, name), start=s.start_char, end=s.end_char
            )
        elif model.convert is not None:
            t = Transform(
                "convert", metavar_name(model.convert.source, name), to_case=model.convert.to_case
            )
        else:
            assert model.rewrite is not None
            r = model.rewrite
            t = Transform(
                "rewrite",
                metavar_name(r.source, name),
                rewriters=tuple(r.rewriters),
                join_by=r.join_by,
            )
        out.append((target, t))
    return tuple(out)


def check_pattern_error(exc: Exception) -> Any:
    """Re-raise a PatternError as the ValueError pydantic reports (it keeps line/column)."""
    if isinstance(exc, PatternError):
        raise exc
    raise ValueError(str(exc)) from None
