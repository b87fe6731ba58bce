"""``codemod apply --interactive``: review each hunk, write only what was accepted.

For every changed file the file name and the steps that fired are shown, then each hunk as a
diff (on stdout), followed by a question (on stderr)::

    (1/2) Apply this hunk to app/handlers.py [y,n,a,d,e,q,?]?

``y`` apply it, ``n`` leave it, ``a`` apply it and the rest of this file, ``d`` leave it and
the rest of this file, ``e`` edit the proposed lines in ``$VISUAL``/``$EDITOR`` (the edited
file must still parse, or you are asked again), ``q`` quit: leave this hunk and everything
after it (hunks already accepted in this file are still written), ``?`` help.
A file is only written if the hunks accepted in it still parse together.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text

from codemods.engine.hunks import ACCEPT, Hunk, apply_hunks, check_partial, split_hunks
from codemods.engine.results import FileResult, Status
from codemods.output import Output

HELP = """\
y - apply this hunk
n - do not apply this hunk
a - apply this hunk and all remaining hunks in this file
d - do not apply this hunk or any remaining hunk in this file
e - edit the proposed lines of this hunk in $VISUAL or $EDITOR (must still parse)
q - quit: do not apply this hunk or any remaining one (accepted hunks are kept)
? - print this help"""

Ask = Callable[[str], str | None]
#: Which steps made each hunk of a changed file: ``{hunk index: step ids}``.
Attribute = Callable[[FileResult, Sequence[Hunk]], dict[int, tuple[str, ...]]]


@dataclass
class Reviewed:
    """What review decided for one changed file."""

    result: FileResult  # status CHANGED with ``new`` = the accepted subset, or UNCHANGED
    accepted: int
    total: int
    problem: str | None = None  # the accepted hunks do not parse together: not written


def terminal_ask(out: Output) -> Ask:
    """Ask on stderr, read a line from stdin; ``None`` at end of input."""

    def ask(prompt: str) -> str | None:
        sys.stdout.flush()
        out.err.print(Text(prompt, style="bold blue"), end="")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            out.err.print()
            return None
        return line.strip()

    return ask


def review(
    results: Sequence[FileResult],
    out: Output,
    ask: Ask | None = None,
    editor: str | None = None,
    attribute: Attribute | None = None,
) -> Iterator[Reviewed]:
    """Ask about every hunk of every changed result; yield one :class:`Reviewed` per file.

    Stops early (yields nothing more) when the user quits; files not yet reviewed are left
    as they were.
    """
    ask = ask or terminal_ask(out)
    editor = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    changed = [r for r in results if r.status is Status.CHANGED]
    for number, result in enumerate(changed, 1):
        hunks = split_hunks(result.old, result.new)
        steps = ", ".join(dict.fromkeys(result.fired)) or "?"
        out.err.print(
            Text.assemble(
                ("\n", ""),
                (f"[{number}/{len(changed)}] ", "dim"),
                (result.relpath, "bold"),
                (f"  steps: {steps}", "cyan"),
                (f"  ({len(hunks)} hunk{'s' if len(hunks) != 1 else ''})", "dim"),
            )
        )
        out.file_messages(result)
        credited = attribute(result, hunks) if attribute is not None else {}
        choices, quit_now = _review_file(result, hunks, out, ask, editor, credited)
        reviewed = _decide(result, hunks, choices, out)
        yield reviewed
        if quit_now:
            return


def _review_file(
    result: FileResult,
    hunks: list[Hunk],
    out: Output,
    ask: Ask,
    editor: str | None,
    credited: dict[int, tuple[str, ...]],
) -> tuple[dict[int, bytes | None], bool]:
    choices: dict[int, bytes | None] = {}
    header = f"--- a/{result.relpath}\n+++ b/{result.relpath}\n".encode("utf-8", "surrogateescape")
    index = 0
    while index < len(hunks):
        hunk = hunks[index]
        steps = credited.get(hunk.index) or tuple(dict.fromkeys(result.fired))
        out.err.print(
            Text.assemble(
                (f"hunk {index + 1}/{len(hunks)}", "dim"),
                (f" at line {hunk.first_line}", "dim"),
                (f"  step{'s' if len(steps) != 1 else ''}: {', '.join(steps)}", "cyan"),
            )
        )
        out.diff(header + hunk.patch())
        answer = ask(
            f"({index + 1}/{len(hunks)}) Apply this hunk to {result.relpath} [y,n,a,d,e,q,?]? "
        )
        if answer is None or answer.lower().startswith("q"):
            return choices, True
        key = answer[:1].lower()
        if key == "y":
            choices[hunk.index] = ACCEPT
        elif key == "n":
            pass
        elif key == "a":
            for rest in hunks[index:]:
                choices[rest.index] = ACCEPT
            return choices, False
        elif key == "d":
            return choices, False
        elif key == "e":
            edited = _edit(result, hunks, hunk, choices, out, editor)
            if edited is None:
                continue  # ask again about the same hunk
            choices[hunk.index] = edited
        else:
            out.err.print(HELP, style="red" if key not in ("?", "") else None)
            continue
        index += 1
    return choices, False


def _decide(
    result: FileResult, hunks: list[Hunk], choices: dict[int, bytes | None], out: Output
) -> Reviewed:
    if not choices:
        return Reviewed(result.with_(status=Status.UNCHANGED, new=None), 0, len(hunks))
    partial = apply_hunks(result.old, hunks, choices)
    if result.old is not None and partial == result.old:
        return Reviewed(result.with_(status=Status.UNCHANGED, new=None), len(choices), len(hunks))
    problem = check_partial(result.old, partial, result.relpath)
    if problem is not None:
        out.err.print(
            Text.assemble(
                (f"{result.relpath}: ", "bold"),
                ("not written: ", "bold red"),
                f"the hunks you accepted do not parse together ({problem})",
            )
        )
        return Reviewed(
            result.with_(
                status=Status.SKIPPED,
                new=None,
                reason="accepted hunks do not parse",
                detail=problem,
            ),
            len(choices),
            len(hunks),
            problem,
        )
    return Reviewed(result.with_(new=partial), len(choices), len(hunks))


def _edit(
    result: FileResult,
    hunks: list[Hunk],
    hunk: Hunk,
    choices: dict[int, bytes | None],
    out: Output,
    editor: str | None,
) -> bytes | None:
    """Let the user rewrite the hunk's proposed lines; ``None`` to ask again."""
    if not editor:
        out.err.print("no editor: set $EDITOR (or $VISUAL) to edit hunks", style="yellow")
        return None
    proposed = b"".join(hunk.added)
    suffix = Path(result.relpath).suffix or ".py"
    fd, name = tempfile.mkstemp(prefix="codemod-hunk-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(proposed)
        try:
            code = subprocess.call([*shlex.split(editor), name])
        except OSError as exc:
            out.err.print(f"cannot run editor {editor!r}: {exc.strerror}", style="red")
            return None
        if code != 0:
            out.err.print(f"editor exited with {code}; hunk not changed", style="yellow")
            return None
        edited = Path(name).read_bytes()
    finally:
        os.unlink(name)
    if edited and not edited.endswith(b"\n") and proposed.endswith(b"\n"):
        edited += b"\n"  # editors differ; the next line must stay on its own line
    trial = apply_hunks(result.old, hunks, {**choices, hunk.index: edited})
    problem = check_partial(result.old, trial, result.relpath)
    if problem is not None:
        out.err.print(
            Text.assemble(("edited hunk rejected: ", "bold red"), problem, " (try again)")
        )
        return None
    out.err.print(Text("edited hunk accepted", style="green"))
    return edited
