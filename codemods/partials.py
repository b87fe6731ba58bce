"""Shard runs' partial results (``--emit-partial FILE``) and ``codemod finish``, which joins them.

Each shard of a ``--shard K/N`` run writes one JSON file: which run it belongs to (the recipe
and its options, the tool, the whole run's list of files), each changed file's diff with its
place in discovery order, the per-file data whole-tree steps collected (``register_markers``:
the marks each test file uses), and its summary counts. ``codemod finish`` checks that the
partials are the N shards of one run, each once, then hands all the collected data, in
discovery order, to the whole-tree steps, which make their edits (the pytest config) exactly
as a single run would; it prints the summary of the whole run and writes ``--patch``: the
shards' diffs in discovery order followed by the whole-tree edits, byte for byte the patch
of a single run.

A partial's paths are relative to the repository root where they can be, so the shards can
run on different machines and ``finish`` on yet another checkout.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codemods import __version__, vcs
from codemods import config as configuration
from codemods.analysis.project import Projects
from codemods.engine import Plan, Status, Summary, write
from codemods.engine.cache import run_fingerprint
from codemods.engine.diff import unified_diff
from codemods.engine.discover import display_root
from codemods.engine.journal import Recorder
from codemods.engine.results import FileResult
from codemods.engine.run import finish
from codemods.engine.shard import Shard, files_digest
from codemods.errors import CodemodError, ExitCode
from codemods.output import Output
from codemods.undoing import close_recording

FORMAT = "codemod-partial/1"
_KEYS = (
    "recipe",
    "unsafe",
    "mode",
    "shard",
    "root",
    "project_root",
    "scan_roots",
    "files",
    "changes",
    "collected",
    "summary",
)


def write_partial(
    target: Path,
    *,
    ref: str | None,
    full: Plan,
    plan: Plan,
    shard: Shard,
    mode: str,
    unsafe: bool,
    final: Sequence[FileResult],
    collected: dict[int, list[tuple[str, Any]]],
    summary: Summary,
) -> None:
    """Write the partial result of the shard ``plan`` (``full``: the whole run) to ``target``."""
    order = {f.relpath: i for i, f in enumerate(full.files)}
    changes = []
    for result in final:
        if result.status is Status.CHANGED:
            entry: dict[str, Any] = {"index": order.get(result.relpath), "path": result.relpath}
            entry.update(_encode(unified_diff(result.old, result.new, result.relpath)))
            changes.append(entry)
    data = []
    for step, items in sorted(collected.items()):
        for relpath, value in items:
            data.append({"step": step, "index": order[relpath], "path": relpath, "data": value})
    first = full.files[0].scan_root if full.files else full.scan_roots[0]
    doc = {
        "format": FORMAT,
        "tool": __version__,
        "recipe": {
            "ref": ref,
            "id": plan.recipe.id,
            "fingerprint": run_fingerprint(plan.recipe, plan.steps),
        },
        "unsafe": unsafe,
        "mode": mode,
        "shard": [shard.index, shard.count],
        "root": str(full.root),
        "project_root": _rel(first, full.root),
        "scan_roots": [_rel(r, full.root) for r in full.scan_roots],
        "files": {"count": len(full.files), "digest": files_digest(full.files)},
        "changes": changes,
        "collected": data,
        "summary": dataclasses.asdict(summary),
    }
    try:
        text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CodemodError(
            f"cannot write {target}: a whole-tree step collected data JSON cannot hold ({exc})"
        ) from None
    try:
        target.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CodemodError(f"cannot write the partial file {target}: {exc.strerror}") from None


def _encode(diff: bytes) -> dict[str, str]:
    try:
        return {"diff": diff.decode("utf-8")}
    except UnicodeDecodeError:
        return {"diff_base64": base64.b64encode(diff).decode("ascii")}


def _decode(entry: dict[str, Any]) -> bytes:
    if "diff" in entry:
        return str(entry["diff"]).encode("utf-8")
    return base64.b64decode(entry["diff_base64"])


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix() or "."
    except ValueError:
        return str(path.resolve())


def load_partial(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CodemodError(f"cannot read the partial file {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CodemodError(f"{path} is not a partial file (not JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CodemodError(
            f"{path} is not a partial file of this codemod (format {FORMAT})",
            hint="make it with `codemod preview|apply RECIPE --shard K/N --emit-partial FILE`",
        )
    missing = [key for key in _KEYS if key not in doc]
    if missing:
        raise CodemodError(f"{path} is a damaged partial file (no {', '.join(missing)})")
    return doc


def _check_together(docs: Sequence[tuple[Path, dict[str, Any]]]) -> int:
    """The number of shards, after checking the partials are every shard of one run once."""
    first_path, first = docs[0]
    same = ("recipe", "unsafe", "mode", "files", "tool")
    for path, doc in docs[1:]:
        for key in same:
            if doc.get(key) != first.get(key):
                what = {
                    "recipe": "recipe or step options, or another build of codemod",
                    "unsafe": "--unsafe setting",
                    "mode": "command (preview, apply or --check)",
                    "files": "set of files (another tree, filter or commit)",
                    "tool": "codemod version",
                }[key]
                raise CodemodError(
                    f"{path} and {first_path} come from different runs: another {what}",
                    hint="run every shard with the same command, on the same commit",
                )
    count = int(first["shard"][1])
    seen: dict[int, Path] = {}
    for path, doc in docs:
        index, total = doc["shard"]
        if total != count:
            raise CodemodError(f"{path} is shard {index}/{total}, {first_path} one of {count}")
        if index in seen:
            raise CodemodError(f"{path} and {seen[index]} are both shard {index}/{count}")
        seen[index] = path
    missing = [str(k) for k in range(1, count + 1) if k not in seen]
    if missing:
        raise CodemodError(
            f"shard(s) {', '.join(missing)} of {count} missing from the partials given",
            hint="`codemod finish` needs the partial file of every shard",
        )
    return count


def _reroot(value: Any, old: str, new: str) -> Any:
    """``value`` with every path string under ``old`` moved under ``new`` (another checkout)."""
    if isinstance(value, str):
        if value == old or value.startswith(old.rstrip("/") + "/"):
            return new + value[len(old) :]
        return value
    if isinstance(value, list):
        return [_reroot(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _reroot(v, old, new) for k, v in value.items()}
    return value


def _merge(summary: Summary, counts: dict[str, Any]) -> None:
    for name, value in counts.items():
        current = getattr(summary, name)
        if isinstance(current, dict):
            for key, n in value.items():
                current[key] = current.get(key, 0) + n
        else:
            setattr(summary, name, current + value)


def finish_partials(
    paths: Sequence[Path],
    out: Output,
    *,
    recipe_ref: str | None = None,
    patch: Path | None = None,
    check: bool = False,
    allow_dirty: bool = False,
    show_diff: bool = False,
) -> int:
    """``codemod finish``: the whole-tree edits and the whole run's patch, from every shard."""
    from codemods.workflow import resolve_recipe

    if not paths:
        raise CodemodError("no partial files given", hint="codemod finish --partials FILE...")
    docs = [(p, load_partial(p)) for p in dict.fromkeys(paths)]
    count = _check_together(docs)
    first = docs[0][1]
    cfg = configuration.load_config()
    ref = recipe_ref if recipe_ref is not None else first["recipe"]["ref"]
    recipe, _ = resolve_recipe(ref, None, cfg)
    unsafe = bool(first["unsafe"])
    steps = tuple(s for s in recipe.steps if unsafe or s.step.is_safe())
    if run_fingerprint(recipe, steps) != first["recipe"]["fingerprint"]:
        raise CodemodError(
            f"the recipe {recipe.id!r} here is not the one the shards ran "
            f"({first['recipe']['id']!r}, other steps or options, or another codemod build)",
            hint="run `codemod finish` on the same commit, with the same recipe as the shards",
        )
    root = display_root([Path(".")])
    old_root = str(first["root"])
    scan_roots = tuple((root / r).resolve() for r in first["scan_roots"])
    plan = Plan(recipe, steps, (), (), root, scan_roots)
    collected: dict[int, list[tuple[int, str, Any]]] = {}
    changes: list[tuple[int, bytes]] = []
    summary = Summary()
    for _path, doc in docs:
        for item in doc["collected"]:
            data = (
                item["data"]
                if old_root == str(root)
                else _reroot(item["data"], old_root, str(root))
            )
            collected.setdefault(int(item["step"]), []).append((item["index"], item["path"], data))
        changes.extend(
            (c["index"] if c["index"] is not None else -1, _decode(c)) for c in doc["changes"]
        )
        _merge(summary, doc["summary"])
    ordered = {
        step: [(relpath, data) for _i, relpath, data in sorted(items, key=lambda x: x[0])]
        for step, items in collected.items()
    }
    project_root = (root / first["project_root"]).resolve()
    edits = list(finish(plan, ordered, {project_root: Projects().of(project_root)}))
    mode = first["mode"]
    write_files = mode == "apply" and not check
    for result in edits:
        if result.status is Status.CHANGED and (show_diff or mode != "apply" or check):
            out.diff(unified_diff(result.old, result.new, result.relpath))
        out.file_messages(result)
    pending = [r for r in edits if r.status is Status.CHANGED]
    if write_files and pending:
        if not allow_dirty:
            vcs.refuse_dirty(
                [Path(r.path) for r in pending], {Path(r.path): r.relpath for r in pending}
            )
        edits = _write_journaled(edits, pending, root, recipe.id, scan_roots, out)
    for result in edits:
        summary.add(result)
    if patch is not None:
        merged = b"".join(d for _i, d in sorted(changes, key=lambda c: c[0]))
        done = [r for r in edits if r.status is Status.CHANGED]
        merged += b"".join(unified_diff(r.old, r.new, r.relpath) for r in done)
        _write_patch_bytes(patch, merged, len(changes) + len(done), out)
    out.note(
        f"joined {count} shard{'s' if count != 1 else ''} of {first['files']['count']:,} files"
    )
    out.summary(summary.line(applied=write_files), failed=summary.total_failed > 0)
    if summary.total_failed:
        return ExitCode.FILE_FAILED
    if mode == "check" and summary.changed:
        return ExitCode.CHANGES_PENDING  # like the shards' own `apply --check`
    if check and (pending or (mode != "apply" and summary.changed)):
        return ExitCode.CHANGES_PENDING  # after applied shards: only the whole-tree edits
    return ExitCode.OK


def _write_journaled(
    edits: list[FileResult],
    pending: list[FileResult],
    root: Path,
    recipe_id: str,
    scan_roots: Sequence[Path],
    out: Output,
) -> list[FileResult]:
    """Write the whole-tree edits as ``apply`` writes files: recorded in the undo journal
    first (durable before the first write), then kept to the files really written, so that
    ``codemod undo`` takes ``finish``'s edits back as one run (before the shards' own runs)."""
    recorder = Recorder(root, recipe_id)
    recorder.add([(Path(r.path), r.old, r.new) for r in pending if r.new is not None])
    written: list[Path] = []
    try:
        done = []
        for result in edits:
            if result.status is Status.CHANGED:
                result = write(result, scan_roots)
                if result.written:
                    written.append(Path(result.path))
            done.append(result)
        return done
    finally:
        close_recording(recorder, written, out)


def _write_patch_bytes(target: Path, patch: bytes, count: int, out: Output) -> None:
    try:
        target.write_bytes(patch)
    except OSError as exc:
        raise CodemodError(f"cannot write the patch file {target}: {exc.strerror}") from None
    out.note(f"wrote {target} ({count} file{'s' if count != 1 else ''})")
