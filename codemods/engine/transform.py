"""The pure core: bytes in, bytes out. Parse once, run every applicable step, verify.

Used for files on disk by :mod:`codemods.engine.run` and for in-memory cases by
:mod:`codemods.testing` (``codemod test``), so both see exactly the same behaviour.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from codemods.engine.prefilter import needles_match
from codemods.engine.results import Status
from codemods.recipe import CompiledStep
from codemods.steps import Diagnostic, FileContext, StepSkip


@dataclass(frozen=True)
class Outcome:
    status: Status
    new: bytes | None = None
    reason: str | None = None
    detail: str | None = None
    line: int | None = None
    column: int | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    fired: tuple[str, ...] = ()
    parsed: bool = False
    collected: tuple[tuple[int, Any], ...] = ()


def syntax_error_location(data: bytes, filename: str) -> tuple[int | None, int | None, str]:
    """The real location of a syntax error: ``compile()`` knows it, LibCST often says 1:1."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno, exc.offset, exc.msg
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes, bad encodings
        return None, None, str(exc)
    return None, None, ""


def compiles(data: bytes, filename: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return False
    return True


def transform_source(
    data: bytes, steps: Sequence[CompiledStep], ctx: FileContext, scan_relpath: str
) -> Outcome:
    """Run ``steps`` over ``data``; never raises for anything a single file can do."""
    if b"\0" in data:
        return Outcome(Status.SKIPPED, reason="binary file", detail="contains NUL bytes")
    runnable = [
        (index, s)
        for index, s in enumerate(steps)
        if s.applies_to(scan_relpath) and needles_match(s, data)
    ]
    if not runnable:
        return Outcome(Status.UNCHANGED)
    try:
        module = cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        line, col, msg = syntax_error_location(data, ctx.relpath)
        if line is None:
            line, col, msg = exc.raw_line, exc.raw_column + 1, str(exc).splitlines()[0]
        return Outcome(Status.SKIPPED, reason="syntax error", detail=msg, line=line, column=col)
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        detail = getattr(exc, "reason", None) or str(exc)
        return Outcome(Status.SKIPPED, reason="undecodable", detail=f"cannot decode: {detail}")
    except RecursionError:
        return Outcome(Status.SKIPPED, reason="too deeply nested", detail="parser recursion limit")

    fired: list[str] = []
    for index, compiled in runnable:
        ctx.step_id = compiled.step.id
        try:
            before_code = module.code if len(runnable) > 1 else None
            module = compiled.step.transform(module, ctx)
            if before_code is not None and module.code != before_code:
                fired.append(compiled.step.id)
            if compiled.step.is_whole_tree():
                ctx.collected[index] = compiled.step.collect(module, ctx)
        except StepSkip as skip:
            return Outcome(
                Status.SKIPPED,
                reason="skipped by step",
                parsed=True,
                detail=f"{compiled.step.id}: {skip.reason}",
                diagnostics=tuple(ctx.diagnostics),
            )
        except Exception as exc:  # one step's bug fails this file only
            return Outcome(
                Status.FAILED,
                reason="step error",
                parsed=True,
                detail=f"{compiled.step.id}: {type(exc).__name__}: {exc}",
                diagnostics=tuple(ctx.diagnostics),
            )
    try:
        new = module.bytes
    except Exception as exc:
        return Outcome(Status.FAILED, reason="cannot render output", detail=str(exc), parsed=True)
    collected = tuple(ctx.collected.items())
    if new == data:
        return Outcome(
            Status.UNCHANGED, diagnostics=tuple(ctx.diagnostics), parsed=True, collected=collected
        )
    if len(runnable) == 1:
        fired = [runnable[0][1].step.id]
    problem = verify(data, new, ctx.relpath)
    if problem is not None:
        return Outcome(
            Status.FAILED,
            reason="output does not parse",
            detail=problem,
            diagnostics=tuple(ctx.diagnostics),
            fired=tuple(fired),
            parsed=True,
        )
    return Outcome(
        Status.CHANGED,
        new=new,
        diagnostics=tuple(ctx.diagnostics),
        fired=tuple(fired),
        parsed=True,
        collected=collected,
    )


def verify(old: bytes, new: bytes, filename: str) -> str | None:
    """Why ``new`` must not be written, or ``None``: it must parse, and compile if ``old`` did."""
    try:
        cst.parse_module(new)
    except Exception as exc:
        return f"LibCST cannot parse the output: {str(exc).splitlines()[0]}"
    if not compiles(new, filename) and compiles(old, filename):
        line, col, msg = syntax_error_location(new, filename)
        return f"output does not compile: {msg} at {line}:{col}"
    return None
