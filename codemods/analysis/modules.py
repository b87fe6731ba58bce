"""Module names from paths, and relative imports resolved against them (no I/O, no LibCST).

The one place that turns path segments into a dotted module name and a relative import into
an absolute module. :class:`~codemods.analysis.project.ProjectIndex` decides which directory a
path is relative to; everything else asks it (``module_of``) and then uses these.

>>> dotted_name(["pkg", "sub", "__init__.py"])
'pkg.sub'
>>> resolve_module("..core", "pkg.tests.test_x", is_package=False)
'pkg.core'
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from functools import cache

#: Files that make a module importable without Python source we can read (stubs, extensions).
OPAQUE_SUFFIXES = (".pyi", ".pyx", ".so", ".pyd")


def dotted_name(parts: Sequence[str]) -> str | None:
    """The module that the path segments ``parts`` (below an import root) name, if any.

    The last segment is a file: ``mod.py``, ``__init__.py`` (the package itself) or an
    extension like ``mod.cpython-312-x86_64-linux-gnu.so``. ``None`` when a segment is not an
    identifier (``my-scripts/x.py`` cannot be imported).
    """
    if not parts:
        return None
    last = parts[-1]
    stem = last.removesuffix(".py") if last.endswith(".py") else last.split(".", 1)[0]
    names = [*parts[:-1], stem]
    if names[-1] == "__init__":
        names.pop()
    if not names or not all(p.isidentifier() for p in names):
        return None
    return ".".join(names)


def resolve_module(spelled: str, file_module: str | None, *, is_package: bool) -> str | None:
    """The absolute module an import names: ``spelled`` is ``"..core"`` or ``"pkg.mod"``.

    ``file_module`` is the dotted name of the importing file; ``is_package`` says whether that
    file is a package's ``__init__.py`` (then ``.`` is the file's own package). ``None`` when a
    relative import cannot be resolved (unknown module, or too many dots).
    """
    level = len(spelled) - len(spelled.lstrip("."))
    rest = spelled[level:]
    if level == 0:
        return rest
    if not file_module:
        return None
    parts = file_module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts) or (level - 1 == len(parts) and not rest):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, rest] if rest else base) or None


@cache
def importable_here(module: str) -> bool:
    """Whether the top-level package of ``module`` can be imported by the interpreter running
    ``codemod`` (:func:`importlib.util.find_spec` on the top-level name only: nothing is
    imported or executed). A submodule is not checked: a package may add submodules at import
    time (``six.moves``), which only importing it would show. Unknown answers are ``True``.

    >>> importable_here("json.decoder"), importable_here("no_such_top_level_package_xyz.mod")
    (True, False)
    """
    top = module.split(".")[0]
    if not top.isidentifier():
        return True
    if top in sys.modules or top in sys.builtin_module_names:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):  # a broken finder, or a module without __spec__
        return True
