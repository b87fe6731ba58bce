"""Cheap pre-checks: decide from a file's bytes whether any step could possibly change it.

Every step declares the literal text it needs (:meth:`Step.needles`); a recipe's needles are
the union of its steps'. A file that contains none of them is never parsed, so it pays for
nothing but the read and a few ``bytes in bytes`` searches (memchr-fast). Steps that need
deeper analysis (scope, qualified names) only ever see files that passed.

For comparisons and debugging, ``CODEMOD_NO_PREFILTER=1`` in the environment turns the check
off: every step then runs on every file its recipe's include/exclude globs allow. A correct
needle declaration never changes the result, only the time (``bench/run.py`` checks this).

Needles see a file as Python's tokenizer does, ending in a newline even when its bytes don't,
so a needle such as ``"resource\\n"`` also finds ``import resource`` on an unterminated last line.

A second, still cheap stage follows for files the needles let through: each step's
:meth:`Step.precheck` may look at the file's stdlib ``ast`` (parsed once for all steps, about
ten times faster than LibCST) and rule itself out, e.g. ``import`` and ``resource`` both occur
but no import statement imports ``resource``. Only steps that pass both stages are run, and a
file none passes is never given to LibCST. The same switch turns this stage off.
"""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from codemods.recipe import CompiledStep
from codemods.steps import FileContext, NoTree, Source, Step

#: Environment switch for the unfiltered (every file parsed) comparison run.
NO_PREFILTER_ENV = "CODEMOD_NO_PREFILTER"


def prefilter_enabled() -> bool:
    return os.environ.get(NO_PREFILTER_ENV, "") in ("", "0")


def needles_match(step: CompiledStep, data: bytes) -> bool:
    """Whether ``data`` holds every string of at least one of the step's needle groups."""
    return bool(runnable_steps([step], data, None))


@lru_cache(maxsize=1024)
def _encoded(step: Step[Any]) -> tuple[tuple[tuple[bytes, ...], ...], bool] | None:
    """The step's needles as UTF-8 bytes, and whether any is not ASCII (see :func:`_as_utf8`)."""
    groups = step.needles()
    if groups is None:
        return None
    encoded = tuple(tuple(n.encode() for n in group) for group in groups)
    return encoded, not all(n.isascii() for group in encoded for n in group)


def _as_utf8(data: bytes) -> bytes:
    """``data`` as UTF-8, for needles that are not ASCII (``clé``).

    Python source declares its encoding (PEP 263: ``# -*- coding: latin-1 -*-``), and every
    allowed encoding spells ASCII as ASCII, so ASCII needles are searched in the raw bytes;
    a non-ASCII needle must be searched in the text re-encoded as UTF-8, as steps see it.
    A file that cannot be decoded is searched as it is (LibCST will report it).
    """
    data = _newline_terminated(data)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return data
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    try:
        return data.decode(encoding).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return data


def runnable_steps(
    steps: Sequence[CompiledStep], data: bytes, scan_relpath: str | None
) -> list[tuple[int, CompiledStep]]:
    """The steps (with their positions) that apply to ``scan_relpath`` (``None``: any path)
    and find their needles in ``data``: the one needle pre-check of a file.

    Each distinct needle is searched for at most once per file, however many steps share it.
    """
    applicable = [
        (index, step)
        for index, step in enumerate(steps)
        if scan_relpath is None or step.applies_to(scan_relpath)
    ]
    if not prefilter_enabled():
        return applicable
    raw = _newline_terminated(data)
    text: bytes | None = None  # UTF-8, made only for a step with a non-ASCII needle
    found: dict[tuple[bytes, bool], bool] = {}
    runnable = []
    for index, step in applicable:
        encoded = _encoded(step.step)
        if encoded is None:
            runnable.append((index, step))
            continue
        groups, textual = encoded
        if textual and text is None:
            text = _as_utf8(data)
        haystack = text if textual and text is not None else raw
        for group in groups:
            for needle in group:
                hit = found.get((needle, textual))
                if hit is None:
                    hit = found[(needle, textual)] = needle in haystack
                if not hit:
                    break
            else:
                runnable.append((index, step))
                break
    return runnable


def any_step_may_run(steps: Sequence[CompiledStep], data: bytes, scan_relpath: str) -> bool:
    """Whether at least one step applies to the path and finds its needles in ``data``."""
    return bool(runnable_steps(steps, data, scan_relpath))


def prechecked(
    runnable: Sequence[tuple[int, CompiledStep]],
    data: bytes,
    ctx: FileContext,
    source: Source | None = None,
) -> list[tuple[int, CompiledStep]]:
    """The steps of ``runnable`` whose :meth:`Step.precheck` does not rule this file out.

    The file's ``ast`` is parsed at most once (``source``: one already made for ``data``), and
    only if some step asks for it. A step whose pre-check cannot decide (the ``ast`` does not
    parse, or the check itself fails) stays.
    """
    if not prefilter_enabled():
        return list(runnable)
    source = source or Source(data)
    kept = []
    for index, compiled in runnable:
        try:
            keep = compiled.step.precheck(source, ctx)
        except NoTree:
            keep = True
        except Exception:  # a pre-check must never cost a fix: let the step itself decide
            keep = True
        if keep:
            kept.append((index, compiled))
    return kept


def _newline_terminated(data: bytes) -> bytes:
    return data if not data or data.endswith(b"\n") else data + b"\n"
