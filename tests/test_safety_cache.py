"""A hostile ``.codemod_cache`` committed to a repository: it runs no code, touches nothing
outside the tree, cannot change what a run reports or writes, and cannot hang the run."""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
from pathlib import Path

import pytest

from codemods.analysis.project import Projects
from codemods.engine import make_plan, run
from codemods.engine.cache import CACHE_DIR, entry_key, run_fingerprint
from codemods.recipe import RecipeLoader
from tests.cli_helpers import CODEMOD, codemod

RECIPE = "session-id-to-request-id"
LOCAL = (
    "class UserExecutionContext:\n    def __init__(self, session_id):\n        pass\n\n"
    "ctx = UserExecutionContext(session_id='s')\n"
)
CALLS = (
    "from app.context import UserExecutionContext\n\n"
    "ctx = UserExecutionContext(user_id='u', session_id='s')\n"
)


class _Payload:
    """Unpickling this runs a shell command: what a committed ``.keys`` file could hold."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "local.py").write_text(LOCAL)
    (root / "pkg" / "calls.py").write_text(CALLS)
    (root / "outside").mkdir()  # a sibling of nothing: files outside live in tmp_path/...
    return root


def _stem(root: Path) -> str:
    plan = make_plan(RecipeLoader().load(RECIPE), [root])
    return run_fingerprint(plan.recipe, plan.steps)[:40]


def _key(root: Path, relpath: str) -> bytes:
    path = root / relpath
    module = Projects().module_of(path, root)  # the run's own namer
    return entry_key(path.read_bytes(), f"{relpath}\0@generated", module)


def _record(key: bytes, payload: bytes) -> bytes:
    """A record as the pre-HMAC format wrote it: key, length, payload."""
    return key + struct.pack("<I", len(payload)) + payload


def _snapshot(directory: Path, skip: Path) -> dict[str, tuple[bytes | str, float]]:
    """Every entry under ``directory`` except ``skip``: content (or link target) and mtime."""
    out: dict[str, tuple[bytes | str, float]] = {}
    for base, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = Path(base) / name
            if path == skip or skip in path.parents:
                continue
            st = os.lstat(path)
            if path.is_symlink():
                out[str(path)] = (os.readlink(path), st.st_mtime)
            elif path.is_file():
                out[str(path)] = (path.read_bytes(), st.st_mtime)
            else:
                out[str(path)] = ("dir", 0.0)
    return out


def test_a_pickled_payload_in_a_committed_cache_never_runs(tree: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    cache = tree / CACHE_DIR
    cache.mkdir()
    payload = pickle.dumps(_Payload(f"touch {marker}"))
    (cache / f"{_stem(tree)}.keys").write_bytes(_record(_key(tree, "pkg/local.py"), payload))
    done = codemod(tree, "preview", RECIPE, ".", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()  # used to be created by pickle.loads, even for a preview


def test_a_forged_no_change_entry_does_not_hide_a_change(tree: Path) -> None:
    cache = tree / CACHE_DIR
    cache.mkdir()
    # "these bytes change nothing": an empty payload, as the old format wrote it
    (cache / f"{_stem(tree)}.keys").write_bytes(_record(_key(tree, "pkg/calls.py"), b""))
    done = codemod(tree, "preview", RECIPE, ".", "--check")
    assert done.returncode == 1, done.stderr  # the change is still found
    assert b"request_id" in done.stdout


def test_a_forged_change_entry_cannot_inject_code(tree: Path) -> None:
    """A committed cache in today's layout (JSON payload, blob file) but not signed by this user."""
    cache = tree / CACHE_DIR
    cache.mkdir()
    stem = _stem(tree)
    evil = b"import os\nos.system('echo owned')\n"
    (cache / f"{stem}.new").write_bytes(evil)
    import hashlib

    digest = hashlib.sha256(evil).hexdigest()[:32]
    payload = json.dumps({"f": ["rename_kwarg"], "b": [0, len(evil), digest]}).encode()
    forged = _record(_key(tree, "pkg/calls.py"), payload) + b"\0" * 16  # a made-up HMAC
    (cache / f"{stem}.keys").write_bytes(forged)
    done = codemod(tree, "apply", RECIPE, ".", "--allow-dirty")
    assert done.returncode == 0, done.stderr
    written = (tree / "pkg" / "calls.py").read_bytes()
    assert b"os.system" not in written and b"request_id='s'" in written


def test_a_symlinked_cache_directory_is_neither_pruned_nor_written(
    tree: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    for n in range(20):  # more than the cache keeps: pruning would delete the oldest
        path = victim / f"{n:040d}.keys"
        path.write_bytes(b"precious")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    (victim / "notes.stat").write_bytes(b"precious too")
    (tree / CACHE_DIR).symlink_to(victim)
    before = _snapshot(tmp_path, tree)
    for _ in range(2):
        done = codemod(tree, "preview", RECIPE, ".")
        assert done.returncode == 0, done.stderr
    assert _snapshot(tmp_path, tree) == before  # used to lose 4 files and gain 2
    assert (tree / CACHE_DIR).is_symlink()


def test_symlinked_cache_files_are_never_followed(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "authorized_keys"
    target.write_bytes(b"ssh-ed25519 AAAA me\n")
    cache = tree / CACHE_DIR
    cache.mkdir()
    stem = _stem(tree)
    (cache / f"{stem}.keys").symlink_to(target)
    (cache / f"{stem}.stat").symlink_to(outside / "stat-target")
    (cache / f"{stem}.new").symlink_to(outside / "new-target")
    (cache / "CACHEDIR.TAG").symlink_to(outside / "created-by-codemod")  # dangling
    (cache / ".gitignore").symlink_to(outside / "gitignore-target")
    before = _snapshot(tmp_path, tree)
    for _ in range(2):
        done = codemod(tree, "preview", RECIPE, ".")
        assert done.returncode == 0, done.stderr
    assert _snapshot(tmp_path, tree) == before  # no append, no created target
    assert target.read_bytes() == b"ssh-ed25519 AAAA me\n"


def test_a_fifo_named_like_a_cache_file_does_not_hang_the_run(tree: Path) -> None:
    cache = tree / CACHE_DIR
    cache.mkdir()
    stem = _stem(tree)
    for suffix in (".keys", ".stat", ".new"):
        os.mkfifo(cache / f"{stem}{suffix}")
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        done = subprocess.run(
            [*CODEMOD, "preview", RECIPE, "."],
            cwd=tree,
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the run hung on a FIFO in .codemod_cache")
    assert done.returncode == 0, done.stderr
    assert b"request_id" in done.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory away")
def test_a_cache_directory_owned_by_someone_else_is_not_used(tree: Path) -> None:
    cache = tree / CACHE_DIR
    cache.mkdir()
    os.chown(cache, 4242, 4242)
    done = codemod(tree, "preview", RECIPE, ".")
    assert done.returncode == 0, done.stderr
    assert list(cache.iterdir()) == []  # nothing written into another user's directory


def test_a_second_preview_of_pending_changes_parses_nothing(tree: Path) -> None:
    pkg = tree / "pkg"
    for n in range(60):  # enough for the worker processes
        (pkg / f"calls_{n:02d}.py").write_text(CALLS.replace("'s'", f"'s{n}'"))
    old = os.stat(pkg / "local.py").st_mtime - 100  # out of the racy window
    for path in pkg.iterdir():
        os.utime(path, (old, old))
    cold = codemod(tree, "preview", RECIPE, ".", "--format", "json")
    warm = codemod(tree, "preview", RECIPE, ".", "--format", "json")
    plain = codemod(tree, "preview", RECIPE, ".", "--format", "json", "--no-cache")
    first, second = json.loads(cold.stdout), json.loads(warm.stdout)
    assert first["summary"]["changed"] == 61 and first["summary"]["parsed"] == 62
    assert second["summary"]["parsed"] == 0 and second["summary"]["cached"] == 62
    assert second["files"] == first["files"] == json.loads(plain.stdout)["files"]
    text = codemod(tree, "preview", RECIPE, ".")
    assert text.stdout == codemod(tree, "preview", RECIPE, ".", "--no-cache").stdout


def test_a_cached_change_is_not_written_over_an_edit(tree: Path) -> None:
    """The cached new bytes belong to the bytes read; an edit after the read is not lost."""
    backdated = os.stat(tree / "pkg" / "calls.py").st_mtime - 100
    os.utime(tree / "pkg" / "calls.py", (backdated, backdated))
    list(run(make_plan(RecipeLoader().load(RECIPE), [tree]), cache=True))
    plan = make_plan(RecipeLoader().load(RECIPE), [tree])
    results = {r.relpath: r for r in run(plan, cache=True)}
    cached = results["pkg/calls.py"]
    assert cached.cached and not cached.parsed and cached.new is not None
    (tree / "pkg" / "calls.py").write_text(CALLS + "# edited meanwhile\n")
    from codemods.engine import write

    final = write(cached, plan.scan_roots)
    assert final.reason == "changed on disk" and not final.written
    assert (tree / "pkg" / "calls.py").read_text().endswith("# edited meanwhile\n")
