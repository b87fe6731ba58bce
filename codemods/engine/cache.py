"""A content-hash cache of no-change results, so a warm re-run costs about the read.

A file is not parsed again when an earlier run, with the same tool, the same recipe and the
same step options, found that exactly these bytes at exactly this path change nothing. Only
"unchanged" results without diagnostics are stored; changed, skipped and failed files always
run again. Two kinds of unchanged results need more than the file's own bytes:

- A whole-tree step's per-file data (``collect``) is stored with the entry and handed to
  ``finish`` on a cache hit, so ``finish`` still sees every file.
- A result that asked the project index anything (the pytest config, whether a module
  exists) is keyed also by the *project state*: the size and mtime of every file of the run
  and of every config file (``pyproject.toml``, ``pytest.ini``, ``conftest.py``, ...) in their
  directories and the directories above. Any edit anywhere invalidates those entries (and
  only those): coarse, but it cannot miss a dependency.

In front of that sits a *stat* cache, as in git, ruff or mypy: for each file of a run, its
size, mtime, ctime and inode, and what its bytes gave (the content key above, or "no step's
needles matched"). On the next run with the same fingerprint a file whose stat still matches
is not read at all: its result comes from the content entry (which still checks the project
state, for results that asked the project anything). A file whose mtime is within
:data:`RACY_WINDOW_NS` of the run's start (git's "racy clean" problem: an edit in the same
timestamp tick would not show in the stat) gets no stat entry; it is simply read next time.
The stat is taken before the file is read, so an edit during the run shows next time too.

Layout: ``.codemod_cache/`` at the display root (the git work tree, or the scanned directory)
holds one ``<run fingerprint>.keys`` file per recipe configuration: appended records of a
16-byte key, a 4-byte length and a payload (the pickled per-file data, usually empty); and
next to it ``<run fingerprint>.stat``: a magic line, a digest of the rest, and one record per
file, rewritten (atomically) when anything in it changed. A damaged file of either kind is an
empty cache. The directory carries its own ``.gitignore`` (``*``) and discovery never walks
into it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import struct
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import codemods
from codemods.engine.discover import SourceFile
from codemods.engine.prefilter import prefilter_enabled
from codemods.recipe import CompiledStep, Recipe

CACHE_DIR = ".codemod_cache"
FORMAT = 2
KEY_SIZE = 16
_LENGTH = struct.Struct("<I")
#: Files outside the run that project facts (pytest config, markers) are read from.
PROJECT_FILES = (
    "pyproject.toml",
    "pytest.ini",
    ".pytest.ini",
    "pytest.toml",
    ".pytest.toml",
    "tox.ini",
    "setup.cfg",
    "setup.py",
    "conftest.py",
)
#: Keep at most this many fingerprint files (recipes/configurations); the oldest go first.
MAX_FILES = 16
#: Rewrite a keys file from this run's keys alone once it has grown past this many entries.
MAX_KEYS = 2_000_000


@cache
def tool_digest() -> str:
    """The tool's version plus a hash of its own source, so any code change invalidates."""
    h = hashlib.sha256(f"{codemods.__version__}\0{sys.version_info[:2]}".encode())
    package = Path(codemods.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        import libcst

        h.update(str(getattr(libcst, "__version__", "")).encode())
    except Exception:  # pragma: no cover
        pass
    return h.hexdigest()


def run_fingerprint(recipe: Recipe, steps: Sequence[CompiledStep]) -> str:
    """Everything a file's result depends on besides the file: tool, recipe, steps, options."""
    h = hashlib.sha256(f"codemods-cache-{FORMAT}\0{tool_digest()}\0".encode())
    h.update(f"{recipe.fingerprint}\0prefilter={prefilter_enabled()}\0".encode())
    for compiled in steps:
        step = compiled.step
        options = step.options.model_dump_json() if hasattr(step.options, "model_dump_json") else ""
        h.update(f"{type(step).__module__}.{type(step).__qualname__}\0{step.id}\0".encode())
        h.update(f"{options}\0{compiled.origin}\0{compiled.filters!r}\0".encode())
    return h.hexdigest()


def entry_key(data: bytes, scan_relpath: str, module_name: str | None) -> bytes:
    """The key of one file: its bytes plus what steps see of its location."""
    h = hashlib.sha256(data)
    h.update(f"\0{scan_relpath}\0{module_name or ''}".encode("utf-8", "surrogateescape"))
    return h.digest()[:KEY_SIZE]


def stat_files(files: Iterable[SourceFile]) -> list[os.stat_result | None]:
    """``os.stat`` of each file (None: it cannot be stat'ed), taken once per run."""
    stats: list[os.stat_result | None] = []
    for source in files:
        try:
            stats.append(os.stat(source.path))
        except OSError:
            stats.append(None)
    return stats


def project_state(
    files: Sequence[SourceFile], stats: Sequence[os.stat_result | None] | None = None
) -> bytes:
    """A digest of the size and mtime of every file of the run and of the config files near them.

    Results that consulted the project index are valid only while this is unchanged.
    ``stats``: the files' :func:`stat_files`, when the caller already has them.
    """
    h = hashlib.sha256()
    directories: set[str] = set()
    if stats is None:
        stats = stat_files(files)
    for source, st in zip(files, stats, strict=True):
        path = str(source.path)
        if st is None:
            h.update(f"{path}\0-\n".encode("utf-8", "surrogateescape"))
            continue
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        directories.add(os.path.dirname(path))
    ancestors: set[str] = set()
    for directory in directories:
        while directory not in ancestors:  # once one is known, so are all above it
            ancestors.add(directory)
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
    for directory in sorted(ancestors):
        for name in PROJECT_FILES:
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.digest()


@dataclass(frozen=True)
class CacheView:
    """What a worker needs to look entries up and make new ones (sent once per worker)."""

    known: dict[bytes, bytes]
    state: bytes  # project_state() of this run

    def _with_state(self, key: bytes) -> bytes:
        return hashlib.sha256(key + self.state).digest()[:KEY_SIZE]

    def lookup(self, key: bytes) -> tuple[tuple[int, Any], ...] | None:
        """The cached whole-tree data of an unchanged file (usually ``()``), or None: a miss."""
        payload = self.known.get(key)
        if payload is None:
            payload = self.known.get(self._with_state(key))
        if payload is None:
            return None
        if not payload:
            return ()
        try:
            value = pickle.loads(payload)
        except Exception:  # a damaged entry is a miss
            return None
        return value if isinstance(value, tuple) else None

    def entry(
        self, key: bytes, collected: tuple[tuple[int, Any], ...], *, touched: bool
    ) -> tuple[bytes, bytes] | None:
        """The (key, payload) to store for an unchanged result, or None if it cannot be."""
        try:
            payload = pickle.dumps(collected, protocol=4) if collected else b""
        except Exception:
            return None
        return (self._with_state(key) if touched else key), payload


class ResultCache:
    """The known no-change entries of one run fingerprint, plus the new ones of this run."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.dir = root / CACHE_DIR
        self.path = self.dir / f"{fingerprint[:40]}.keys"
        self.known: dict[bytes, bytes] = self._load()
        self.new: dict[bytes, bytes] = {}

    def _load(self) -> dict[bytes, bytes]:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}
        known: dict[bytes, bytes] = {}
        at, size = 0, len(raw)
        head = KEY_SIZE + _LENGTH.size
        while at + head <= size:  # a torn last record is ignored
            key = raw[at : at + KEY_SIZE]
            (length,) = _LENGTH.unpack_from(raw, at + KEY_SIZE)
            if at + head + length > size:
                break
            known[key] = raw[at + head : at + head + length]
            at += head + length
        return known

    def view(self, state: bytes) -> CacheView:
        return CacheView(self.known, state)

    def __contains__(self, key: object) -> bool:
        return key in self.known

    def add(self, key: bytes, payload: bytes = b"") -> None:
        if self.known.get(key) != payload:
            self.new[key] = payload

    def _records(self, entries: dict[bytes, bytes]) -> bytes:
        return b"".join(k + _LENGTH.pack(len(v)) + v for k, v in sorted(entries.items()))

    def save(self) -> None:
        """Append this run's new keys. Never raises: a cache that cannot be written is skipped."""
        if not self.new:
            with contextlib.suppress(OSError):
                if self.path.exists():
                    os.utime(self.path)  # mark as recently used, for pruning
            return
        try:
            self._ensure_dir()
            if len(self.known) + len(self.new) > MAX_KEYS:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_bytes(self._records(self.new))
                os.replace(tmp, self.path)
            else:
                with open(self.path, "ab") as handle:
                    handle.write(self._records(self.new))
            prune(self.dir)
        except OSError:
            return

    def _ensure_dir(self) -> None:
        ensure_cache_dir(self.dir)


def prune(directory: Path) -> None:
    """Keep the files of the :data:`MAX_FILES` most recently used fingerprints (``.keys`` and
    ``.stat`` alike), and no temporary file of a write that was killed an hour ago."""
    used: dict[str, float] = {}
    hour_ago = time.time() - 3600
    with contextlib.suppress(OSError):
        for path in directory.iterdir():
            with contextlib.suppress(OSError):
                mtime = path.stat().st_mtime
                if path.suffix in (".keys", ".stat"):
                    used[path.stem] = max(used.get(path.stem, 0.0), mtime)
                elif path.suffix == ".tmp" and mtime < hour_ago:
                    path.unlink()
    for stem in sorted(used, key=used.__getitem__, reverse=True)[MAX_FILES:]:
        for suffix in (".keys", ".stat"):
            with contextlib.suppress(OSError):
                (directory / f"{stem}{suffix}").unlink()


def ensure_cache_dir(directory: Path) -> None:
    """Create the cache directory with its ``.gitignore`` and ``CACHEDIR.TAG``."""
    directory.mkdir(exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by codemod: cached no-change results\n*\n")
    tag = directory / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n"
            "# This directory is a cache created by codemod (codemods).\n"
        )


# -- the stat cache ----------------------------------------------------------------------------

#: The stat value meaning "no step's needles matched": unchanged, nothing collected.
NO_MATCH = b""
#: A file modified this close to the run's start, or later (by its mtime), gets no stat entry:
#: an edit within the same timestamp tick would leave its stat unchanged. (The ctime is part
#: of the stat compared, so an edit whose mtime was set back afterwards still shows.)
RACY_WINDOW_NS = 2_000_000_000
_STAT_MAGIC = b"codemod-stat 1\n"
_DIGEST_SIZE = 16
_PATH_LENGTH = struct.Struct("<H")
_STAT_FIELDS = struct.Struct("<QqqQ16sB")  # size, mtime_ns, ctime_ns, inode, context, value length

#: (size, mtime_ns, ctime_ns, inode, context, value) of one file.
StatRecord = tuple[int, int, int, int, bytes, bytes]
#: What the per-file work says a file's stat may stand for: (value, context), or None.
Known = tuple[bytes, bytes] | None


def stat_context(source: SourceFile, module_name: str | None) -> bytes:
    """What a file's result depends on besides its bytes: where it is and how it is seen.

    ``module_name`` is None for :data:`NO_MATCH` records (the needles see only the bytes and
    the path); content keys include the module name, so their records do too.
    """
    text = f"{source.scan_relpath}\0{source.generated_marker}\0"
    text += "-" if module_name is None else f"={module_name}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()[:KEY_SIZE]


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


class StatCache:
    """Per-file stat -> what the file's bytes gave, for one run fingerprint. Never raises."""

    def __init__(self, root: Path, fingerprint: str, *, started_ns: int) -> None:
        self.dir = root / CACHE_DIR
        self.path = self.dir / f"{fingerprint[:40]}.stat"
        self.started_ns = started_ns
        self.entries: dict[str, StatRecord] = self._load()
        self.fresh: dict[str, StatRecord] = {}
        self.stale: set[str] = set()

    def _load(self) -> dict[str, StatRecord]:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}
        try:
            return _parse_stat_file(raw)
        except Exception:  # torn, truncated or not ours: an empty cache
            return {}

    def hits(
        self,
        files: Sequence[SourceFile],
        stats: Sequence[os.stat_result | None],
        view: CacheView,
        module_of: Callable[[SourceFile], str],
    ) -> dict[int, tuple[tuple[int, Any], ...]]:
        """The files (by index) whose stat vouches for an unchanged result, with its payload.

        A file whose content entry is gone (or whose project-dependent entry no longer holds)
        is not a hit: it runs as usual. ``module_of`` names a file's module (the project
        index's namer, the one the run itself uses).
        """
        hits: dict[int, tuple[tuple[int, Any], ...]] = {}
        if not self.entries:
            return hits
        for index, (source, st) in enumerate(zip(files, stats, strict=True)):
            record = self.entries.get(source.relpath)
            if record is None or st is None:
                continue
            if _signature(st) != record[:4]:
                self.stale.add(source.relpath)
                continue
            value = record[5]
            module = module_of(source) if value else None
            if record[4] != stat_context(source, module):
                self.stale.add(source.relpath)
                continue
            payload = view.lookup(value) if value else ()
            if payload is None:
                self.stale.add(source.relpath)
                continue
            hits[index] = payload
        return hits

    def record(self, source: SourceFile, st: os.stat_result | None, known: Known) -> None:
        """Remember what this file's bytes gave, unless its stat cannot be trusted yet."""
        if known is None or st is None:
            return
        if st.st_mtime_ns >= self.started_ns - RACY_WINDOW_NS:
            return  # racy: it will simply be read next time
        value, context = known
        record: StatRecord = (*_signature(st), context, value)
        if self.entries.get(source.relpath) != record:
            self.fresh[source.relpath] = record

    def save(self, files: Sequence[SourceFile], root: Path, scan_roots: Sequence[Path]) -> None:
        """Rewrite the file if anything changed. Entries of files that are under the scanned
        paths but no longer part of the run (deleted, ignored) are dropped; entries outside
        them (another part of the project, scanned another time) are kept."""
        present = {source.relpath for source in files}
        scanned = [_under(root, path) for path in scan_roots]
        kept: dict[str, StatRecord] = {}
        dropped = False
        for relpath, record in self.entries.items():
            if relpath in self.fresh:
                continue
            gone = relpath not in present and any(
                prefix is not None
                and (prefix == "" or relpath == prefix or relpath.startswith(prefix + "/"))
                for prefix in scanned
            )
            if relpath in self.stale or gone:
                dropped = True
                continue
            kept[relpath] = record
        if not self.fresh and not dropped:
            with contextlib.suppress(OSError):
                if self.path.exists():
                    os.utime(self.path)  # mark as recently used, for pruning
            return
        kept.update(self.fresh)
        body = b"".join(_pack(relpath, record) for relpath, record in kept.items())
        data = _STAT_MAGIC + hashlib.sha256(body).digest()[:_DIGEST_SIZE] + body
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            ensure_cache_dir(self.dir)
            tmp.write_bytes(data)
            os.replace(tmp, self.path)
            prune(self.dir)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _under(root: Path, path: Path) -> str | None:
    """``path`` relative to ``root`` in the form stat entries use ("" for root), or None."""
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def _pack(relpath: str, record: StatRecord) -> bytes:
    try:
        name = relpath.encode("utf-8", "surrogateescape")
        size, mtime_ns, ctime_ns, ino, context, value = record
        return (
            _PATH_LENGTH.pack(len(name))
            + name
            + _STAT_FIELDS.pack(size, mtime_ns, ctime_ns, ino, context, len(value))
            + value
        )
    except (struct.error, UnicodeError):  # a path or number that does not fit: no entry
        return b""


def _parse_stat_file(raw: bytes) -> dict[str, StatRecord]:
    head = len(_STAT_MAGIC) + _DIGEST_SIZE
    if not raw.startswith(_STAT_MAGIC) or len(raw) < head:
        return {}
    body = memoryview(raw)[head:]
    if hashlib.sha256(body).digest()[:_DIGEST_SIZE] != raw[len(_STAT_MAGIC) : head]:
        return {}
    entries: dict[str, StatRecord] = {}
    at, end = 0, len(body)
    fields = _STAT_FIELDS.size
    while at < end:
        (length,) = _PATH_LENGTH.unpack_from(body, at)
        at += _PATH_LENGTH.size
        relpath = bytes(body[at : at + length]).decode("utf-8", "surrogateescape")
        at += length
        size, mtime_ns, ctime_ns, ino, context, count = _STAT_FIELDS.unpack_from(body, at)
        at += fields
        if count not in (0, KEY_SIZE) or at + count > end:
            return {}
        entries[relpath] = (size, mtime_ns, ctime_ns, ino, context, bytes(body[at : at + count]))
        at += count
    return entries
