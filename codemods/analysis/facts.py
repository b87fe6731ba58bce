"""Plain data that :mod:`codemods.analysis.parse` extracts from one file with the stdlib ``ast``.

Everything here is frozen or append-only and picklable; the checks never see an AST.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ImportRef:
    """One binding made by an import statement.

    ``from .mod import A as B`` in package ``pkg`` gives ``module="pkg.mod"``, ``name="A"``,
    ``local="B"``, ``spelled=".mod"``; ``import a.b`` gives ``module="a.b"``, ``name=None``,
    ``local="a"``; ``import a.b as m`` gives ``local="m"`` and ``binds_leaf=True``.
    """

    line: int
    column: int
    module: str | None  # absolute module; None when a relative import climbs out of the tree
    name: str | None
    local: str
    spelled: str
    guarded: bool = False  # inside ``try: ... except ImportError`` (or broader)
    star: bool = False
    binds_leaf: bool = False
    module_level: bool = True
    #: The binding model's :class:`~codemods.analysis.bindings.Alternative` as
    #: ``(group, branch, kind)``: a branch of ``try/except ImportError``, of
    #: ``if sys.version_info ...`` or ``if TYPE_CHECKING: ... else:`` (branch 0: the primary).
    alternative: tuple[int, int, str] | None = None


@dataclass(frozen=True)
class Signature:
    """What a function accepts by keyword. ``opaque`` means "cannot know" (unknown decorator)."""

    name: str
    line: int
    positional: tuple[str, ...]  # positional-or-keyword names, in order (incl. self/cls)
    keywords: frozenset[str]  # names accepted by keyword
    required: frozenset[str]  # keyword-acceptable names without a default
    var_kw: bool = False
    var_pos: bool = False
    kind: str = "function"  # function, method, classmethod, staticmethod
    opaque: bool = False
    is_async: bool = False
    returns: tuple[str, ...] | None = None  # names in the return annotation; None: no annotation


@dataclass(frozen=True)
class DataField:
    name: str
    has_default: bool
    init: bool = True
    kw_only: bool = False


@dataclass(frozen=True)
class ClassFacts:
    name: str
    line: int
    bases: tuple[str, ...]  # dotted spellings; "" for a base that is not a dotted name
    methods: dict[str, Signature]
    dataclass: bool = False
    fields: tuple[DataField, ...] = ()
    opaque: bool = False  # unknown decorator, metaclass, __new__, ...
    attributes: frozenset[str] = frozenset()  # bound in the body, or as self.x / cls.x


@dataclass(frozen=True)
class CallSite:
    """A call with keyword arguments, callee spelled as a dotted chain (``uec.UEC.from_x``)."""

    line: int
    column: int
    callee: str
    keywords: tuple[str, ...]
    positional: int
    star_args: bool
    star_kwargs: bool
    shadowed: bool  # the chain's root is bound by something doctor cannot follow (a local)
    #: The import the chain's root refers to, as the binding model says (a function-local
    #: ``from x import C`` too); None: a module-level def/class, or resolved from the facts.
    via: ImportRef | None = None


@dataclass(frozen=True)
class AwaitSite:
    """``await callee(...)`` with the callee spelled as a dotted chain."""

    line: int
    column: int
    callee: str
    shadowed: bool
    via: ImportRef | None = None


@dataclass(frozen=True)
class TestFunction:
    """An ``async def test_*`` (or a sync test that awaits) and the marks that cover it."""

    name: str
    qualname: str
    line: int
    is_async: bool
    awaits: bool
    marks: frozenset[str]  # own marks plus the class's and the module's pytestmark
    end_line: int = 0


@dataclass(frozen=True)
class AsyncHook:
    """``async def setup_method`` & co.; ``only_super`` when every await is the parent hook."""

    qualname: str
    line: int
    only_super: bool


@dataclass(frozen=True)
class MarkUse:
    name: str
    line: int
    column: int


@dataclass
class ModuleFacts:
    path: Path
    relpath: str
    syntax_error: tuple[int | None, int | None, str] | None = None
    bindings: dict[str, int] = field(default_factory=dict)  # module-level name -> times bound
    imports: list[ImportRef] = field(default_factory=list)
    all_names: tuple[str, ...] | None = None
    all_dynamic: bool = False
    has_getattr: bool = False
    dynamic: bool = False  # binds names through globals(): any name may exist
    extends_path: bool = False  # a package that changes its __path__ (pkgutil.extend_path)
    defined: set[str] = field(default_factory=set)  # bound by def/class/assignment (not import)
    functions: dict[str, Signature] = field(default_factory=dict)
    classes: dict[str, ClassFacts] = field(default_factory=dict)
    calls: list[CallSite] = field(default_factory=list)
    awaits: list[AwaitSite] = field(default_factory=list)
    #: ``a.b.c`` uses whose root refers to an import (the binding model says which one)
    chains: list[tuple[str, int, int, ImportRef]] = field(default_factory=list)
    #: dotted strings given to patch()/patch.dict()/patch.multiple()/monkeypatch.setattr()
    path_strings: list[tuple[str, int, int]] = field(default_factory=list)
    tests: list[TestFunction] = field(default_factory=list)
    hooks: list[AsyncHook] = field(default_factory=list)
    marks: list[MarkUse] = field(default_factory=list)
    addinivalue_markers: set[str] = field(default_factory=set)  # conftest-registered
