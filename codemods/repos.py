"""``codemod apply|preview RECIPE --repos FILE``: one run in each of many repositories.

FILE lists one repository a line: a local path (relative to FILE's folder) or a git URL,
which is cloned (``--depth 1``) into ``OUT/checkouts/NAME`` first. Blank lines and ``#``
comments are ignored. Each repository runs as its own ``codemod`` process with the
repository as its working directory, so it gets its own ``[tool.codemod]`` configuration,
its own cache and its own dirty-tree guard, and nothing one repository does (a bad config, a
dirty tree, a crash) can stop another. Several run at once (the cores are split between
them). For each repository ``OUT/NAME.patch`` (its changes, ``git apply``-able in it),
``OUT/NAME.json`` (the ``--format json`` report) and ``OUT/NAME.log`` (what it printed to
stderr) are written, then a summary table, also as ``OUT/summary.json``::

    repository  result   changed  unchanged  skipped  failed
    billing     ok             3        118        0       0
    frontend    error          -          -        -       -   refusing to write: 2 files ...
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from codemods.errors import CodemodError, ExitCode
from codemods.output import Output

_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


@dataclass(frozen=True)
class Repo:
    name: str  # unique in the run: file names in OUT
    source: str  # the line of FILE
    url: str | None  # a git URL to clone, or None for a local path
    path: Path  # the work tree the run happens in


@dataclass
class RepoOutcome:
    name: str
    source: str
    result: str  # ok | changes pending | files failed | error
    exit_code: int
    changed: int | None = None
    unchanged: int | None = None
    skipped: int | None = None
    failed: int | None = None
    line: str | None = None  # the repository's own summary line
    error: str | None = None
    patch: str | None = None
    report: str | None = None
    log: str | None = None


def read_repos(list_file: Path, out_dir: Path) -> list[Repo]:
    """The repositories ``list_file`` names, with unique names; a clear error for a bad file."""
    try:
        lines = list_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CodemodError(f"cannot read the repository list {list_file}: {exc.strerror}") from None
    base = list_file.resolve().parent
    repos: list[Repo] = []
    names: set[str] = set()
    seen: dict[str, int] = {}  # each repository once: two runs in one work tree would race
    for number, raw in enumerate(lines, 1):
        line = re.split(r"\s#", raw, maxsplit=1)[0].strip()  # a comment: "#" after a space
        if not line or line.startswith("#"):
            continue
        is_url = bool(_URL.match(line)) or (line.endswith(".git") and not (base / line).is_dir())
        stem = re.sub(r"\.git$", "", line.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
        name = re.sub(r"[^\w.-]+", "_", stem) or f"repo{number}"
        unique, n = name, 2
        while unique in names:
            unique, n = f"{name}-{n}", n + 1
        names.add(unique)
        path = (base / Path(line).expanduser()).resolve()
        where = line.rstrip("/") if is_url else str(path)
        if where in seen:
            raise CodemodError(
                f"{list_file}: line {number} names the same repository as line {seen[where]}",
                hint="list each repository once",
            )
        seen[where] = number
        if is_url:
            repos.append(Repo(unique, line, line, out_dir / "checkouts" / unique))
            continue
        repos.append(Repo(unique, line, None, path))
    if not repos:
        raise CodemodError(f"{list_file} lists no repositories", hint="one path or git URL a line")
    return repos


def run_repos(
    list_file: Path,
    out_dir: Path,
    recipe_ref: str | None,
    paths: Sequence[Path] | None,
    *,
    out: Output,
    write_files: bool,
    check: bool,
    unsafe: bool,
    jobs: int | None,
    no_cache: bool,
    **extra: Any,
) -> int:
    for flag, bad in (
        ("PATHS", bool(paths)),
        ("--interactive", bool(extra.get("interactive"))),
        ("--patch (each repository's patch goes to --out)", extra.get("patch") is not None),
        ("--format (each repository's JSON report goes to --out)", extra.get("fmt") != "text"),
        ("--shard", extra.get("shard") is not None),
        ("--emit-partial", extra.get("emit_partial") is not None),
    ):
        if bad:
            raise CodemodError(
                f"--repos cannot go with {flag}",
                hint="with --repos, each repository's own [tool.codemod] paths (or .) are scanned",
            )
    repos = read_repos(list_file, out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CodemodError(f"cannot create the output folder {out_dir}: {exc.strerror}") from None
    out_dir = out_dir.resolve()
    from codemods.engine.run import default_jobs

    cores = default_jobs()
    parallel = max(1, min(len(repos), cores))
    per_repo = jobs or max(1, cores // parallel)
    ref = recipe_ref
    if ref is not None and Path(ref).exists():  # a recipe file: the same one in every repo
        ref = str(Path(ref).resolve())
    command = "apply" if (write_files or check) else "preview"
    args = _forwarded(ref, check, unsafe, per_repo, no_cache, extra)

    def one(repo: Repo) -> RepoOutcome:
        outcome = _run_one(repo, command, args, out_dir)
        what = outcome.line or outcome.error or outcome.result
        out.note(f"{repo.name}: {what}")
        return outcome

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        outcomes = list(pool.map(one, repos))
    _table(outcomes, out)
    summary = out_dir / "summary.json"
    summary.write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n", encoding="utf-8")
    out.note(f"wrote {summary} and each repository's .patch, .json and .log in {out_dir}")
    bad = [o for o in outcomes if o.result in ("error", "files failed")]
    out.summary(
        f"{len(repos)} {'repository' if len(repos) == 1 else 'repositories'}: "
        f"{sum(o.result == 'ok' for o in outcomes)} ok, "
        f"{sum(o.result == 'changes pending' for o in outcomes)} with changes pending, "
        f"{len(bad)} failed",
        failed=bool(bad),
    )
    if bad:
        return ExitCode.FILE_FAILED
    if any(o.result == "changes pending" for o in outcomes):
        return ExitCode.CHANGES_PENDING
    return ExitCode.OK


def _forwarded(
    ref: str | None, check: bool, unsafe: bool, jobs: int, no_cache: bool, extra: dict[str, Any]
) -> list[str]:
    args = [] if ref is None else [ref]
    args += ["--format", "json", "--color", "never", "--jobs", str(jobs)]
    if check:
        args.append("--check")
    if unsafe:
        args.append("--unsafe")
    if no_cache:
        args.append("--no-cache")
    if extra.get("allow_dirty"):
        args.append("--allow-dirty")
    if extra.get("include_stubs"):
        args.append("--include-stubs")
    marker = extra.get("generated_marker", "@generated")
    args += ["--include-generated"] if marker is None else ["--generated-marker", marker]
    for glob in extra.get("include") or ():
        args += ["--include", glob]
    for glob in extra.get("exclude") or ():
        args += ["--exclude", glob]
    if extra.get("executor", "process") != "process":
        args += ["--executor", extra["executor"]]
    if extra.get("ray_address"):
        args += ["--ray-address", extra["ray_address"]]
    # each repository's run has the per-file budget this run was given
    args += ["--file-timeout", f"{extra.get('file_timeout', 60.0):g}"]
    args += ["--file-memory", str(extra.get("file_memory", 2048))]
    return args


def _run_one(repo: Repo, command: str, args: list[str], out_dir: Path) -> RepoOutcome:
    patch, report, log = (out_dir / f"{repo.name}{ext}" for ext in (".patch", ".json", ".log"))
    outcome = RepoOutcome(repo.name, repo.source, "error", int(ExitCode.USAGE))
    if repo.url is None and not repo.path.is_dir():
        outcome.error = f"not a directory: {repo.path}"
        return outcome
    try:
        if repo.url is not None and not (repo.path / ".git").exists():
            repo.path.parent.mkdir(parents=True, exist_ok=True)
            cloned = subprocess.run(
                ["git", "clone", "-q", "--depth", "1", repo.url, str(repo.path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if cloned.returncode != 0:
                fatal = [x for x in cloned.stderr.splitlines() if x.startswith("fatal: ")]
                why = fatal[0].removeprefix("fatal: ") if fatal else _last_line(cloned.stderr)
                outcome.error = f"git clone failed: {why}"
                log.write_text(cloned.stderr, encoding="utf-8")
                outcome.log = str(log)
                return outcome
        env = {**os.environ, "NO_COLOR": "1"}
        proc = subprocess.run(
            [sys.executable, "-m", "codemods", command, *args, "--patch", str(patch)],
            cwd=repo.path,
            capture_output=True,
            env=env,
            check=False,
        )
    except OSError as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    log.write_bytes(proc.stderr)
    outcome.log = str(log)
    outcome.exit_code = proc.returncode
    try:
        doc = json.loads(proc.stdout)
        summary = doc["summary"]
    except (ValueError, KeyError, TypeError):
        outcome.error = _last_line(proc.stderr.decode("utf-8", "replace")) or "no report"
        if patch.exists() and proc.returncode not in (0, 1, 3):
            patch.unlink()  # a run that stopped early: no partial patch to mistake for the whole
        return outcome
    report.write_bytes(proc.stdout)
    outcome.report = str(report)
    outcome.patch = str(patch) if patch.exists() else None
    outcome.changed = summary.get("changed")
    outcome.unchanged = summary.get("unchanged")
    outcome.skipped = summary.get("skipped")
    outcome.failed = summary.get("failed")
    outcome.line = summary.get("line")
    outcome.result = {
        int(ExitCode.OK): "ok",
        int(ExitCode.CHANGES_PENDING): "changes pending",
        int(ExitCode.FILE_FAILED): "files failed",
    }.get(proc.returncode, "error")
    if outcome.result == "error":
        outcome.error = _last_line(proc.stderr.decode("utf-8", "replace"))
    return outcome


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error")]
    return (errors or lines or [""])[-1]


def _table(outcomes: Sequence[RepoOutcome], out: Output) -> None:
    table = Table(title="Repositories", title_justify="left", show_edge=False)
    table.add_column("repository", style="bold cyan", no_wrap=True)
    table.add_column("result")
    for column in ("changed", "unchanged", "skipped", "failed"):
        table.add_column(column, justify="right")
    table.add_column("note")

    def n(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    for o in outcomes:
        style = {"ok": "green", "changes pending": "yellow"}.get(o.result, "red")
        table.add_row(
            o.name,
            f"[{style}]{o.result}[/]",
            n(o.changed),
            n(o.unchanged),
            n(o.skipped),
            n(o.failed),
            o.error or "",
        )
    out.err.print(table)
