"""Code nobody here wrote, parsed: the differential tests over the interpreter's stdlib."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path


def stdlib_trees(
    paths: Iterable[Path], needle: str | None = None
) -> Iterator[tuple[Path, str, ast.Module]]:
    """Each file of ``paths`` (that spells ``needle``, if given) CPython parses: its path,
    text and ``ast``."""
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        if needle is not None and needle not in text:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
        yield path, text, tree
