"""A content-hash cache of per-file results, so a warm re-run costs about the read.

A file is not parsed again when an earlier run, with the same tool, the same recipe and the
same step options, saw exactly these bytes at exactly this path. "Unchanged" results (with
their diagnostics) and "changed" results (the new bytes, diagnostics and the steps that fired)
are stored; skipped and failed files always run again. A cached change is not trusted blindly:
the new bytes must still compile (:func:`~codemods.engine.transform.verify`) when they are
taken from the cache, and writing them still checks that the file on disk is the one read.
Two kinds of results need more than the file's own bytes:

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
an unchanged result (its diagnostics come from the entry) is not read at all (a changed file
is read: its diff and the changed-on-disk check need its bytes). A file whose mtime is within
:data:`RACY_WINDOW_NS` of the run's start (git's "racy clean" problem: an edit in the same
timestamp tick would not show in the stat) gets no stat entry; it is simply read next time.
The stat is taken before the file is read, so an edit during the run shows next time too.

**The cache is untrusted input.** ``.codemod_cache/`` lives in the work tree, so a repository
can commit one. Therefore:

- It is data only: JSON and raw bytes, never pickle; nothing in it can construct an object.
- Every record carries an HMAC made with a per-user secret kept outside the tree
  (``$XDG_CACHE_HOME/codemods/cache-key``, else ``~/.cache/codemods/cache-key``, mode 0600):
  records someone else wrote (a committed cache) do not verify and are ignored, so a cache
  cannot make a file look unchanged or inject new bytes into a change.
- A cache directory, or a file in it, that is a symlink, not a regular file (a FIFO), or not
  owned by the user is never read, written, created through or pruned: the cache is then off
  for the run. Files are opened with ``O_NOFOLLOW | O_NONBLOCK``.

Layout: ``.codemod_cache/`` at the display root (the git work tree, or the scanned directory)
holds per recipe configuration (run fingerprint): ``<fp>.keys``, appended records of a 16-byte
key, a 4-byte length, a payload (empty, or a JSON object) and a 16-byte HMAC; ``<fp>.new``, the
new bytes of cached changes, appended and addressed by (offset, length, digest) from the
payloads; and ``<fp>.stat``: a magic line, an HMAC of the rest, and one record per file,
rewritten (atomically) when anything in it changed. A damaged file of any kind is an empty
cache. The directory carries its own ``.gitignore`` (``*``) and discovery never walks into it.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import hmac
import json
import os
import stat as stat_module
import struct
import sys
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import codemods
from codemods.engine.discover import SourceFile
from codemods.engine.prefilter import prefilter_enabled
from codemods.engine.results import FileResult, Status
from codemods.recipe import CompiledStep, Recipe
from codemods.steps import Diagnostic

CACHE_DIR = ".codemod_cache"
FORMAT = 3
KEY_SIZE = 16
MAC_SIZE = 16
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
#: Start the new-bytes file afresh (dropping the cached changes) once it is this big.
MAX_BLOB_BYTES = 256_000_000
#: The suffixes of the files one fingerprint owns.
SUFFIXES = (".keys", ".stat", ".new")
_OPEN_FLAGS = (
    getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
)
_EUID = getattr(os, "geteuid", lambda: 0)


# -- untrusted files: open only our own regular files, never through a link ------------------


def _owned_regular(st: os.stat_result) -> bool:
    return stat_module.S_ISREG(st.st_mode) and st.st_uid == _EUID()


def read_private(path: Path, *, limit: int | None = None) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of ours reached without a symlink.

    None for anything else (missing, a link, a FIFO or device, someone else's file): a FIFO
    is opened non-blocking and never read, so it cannot hang the run.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not _owned_regular(st) or (limit is not None and st.st_size > limit):
            return None
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def open_private(path: Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses links and anything but our own regular files (OSError)."""
    fd = os.open(path, flags | _OPEN_FLAGS, mode)
    try:
        if not _owned_regular(os.fstat(fd)):
            raise OSError(errno.EPERM, "not a regular file of this user", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (which must not exist: never through a dangling link) with ``data``."""
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _replace_private(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` (the link itself, if it is one) with a new file of ours."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    try:
        _write_new(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def usable_dir(directory: Path, *, create: bool) -> bool:
    """Whether ``directory`` is a real directory of ours (not a link), creating it if asked.

    A repository may commit ``.codemod_cache`` as a symlink to anywhere, or as a directory
    of links: the cache is then not used at all rather than followed.
    """
    try:
        st = os.lstat(directory)
    except FileNotFoundError:
        if not create:
            return False
        try:
            os.mkdir(directory, 0o777)
            st = os.lstat(directory)
        except OSError:
            return False
    except OSError:
        return False
    return stat_module.S_ISDIR(st.st_mode) and st.st_uid == _EUID()


@cache
def _secret() -> bytes:
    """The per-user key that signs cache records (a random one, per process, if none can be
    kept: the cache then still works within a run but never across runs)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = Path(base) / "codemods"
    path = directory / "cache-key"
    key = read_private(path, limit=1024)
    if key is not None and len(key) >= 32:
        return key
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        secret = os.urandom(32)
        _write_new(path, secret)
        return secret
    key = read_private(path, limit=1024)  # another process made it meanwhile
    if key is not None and len(key) >= 32:
        return key
    return os.urandom(32)


@cache
def _keyed() -> hmac.HMAC:
    """The HMAC state after the key, copied for each record (as new, without re-keying)."""
    return hmac.new(_secret(), digestmod=hashlib.sha256)


def _mac(*parts: bytes) -> bytes:
    h = _keyed().copy()
    for part in parts:
        h.update(_LENGTH.pack(len(part)) + part)
    return h.digest()[:MAC_SIZE]


# -- payloads: JSON with tags for the types JSON lacks; nothing else can come back -----------


def encode_data(value: Any) -> Any:
    """``value`` (None, bool, int, float, str, bytes, list, tuple, set, dict) as JSON data."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [encode_data(v) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode_data(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"s": sorted((encode_data(v) for v in value), key=repr)}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {"d": [[encode_data(k), encode_data(v)] for k, v in value.items()]}
    raise TypeError(f"not cacheable: {type(value).__name__}")


def decode_data(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [decode_data(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "t" and isinstance(inner, list):
            return tuple(decode_data(v) for v in inner)
        if tag == "s" and isinstance(inner, list):
            return frozenset(decode_data(v) for v in inner)
        if tag == "b" and isinstance(inner, str):
            return base64.b64decode(inner, validate=True)
        if tag == "d" and isinstance(inner, list):
            return {decode_data(k): decode_data(v) for k, v in inner}
    raise ValueError("not a cache payload")


@dataclass(frozen=True)
class Hit:
    """A cached result: unchanged, or changed to the bytes at ``blob`` in the ``.new`` file."""

    collected: tuple[tuple[int, Any], ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    fired: tuple[str, ...] = ()
    blob: tuple[int, int, str] | None = None  # (offset, length, sha256 hex prefix) of new bytes

    def unchanged_result(self, source: SourceFile) -> FileResult:
        """``source``'s result as this entry remembers it, taken as unchanged."""
        return FileResult(
            str(source.path),
            source.relpath,
            Status.UNCHANGED,
            cached=True,
            collected=self.collected,
            diagnostics=self.diagnostics,
            fired=self.fired,
        )

    @property
    def unchanged(self) -> bool:
        """Unchanged (with or without diagnostics): a stat alone may stand for it, since
        nothing shown needs the file's bytes (a change does: its diff and the write)."""
        return self.blob is None


_PLAIN = Hit()


def encode_payload(hit: Hit) -> bytes:
    if hit == _PLAIN:
        return b""
    doc: dict[str, Any] = {}
    if hit.collected:
        doc["c"] = [[i, encode_data(d)] for i, d in hit.collected]
    if hit.diagnostics:
        doc["d"] = [[d.step, d.kind, d.message, d.line, d.column] for d in hit.diagnostics]
    if hit.fired:
        doc["f"] = list(hit.fired)
    if hit.blob is not None:
        doc["b"] = list(hit.blob)
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_payload(payload: bytes) -> Hit | None:
    """The :class:`Hit` a payload stands for; None if it is not one of ours."""
    if not payload:
        return _PLAIN
    try:
        doc = json.loads(payload)
        collected = tuple((int(i), decode_data(d)) for i, d in doc.get("c", ()))
        diagnostics = tuple(
            Diagnostic(
                str(s), k, str(m), None if ln is None else int(ln), None if c is None else int(c)
            )
            for s, k, m, ln, c in doc.get("d", ())
        )
        fired = tuple(str(f) for f in doc.get("f", ()))
        blob = doc.get("b")
        if blob is not None:
            offset, length, digest = blob
            blob = (int(offset), int(length), str(digest))
        return Hit(collected, diagnostics, fired, blob)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


def _blob_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


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
    h.update(import_path_state(ancestors))
    return h.digest()


def import_path_state(project: Collection[str]) -> bytes:
    """The interpreter's import path as it stands: each ``sys.path`` folder with its mtime.

    A result that asked the project may also have asked whether a module is importable here
    (the moves' "not importable" warning): installing or removing a package adds or removes
    an entry in a ``site-packages`` folder (a package, a ``.pth``, a ``.dist-info``), which
    changes that folder's mtime, so such results are recomputed, not replayed. Left out:
    ``sys.path[0]`` (the script's folder, or the working directory under ``python -m``) and
    the folders holding the run's own files (``project``: their files are digested above;
    an ``apply`` renaming files into them changes their mtime, not what is installed).
    """
    h = hashlib.sha256()
    for entry in sys.path[1:]:
        folder = os.path.abspath(entry or ".")
        if folder in project:
            continue
        try:
            st = os.stat(folder)
        except (OSError, ValueError):
            h.update(f"{folder}\0-\n".encode("utf-8", "surrogateescape"))
            continue
        h.update(f"{folder}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.digest()


#: What a worker sends back for a result that may be cached: (key, what to store, new bytes).
Entry = tuple[bytes, Hit, bytes | None]


class CacheView:
    """What a worker needs to look entries up and make new ones (sent once per worker)."""

    def __init__(self, known: dict[bytes, bytes], state: bytes, blobs: Path | None = None) -> None:
        self.known = known  # key -> payload, every one signed by this user
        self.state = state  # project_state() of this run
        self.blobs = blobs  # the .new file of cached changes
        self._fd: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fd": None}

    def _with_state(self, key: bytes) -> bytes:
        return hashlib.sha256(key + self.state).digest()[:KEY_SIZE]

    def lookup(self, key: bytes) -> Hit | None:
        """The cached result of these bytes, or None: a miss."""
        payload = self.known.get(key)
        if payload is None:
            payload = self.known.get(self._with_state(key))
        if payload is None:
            return None
        return decode_payload(payload)

    def new_bytes(self, hit: Hit) -> bytes | None:
        """The new bytes of a cached change, or None if they are gone or not what was stored."""
        if hit.blob is None or self.blobs is None:
            return None
        offset, length, digest = hit.blob
        try:
            if self._fd is None:
                self._fd = open_private(self.blobs, os.O_RDONLY)
            data = os.pread(self._fd, length, offset)
        except (OSError, ValueError, OverflowError):
            return None
        return data if len(data) == length and _blob_digest(data) == digest else None

    def result(self, source: SourceFile, data: bytes, key: bytes) -> tuple[FileResult, Hit] | None:
        """The cached result of ``source`` whose bytes are ``data``, or None: a miss.

        A cached change is verified again (its new bytes must compile as the old did) before
        it is trusted; writing it still checks that the file on disk is still ``data``.
        """
        hit = self.lookup(key)
        if hit is None:
            return None
        base = hit.unchanged_result(source)
        if hit.blob is None:
            return base, hit
        from codemods.engine.transform import verify

        new = self.new_bytes(hit)
        if new is None or new == data or verify(data, new, source.relpath) is not None:
            return None
        return base.with_(status=Status.CHANGED, old=data, new=new), hit

    def entry(self, key: bytes, result: FileResult, *, touched: bool) -> Entry | None:
        """What to store for an unchanged or changed result, or None if it cannot be."""
        if result.status is Status.CHANGED and result.new is None:
            return None
        if result.status not in (Status.UNCHANGED, Status.CHANGED):
            return None
        changed = result.status is Status.CHANGED
        hit = Hit(result.collected, result.diagnostics, result.fired if changed else ())
        try:
            encode_payload(hit)
        except (TypeError, ValueError):
            return None
        return (self._with_state(key) if touched else key), hit, (result.new if changed else None)


class ResultCache:
    """The known entries of one run fingerprint, plus the new ones of this run."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.dir = root / CACHE_DIR
        self.fingerprint = fingerprint.encode()
        self.path = self.dir / f"{fingerprint[:40]}.keys"
        self.blobs = self.dir / f"{fingerprint[:40]}.new"
        # a cache directory that is a link or someone else's is never used
        self.off = os.path.lexists(self.dir) and not usable_dir(self.dir, create=False)
        self.known: dict[bytes, bytes] = {} if self.off else self._load()
        self.new: dict[bytes, tuple[Hit, bytes | None]] = {}

    def _sign(self, key: bytes, payload: bytes) -> bytes:
        return _mac(self.fingerprint, key, payload)

    def _load(self) -> dict[bytes, bytes]:
        raw = read_private(self.path)
        if raw is None:
            return {}
        known: dict[bytes, bytes] = {}
        at, size = 0, len(raw)
        head = KEY_SIZE + _LENGTH.size
        while at + head <= size:  # a torn last record is ignored
            key = raw[at : at + KEY_SIZE]
            (length,) = _LENGTH.unpack_from(raw, at + KEY_SIZE)
            end = at + head + length
            if end + MAC_SIZE > size:
                break
            payload = raw[at + head : end]
            if hmac.compare_digest(raw[end : end + MAC_SIZE], self._sign(key, payload)):
                known[key] = payload  # not signed by this user (committed, forged): ignored
            at = end + MAC_SIZE
        return known

    def view(self, state: bytes) -> CacheView:
        return CacheView(self.known, state, self.blobs)

    def __contains__(self, key: object) -> bool:
        return key in self.known

    def add(self, key: bytes, hit: Hit = _PLAIN, new: bytes | None = None) -> None:
        if new is not None or self.known.get(key) != encode_payload(hit):
            self.new[key] = (hit, new)

    def _records(self, entries: Iterable[tuple[bytes, bytes]]) -> bytes:
        return b"".join(k + _LENGTH.pack(len(v)) + v + self._sign(k, v) for k, v in sorted(entries))

    def save(self) -> None:
        """Append this run's new entries. Never raises: a cache that cannot be written is skipped."""
        if self.off:
            return
        if not self.new:
            with contextlib.suppress(OSError):
                if usable_dir(self.dir, create=False):
                    os.utime(self.path, follow_symlinks=False)  # recently used, for pruning
            return
        try:
            if not ensure_cache_dir(self.dir):
                return
            records = self._store_blobs()
            if records is None:
                return
            fd = open_private(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, self._records(records))
            finally:
                os.close(fd)
            prune(self.dir)
        except OSError:
            return

    def _store_blobs(self) -> list[tuple[bytes, bytes]] | None:
        """Write the new bytes of this run's changes; the (key, payload) records to append."""
        blobs = [new for _hit, new in self.new.values() if new is not None]
        fresh = len(self.known) + len(self.new) > MAX_KEYS
        fd = None
        try:
            if blobs:
                fd = open_private(self.blobs, os.O_RDWR | os.O_APPEND | os.O_CREAT)
                offset = os.fstat(fd).st_size
                if offset + sum(map(len, blobs)) > MAX_BLOB_BYTES:
                    os.ftruncate(fd, 0)  # its old entries no longer verify: start afresh
                    offset, fresh = 0, True
            records = []
            chunks = []
            for key, (hit, new) in self.new.items():
                if new is not None:
                    hit = Hit(
                        hit.collected,
                        hit.diagnostics,
                        hit.fired,
                        (offset, len(new), _blob_digest(new)),
                    )
                    chunks.append(new)
                    offset += len(new)
                records.append((key, encode_payload(hit)))
            if fd is not None:
                os.write(fd, b"".join(chunks))
        finally:
            if fd is not None:
                os.close(fd)
        if fresh:  # start the keys file from this run's entries alone
            _replace_private(self.path, self._records(records))
            return []
        return records


def prune(directory: Path) -> None:
    """Keep the files of the :data:`MAX_FILES` most recently used fingerprints, and no temporary
    file of a write that was killed an hour ago. Only our own regular files are looked at or
    removed, and only in a directory that is itself no link."""
    if not usable_dir(directory, create=False):
        return
    used: dict[str, float] = {}
    hour_ago = time.time() - 3600
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if not _owned_regular(st):
                    continue
                stem, suffix = os.path.splitext(entry.name)
                if suffix in SUFFIXES:
                    used[stem] = max(used.get(stem, 0.0), st.st_mtime)
                elif suffix == ".tmp" and st.st_mtime < hour_ago:
                    os.unlink(entry.path)
    for stem in sorted(used, key=used.__getitem__, reverse=True)[MAX_FILES:]:
        for suffix in SUFFIXES:
            path = directory / f"{stem}{suffix}"
            with contextlib.suppress(OSError):
                if _owned_regular(os.lstat(path)):
                    os.unlink(path)


def ensure_cache_dir(directory: Path) -> bool:
    """Create the cache directory with its ``.gitignore`` and ``CACHEDIR.TAG``; False when it
    is not usable (a link, someone else's, cannot be created)."""
    if not usable_dir(directory, create=True):
        return False
    markers = {
        ".gitignore": "# created by codemod: cached results\n*\n",
        "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This directory is a cache created by codemod (codemods).\n",
    }
    for name, text in markers.items():
        path = directory / name
        if not os.path.lexists(path):  # a dangling link is never written through
            with contextlib.suppress(OSError):
                _write_new(path, text.encode())
    return True


# -- the stat cache ----------------------------------------------------------------------------

#: The stat value meaning "no step's needles matched": unchanged, nothing collected.
NO_MATCH = b""
#: A file modified this close to the run's start, or later (by its mtime), gets no stat entry:
#: an edit within the same timestamp tick would leave its stat unchanged. (The ctime is part
#: of the stat compared, so an edit whose mtime was set back afterwards still shows.)
RACY_WINDOW_NS = 2_000_000_000
_STAT_MAGIC = b"codemod-stat 2\n"
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
        self.fingerprint = fingerprint.encode()
        self.started_ns = started_ns
        self.off = os.path.lexists(self.dir) and not usable_dir(self.dir, create=False)
        self.entries: dict[str, StatRecord] = {} if self.off else self._load()
        self.fresh: dict[str, StatRecord] = {}
        self.stale: set[str] = set()

    def _load(self) -> dict[str, StatRecord]:
        raw = read_private(self.path)
        if raw is None:
            return {}
        try:
            return _parse_stat_file(raw, self.fingerprint)
        except Exception:  # torn, truncated or not ours: an empty cache
            return {}

    def hits(
        self,
        files: Sequence[SourceFile],
        stats: Sequence[os.stat_result | None],
        view: CacheView,
        module_of: Callable[[SourceFile], str],
    ) -> dict[int, Hit]:
        """The files (by index) whose stat vouches for an unchanged result, with its payload.

        A file whose content entry is gone (or whose project-dependent entry no longer holds)
        is not a hit: it runs as usual. ``module_of`` names a file's module (the project
        index's namer, the one the run itself uses).
        """
        hits: dict[int, Hit] = {}
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
            hit = view.lookup(value) if value else _PLAIN
            if hit is None or not hit.unchanged:  # gone, or a change: the file is read
                self.stale.add(source.relpath)
                continue
            hits[index] = hit
        return hits

    def record(self, source: SourceFile, st: os.stat_result | None, known: Known) -> None:
        """Remember what this file's bytes gave, unless its stat cannot be trusted yet."""
        if known is None or st is None:
            return
        if st.st_mtime_ns >= self.started_ns - RACY_WINDOW_NS:
            return  # racy: it will simply be read next time
        value, context = known
        record: StatRecord = (*_signature(st), context, value)
        # also when it equals the loaded record that `hits` found stale (a result that asked
        # the project, whose state moved: recomputed to the same key): `save` drops the stale
        if self.entries.get(source.relpath) != record or source.relpath in self.stale:
            self.fresh[source.relpath] = record

    def save(self, files: Sequence[SourceFile], root: Path, scan_roots: Sequence[Path]) -> None:
        """Rewrite the file if anything changed. Entries of files that are under the scanned
        paths but no longer part of the run (deleted, ignored) are dropped; entries outside
        them (another part of the project, scanned another time) are kept."""
        if self.off:
            return
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
                if usable_dir(self.dir, create=False):
                    os.utime(self.path, follow_symlinks=False)  # recently used, for pruning
            return
        kept.update(self.fresh)
        body = b"".join(_pack(relpath, record) for relpath, record in kept.items())
        data = _STAT_MAGIC + _mac(self.fingerprint, body) + body
        try:
            if ensure_cache_dir(self.dir):
                _replace_private(self.path, data)
                prune(self.dir)
        except OSError:
            return


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


def _parse_stat_file(raw: bytes, fingerprint: bytes) -> dict[str, StatRecord]:
    head = len(_STAT_MAGIC) + _DIGEST_SIZE
    if not raw.startswith(_STAT_MAGIC) or len(raw) < head:
        return {}
    body = bytes(memoryview(raw)[head:])
    if not hmac.compare_digest(_mac(fingerprint, body), raw[len(_STAT_MAGIC) : head]):
        return {}  # not written by this user (a committed cache): ignored
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
