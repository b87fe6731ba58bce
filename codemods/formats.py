"""Machine-readable reports of a run: ``--format json``, ``--format sarif`` (SARIF 2.1.0) and
``--format github`` (GitHub Actions workflow commands, one annotation per line).

Both list every file that changed, was skipped, failed, or got a diagnostic; files that parsed
with nothing to do are only counted. SARIF results carry the change as a fix
(``fixes[].artifactChanges[].replacements``), so code-scanning UIs can offer it. A change
result looks like::

    {"ruleId": "rename_kwarg", "level": "warning",
     "message": {"text": "rename_kwarg would change lines 3-4 (recipe session-id-to-request-id)"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/x.py", ...},
                                         "region": {"startLine": 3, "endLine": 4}}}],
     "fixes": [{"artifactChanges": [{"replacements": [{"deletedRegion": {...},
                                                        "insertedContent": {"text": "..."}}]}]}]}
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codemods import __version__
from codemods.engine.diff import split_lines, unified_diff
from codemods.engine.hunks import Hunk, split_hunks
from codemods.engine.results import FileResult, Status, Summary

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://pypi.org/project/codemods/"


@dataclass
class RunReport:
    """Everything a machine-readable report says about one run."""

    recipe_id: str
    recipe_title: str
    step_titles: dict[str, str]
    root: Path
    mode: str  # "preview", "check" or "apply"
    results: list[FileResult] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)

    def add(self, result: FileResult) -> None:
        self.results.append(result)

    @property
    def reported(self) -> list[FileResult]:
        return [r for r in self.results if r.status is not Status.UNCHANGED or r.diagnostics]


def render(report: RunReport, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report)
    if fmt == "github":
        return render_github(report)
    raise ValueError(fmt)


# -- JSON --------------------------------------------------------------------------------------
def render_json(report: RunReport) -> str:
    summary = report.summary
    doc = {
        "tool": {"name": "codemod", "version": __version__},
        "recipe": {"id": report.recipe_id, "title": report.recipe_title},
        "mode": report.mode,
        "root": str(report.root),
        "summary": {
            "line": summary.line(applied=report.mode == "apply"),
            "changed": summary.changed,
            "unchanged": summary.unchanged,
            "skipped": sum(summary.skipped.values()),
            "failed": summary.total_failed,
            "written": summary.written,
            "warnings": summary.warnings,
            "reviews": summary.reviews,
            "left_out": summary.left_out,
            "parsed": summary.parsed,  # files LibCST parsed in this run
            "cached": summary.cached,  # results taken from .codemod_cache/ instead
        },
        "files": [_json_file(r) for r in report.reported],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _json_file(result: FileResult) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": result.relpath,
        "status": result.status.value,
        "written": result.written,
        "steps": list(dict.fromkeys(result.fired)),
    }
    if result.status in (Status.SKIPPED, Status.FAILED):
        entry["reason"] = result.reason
        entry["detail"] = result.detail
        entry["line"] = result.line
        entry["column"] = result.column
    if result.status is Status.CHANGED:
        entry["hunks"] = [
            {
                "old_start": h.old_start + 1,
                "old_lines": h.old_end - h.old_start,
                "new_start": h.new_start + 1,
                "new_lines": h.new_end - h.new_start,
                "diff": _text(h.patch()),
            }
            for h in split_hunks(result.old, result.new)
        ]
        entry["diff"] = _text(unified_diff(result.old, result.new, result.relpath))
    entry["diagnostics"] = [
        {
            "kind": d.kind,
            "step": d.step,
            "message": d.message,
            "line": d.line,
            "column": d.column,
        }
        for d in result.diagnostics
    ]
    return entry


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# -- SARIF -------------------------------------------------------------------------------------
_LEVEL = {"warning": "warning", "review": "warning", "mention": "note", "info": "note"}
_FILE_RULES = {
    "file-skipped": "A file was left untouched (syntax error, binary, or a step's skip)",
    "file-failed": "A file could not be changed safely and was not written",
}


def render_sarif(report: RunReport) -> str:
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}

    def rule(rule_id: str, title: str) -> int:
        if rule_id not in rule_index:
            rule_index[rule_id] = len(rules)
            rules.append(
                {
                    "id": rule_id,
                    "name": rule_id,
                    "shortDescription": {"text": title},
                    "helpUri": INFO_URI,
                }
            )
        return rule_index[rule_id]

    artifacts: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for file in report.reported:
        artifact = len(artifacts)
        artifacts.append({"location": _artifact_location(file.relpath)})
        location = _artifact_location(file.relpath, artifact)
        if file.status is Status.CHANGED:
            fired = list(dict.fromkeys(file.fired))
            rule_id = fired[0] if len(fired) == 1 else report.recipe_id
            title = report.step_titles.get(rule_id, report.recipe_title)
            index = rule(rule_id, title)
            for hunk in split_hunks(file.old, file.new):
                results.append(_change_result(report, file, hunk, rule_id, index, location))
        elif file.status in (Status.SKIPPED, Status.FAILED):
            rule_id = "file-failed" if file.status is Status.FAILED else "file-skipped"
            index = rule(rule_id, _FILE_RULES[rule_id])
            text = f"{file.status.value}: {file.reason}" + (
                f": {file.detail}" if file.detail else ""
            )
            region = _point(file.line, file.column)
            results.append(
                {
                    "ruleId": rule_id,
                    "ruleIndex": index,
                    "level": "error" if file.status is Status.FAILED else "note",
                    "message": {"text": text},
                    "locations": [_physical(location, region)],
                }
            )
        for diag in file.diagnostics:
            index = rule(diag.step, report.step_titles.get(diag.step, diag.step))
            results.append(
                {
                    "ruleId": diag.step,
                    "ruleIndex": index,
                    "level": _LEVEL.get(diag.kind, "note"),
                    "message": {"text": diag.message},
                    "locations": [_physical(location, _point(diag.line, diag.column))],
                    "properties": {"kind": diag.kind},
                }
            )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "codemod",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": report.summary.total_failed == 0,
                        "properties": {
                            "recipe": report.recipe_id,
                            "mode": report.mode,
                            "summary": report.summary.line(applied=report.mode == "apply"),
                        },
                    }
                ],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": report.root.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "artifacts": artifacts,
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _artifact_location(relpath: str, index: int | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"uri": relpath, "uriBaseId": "%SRCROOT%"}
    if index is not None:
        loc["index"] = index
    return loc


def _physical(location: dict[str, Any], region: dict[str, int] | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": location}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _point(line: int | None, column: int | None) -> dict[str, int] | None:
    if not line:
        return None
    region = {"startLine": line}
    if column:
        region["startColumn"] = column
    return region


def _change_result(
    report: RunReport,
    file: FileResult,
    hunk: Hunk,
    rule_id: str,
    index: int,
    location: dict[str, Any],
) -> dict[str, Any]:
    lines = split_lines(file.old or b"")
    first = hunk.old_start + 1
    last = max(hunk.old_end, first)
    where = f"line {first}" if last == first else f"lines {first}-{last}"
    fired = list(dict.fromkeys(file.fired))
    steps = ", ".join(fired) or rule_id
    verb = "changed" if file.written else "would change"
    text = f"{steps} {verb} {where} (recipe {report.recipe_id})"
    shown_line = min(first, max(len(lines), 1))
    return {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": "note" if file.written else "warning",
        "message": {"text": text},
        "locations": [
            _physical(location, {"startLine": shown_line, "endLine": max(last, shown_line)})
        ],
        "fixes": [
            {
                "description": {"text": f"apply {steps} to {where}"},
                "artifactChanges": [
                    {
                        "artifactLocation": location,
                        "replacements": [
                            {
                                "deletedRegion": _deleted_region(lines, hunk),
                                "insertedContent": _content(b"".join(hunk.added)),
                            }
                        ],
                    }
                ],
            }
        ],
        "properties": {"steps": fired, "patch": _text(hunk.patch(file.relpath))},
    }


def _deleted_region(lines: Sequence[bytes], hunk: Hunk) -> dict[str, int]:
    """The old lines a hunk replaces, as both line/column and byte offsets (consistent)."""
    offset = sum(len(line) for line in lines[: hunk.old_start])
    length = sum(len(line) for line in lines[hunk.old_start : hunk.old_end])
    start_line = hunk.old_start + 1
    if hunk.old_end > hunk.old_start and not lines[hunk.old_end - 1].endswith(b"\n"):
        # the region ends at the end of a last line without a newline
        end_line = hunk.old_end
        end_column = len(_text(lines[hunk.old_end - 1])) + 1
    else:
        end_line, end_column = hunk.old_end + 1, 1
    return {
        "startLine": start_line,
        "startColumn": 1,
        "endLine": end_line,
        "endColumn": end_column,
        "byteOffset": offset,
        "byteLength": length,
    }


def _content(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"binary": base64.b64encode(data).decode("ascii")}


# -- GitHub Actions annotations ----------------------------------------------------------------
def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(
    level: str,
    path: str,
    message: str,
    title: str,
    line: int | None = None,
    end_line: int | None = None,
    column: int | None = None,
) -> str:
    props = [f"file={_gh_property(path)}"]
    if line:
        props.append(f"line={line}")
        if end_line and end_line != line:
            props.append(f"endLine={end_line}")
        if column:
            props.append(f"col={column}")
    props.append(f"title={_gh_property(title)}")
    return f"::{level} {','.join(props)}::{_gh_data(message)}\n"


def render_github(report: RunReport) -> str:
    """Workflow commands GitHub Actions turns into annotations on the pull request's files::

        ::warning file=app/x.py,line=3,title=codemod (rename_kwarg)::rename_kwarg would change line 3 ...

    A change is a warning (a notice once ``apply`` wrote it), with the hunk's diff in the
    message; a failed file is an error, a skipped one a warning; diagnostics keep their kind
    (warning and needs-review: warning; comment mentions and info: notice).
    """
    lines: list[str] = []
    for file in report.reported:
        if file.status is Status.CHANGED:
            fired = list(dict.fromkeys(file.fired))
            steps = ", ".join(fired) or report.recipe_id
            verb = "changed" if file.written else "would change"
            for hunk in split_hunks(file.old, file.new):
                first = hunk.old_start + 1
                last = max(hunk.old_end, first)
                where = f"line {first}" if last == first else f"lines {first}-{last}"
                message = f"{steps} {verb} {where} (recipe {report.recipe_id})\n" + _text(
                    hunk.patch(file.relpath)
                )
                lines.append(
                    _annotation(
                        "notice" if file.written else "warning",
                        file.relpath,
                        message.rstrip("\n"),
                        f"codemod ({steps})",
                        first,
                        last,
                    )
                )
        elif file.status in (Status.SKIPPED, Status.FAILED):
            failed = file.status is Status.FAILED
            text = f"{file.status.value}: {file.reason}" + (
                f": {file.detail}" if file.detail else ""
            )
            lines.append(
                _annotation(
                    "error" if failed else "warning",
                    file.relpath,
                    text,
                    f"codemod ({'file-failed' if failed else 'file-skipped'})",
                    file.line,
                    None,
                    file.column,
                )
            )
        for diag in file.diagnostics:
            label = {"review": "needs review"}.get(diag.kind, diag.kind)
            lines.append(
                _annotation(
                    "warning" if diag.kind in ("warning", "review") else "notice",
                    file.relpath,
                    f"{label}: {diag.message}",
                    f"codemod ({diag.step})",
                    diag.line,
                    None,
                    diag.column,
                )
            )
    return "".join(lines)
