"""The undo journal: what each ``apply`` wrote, so ``codemod undo`` can take it back.

Every ``apply`` that is about to write records, *before* it writes anything, the original
bytes, the mode and the bytes it will write of each file; after writing it keeps only the
files that really were written. ``codemod undo`` restores the last run's files that are still
byte-equal to what it wrote and names the others (edited since; ``force`` restores them too).

Layout, under the cache directory at the project root (data only: JSON and raw bytes, no
pickle, nothing executed)::

    .codemod_cache/journal/
        20261201T101500.123456Z-3f2a9c/     one run (its name sorts by time)
            run.json                        the manifest, replaced atomically
            blobs-0.bin                     old and new bytes of the files, back to back
            blobs-1.bin                     (one blob file per batch: apply --interactive
                                            records file by file)

``run.json``::

    {"format": 1, "id": "...", "created": "2026-12-01T10:15:00Z", "recipe": "rename-x",
     "state": "pending" | "complete" | "undone",
     "files": [{"path": "pkg/a.py", "mode": 420, "created": false, "blob": "blobs-0.bin",
                "old": [offset, length, sha256], "new": [offset, length, sha256]}]}

``pending`` means the apply was stopped before it finished (killed): some listed files may not
have been written; undo restores those equal to their new bytes and leaves those still equal
to the old. Paths are relative to the project root and may not leave it. Every blob is checked
against its sha256 before anything is restored: a damaged journal is reported and nothing is
restored. Symlinks are refused anywhere in the journal (the cache directory, the journal
directory, a run directory or a file in it). The last :data:`KEEP_RUNS` runs are kept.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from codemods.engine.write import ChangedOnDisk, atomic_write, remove_stale_temp_files
from codemods.errors import CodemodError, ExitCode

CACHE_DIR = ".codemod_cache"  # the same directory as engine.cache's (see cache.CACHE_DIR)
JOURNAL_DIR = "journal"
MANIFEST = "run.json"
FORMAT = 1
#: How many runs the journal keeps; older ones are removed when a new run is recorded.
KEEP_RUNS = 10


class JournalError(CodemodError):
    """The journal is missing, damaged or unsafe to use; nothing was restored."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, code="journal", hint=hint, exit_code=ExitCode.FILE_FAILED)


@dataclass(frozen=True)
class Entry:
    path: str  # posix, relative to the project root
    mode: int | None  # st_mode & 0o7777 before the write (None: the file was created)
    blob: str
    old: tuple[int, int, str] | None  # offset, length, sha256 (None: the file was created)
    new: tuple[int, int, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "mode": self.mode,
            "created": self.old is None,
            "blob": self.blob,
            "old": list(self.old) if self.old is not None else None,
            "new": list(self.new),
        }


@dataclass
class Run:
    """One recorded ``apply``."""

    directory: Path
    id: str
    created: str
    recipe: str
    state: str
    entries: list[Entry] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "created": self.created,
            "recipe": self.recipe,
            "state": self.state,
            "files": [e.to_json() for e in self.entries],
        }


# -- safe file helpers -------------------------------------------------------------------------
def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise JournalError(
            f"{path} is a symbolic link; the undo journal does not follow links",
            hint=f"remove it (`rm {path}`); codemod recreates the journal on the next apply",
        )


def _ensure_dir(path: Path) -> None:
    _refuse_link(path)
    path.mkdir(exist_ok=True)
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise JournalError(f"{path} is not a directory", hint=f"remove it (`rm {path}`)")


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_new(path: Path, *chunks: bytes) -> None:
    """Create ``path`` (never through a link, never over an existing file) and flush it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())


def _replace_manifest(run: Run) -> None:
    data = (json.dumps(run.manifest(), indent=1) + "\n").encode()
    tmp = run.directory / f".{MANIFEST}.{secrets.token_hex(4)}.tmp"
    try:
        _write_new(tmp, data)
        os.replace(tmp, run.directory / MANIFEST)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(run.directory)


def _read_regular(path: Path) -> bytes:
    """A file's bytes, refusing a symlink or anything but a regular file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return handle.read()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- recording ---------------------------------------------------------------------------------
def journal_dir(root: Path) -> Path:
    return root / CACHE_DIR / JOURNAL_DIR


class Recorder:
    """Records one ``apply``: :meth:`add` before writing files, :meth:`finish` after."""

    def __init__(self, root: Path, recipe: str) -> None:
        self.root = root.resolve()
        self.recipe = recipe
        self.run: Run | None = None
        self._batches = 0
        self.outside: list[str] = []  # files not under the root: not recorded

    def _start(self) -> Run:
        from codemods.engine.cache import ensure_cache_dir

        cache = self.root / CACHE_DIR
        _refuse_link(cache)
        ensure_cache_dir(cache)
        journal = journal_dir(self.root)
        _ensure_dir(journal)
        now = datetime.datetime.now(datetime.UTC)
        run_id = f"{now.strftime('%Y%m%dT%H%M%S.%f')}Z-{secrets.token_hex(3)}"
        directory = journal / run_id
        directory.mkdir()
        _fsync_dir(journal)
        created = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        return Run(directory, run_id, created, self.recipe, "pending")

    def relpath(self, path: Path) -> str | None:
        try:  # normalised: a manifest path never holds `..` (load_run refuses those)
            return Path(os.path.normpath(path.absolute())).relative_to(self.root).as_posix()
        except ValueError:
            try:
                return path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                return None

    def add(self, files: Sequence[tuple[Path, bytes | None, bytes]]) -> None:
        """Record ``(path, old bytes or None, new bytes)`` of files about to be written.

        Durable (fsync'ed) when it returns, so a crash after it leaves a usable journal.
        """
        todo: list[tuple[str, int | None, bytes | None, bytes]] = []
        for path, old, new in files:
            rel = self.relpath(path)
            if rel is None:
                self.outside.append(str(path))
                continue
            mode = None
            if old is not None:
                with contextlib.suppress(OSError):
                    mode = os.stat(path).st_mode & 0o7777
            todo.append((rel, mode, old, new))
        if not todo:
            return
        if self.run is None:
            self.run = self._start()
        blob = f"blobs-{self._batches}.bin"
        self._batches += 1
        chunks: list[bytes] = []
        offset = 0
        for rel, mode, old, new in todo:
            old_ref = None
            if old is not None:
                old_ref = (offset, len(old), _sha(old))
                chunks.append(old)
                offset += len(old)
            new_ref = (offset, len(new), _sha(new))
            chunks.append(new)
            offset += len(new)
            self.run.entries.append(Entry(rel, mode, blob, old_ref, new_ref))
        _write_new(self.run.directory / blob, *chunks)  # not joined: no second copy
        _replace_manifest(self.run)

    def finish(self, written: Iterable[Path]) -> Run | None:
        """Keep only the files really written; drop the run if none was. Prune old runs."""
        if self.run is None:
            return None
        done = {self.relpath(p) for p in written}
        self.run.entries = [e for e in self.run.entries if e.path in done]
        if not self.run.entries:
            shutil.rmtree(self.run.directory, ignore_errors=True)
            self.run = None
        else:
            self.run.state = "complete"
            _replace_manifest(self.run)
        prune(journal_dir(self.root))
        return self.run


def prune(journal: Path, keep: int = KEEP_RUNS) -> None:
    """Keep the newest ``keep`` runs (by name, which sorts by time)."""
    with contextlib.suppress(OSError):
        runs = sorted(
            p for p in journal.iterdir() if not p.name.startswith(".") and not p.is_symlink()
        )
        for old in runs[:-keep] if len(runs) > keep else []:
            shutil.rmtree(old, ignore_errors=True)


# -- reading -----------------------------------------------------------------------------------
def find_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` whose cache holds a journal."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / CACHE_DIR / JOURNAL_DIR).is_dir():
            return directory
    return None


def list_runs(root: Path) -> list[Run | JournalError]:
    """Every run, newest first; a run that cannot be read is a :class:`JournalError` in place."""
    journal = journal_dir(root)
    _refuse_link(root / CACHE_DIR)
    _refuse_link(journal)
    out: list[Run | JournalError] = []
    try:
        names = sorted((p for p in journal.iterdir() if not p.name.startswith(".")), reverse=True)
    except OSError:
        return []
    for directory in names:
        if not directory.is_symlink() and not (directory / MANIFEST).exists():
            continue  # an apply killed while recording: it had not written any file yet
        try:
            out.append(load_run(directory))
        except JournalError as exc:
            out.append(exc)
    return out


def _damaged(directory: Path, why: str) -> JournalError:
    return JournalError(
        f"the undo journal of run {directory.name} is damaged: {why}; nothing was restored",
        hint=f"restore from git if you can; remove {directory} to undo an earlier run",
    )


def load_run(directory: Path) -> Run:
    """A run's manifest, validated (paths, types); blobs are checked by :func:`read_blobs`."""
    if directory.is_symlink() or not directory.is_dir():
        raise _damaged(directory, "not a directory (or a symbolic link)")
    try:
        raw = _read_regular(directory / MANIFEST)
    except FileNotFoundError:
        raise _damaged(
            directory, f"{MANIFEST} is missing (the apply was killed before writing)"
        ) from None
    except OSError as exc:
        raise _damaged(directory, f"cannot read {MANIFEST}: {exc}") from None
    try:
        doc = json.loads(raw)
        if doc.get("format") != FORMAT:
            raise ValueError(f"unknown format {doc.get('format')!r}")
        entries = [_entry(item) for item in doc["files"]]
        run = Run(directory, str(doc["id"]), str(doc["created"]), str(doc["recipe"]),
                  str(doc["state"]), entries)  # fmt: skip
        if run.state not in ("pending", "complete", "undone"):
            raise ValueError(f"unknown state {run.state!r}")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _damaged(directory, f"{MANIFEST} is not a valid manifest ({exc})") from None
    return run


def _ref(value: Any) -> tuple[int, int, str]:
    offset, length, digest = value
    if not (isinstance(offset, int) and isinstance(length, int) and offset >= 0 and length >= 0):
        raise ValueError("bad blob reference")
    if not (isinstance(digest, str) and len(digest) == 64):
        raise ValueError("bad digest")
    return offset, length, digest


def _entry(item: dict[str, Any]) -> Entry:
    path = item["path"]
    pure = PurePosixPath(path)
    if not isinstance(path, str) or not path or pure.is_absolute() or ".." in pure.parts:
        raise ValueError(f"path {path!r} leaves the project")
    blob = item["blob"]
    if not isinstance(blob, str) or "/" in blob or blob.startswith("."):
        raise ValueError(f"blob name {blob!r}")
    mode = item["mode"]
    if mode is not None and not isinstance(mode, int):
        raise ValueError("bad mode")
    old = None if item["old"] is None else _ref(item["old"])
    return Entry(path, mode, blob, old, _ref(item["new"]))


def read_blobs(run: Run) -> dict[str, tuple[bytes | None, bytes]]:
    """``path -> (old, new)`` for every entry, each checked against its sha256."""
    blobs: dict[str, bytes] = {}
    out: dict[str, tuple[bytes | None, bytes]] = {}
    for entry in run.entries:
        if entry.blob not in blobs:
            try:
                blobs[entry.blob] = _read_regular(run.directory / entry.blob)
            except OSError as exc:
                raise _damaged(run.directory, f"cannot read {entry.blob}: {exc}") from None
        data = blobs[entry.blob]
        old = _cut(run, data, entry, entry.old, "original") if entry.old is not None else None
        out[entry.path] = (old, _cut(run, data, entry, entry.new, "written"))
    return out


def _cut(run: Run, data: bytes, entry: Entry, ref: tuple[int, int, str], what: str) -> bytes:
    offset, length, digest = ref
    chunk = data[offset : offset + length]
    if len(chunk) != length or _sha(chunk) != digest:
        raise _damaged(run.directory, f"the {what} bytes of {entry.path} do not match")
    return chunk


# -- undoing -----------------------------------------------------------------------------------
@dataclass
class UndoReport:
    run: Run
    restored: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # already byte-equal to the original
    edited: list[str] = field(default_factory=list)  # changed since: not restored (no --force)
    failed: list[tuple[str, str]] = field(default_factory=list)


def latest_run(root: Path) -> Run:
    """The newest run not undone yet; a damaged newest run is an error, never skipped."""
    runs = list_runs(root)
    for item in runs:
        if isinstance(item, JournalError):
            raise item
        if item.state != "undone":
            return item
    if not runs:  # only applies killed while recording (they had written no file)
        raise JournalError(
            f"no undo journal in {journal_dir(root)}: no apply finished recording one",
            hint="an apply killed before it recorded its journal had written no file",
        )
    raise JournalError(
        "nothing to undo: every recorded apply has been undone already",
        hint="`codemod undo --list` shows the runs",
    )


def undo(root: Path, run: Run, *, force: bool = False) -> UndoReport:
    """Restore ``run``'s files. Everything is read and checked before anything is written.

    Each file is restored atomically (temp file + rename, as apply writes), so a kill leaves
    every file either as apply wrote it or restored; running undo again finishes the job.
    """
    contents = read_blobs(run)  # raises before any write when the journal is damaged
    report = UndoReport(run)
    plan: list[tuple[Entry, Path, bytes | None, bytes | None]] = []
    for entry in run.entries:
        old, new = contents[entry.path]
        path = root / entry.path
        try:
            current: bytes | None = _read_regular(path)
        except FileNotFoundError:
            current = None
        except OSError as exc:
            report.failed.append((entry.path, str(exc.strerror or exc)))
            continue
        if current == old:
            report.already.append(entry.path)
        elif current == new or force:
            plan.append((entry, path, old, current))
        else:
            report.edited.append(entry.path)
    remove_stale_temp_files(path.parent for _, path, _, _ in plan)
    for entry, path, old, current in plan:
        try:
            if old is None:  # apply created it: remove it (only if it is still what we wrote)
                if current is not None and path.read_bytes() == current:
                    path.unlink()
            elif current is None:
                atomic_write(path, old, None)
            else:
                atomic_write(path, old, current)
            if (
                old is not None
                and entry.mode is not None
                and stat.S_IMODE(os.stat(path).st_mode) != entry.mode
            ):
                os.chmod(path, entry.mode)
        except ChangedOnDisk:
            report.failed.append((entry.path, "changed on disk while undo ran; not overwritten"))
            continue
        except OSError as exc:
            report.failed.append((entry.path, str(exc.strerror or exc)))
            continue
        report.restored.append(entry.path)
    if not report.edited and not report.failed:
        run.state = "undone"
        _replace_manifest(run)
    return report
