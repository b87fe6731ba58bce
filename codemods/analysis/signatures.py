"""Signatures of functions and classes from their ``ast`` definitions (no imports, no running)."""

from __future__ import annotations

import ast

from codemods.analysis.facts import ClassFacts, DataField, Signature

#: Decorators that keep a function's signature (by their last dotted segment).
_KEEPS_SIGNATURE = frozenset(
    {
        "staticmethod",
        "classmethod",
        "abstractmethod",
        "cache",
        "lru_cache",
        "override",
        "final",
        "contextmanager",
        "asynccontextmanager",
    }
)
#: Class decorators that keep the constructor as written.
_KEEPS_CLASS = frozenset({"final", "total_ordering", "unique", "runtime_checkable"})


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return (dotted(target) or "").rsplit(".", 1)[-1]


def annotation_names(node: ast.expr | None) -> tuple[str, ...] | None:
    """Dotted names an annotation mentions (``Optional[Foo] -> Optional, Foo``); ``?`` for
    anything else; ``None`` when there is no annotation."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return ("?",)
    out: list[str] = []
    stack: list[ast.expr] = [node]
    while stack:
        part = stack.pop()
        name = dotted(part)
        if name is not None:
            out.append(name)
        elif isinstance(part, ast.Constant) and part.value is None:
            out.append("None")
        elif isinstance(part, ast.Subscript):
            stack += [part.value, part.slice]
        elif isinstance(part, ast.BinOp):
            stack += [part.left, part.right]
        elif isinstance(part, ast.Tuple | ast.List):
            stack += part.elts
        else:
            out.append("?")
    return tuple(reversed(out))


def function_signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature:
    args = node.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    with_default = (
        set(positional[len(positional) - len(args.defaults) :]) if args.defaults else set()
    )
    keywords = [a.arg for a in (*args.args, *args.kwonlyargs)]
    kw_defaults = {
        a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    }
    required = {k for k in keywords if k not in with_default and k not in kw_defaults}
    names = [_decorator_name(d) for d in node.decorator_list]
    kind = "function"
    if "staticmethod" in names:
        kind = "staticmethod"
    elif "classmethod" in names:
        kind = "classmethod"
    return Signature(
        name=node.name,
        line=node.lineno,
        positional=tuple(positional),
        keywords=frozenset(keywords),
        required=frozenset(required),
        var_kw=args.kwarg is not None,
        var_pos=args.vararg is not None,
        kind=kind,
        opaque=any(n not in _KEEPS_SIGNATURE for n in names),
        is_async=isinstance(node, ast.AsyncFunctionDef),
        returns=annotation_names(node.returns),
    )


def _dataclass_decorator(node: ast.expr) -> bool | None:
    """True for ``@dataclass``/``@dataclass(...)``, None when it disables ``__init__``."""
    if _decorator_name(node) != "dataclass":
        return False
    if isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg == "init" and not (isinstance(kw.value, ast.Constant) and kw.value.value):
                return None
    return True


def _is_classvar(annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(target, ast.Constant) and isinstance(target.value, str):
        return target.value.startswith(("ClassVar", "typing.ClassVar"))
    return (dotted(target) or "").rsplit(".", 1)[-1] == "ClassVar"


def _field(stmt: ast.AnnAssign, kw_only: bool) -> DataField | None:
    if not isinstance(stmt.target, ast.Name) or _is_classvar(stmt.annotation):
        return None
    value = stmt.value
    if value is None:
        return DataField(stmt.target.id, has_default=False, kw_only=kw_only)
    if isinstance(value, ast.Call) and _decorator_name(value) == "field":
        keys = {kw.arg: kw.value for kw in value.keywords}
        init = keys.get("init")
        initialised = not (isinstance(init, ast.Constant) and init.value is False)
        kw = keys.get("kw_only")
        own_kw = kw_only or (isinstance(kw, ast.Constant) and kw.value is True)
        has_default = "default" in keys or "default_factory" in keys
        return DataField(stmt.target.id, has_default, init=initialised, kw_only=own_kw)
    return DataField(stmt.target.id, has_default=True, kw_only=kw_only)


def class_facts(node: ast.ClassDef) -> ClassFacts:
    methods: dict[str, Signature] = {}
    fields: list[DataField] = []
    is_dataclass = False
    opaque = bool(node.keywords)  # metaclass=..., or __init_subclass__ arguments
    for decorator in node.decorator_list:
        verdict = _dataclass_decorator(decorator)
        if verdict is None:
            opaque = True
        elif verdict:
            is_dataclass = True
        elif _decorator_name(decorator) not in _KEEPS_CLASS:
            opaque = True
    kw_only = False
    attributes = _class_attributes(node)
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            methods[stmt.name] = function_signature(stmt)
            if stmt.name in ("__new__", "__call__"):
                opaque = True
        elif isinstance(stmt, ast.AnnAssign) and is_dataclass:
            if (dotted(stmt.annotation) or "").endswith("KW_ONLY"):
                kw_only = True
                continue
            found = _field(stmt, kw_only)
            if found is not None:
                fields.append(found)
    bases = tuple(dotted(b.value if isinstance(b, ast.Subscript) else b) or "" for b in node.bases)
    return ClassFacts(
        name=node.name,
        line=node.lineno,
        bases=bases,
        methods=methods,
        dataclass=is_dataclass,
        fields=tuple(fields),
        opaque=opaque,
        attributes=frozenset(attributes),
    )


def _class_attributes(node: ast.ClassDef) -> set[str]:
    """Names bound in the class body (also under if/try), plus ``self.x``/``cls.x`` targets."""
    names: set[str] = set()
    stack: list[ast.AST] = list(node.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(stmt.name)
            if not isinstance(stmt, ast.ClassDef):
                for sub in ast.walk(stmt):
                    if (
                        isinstance(sub, ast.Attribute)
                        and isinstance(sub.ctx, ast.Store)
                        and isinstance(sub.value, ast.Name)
                        and sub.value.id in ("self", "cls")
                    ):
                        names.add(sub.attr)
            continue
        if isinstance(stmt, ast.Name) and isinstance(stmt.ctx, ast.Store):
            names.add(stmt.id)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
        stack.extend(ast.iter_child_nodes(stmt))
    return names


def dataclass_signature(name: str, line: int, fields: list[DataField]) -> Signature:
    """The ``__init__`` a dataclass generates from its (inherited, then own) fields."""
    init = [f for f in fields if f.init]
    return Signature(
        name=name,
        line=line,
        positional=("self", *(f.name for f in init if not f.kw_only)),
        keywords=frozenset(f.name for f in init),
        required=frozenset(f.name for f in init if not f.has_default),
        kind="method",
    )
