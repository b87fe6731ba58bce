"""The pure core: bytes in, bytes out. Parse once, run every applicable step, verify.

Used for files on disk by :mod:`codemods.engine.run` and for in-memory cases by
:mod:`codemods.testing` (``codemod test``), so both see exactly the same behaviour.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from codemods.analysis.per_file import one_file
from codemods.analysis.text import TextEdit, apply_edits
from codemods.analysis.visit import file_metadata, remember_source
from codemods.engine.diff import split_lines
from codemods.engine.guards import (
    GENERATED_MARKER,
    MAX_PARSE_BYTES,
    is_generated,
    needs_depth_check,
    too_deep,
)
from codemods.engine.prefilter import (
    needles_match,
    prechecked,
    prefilter_enabled,
    runnable_steps,
)
from codemods.engine.results import Status
from codemods.recipe import CompiledStep
from codemods.steps import Diagnostic, FileContext, NoTree, Source, StepSkip


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
    except (RecursionError, MemoryError) as exc:
        return None, None, f"too deeply nested ({type(exc).__name__})"
    return None, None, ""


def compiles(data: bytes, filename: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return False
    return True


def transform_source(
    data: bytes,
    steps: Sequence[CompiledStep],
    ctx: FileContext,
    scan_relpath: str,
    *,
    generated_marker: str | None = GENERATED_MARKER,
    runnable: Sequence[tuple[int, CompiledStep]] | None = None,
) -> Outcome:
    """Run ``steps`` over ``data``; never raises for anything a single file can do.

    ``generated_marker``: files with this text in their first lines are skipped (None: never).
    ``runnable``: what :func:`~codemods.engine.prefilter.runnable_steps` already said for
    these bytes (the engine asks before it looks at the cache), else it is asked here.
    """
    if b"\0" in data:
        return Outcome(Status.SKIPPED, reason="binary file", detail="contains NUL bytes")
    if runnable is None:
        runnable = runnable_steps(steps, data, scan_relpath)
    applicable = [(i, s) for i, s in enumerate(steps) if s.applies_to(scan_relpath)]
    # the steps share one file's metadata and analysis, dropped with the file
    with file_metadata(), one_file():
        return _transform(data, runnable, ctx, generated_marker, applicable)


def _transform(
    data: bytes,
    runnable: Sequence[tuple[int, CompiledStep]],
    ctx: FileContext,
    generated_marker: str | None,
    applicable: Sequence[tuple[int, CompiledStep]],
) -> Outcome:
    if not runnable:
        return Outcome(Status.UNCHANGED)
    refused = _refuse(data, ctx.relpath, generated_marker)
    if refused is not None:
        return refused
    source = Source(data)
    runnable = prechecked(runnable, data, ctx, source)
    if not runnable:
        return Outcome(Status.UNCHANGED)
    # A later step the original bytes ruled out may match what an earlier step writes
    # (`rename_module pkg.util -> pkg.utils`, then `rename_symbol pkg.utils.helper`): it stays,
    # and runs only if an earlier step changed the file and it passes the check again.
    passed = {index for index, _ in runnable}
    runnable = [(index, s) for index, s in applicable if index >= runnable[0][0]]
    recheck = prefilter_enabled()
    current, ran, fired_text, left = _text_steps(data, source, runnable, ctx, recheck, passed)
    if isinstance(current, Outcome):
        return current
    if not left:
        return _result(data, current, ctx, fired_text, ran)
    if current is not data and recheck:
        passed = {index for index, _ in left}  # checked again against the new text
    return _libcst_steps(data, current, left, ctx, recheck, fired_text, ran, passed)


def _text_steps(
    data: bytes,
    source: Source,
    runnable: list[tuple[int, CompiledStep]],
    ctx: FileContext,
    recheck: bool,
    passed: set[int],
) -> tuple[bytes | Outcome, bool, list[str], list[tuple[int, CompiledStep]]]:
    """Run the leading steps that decide from the ``ast`` alone (:meth:`Step.edit`), splicing
    their edits into the text. Stops at the first step that needs LibCST (by type, or because
    its ``edit`` returned None for this file): that step and the rest are returned.

    Returns the bytes so far (or the file's final Outcome), whether a step ran, which steps
    changed the text, and the steps left for LibCST (pre-checked again against the new text).
    """
    current, current_source = data, source
    fired: list[str] = []
    ran = False
    position = 0
    while position < len(runnable):
        index, compiled = runnable[position]
        step = compiled.step
        if step.needs_libcst() or step.is_whole_tree():
            break
        if index not in passed and current is data:
            position += 1  # ruled out by the original, and nothing has changed since
            continue
        if (
            current is not data
            and recheck
            and not (
                needles_match(compiled, current)
                and prechecked([(index, compiled)], current, ctx, current_source)
            )
        ):
            position += 1
            continue
        ctx.step_id = step.id
        mark = len(ctx.diagnostics)
        try:
            text = current_source.text
            edits = None if text is None else step.edit(current_source, ctx)
            if edits and text is not None and _on_form_feed_lines(text.text, edits):
                edits = None  # as LibCST's path does: the safety suite pins "skipped" there
            new = (
                None
                if edits is None or text is None
                else apply_edits(text, edits)
                if edits
                else current
            )
        except StepSkip as skip:
            return _skipped(ctx, step.id, skip), True, fired, []
        except (NoTree, RecursionError, ValueError, UnicodeError):  # LibCST decides instead
            new = None
        except Exception as exc:  # one step's bug fails this file only
            return _step_error(ctx, step.id, exc), True, fired, []
        if new is None:
            del ctx.diagnostics[mark:]  # what it reported before giving up is LibCST's to say
            break
        ran = True
        if new != current:
            fired.append(step.id)
            current, current_source = new, Source(new)
        position += 1
    rest = runnable[position:]
    if rest and current is not data and recheck:
        rest = [r for r in rest if needles_match(r[1], current)]
        rest = prechecked(rest, current, ctx, current_source) if rest else rest
    return current, ran, fired, rest


def _on_form_feed_lines(text: str, edits: Sequence[TextEdit]) -> bool:
    """Whether an edit lands on a line holding a form feed. LibCST drops a form feed before
    a statement, so its path refuses to change such a line ("not reproducible byte for
    byte"); the text path could keep it, but gives the same answer, so the two paths agree."""
    for edit in edits:
        start = max(text.rfind("\n", 0, edit.start), text.rfind("\r", 0, edit.start)) + 1
        end_n, end_r = text.find("\n", edit.end), text.find("\r", edit.end)
        ends = [e for e in (end_n, end_r) if e != -1]
        if "\x0c" in text[start : min(ends) if ends else len(text)]:
            return True
    return False


def _skipped(ctx: FileContext, step_id: str, skip: StepSkip) -> Outcome:
    return Outcome(
        Status.SKIPPED,
        reason="skipped by step",
        parsed=True,
        detail=f"{step_id}: {skip.reason}",
        diagnostics=tuple(ctx.diagnostics),
    )


def _step_error(ctx: FileContext, step_id: str, exc: Exception) -> Outcome:
    return Outcome(
        Status.FAILED,
        reason="step error",
        parsed=True,
        detail=f"{step_id}: {type(exc).__name__}: {exc}",
        diagnostics=tuple(ctx.diagnostics),
    )


def _result(
    data: bytes,
    new: bytes,
    ctx: FileContext,
    fired: Sequence[str],
    parsed: bool,
    collected: tuple[tuple[int, Any], ...] = (),
) -> Outcome:
    """The outcome for final bytes ``new`` of a file that was ``data``: verified by compile()."""
    if new == data:
        return Outcome(
            Status.UNCHANGED, diagnostics=tuple(ctx.diagnostics), parsed=parsed, collected=collected
        )
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


def _libcst_steps(
    original_data: bytes,
    data: bytes,
    runnable: list[tuple[int, CompiledStep]],
    ctx: FileContext,
    recheck: bool,
    fired_before: list[str],
    ran_before: bool,
    passed: set[int],
) -> Outcome:
    """The steps that need LibCST's tree, over ``data`` (the original bytes, or what the text
    steps before them made of it)."""
    if not runnable:
        return _result(original_data, data, ctx, fired_before, ran_before)
    if data is not original_data:
        refused = _refuse(data, ctx.relpath, None)
        if refused is not None:
            return refused
    try:
        module = original = cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        line, col, msg = syntax_error_location(data, ctx.relpath)
        if line is None and compiles(data, ctx.relpath):
            # valid Python LibCST's grammar does not take: `(name): int`, 100k-part "a" "b" ...
            return Outcome(
                Status.SKIPPED,
                reason="parser limit",
                detail="valid Python (CPython compiles it) that LibCST's parser rejects at "
                f"{exc.raw_line}:{exc.raw_column + 1}; left unchanged",
                line=exc.raw_line,
                column=exc.raw_column + 1,
            )
        if line is None:
            line, col, msg = exc.raw_line, exc.raw_column + 1, str(exc).splitlines()[0]
        return Outcome(Status.SKIPPED, reason="syntax error", detail=msg, line=line, column=col)
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        detail = getattr(exc, "reason", None) or str(exc)
        return Outcome(Status.SKIPPED, reason="undecodable", detail=f"cannot decode: {detail}")
    except RecursionError:
        if compiles(data, ctx.relpath):
            return Outcome(
                Status.SKIPPED,
                reason="parser limit",
                detail="valid Python (CPython compiles it), but LibCST's parser hit Python's "
                "recursion limit on it; left unchanged",
            )
        return Outcome(Status.SKIPPED, reason="too deeply nested", detail="parser recursion limit")

    remember_source(original, data)  # steps that want the text need not generate it
    fired: list[str] = list(fired_before)
    first = _Rendered(original)  # rendered on demand, at most once
    latest = first  # the last module a step returned
    for index, compiled in runnable:
        ctx.step_id = compiled.step.id
        try:
            if index not in passed and latest is first:
                continue  # ruled out by the bytes it got, and nothing has changed since
            if recheck and latest is not first and not latest.still_possible(index, compiled, ctx):
                continue  # an earlier step's change took away what this one needed
            before = latest
            module = compiled.step.transform(module, ctx)
            # a step that changed nothing returns its input (see transform_with_metadata)
            if module is not before.module:
                latest = _Rendered(module)
                if latest.data != before.data:
                    fired.append(compiled.step.id)
            if compiled.step.is_whole_tree():
                ctx.collected[index] = compiled.step.collect(module, ctx)
        except StepSkip as skip:
            return _skipped(ctx, compiled.step.id, skip)
        except RecursionError:  # LibCST metadata recurses per nesting level ("a" "b" ... chains)
            return Outcome(
                Status.SKIPPED,
                reason="analysis limit",
                parsed=True,
                detail=f"{compiled.step.id}: LibCST's analysis of this valid file hit Python's "
                "recursion limit (a long chain or deep nesting); left unchanged",
                diagnostics=tuple(ctx.diagnostics),
            )
        except Exception as exc:  # one step's bug fails this file only
            return _step_error(ctx, compiled.step.id, exc)
    collected = tuple(ctx.collected.items())
    if module is original:  # no step replaced a node: nothing to render or compare
        return _result(original_data, data, ctx, fired, True, collected)
    try:
        new = latest.data
    except Exception as exc:
        return Outcome(Status.FAILED, reason="cannot render output", detail=str(exc), parsed=True)
    if new != data:
        rendered = first.data  # LibCST's own rendering of the file, before any step
        if rendered == new:
            new = data  # the steps changed nothing; only LibCST's rendering differs
        elif rendered != data:
            spliced = splice(data, rendered, new)
            if spliced is None:
                line = _first_difference(data, rendered)
                return Outcome(
                    Status.SKIPPED,
                    reason="not reproducible byte for byte",
                    detail="LibCST would also change bytes no step asked for "
                    f"(line {line}); left unchanged",
                    line=line,
                    diagnostics=tuple(ctx.diagnostics),
                    parsed=True,
                )
            new = spliced
    return _result(original_data, new, ctx, fired, True, collected)


class _Rendered:
    """A module a step returned, rendered (and pre-checked again) only when asked, once.

    The needles and ``ast`` pre-checks ran on the file's original bytes; once a step has
    changed the module, each later step is checked again against the new code, so a step
    whose needles the change removed (a second spelling of the same rename, say) is not run
    for nothing. Same contract as the first pre-check: it only skips work that cannot matter.
    """

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._data: bytes | None = None
        self._source: Source | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.module.bytes
        return self._data

    def still_possible(self, index: int, compiled: CompiledStep, ctx: FileContext) -> bool:
        if not needles_match(compiled, self.data):
            return False
        if self._source is None:
            self._source = Source(self.data)
        return bool(prechecked([(index, compiled)], self.data, ctx, self._source))


def splice(data: bytes, rendered: bytes, new: bytes) -> bytes | None:
    """Apply the steps' change (``rendered`` -> ``new``) to the original bytes ``data``.

    LibCST does not reproduce every file byte for byte (a form feed before a statement at
    the start of a line is dropped). When ``rendered`` differs from ``data`` only inside
    lines, line for line, the changed lines are taken from ``new`` and every other line from
    ``data``; a changed line must itself have been reproduced exactly. None when that is not
    possible: the file is then left alone.
    """
    original, ours, theirs = split_lines(data), split_lines(rendered), split_lines(new)
    if len(original) != len(ours):
        return None
    out: list[bytes] = []
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += original[i1:i2]
        elif original[i1:i2] != ours[i1:i2]:
            return None
        else:
            out += theirs[j1:j2]
    return b"".join(out)


def _first_difference(a: bytes, b: bytes) -> int:
    for number, (x, y) in enumerate(zip(split_lines(a), split_lines(b), strict=False), 1):
        if x != y:
            return number
    return min(len(split_lines(a)), len(split_lines(b))) + 1


def _refuse(data: bytes, filename: str, generated_marker: str | None) -> Outcome | None:
    """Why ``data`` must not be parsed at all (see :mod:`codemods.engine.guards`), or None."""
    if len(data) > MAX_PARSE_BYTES:
        return Outcome(
            Status.SKIPPED,
            reason="too large",
            detail=f"{len(data) / 1e6:.1f} MB; files over {MAX_PARSE_BYTES / 1e6:.0f} MB are not parsed",
        )
    if is_generated(data, generated_marker):
        return Outcome(
            Status.SKIPPED,
            reason="generated file",
            detail=f"marked `{generated_marker}`; regenerate it, or pass --include-generated",
        )
    if needs_depth_check(data):
        problem = too_deep(data, filename)
        if problem is not None:
            reason, detail, line, column = problem
            return Outcome(Status.SKIPPED, reason=reason, detail=detail, line=line, column=column)
    return None


def verify(old: bytes, new: bytes, filename: str) -> str | None:
    """Why ``new`` must not be written, or ``None``: it must compile if ``old`` did, else parse.

    CPython's own compiler is the judge (and ten times cheaper than a LibCST re-parse); only
    when neither version compiles under this interpreter (syntax newer than it, which LibCST
    reads) does LibCST's parser decide.
    """
    if compiles(new, filename):
        return None
    if compiles(old, filename):
        line, col, msg = syntax_error_location(new, filename)
        return f"output does not compile: {msg} at {line}:{col}"
    try:
        cst.parse_module(new)
    except Exception as exc:
        return f"LibCST cannot parse the output: {str(exc).splitlines()[0]}"
    return None
