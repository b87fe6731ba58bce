"""``codemod undo``: find the journal, restore the last run's files, say what was and wasn't.

::

    $ codemod undo
    restored 2 files of run 20261201T101500.123456Z-3f2a9c (session-id-to-request-id, 2026-12-01T10:15:00Z)
    app/b.py: not restored: edited since codemod wrote it (--force restores it anyway)
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from codemods.engine import journal
from codemods.errors import CodemodError, ExitCode
from codemods.output import Output


def close_recording(recorder: journal.Recorder, written: list[Path], out: Output) -> None:
    """End a writing run's journal (:meth:`~codemods.engine.journal.Recorder.finish`: only the
    files really written are kept) and say what ``codemod undo`` will and will not restore."""
    run = recorder.finish(written)
    for path in recorder.outside:
        out.note(f"{path} is outside {recorder.root}: `codemod undo` cannot restore it")
    if run is not None and out.verbose:
        out.note(f"recorded as run {run.id}: `codemod undo` takes it back")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def run_undo(start: Path, out: Output, *, listing: bool = False, force: bool = False) -> int:
    root = journal.find_root(start)
    if root is None:
        raise CodemodError(
            f"no undo journal at or above {start.resolve()}",
            hint="run `codemod undo` in the directory you applied to (or give it), after a "
            "`codemod apply` that wrote files",
        )
    if listing:
        return _list(root, out)
    run = journal.latest_run(root)
    report = journal.undo(root, run, force=force)
    where = f"run {run.id} ({run.recipe}, {run.created})"
    if not out.quiet:
        out.err.print(
            Text.assemble(
                ("restored ", "bold green"), f"{_plural(len(report.restored), 'file')} of {where}"
            )
        )
    if out.verbose:
        for rel in report.restored:
            out.err.print(Text.assemble(("restored ", "green"), rel))
    if report.already and not out.quiet:
        out.note(
            f"{_plural(len(report.already), 'file')} already as before the apply: {', '.join(report.already)}"
        )
    for rel in report.edited:
        out.err.print(
            Text.assemble(
                (f"{rel}: ", "bold"),
                ("not restored: edited since codemod wrote it", "yellow"),
                " (--force restores it anyway)",
            )
        )
    for rel, why in report.failed:
        out.err.print(Text.assemble((f"{rel}: ", "bold"), ("failed", "bold red"), f": {why}"))
    if report.edited or report.failed:
        return ExitCode.FILE_FAILED
    return ExitCode.OK


def _list(root: Path, out: Output) -> int:
    """One line per run, newest first: id, time, recipe, file count, state."""
    runs = journal.list_runs(root)
    out.note(f"runs recorded in {journal.journal_dir(root)} (newest first):")
    damaged = 0
    for item in runs:
        if isinstance(item, journal.JournalError):
            damaged += 1
            out.err.print(Text.assemble(("damaged", "bold red"), f": {item.message}"))
            continue
        state = {"complete": "can be undone", "pending": "interrupted; can be undone"}
        out.out.print(
            f"{item.id}  {item.created}  {item.recipe}  {_plural(len(item.entries), 'file')}  "
            f"{state.get(item.state, item.state)}"
        )
    if not runs:
        out.note("(none)")
    return ExitCode.FILE_FAILED if damaged else ExitCode.OK
