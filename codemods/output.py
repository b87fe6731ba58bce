"""Rendering for people (rich) and pipes (raw bytes). Diffs go to stdout, the rest to stderr."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.text import Text

from codemods.engine.results import FileResult, Status
from codemods.errors import CodemodError

ColorMode = Literal["auto", "always", "never"]


class Output:
    def __init__(
        self, color: ColorMode = "auto", verbose: bool = False, quiet: bool = False
    ) -> None:
        force = True if color == "always" else None
        no_color = color == "never" or (color == "auto" and "NO_COLOR" in os.environ)
        # --color never: no escape codes at all (not even bold), whatever the terminal
        system: Literal["auto"] | None = None if color == "never" else "auto"
        self.out = Console(
            force_terminal=force,
            no_color=no_color,
            highlight=False,
            soft_wrap=True,
            color_system=system,
        )
        self.err = Console(
            stderr=True,
            force_terminal=force,
            no_color=no_color,
            highlight=False,
            soft_wrap=True,
            color_system=system,
        )
        self.color = color == "always" or (
            color == "auto" and self.out.is_terminal and not no_color
        )
        self.verbose = verbose
        self.quiet = quiet
        self._python = Syntax("", "python", theme="ansi_dark", background_color="default")

    # -- diffs ---------------------------------------------------------------------------------
    def diff(self, patch: bytes, encoding: str = "utf-8") -> None:
        if not patch:
            return
        if not self.color:
            sys.stdout.flush()
            sys.stdout.buffer.write(patch)
            sys.stdout.buffer.flush()
            return
        text = patch.decode(encoding, errors="replace")
        for line in text.split("\n")[:-1]:
            self.out.print(self._diff_line(line.rstrip("\r")))

    def _diff_line(self, line: str) -> Text:
        if line.startswith(("--- ", "+++ ")):
            return Text(line, style="bold")
        if line.startswith("@@"):
            return Text(line, style="cyan")
        if line.startswith("\\"):
            return Text(line, style="dim")
        marker, body = line[:1], line[1:]
        code = self._python.highlight(body)
        code.rstrip()
        styles = {"+": ("bold green", "on #0b2e13"), "-": ("bold red", "on #3b0a0a")}
        if marker not in styles:
            return Text.assemble(Text(marker), code)
        sign, background = styles[marker]
        line_text = Text.assemble(Text(marker, style=sign), code)
        line_text.stylize(background)
        return line_text

    # -- per-file messages ---------------------------------------------------------------------
    def file_messages(self, result: FileResult) -> None:
        if self.quiet and result.status is not Status.FAILED:
            return  # -q: only errors
        where = result.relpath
        if result.status in (Status.SKIPPED, Status.FAILED):
            loc = where
            if result.line is not None:
                loc += f":{result.line}" + (f":{result.column}" if result.column else "")
            label = "skipped" if result.status is Status.SKIPPED else "failed"
            style = "yellow" if result.status is Status.SKIPPED else "bold red"
            msg = Text.assemble((f"{loc}: ", "bold"), (f"{label}: {result.reason}", style))
            if result.detail:
                msg.append(f": {result.detail}")
            self.err.print(msg)
        for d in () if self.quiet else result.diagnostics:
            if d.kind == "mention" and not self.verbose:
                continue
            if d.kind == "info" and not self.verbose:
                continue
            loc = (
                where
                + (f":{d.line}" if d.line else "")
                + (f":{d.column}" if d.line and d.column else "")
            )
            style = {"warning": "yellow", "review": "magenta"}.get(d.kind, "dim")
            label = {"review": "needs review"}.get(d.kind, d.kind)
            self.err.print(
                Text.assemble(
                    (f"{loc}: ", "bold"), (f"{label}", style), (f" [{d.step}] ", "dim"), d.message
                )
            )

    def document(self, text: str) -> None:
        """A machine-readable report (JSON, SARIF): plain text on stdout, never styled."""
        sys.stdout.flush()
        # a file name that is not UTF-8 (a lone surrogate) becomes a JSON `\udcXX` escape
        sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
        sys.stdout.buffer.flush()

    def summary(self, line: str, failed: bool) -> None:
        if self.quiet:  # -q: the failed files were named; the exit code says the rest
            return
        self.err.print(Text(line, style="bold red" if failed else "bold"))

    def note(self, message: str) -> None:
        if not self.quiet:
            self.err.print(Text(message, style="dim"))

    def error(self, exc: CodemodError) -> None:
        """``error: file:line:col: path: message`` and ``  hint: ...``, for each error carried."""
        errors = exc.all()
        for one in errors:
            head = one.render().split("\n")[0]
            self.err.print(Text.assemble(("error", "bold red"), ": ", head))
            hint = one.hint
            if hint is None and one.exit_code == 2:  # a usage error always says what to do
                hint = "see `codemod --help` (or `codemod COMMAND --help`)"
            if hint:
                self.err.print(Text.assemble(("  hint", "bold cyan"), f": {hint}"))
        if len(errors) > 1:
            self.err.print(Text(f"{len(errors)} errors", style="bold red"))

    # -- progress ------------------------------------------------------------------------------
    def progress(
        self, results: Iterable[FileResult], total: int, delay: float = 1.0
    ) -> Iterator[FileResult]:
        """Yield results; after ``delay`` seconds on a terminal, show a bar on stderr."""
        if not self.err.is_terminal or self.quiet:
            yield from results
            return
        start = time.monotonic()
        bar: Progress | None = None
        task = None
        done = 0
        try:
            for result in results:
                done += 1
                if bar is None and time.monotonic() - start > delay:
                    bar = Progress(
                        TextColumn("[bold]codemod"),
                        BarColumn(),
                        MofNCompleteColumn(),
                        TimeElapsedColumn(),
                        console=self.err,
                        transient=True,
                    )
                    bar.start()
                    task = bar.add_task("files", total=total, completed=done)
                elif bar is not None and task is not None:
                    bar.update(task, completed=done)
                yield result
        finally:
            if bar is not None:
                bar.stop()
