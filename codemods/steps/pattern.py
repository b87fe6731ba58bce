"""The ``pattern`` step type. Its description is written once, in the docstring of
:class:`Pattern` (``codemod explain pattern`` shows it).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import libcst as cst
from libcst.metadata import ImportAssignment, ScopeProvider
from pydantic import Field, ValidationInfo, field_validator, model_validator

from codemods.analysis import pattern_decide
from codemods.analysis.imports import add_import, iter_imports, remove_unused_imports
from codemods.analysis.pattern_anchors import may_match, program_anchors
from codemods.analysis.pattern_fix import FixTemplate, template_names
from codemods.analysis.pattern_match import Matcher, Resolver, literal_chain
from codemods.analysis.pattern_rewrite import MAX_PASSES, Program, Rewriter, apply
from codemods.analysis.pattern_rules import ModuleIndex, Rule
from codemods.analysis.pattern_syntax import PatternError, metavariable_of
from codemods.analysis.per_file import one_file_cache
from codemods.analysis.positions import start_positions
from codemods.analysis.text import TextEdit
from codemods.analysis.visit import LazyMetadata, derived, wrap
from codemods.steps._base import (
    CHECKED,
    Example,
    FileContext,
    Needles,
    Source,
    Step,
    StepOptions,
)
from codemods.steps._pattern_options import (
    ImportsModel,
    PatternContext,
    RewriterModel,
    RuleModel,
    TransformModel,
    _check_pattern,
    binding,
    compile_pattern,
    compile_rule,
    compile_transforms,
    fix_context,
    parse_import,
)


class PatternOptions(StepOptions):
    id: str = Field(default="", description="A short name for this rule, used in messages.")
    pattern: str | PatternContext | None = Field(
        default=None,
        description="Python source with metavariables that the code must match, e.g. "
        "`datetime.datetime.utcnow()` or `AgentExecutionResult($$$A, context=$_, $$$B)`; "
        "or `{context: ..., selector: <LibCST type>}` for a sub-node such as one keyword argument.",
    )
    rule: RuleModel | None = Field(
        default=None,
        description="More conditions (ast-grep's rule object); its `pattern` may replace the top-level one.",
    )
    constraints: dict[str, RuleModel] = Field(
        default_factory=dict,
        description="Rules each metavariable's node must satisfy, keyed by name (`X` or `$X`).",
    )
    transform: dict[str, TransformModel] = Field(
        default_factory=dict,
        description="New metavariables computed from captured ones, usable in `fix`.",
    )
    rewriters: list[RewriterModel] = Field(
        default_factory=list,
        description="Sub-rules a `rewrite` transform applies to each element of a sequence.",
    )
    fix: str | None = Field(
        default=None,
        description="The replacement, with metavariables; an empty string deletes the match (a statement, "
        "an argument with its comma). Omitted: matches are only reported.",
    )
    message: str = Field(
        default="", description="Reported at each match (with metavariables filled in)."
    )
    imports: ImportsModel = Field(
        default_factory=ImportsModel, description="Imports to add and to remove."
    )
    safe: bool = Field(
        default=True,
        description="False for a fix that can change behaviour: it then runs only with `--unsafe`.",
    )

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | PatternContext | None) -> str | PatternContext | None:
        return _check_pattern(value)

    @model_validator(mode="after")
    def _compile(self, info: ValidationInfo) -> PatternOptions:
        if (
            self.pattern is None
            and (self.rule is None or self.rule.pattern is None)
            and (self.rule is None or not (self.rule.kind or self.rule.all or self.rule.any))
        ):
            raise ValueError("give a `pattern` (or a `rule` with a pattern or a kind)")
        if isinstance(info.context, Mapping) and info.context.get(CHECKED):
            # compiled before with this very tool (steps/_base.py CHECKED): the step compiles
            # when a file first needs it; a run whose files are all cache hits never does
            return self
        program = build_program(self)  # raises on a bad fix, transform or rewriter
        ids = {r.id for r in self.rewriters}
        for name, tr in self.transform.items():
            if tr.rewrite is not None:
                unknown = [r for r in tr.rewrite.rewriters if r not in ids]
                if unknown:
                    raise ValueError(
                        f"transform `{name}` uses unknown rewriter(s) {unknown}; define them under `rewriters`"
                    )
        if program.fix is not None and _matches_own_fix(program, self):
            raise ValueError(
                "the fix matches the pattern again, so the rewrite would never end; "
                "add a condition (e.g. `constraints` or `rule: {not: ...}`) that the fixed code fails"
            )
        _handoff(self, program)
        return self


#: Programs compiled by the validator, picked up by the step made from the same options
#: (by identity), so that loading a recipe compiles each pattern once, not twice.
_COMPILED: dict[int, tuple[PatternOptions, Program]] = {}


def _handoff(options: PatternOptions, program: Program) -> None:
    if len(_COMPILED) >= 64:  # options validated but never made into a step
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[id(options)] = (options, program)


def _compiled(options: PatternOptions) -> Program:
    kept = _COMPILED.pop(id(options), None)
    if kept is not None and kept[0] is options:
        return kept[1]
    return build_program(options)


def build_program(options: PatternOptions) -> Program:
    rule_model = options.rule
    if rule_model is not None:
        rule = compile_rule(rule_model, options.pattern if rule_model.pattern is None else None)
        if options.pattern is not None and rule_model.pattern is not None:
            rule = Rule(pattern=compile_pattern(options.pattern), all=(rule,))
    else:
        assert options.pattern is not None
        rule = Rule(pattern=compile_pattern(options.pattern))
    context = fix_context(rule.pattern)
    fix = _parse_fix(options.fix, context, ("fix",)) if options.fix is not None else None
    rewriters: dict[str, Rewriter] = {}
    for number, rw in enumerate(options.rewriters):
        rw_rule = compile_rule(rw.rule, rw.pattern) if rw.rule is not None else None
        if rw_rule is None:
            if rw.pattern is None:
                raise ValueError(f"rewriter `{rw.id}` needs a `pattern` or a `rule`")
            rw_rule = Rule(pattern=compile_pattern(rw.pattern))
        rewriters[rw.id] = Rewriter(
            rw.id,
            rw_rule,
            _parse_fix(rw.fix, fix_context(rw_rule.pattern), ("rewriters", number, "fix")),
            {k.lstrip("$"): compile_rule(v) for k, v in rw.constraints.items()},
            compile_transforms(rw.transform),
        )
    return Program(
        rule=rule,
        fix=fix,
        constraints={k.lstrip("$"): compile_rule(v) for k, v in options.constraints.items()},
        transforms=compile_transforms(options.transform),
        rewriters=rewriters,
        message=options.message,
    )


def _parse_fix(text: str, context: str, field: tuple[str | int, ...]) -> FixTemplate:
    try:
        return FixTemplate.parse(text, context)
    except PatternError as exc:
        raise PatternError(exc.message, exc.line, exc.column, field, noun="fix") from None


def _matches_own_fix(program: Program, options: PatternOptions) -> bool:
    """Whether the fix, as written, is matched by a pattern with no other condition."""
    rule = program.rule
    if program.fix is None or rule.pattern is None or len(rule.pattern.nodes) != 1:
        return False
    if (
        program.constraints
        or rule.kind
        or rule.regex
        or rule.qualified_name
        or rule.inside
        or rule.not_inside
        or rule.has
        or rule.all
        or rule.any
        or rule.not_
    ):
        return False
    if len(program.fix.nodes) != 1:
        return False
    matcher = Matcher(rule.pattern, Resolver({}, None))
    node = program.fix.nodes[0]
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1:
        node = node.body[0]
    return matcher.match(node) is not None


@dataclass(frozen=True)
class _Derived:
    """What the step reads off its compiled program (see :attr:`Pattern.program`)."""

    needed: list[ImportSpecKey]  # imports.add entries the fix uses
    fix_names: set[str]
    needles: Groups | None
    anchors: Any
    decider: pattern_decide.Decider | None


class Pattern(Step[PatternOptions]):
    """Rewrite code that matches a pattern: ast-grep style rules that know what names refer to

    ``pattern`` is Python source with metavariables (``$X``, ``$$$ARGS``, ``$_``), matched
    structurally (layout, comments, quoting and parentheses don't matter) and by qualified
    name: a dotted name in the pattern matches every spelling that refers to it through the
    file's imports and aliases, never a local name that shadows it (a name nothing binds, like
    a builtin, and chains rooted at ``self``/``cls`` match by spelling). Expressions,
    statements (``def``, ``class``, ``with``, a run of statements), ``@decorator`` lines,
    ``with`` items (``with open($F) as $V``) and, through ``{context, selector}``, any sub-node
    can be patterns. ``rule`` adds ast-grep's conditions (``kind``, ``regex``,
    ``qualified_name``, ``inside``/``not_inside``/``has`` with ``stop_by``, ``all``/``any``/
    ``not``), ``constraints`` put rules on metavariables, ``transform`` computes new ones
    (``replace``, ``substring``, ``convert``, ``rewrite`` each element of a sequence with
    ``rewriters`` joined by ``join_by``). The ``fix`` keeps captured code as it was; an empty
    fix deletes the statement or argument with its comma. ``imports.add`` adds what the fix
    needs (or spells it with the file's own import or alias), ``imports.remove_if_unused``
    removes what it made dead. A file whose result would not compile is skipped with the
    reason; a fix that matches its own pattern is refused when the recipe loads.
    """

    Options: ClassVar = PatternOptions
    syntax: ClassVar[str] = """
Metavariables (upper-case names)
  $X         one node: `$X.utcnow()` binds X to `dt` in `dt.utcnow()`; used twice, both
             places must hold the same code (`$X if $X else $Y`)
  $$$ARGS    zero or more arguments, statements, list elements, parameters, decorators or
             `with` items: `AgentExecutionResult($$$A, context=$_, $$$B)`
  $_  $$$    the same, not captured
Patterns
  expression        datetime.datetime.utcnow()      (dotted names match by what they refer to)
  statement(s)      def setUp(self):                 (decorators and `-> ...` optional)
                        $$$BODY
  decorator         "@pytest.yield_fixture($$$ARGS)"
  with item         with open($F) as $V
  any sub-node      pattern: {context: "f(context=$_)", selector: Arg}
rule (all given keys must hold; ast-grep's names, snake_case or camelCase)
  pattern / kind: Call / regex: "^Test" / qualified_name: ["*.get_manager", unittest.*]
  inside: {pattern: "async def $_($$$): $$$"}     any ancestor (stop_by: neighbor = parent)
  not_inside: {...}   has: {kind: Arg, stop_by: neighbor}   all: [...]  any: [...]  not: {...}
constraints (a rule on a metavariable; on each element of a $$$ one)
  constraints: {DT: {qualified_name: datetime.datetime}, BASES: {regex: "^object$"}}
transform (new metavariables, usable in fix and message)
  NAME: {substring: {source: $KEY, start_char: 1, end_char: -1}}
  LOWER: {convert: {source: $NAME, to_case: snakeCase}}     (lowerCase, upperCase, capitalize,
                                                              camelCase, kebabCase, pascalCase)
  NEW: {replace: {source: $M, replace: "Equals$", by: "Equal"}}
  KWARGS: {rewrite: {source: $$$BODY, rewriters: [enum, kw], join_by: ", "}}
rewriters (each element of the source: the first rewriter matching it or a node inside it)
  - {id: kw, pattern: "$N = $V", fix: "$N=$V"}
fix
  $DT.now(UTC)        captured code keeps its comments; "$E" inside a string is its text
  ""                  deletes the statement (an emptied block gets `pass`) or the argument
  (no fix)            report each match with `message: "... $X ..."`
imports
  add: ["from datetime import UTC"]           spelled `datetime.UTC` if the file imports the
                                              module, `utc` if it has `from datetime import UTC as utc`
  remove_if_unused: ["from pydantic import Extra"]   only if the fix made it unused
safe: false           the fix can change behaviour: runs only with --unsafe
"""
    examples: ClassVar = (
        Example(
            title="datetime.utcnow() through an alias, UTC imported next to the existing import",
            options={
                "pattern": "$DT.utcnow()",
                "constraints": {"DT": {"qualified_name": "datetime.datetime"}},
                "fix": "$DT.now(UTC)",
                "imports": {"add": ["from datetime import UTC"]},
            },
            before=(
                "from datetime import datetime as dt\n\n\n"
                "def stamp():\n    return dt.utcnow()  # naive!\n"
            ),
            after=(
                "from datetime import UTC, datetime as dt\n\n\n"
                "def stamp():\n    return dt.now(UTC)  # naive!\n"
            ),
        ),
        Example(
            title="pydantic class Config -> model_config with a rewriter over the class body",
            options={
                "pattern": "class Config:\n    $$$BODY",
                "rule": {"inside": {"pattern": "class $_($$$, pydantic.BaseModel, $$$): $$$"}},
                "transform": {
                    "KWARGS": {
                        "rewrite": {
                            "source": "$$$BODY",
                            "rewriters": ["enum", "kw"],
                            "join_by": ", ",
                        }
                    }
                },
                "rewriters": [
                    {"id": "enum", "pattern": "$N = pydantic.Extra.$E", "fix": '$N="$E"'},
                    {"id": "kw", "pattern": "$N = $V", "fix": "$N=$V"},
                ],
                "fix": "model_config = ConfigDict($KWARGS)",
                "imports": {
                    "add": ["from pydantic import ConfigDict"],
                    "remove_if_unused": ["from pydantic import Extra"],
                },
            },
            before=(
                "from pydantic import BaseModel, Extra\n\n\n"
                "class User(BaseModel):\n    name: str\n\n"
                "    class Config:\n        extra = Extra.forbid\n        frozen = True\n"
            ),
            after=(
                "from pydantic import BaseModel, ConfigDict\n\n\n"
                "class User(BaseModel):\n    name: str\n\n"
                '    model_config = ConfigDict(extra="forbid", frozen=True)\n'
            ),
        ),
        Example(
            title="a local variable that shadows the imported name is not it",
            options={
                "pattern": "datetime.datetime.utcnow()",
                "fix": "datetime.datetime.now(datetime.UTC)",
            },
            before=("def stamp(datetime):\n    return datetime.datetime.utcnow()\n"),
        ),
    )

    def __init__(self, options: PatternOptions) -> None:
        super().__init__(options)
        self.adds = [parse_import(t) for t in options.imports.add]
        self.removes = [parse_import(t) for t in options.imports.remove_if_unused]
        kept = _COMPILED.get(id(options))
        if kept is not None and kept[0] is options:
            self.program  # noqa: B018  (validated just now: take that program)
        # else compiled on first use (a run whose files are all cache hits: never)

    @cached_property
    def program(self) -> Program:
        """The compiled rule, fix, constraints, transforms and rewriters (on first use)."""
        return _compiled(self.options)

    @cached_property
    def _derived(self) -> _Derived:
        program = self.program
        used: set[str] = set()
        for template in [program.fix, *(r.fix for r in program.rewriters.values())]:
            if template is not None:
                used |= template_names(template)
        needed = [spec for spec in self.adds if binding(spec)[0] in used]
        decider = pattern_decide.Decider(program)
        return _Derived(
            needed=needed,
            fix_names=used - {binding(spec)[0] for spec in self.adds},
            needles=_needles(program.rule, program.constraints),
            anchors=program_anchors(program.rule, program.constraints),
            decider=decider if decider.supported and not needed else None,
        )

    @property
    def needed(self) -> list[ImportSpecKey]:
        return self._derived.needed

    @property
    def fix_names(self) -> set[str]:
        return self._derived.fix_names

    @property
    def _needles(self) -> Groups | None:
        return self._derived.needles

    @property
    def _anchors(self) -> Any:
        return self._derived.anchors

    @property
    def _decider(self) -> pattern_decide.Decider | None:
        return self._derived.decider

    @classmethod
    def rewrites_with(cls) -> str:
        # every fix is LibCST's; a file with no match or only reports can be the ast's
        return "LibCST's full tree (reports: ast)"

    def is_safe(self) -> bool:
        return self.options.safe

    def needles(self) -> Needles:
        if self._needles is None:
            return None
        return [sorted(group) for group in self._needles]

    def precheck(self, source: Source, ctx: FileContext) -> bool:
        # the `def`/`class` a match needs, with its name and bases (pattern_anchors): a walk
        # over the statements only, so first
        if self._anchors is not None and not may_match(
            self._anchors, source.tree, source.data, ctx.module_name
        ):
            return False
        if self._needles is not None:
            names = _identifiers(source.tree)
            return any(group <= names for group in self._needles)
        return True

    def edit(self, source: Source, ctx: FileContext) -> list[TextEdit] | None:
        # A rule rooted at a `def`/`class` that the `ast` decides exactly
        # (codemods/analysis/pattern_decide.py): no match, or only reports. A fix to make,
        # or anything the `ast` cannot be sure of, is LibCST's (None).
        if self._decider is None or not pattern_decide.ENABLED:
            return None
        fix = self.program.fix is not None
        message = (
            None if fix else self.program.message or f"{self.options.id or 'pattern'} matches here"
        )
        found = self._decider.matches(source.tree, source.data, ctx.module_name, message)
        if found is None or (fix and found):
            return None
        for one in found:
            ctx.report("review", one.message, one.line, one.column)
        return []

    def transform(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        original = module
        label = f"{self.options.id}: " if self.options.id else ""  # the engine names the step
        before_refs = _import_refs(module, self.removes) if self.removes else {}
        changed = False
        warned: set[tuple[int | None, int | None, str]] = set()
        for _ in range(MAX_PASSES):
            index = _index_of(module, ctx)
            scopes = index.resolver.scopes
            spell, problem = _spellings(module, scopes, self.needed)
            if problem:
                if _has_match(self.program, index):
                    ctx.skip(f"{label}{problem}")
                return module
            result = apply(self.program, index, _conflicts_for(scopes, spell))
            reported = [node for node, _ in result.problems]
            if self.program.fix is None:
                reported += [match.node for match in result.matches]
            where = start_positions(module, reported) if reported else {}
            for node, why in result.problems:
                line, col = _position(where, node)
                if (line, col, why) not in warned:  # a later pass finds the same match again
                    warned.add((line, col, why))
                    ctx.warn(f"{label}left unchanged: {why}", line, col)
            if self.program.fix is None:
                for match in result.matches:
                    line, col = _position(where, match.node)
                    ctx.report(
                        "review",
                        _message(
                            self.program.message or f"{self.options.id or 'pattern'} matches here",
                            match.caps,
                            index,
                        ),
                        line,
                        col,
                    )
                return module
            if not result.edits or result.module.code == module.code:
                break  # nothing matches any more, or every fix wrote what was there
            module = result.module
            changed = True
        else:
            if _has_match(self.program, _index_of(module, ctx)):
                ctx.skip(
                    f"{label}the fix still matches after {MAX_PASSES} passes (a rule that never converges)"
                )
        if not changed:
            return original
        if self.needed:
            module = self._add_imports(module, ctx)
        self._check_names(original, module, ctx, label)
        if self.removes:
            module = self._remove_dead(module, before_refs, ctx)
        _check_compiles(original, module, ctx, label)
        return module

    def _check_names(
        self, original: cst.Module, module: cst.Module, ctx: FileContext, label: str
    ) -> None:
        """A name the fix writes must be defined or imported: never leave an unbound name."""
        if not self.fix_names or "import *" in original.code:
            return
        new_scopes = wrap(module).resolve(ScopeProvider)
        old_scopes = wrap(original).resolve(ScopeProvider)
        for name in sorted(self.fix_names):
            if _uses_free(module, new_scopes, name) and not _uses_free(original, old_scopes, name):
                ctx.skip(
                    f"{label}the fix uses `{name}`, which this file does not define or import; "
                    f"add it to `imports.add` (e.g. `from ... import {name}`)"
                )

    def _add_imports(self, module: cst.Module, ctx: FileContext) -> cst.Module:
        scopes = wrap(module).resolve(ScopeProvider)
        for spec in self.needed:
            name, _ = binding(spec)
            if _uses_free(module, scopes, name) and _existing(module, spec) is None:
                mod, imported, asname = spec
                merged = _merge_into_from(module, spec) if imported is not None else None
                module = merged if merged is not None else add_import(module, mod, imported, asname)
        return module

    def _remove_dead(
        self, module: cst.Module, before: Mapping[ImportSpecKey, int], ctx: FileContext
    ) -> cst.Module:
        after = _import_refs(module, self.removes)
        dead = [
            spec for spec in self.removes if before.get(spec, 0) > 0 and after.get(spec, 0) == 0
        ]
        code = module.code if dead else ""
        dead = [spec for spec in dead if not _in_type_comment(code, binding(spec)[0])]
        if not dead:
            return module
        is_package = ctx.path.name == "__init__.py"
        return remove_unused_imports(module, dead, ctx.module_name, is_package)


ImportSpecKey = tuple[str, "str | None", "str | None"]


def _index_of(module: cst.Module, ctx: FileContext) -> ModuleIndex:
    """The module's node index; shared by the pattern steps that run in a row on a module none
    of them changed (:func:`derived`, per file). Its scopes are resolved only once a rule asks
    what a name refers to: a file where nothing matches never pays LibCST's scope analysis."""
    return derived(
        module,
        ("pattern-index", ctx.module_name),
        lambda: ModuleIndex.build(module, LazyMetadata(module, ScopeProvider), ctx.module_name),
    )


def _has_match(program: Program, index: ModuleIndex) -> bool:
    from codemods.analysis.pattern_rewrite import find

    return bool(find(program, index))


def _message(text: str, caps: Mapping[str, Any], index: ModuleIndex) -> str:
    def one(m: re.Match[str]) -> str:
        value = caps.get(m.group(1))
        if value is None:
            return m.group(0)
        if isinstance(value, list):
            return ", ".join(index.text(v) for v in value)
        return value if isinstance(value, str) else index.text(value)

    return re.sub(r"\$(?:\$\$)?([A-Z_][A-Z0-9_]*)", one, text)


def _position(
    where: Mapping[cst.CSTNode, tuple[int, int]], node: cst.CSTNode
) -> tuple[int | None, int | None]:
    """1-based line and column of ``node`` (``where``: :func:`start_positions` of the module)."""
    found = where.get(node)
    return (None, None) if found is None else (found[0], found[1] + 1)


def _check_compiles(original: cst.Module, module: cst.Module, ctx: FileContext, label: str) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(original.code, ctx.relpath, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return  # the file did not compile before; the engine decides
        try:
            compile(module.code, ctx.relpath, "exec", dont_inherit=True)
        except SyntaxError as exc:
            ctx.skip(
                f"{label}the rewritten file would not compile ({exc.msg} at line {exc.lineno}); left unchanged"
            )


# -- imports -----------------------------------------------------------------------------------


def _existing(module: cst.Module, spec: ImportSpecKey) -> cst.BaseExpression | None:
    """How the file's module-level imports already reach what ``spec`` imports, if they do.

    In the order a person would pick: the name imported itself (under the file's alias);
    else, when the file has a ``from <module> import ...``, None (the name joins it); else
    through an imported module (``import datetime`` -> ``datetime.UTC``).
    """
    _, qualified = binding(spec)
    imports = [node for node, _line, block in iter_imports(module) if block is module]
    joinable = False
    for node in imports:
        if isinstance(node, cst.ImportFrom):
            if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
                continue
            base = literal_chain(node.module)
            joinable = joinable or (spec[1] is not None and base == spec[0])
            for alias in node.names:
                name = literal_chain(alias.name)
                local = (
                    alias.asname.name.value
                    if alias.asname and isinstance(alias.asname.name, cst.Name)
                    else name
                )
                full = f"{base}.{name}"
                if local and (qualified == full or qualified.startswith(full + ".")):
                    return _dotted(local + qualified[len(full) :])
    if joinable:
        return None
    for node in imports:
        if isinstance(node, cst.Import):
            for alias in node.names:
                name = literal_chain(alias.name) or ""
                if alias.asname and isinstance(alias.asname.name, cst.Name):
                    if qualified == name or qualified.startswith(name + "."):
                        return _dotted(alias.asname.name.value + qualified[len(name) :])
                elif qualified == name or qualified.startswith(name + "."):
                    return _dotted(qualified)
    return None


def _merge_into_from(module: cst.Module, spec: ImportSpecKey) -> cst.Module | None:
    """``module`` with ``name`` added to its first module-level ``from M import ...``, in sorted
    place when the names there are sorted (else last), copying the neighbours' comma layout."""
    mod, name, asname = spec
    assert name is not None
    for node, line, block in iter_imports(module):
        if block is not module or not isinstance(node, cst.ImportFrom) or node.relative:
            continue
        if (
            node.module is None
            or literal_chain(node.module) != mod
            or isinstance(node.names, cst.ImportStar)
        ):
            continue
        names = list(node.names)
        keys = [_isort_key(literal_chain(a.name) or "") for a in names]
        alias = cst.ImportAlias(
            cst.Name(name), asname=cst.AsName(cst.Name(asname)) if asname else None
        )
        at = len(names)
        if keys == sorted(keys):
            at = next((i for i, k in enumerate(keys) if k > _isort_key(name)), len(names))
        if at < len(names):
            names.insert(
                at, alias.with_changes(comma=names[at - 1].comma if at > 0 else names[0].comma)
            )
            if isinstance(names[at].comma, cst.MaybeSentinel):
                names[at] = names[at].with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
        else:
            last = names[-1]
            between = (
                names[-2].comma
                if len(names) > 1
                else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            names[-1] = last.with_changes(comma=between)
            names.append(alias.with_changes(comma=last.comma))
        new_line = line.with_changes(
            body=[node.with_changes(names=names) if s is node else s for s in line.body]
        )
        return module.with_changes(body=[new_line if b is line else b for b in module.body])
    return None


def _isort_key(name: str) -> tuple[int, str]:
    """isort's (and ruff's) default order inside one import: CONSTANTS, Classes, functions."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _dotted(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _spellings(
    module: cst.Module, scopes: Mapping[cst.CSTNode, Any], needed: list[ImportSpecKey]
) -> tuple[dict[str, cst.BaseExpression], str | None]:
    """How the fix spells each name it imports, or why this file cannot have the import."""
    spell: dict[str, cst.BaseExpression] = {}
    global_scope = scopes.get(module) if needed else None
    for spec in needed:
        name, qualified = binding(spec)
        existing = _existing(module, spec)
        if existing is not None:
            spell[name] = existing
            continue
        if global_scope is not None and name in global_scope.assignments:
            return (
                spell,
                f"`{name}` already means something else in this file; cannot import {qualified} as `{name}`",
            )
        spell[name] = cst.Name(name)
    return spell, None


def _conflicts_for(
    scopes: Mapping[cst.CSTNode, Any], spell: dict[str, cst.BaseExpression]
) -> Callable[[cst.CSTNode], Mapping[str, cst.BaseExpression] | str]:
    return lambda node: _local_conflict(node, scopes, spell)


def _local_conflict(
    node: cst.CSTNode, scopes: Mapping[cst.CSTNode, Any], spell: dict[str, cst.BaseExpression]
) -> dict[str, cst.BaseExpression] | str:
    if not spell:
        return spell  # the fix imports nothing: no local name can hide an import
    scope = scopes.get(node)
    names = set(spell)
    while scope is not None and scope.parent is not scope:
        if type(scope).__name__ == "GlobalScope":
            break
        for name in names:
            root = spell[name]
            while isinstance(root, cst.Attribute):
                root = root.value
            local = root.value if isinstance(root, cst.Name) else name
            if local in scope.assignments:
                return f"`{local}` is a local name here, so the fix cannot refer to the import"
        scope = scope.parent
    return spell


def _uses_free(module: cst.Module, scopes: Mapping[cst.CSTNode, Any], name: str) -> bool:
    """Whether some read of ``name`` in the module resolves to nothing (needs the import)."""
    found = False

    class _Reads(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            if found or node.value != name:
                return
            scope = scopes.get(node)
            if scope is None:
                return
            accesses = [a for a in scope.accesses[name] if a.node is node]
            if accesses and not any(a.referents for a in accesses):
                found = True

    module.visit(_Reads())
    return found


def _import_refs(module: cst.Module, specs: list[ImportSpecKey]) -> dict[ImportSpecKey, int]:
    scopes = wrap(module).resolve(ScopeProvider)
    global_scope = scopes.get(module)
    out: dict[ImportSpecKey, int] = {}
    if global_scope is None:
        return out
    for spec in specs:
        name, _ = binding(spec)
        total = 0
        for assignment in global_scope.assignments[name]:
            if isinstance(assignment, ImportAssignment):
                total += len(assignment.references)
        out[spec] = total
    return out


def _in_type_comment(code: str, name: str) -> bool:
    return re.search(rf"#\s*type:[^\n]*(?<![\w.]){re.escape(name)}(?!\w)", code) is not None


# -- needles -------------------------------------------------------------------------------------


Groups = list[frozenset[str]]  # any one group's identifiers all present (None: no condition)


def _needles(rule: Rule, constraints: Mapping[str, Rule] | None = None) -> Groups | None:
    """Groups of identifiers a file must contain for ``rule`` to possibly match: the words of
    its patterns (and of ``all``/``inside``/``has``), one branch of ``any``, the last segment of
    a ``qualified_name`` (whatever the import spelling, the name's last part is written in the
    file), and the same of the ``constraints`` on metavariables the pattern always captures."""
    out: Groups | None = None
    if rule.pattern is not None:
        words = _pattern_words(rule.pattern)
        out = [frozenset(words)] if words else None
        for name in _always_captured(rule.pattern) & set(constraints or ()):
            out = _and(out, _needles(constraints[name]))  # type: ignore[index]
    for sub in (*rule.all, rule.inside, rule.has):
        if sub is not None:
            out = _and(out, _needles(sub))
    if rule.qualified_name:
        lasts = [glob.replace("**", "*").rsplit(".", 1)[-1] for glob in rule.qualified_name]
        if all(last and not any(ch in last for ch in "*?[") for last in lasts):
            out = _and(out, [frozenset([last]) for last in lasts])
    if rule.any:
        branches: Groups = []
        for sub in rule.any:
            inner = _needles(sub)
            if inner is None:
                break
            branches.extend(inner)
        else:
            out = _and(out, branches)
    return out


def _and(a: Groups | None, b: Groups | None) -> Groups | None:
    if a is None or b is None:
        return b if a is None else a
    both = list(dict.fromkeys(x | y for x in a for y in b))
    return both if len(both) <= 32 else a  # `a` alone is still a necessary condition


def _always_captured(pattern: Any) -> set[str]:
    """One-node metavariables of a single-node pattern (captured whenever it matches)."""
    if len(pattern.nodes) != 1:
        return set()
    names: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            mv = metavariable_of(node.value)
            if mv is not None and not mv[1]:
                names.add(mv[0])

    pattern.nodes[0].visit(_Names())
    return names


def _pattern_words(pattern: Any) -> set[str]:
    words: set[str] = set()
    skip: set[int] = set()

    class _Words(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if id(node) in pattern.loads and literal_chain(node) is not None:
                inner = node.value  # only the last segment of a qualified name is certain
                while isinstance(inner, cst.Attribute):
                    skip.add(id(inner.attr))
                    inner = inner.value
                skip.add(id(inner))

        def visit_Name(self, node: cst.Name) -> None:
            if (
                id(node) not in skip
                and metavariable_of(node.value) is None
                and node.value not in ("__MV__", "True", "False", "None")  # constants, not names
                and node.value.isascii()  # the ast's identifiers are NFKC-normalised
            ):
                words.add(node.value)

    for node in pattern.nodes:
        node.visit(_Words())
    return words


_ID_CACHE: list[tuple[ast.AST, frozenset[str]]] = one_file_cache()  # emptied after each file


def _identifiers(tree: ast.Module) -> frozenset[str]:
    if _ID_CACHE and _ID_CACHE[0][0] is tree:
        return _ID_CACHE[0][1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.Attribute):
            out.add(node.attr)
        elif isinstance(node, ast.alias):
            out.update(node.name.split("."))
            if node.asname:
                out.add(node.asname)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.update(node.module.split("."))
        elif isinstance(node, ast.keyword) and node.arg:
            out.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            out.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            out.add(node.name)
    frozen = frozenset(out)
    _ID_CACHE[:] = [(tree, frozen)]
    return frozen
