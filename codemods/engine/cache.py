"""A content-hash cache of no-change results, so a warm re-run costs about the read.

A file is not parsed again when an earlier run, with the same tool, the same recipe and the
same step options, found that exactly these bytes at exactly this path change nothing. Only
results that are plain "unchanged" are stored: no diagnostics, nothing collected for a
whole-tree step (``finish`` must see every file's data, so those files always run), and
nothing read from the project index (config files, other modules) that could change on its
own. Changed, skipped and failed files always run again.

Layout: ``.codemod_cache/`` at the display root (the git work tree, or the scanned directory)
holds one ``<run fingerprint>.keys`` file per recipe configuration: 16-byte keys, appended.
It carries its own ``.gitignore`` (``*``) and discovery never walks into it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import codemods
from codemods.engine.prefilter import prefilter_enabled
from codemods.recipe import CompiledStep, Recipe

CACHE_DIR = ".codemod_cache"
FORMAT = 1
KEY_SIZE = 16
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


class ResultCache:
    """The known no-change keys of one run fingerprint, plus the new ones found in this run."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.dir = root / CACHE_DIR
        self.path = self.dir / f"{fingerprint[:40]}.keys"
        self.known: frozenset[bytes] = self._load()
        self.new: set[bytes] = set()
        self.hits = 0

    def _load(self) -> frozenset[bytes]:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return frozenset()
        end = len(raw) - len(raw) % KEY_SIZE  # ignore a torn last write
        return frozenset(raw[i : i + KEY_SIZE] for i in range(0, end, KEY_SIZE))

    def __contains__(self, key: object) -> bool:
        return key in self.known

    def add(self, key: bytes) -> None:
        if key not in self.known:
            self.new.add(key)

    def add_all(self, keys: Iterable[bytes]) -> None:
        for key in keys:
            self.add(key)

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
                tmp.write_bytes(b"".join(sorted(self.new)))
                os.replace(tmp, self.path)
            else:
                with open(self.path, "ab") as handle:
                    handle.write(b"".join(sorted(self.new)))
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
