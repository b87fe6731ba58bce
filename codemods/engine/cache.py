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

Layout: ``.codemod_cache/`` at the display root (the git work tree, or the scanned directory)
holds one ``<run fingerprint>.keys`` file per recipe configuration: appended records of a
16-byte key, a 4-byte length and a payload (the pickled per-file data, usually empty). It
carries its own ``.gitignore`` (``*``) and discovery never walks into it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import struct
import sys
from collections.abc import Sequence
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
    h.update(f"\0{scan_relpath}\0{module_name or ''}".encode())
    return h.digest()[:KEY_SIZE]


def project_state(files: Sequence[SourceFile]) -> bytes:
    """A digest of the size and mtime of every file of the run and of the config files near them.

    Results that consulted the project index are valid only while this is unchanged.
    """
    h = hashlib.sha256()
    directories: set[Path] = set()
    for source in files:
        try:
            st = os.stat(source.path)
        except OSError:
            h.update(f"{source.path}\0-\n".encode())
            continue
        h.update(f"{source.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        directories.add(source.path.parent)
    ancestors: set[Path] = set()
    for directory in directories:
        if directory not in ancestors:
            ancestors.update((directory, *directory.parents))
    for directory in sorted(ancestors):
        for name in PROJECT_FILES:
            try:
                st = os.stat(directory / name)
            except OSError:
                continue
            h.update(f"{directory / name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
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
            self._prune()
        except OSError:
            return

    def _ensure_dir(self) -> None:
        self.dir.mkdir(exist_ok=True)
        ignore = self.dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by codemod: cached no-change results\n*\n")
        tag = self.dir / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This directory is a cache created by codemod (codemods).\n"
            )

    def _prune(self) -> None:
        files = sorted(self.dir.glob("*.keys"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in files[MAX_FILES:]:
            with contextlib.suppress(OSError):
                stale.unlink()
