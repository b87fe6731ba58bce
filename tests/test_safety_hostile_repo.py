"""What a repository (or a careless command line) cannot make `codemod` do: write outside the
project through links, `..` or its configuration, or overwrite files the user may not write."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.cli_helpers import CODEMOD, RECIPE, codemod, make_repo

OLD = "from app.context import UserExecutionContext\n\nctx = UserExecutionContext(session_id='s')\n"
NEW = OLD.replace("session_id", "request_id")


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A git repository ``repo/`` and, beside it, ``outside/x.py`` that must never change."""
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "own.py").write_text(OLD)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.py").write_text(OLD)
    (repo / "src" / "link_out.py").symlink_to(outside / "x.py")
    make_repo(repo)
    return repo, outside


def test_a_symlink_named_on_the_command_line_is_not_written_through(
    layout: tuple[Path, Path],
) -> None:
    repo, outside = layout
    done = codemod(repo, "apply", RECIPE, "src/link_out.py", "src/own.py", "--no-cache")
    assert (outside / "x.py").read_text() == OLD  # used to be rewritten
    assert (repo / "src" / "own.py").read_text() == NEW
    assert b"link_out.py: skipped: outside the project" in done.stderr
    assert done.returncode == 0, done.stderr


def test_dot_dot_out_of_the_project_is_not_written(layout: tuple[Path, Path]) -> None:
    repo, outside = layout
    done = codemod(repo, "apply", RECIPE, "src/../../outside/x.py", "--no-cache")
    assert (outside / "x.py").read_text() == OLD
    assert b"skipped: outside the project" in done.stderr, done.stderr
    # named by its absolute path, it is the user's own choice: that file is its own project
    done = codemod(repo, "apply", RECIPE, str(outside / "x.py"), "--no-cache")
    assert done.returncode == 0, done.stderr
    assert (outside / "x.py").read_text() == NEW


def test_config_paths_outside_the_repository_are_refused(layout: tuple[Path, Path]) -> None:
    repo, outside = layout
    (repo / "pyproject.toml").write_text(
        f'[tool.codemod]\nrecipes = ["{RECIPE}"]\npaths = ["../outside"]\n'
    )
    done = codemod(repo, "apply", "--no-cache", "--allow-dirty")
    assert done.returncode == 2
    assert b"paths: '../outside' is outside the project" in done.stderr
    assert (outside / "x.py").read_text() == OLD


def test_register_markers_does_not_edit_a_config_above_the_repository(tmp_path: Path) -> None:
    above = tmp_path / "pytest.ini"
    above.write_text("[pytest]\nmarkers =\n    known: a known mark\n")
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_a.py").write_text(
        "import pytest\n\n\n@pytest.mark.slowish\ndef test_a():\n    pass\n"
    )
    make_repo(repo)
    done = codemod(repo, "apply", "register-markers", ".", "--no-cache")
    assert above.read_text() == "[pytest]\nmarkers =\n    known: a known mark\n"  # was edited
    assert b"skipped: outside the project" in done.stderr, done.stderr


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555])
def test_a_read_only_file_is_not_written(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "ro.py"
    path.write_text(OLD)
    (tmp_path / "rw.py").write_text(OLD)
    path.chmod(mode)
    done = codemod(tmp_path, "apply", RECIPE, ".", "--no-cache")
    assert done.returncode == 3, done.stderr  # root could write it; codemod must not
    assert b"ro.py: failed: read-only: not written" in done.stderr
    assert path.read_text() == OLD and stat.S_IMODE(path.stat().st_mode) == mode
    assert (tmp_path / "rw.py").read_text() == NEW


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give files away")
def test_a_file_owned_by_someone_else_keeps_owner_group_and_mode(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.py"
    theirs.write_text(OLD)
    theirs.chmod(0o664)
    os.chown(theirs, 4242, os.getegid())  # writable by our group: we may change it
    shared = tmp_path / "shared.py"
    shared.write_text(OLD)
    shared.chmod(0o646)
    os.chown(shared, 4242, 4343)  # writable by others
    closed = tmp_path / "closed.py"
    closed.write_text(OLD)
    closed.chmod(0o644)
    os.chown(closed, 4242, 4343)  # theirs alone
    done = codemod(tmp_path, "apply", RECIPE, ".", "--no-cache")
    assert done.returncode == 3, done.stderr
    for path, owner, mode in ((theirs, (4242, os.getegid()), 0o664), (shared, (4242, 4343), 0o646)):
        st = path.stat()
        assert path.read_text() == NEW
        assert (st.st_uid, st.st_gid) == owner  # used to become root's
        assert stat.S_IMODE(st.st_mode) == mode
    assert closed.read_text() == OLD
    assert (
        b"closed.py: failed: read-only: not written (owned by uid 4242, mode 0644)" in done.stderr
    )


def test_command_line_globs_are_relative_to_the_scanned_folder(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    (project / "sub" / "a.py").write_text(OLD)
    (project / "b.py").write_text(OLD)
    done = codemod(tmp_path, "apply", RECIPE, "proj", "--exclude", "sub/**", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert (project / "sub" / "a.py").read_text() == OLD  # used to be rewritten
    assert (project / "b.py").read_text() == NEW


def test_dot_dot_in_a_glob_is_an_error(tmp_path: Path) -> None:
    recipe = tmp_path / "up-glob.yaml"
    recipe.write_text(
        "title: Up\ndescription: Globs upwards.\nexclude: ['../other/**']\n"
        "steps:\n  - rename_kwarg: {callables: ['*.UserExecutionContext'], old: session_id, new: request_id}\n"
    )
    (tmp_path / "a.py").write_text(OLD)
    done = codemod(tmp_path, "preview", str(recipe), ".")
    assert done.returncode == 2
    assert b"exclude[0]" in done.stderr and b"contains `..`" in done.stderr
    done = codemod(tmp_path, "preview", RECIPE, ".", "--include", "../x/*.py")
    assert done.returncode == 2 and b"contains `..`" in done.stderr


def test_a_pathological_glob_does_not_backtrack(tmp_path: Path) -> None:
    glob = "*a" * 14 + "*b"
    recipe = tmp_path / "slow-glob.yaml"
    recipe.write_text(
        f"title: Slow\ndescription: A glob that backtracks.\nexclude: ['{glob}']\n"
        "steps:\n  - rename_kwarg: {callables: ['*.UserExecutionContext'], old: session_id, new: request_id}\n"
    )
    project = tmp_path / "p"
    project.mkdir()
    (project / ("a" * 40 + ".py")).write_text(OLD)
    (project / ".gitignore").write_text(glob + "\n")  # a repository's own .gitignore, too
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        done = subprocess.run(
            [*CODEMOD, "preview", str(recipe), "p", "--no-cache"],
            cwd=tmp_path,
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("glob matching backtracked for a minute")
    assert done.returncode == 0, done.stderr
    assert b"request_id" in done.stdout


def test_an_unreadable_directory_does_not_stop_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a non-root user sees in a directory without read/search permission (we run as
    root in CI, which the kernel lets through, so the denial is simulated at the syscalls)."""
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.py").write_text(OLD)
    locked = tmp_path / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "inner" / "b.py").write_text(OLD)
    prefix = str(locked) + os.sep
    real_stat, real_scandir = os.stat, os.scandir

    def denied(path: object) -> bool:
        return os.fspath(path).startswith(prefix)  # type: ignore[call-overload]

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[call-overload]
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    def scandir(path: object = ".") -> object:
        if denied(os.path.join(os.fspath(path), "")):  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[call-overload]
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "scandir", scandir)
    done = codemod(tmp_path, "preview", RECIPE, ".", "--no-cache")
    assert done.returncode == 0, done.stderr  # used to be "internal error: PermissionError"
    assert b"+++ b/ok/a.py" in done.stdout
    # ... and says which directory it could not see, instead of passing over it in silence
    assert b"locked: skipped: cannot read this directory" in done.stderr, done.stderr


SECRET = "root:$6$s3cr3thash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@pytest.mark.parametrize("name", ["shadow", "shadow.yaml"])
def test_a_recipe_path_to_another_file_does_not_echo_it(tmp_path: Path, name: str) -> None:
    secret = tmp_path / "etc" / name
    secret.parent.mkdir()
    secret.write_text(SECRET)
    (tmp_path / "a.py").write_text(OLD)
    done = codemod(tmp_path, "preview", str(secret), ".")
    assert done.returncode == 2, done.stderr
    assert b"s3cr3t" not in done.stderr + done.stdout and b"daemon" not in done.stderr
    assert str(secret).encode() in done.stderr or name.encode() in done.stderr
    # the same through a composed recipe
    outer = tmp_path / "outer.yaml"
    outer.write_text(f"title: Outer\ndescription: Includes a file.\nsteps:\n  - recipe: {secret}\n")
    done = codemod(tmp_path, "preview", str(outer), ".")
    assert done.returncode == 2 and b"s3cr3t" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("steps: " + "[" * 10_000 + "]" * 10_000, b"more than 64 levels deep"),
        (
            "steps:\n  - rename_kwarg: {callables: [a], old: b, new: c, x: " + "9" * 5001 + "}",
            b"cannot be read",
        ),
    ],
    ids=["10000-deep", "5001-digits"],
)
def test_pathological_recipes_are_recipe_errors(tmp_path: Path, body: str, expected: bytes) -> None:
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(f"title: Bad\ndescription: Pathological.\n{body}\n")
    (tmp_path / "a.py").write_text(OLD)
    done = codemod(tmp_path, "preview", str(recipe), ".")
    assert done.returncode == 2, done.stderr  # used to be an internal error (exit 3)
    assert expected in done.stderr and b"internal error" not in done.stderr


def test_a_file_name_that_is_not_utf8_is_diffed_and_patched(tmp_path: Path) -> None:
    try:
        odd = tmp_path / os.fsdecode(b"caf\xe9.py")
        odd.write_text(OLD)
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    make_repo(tmp_path)
    done = codemod(tmp_path, "preview", RECIPE, ".", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert b"+++ b/caf\xe9.py" in done.stdout
    for fmt in ("json", "sarif"):
        assert codemod(tmp_path, "preview", RECIPE, ".", "--format", fmt).returncode == 0
    patch = tmp_path.parent / f"{tmp_path.name}.diff"
    done = codemod(tmp_path, "apply", RECIPE, ".", "--patch", str(patch), "--no-cache")
    assert done.returncode == 0, done.stderr  # used to write the file, then crash
    assert odd.read_text() == NEW
    assert b"+++ b/caf\xe9.py" in patch.read_bytes()
    from tests.cli_helpers import git

    reverse = git(tmp_path, "apply", "-R", "--check", str(patch))
    assert reverse.returncode == 0, reverse.stderr


@pytest.mark.parametrize(
    "source",
    [
        "from app.context import UserExecutionContext\n(name): int = 3\n"
        "ctx = UserExecutionContext(session_id='s')\n",
        "from app.context import UserExecutionContext\nx = (" + '"a" ' * 100_000 + ")\n"
        "ctx = UserExecutionContext(session_id='s')\n",
    ],
    ids=["parenthesised-annotation", "100k-part-concatenation"],
)
def test_valid_python_libcst_cannot_parse_is_not_called_a_syntax_error(
    tmp_path: Path, source: str
) -> None:
    compile(source, "valid.py", "exec")  # CPython takes it
    (tmp_path / "valid.py").write_text(source)
    # a step that rewrites through LibCST's tree (`reused_name_attributes` is only decided
    # there): the file is skipped, and called what it is
    moves = tmp_path / "moves.yaml"
    moves.write_text(
        "title: Move the context\ndescription: It moved.\nsteps:\n"
        "  - rename_symbol:\n      old: app.context.UserExecutionContext\n"
        "      new: app.ctx.UserExecutionContext\n"
        "      reused_name_attributes: ['NO_SUCH_*']\n"
    )
    done = codemod(tmp_path, "preview", str(moves), "valid.py", "--no-cache")
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert "syntax error" not in err
    assert "skipped: parser limit: valid Python (CPython compiles it) that LibCST's parser" in err
    # a step that decides with `ast` and edits the text never needs LibCST: the file is fixed
    done = codemod(tmp_path, "apply", RECIPE, "valid.py", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "valid.py").read_text() == source.replace("session_id", "request_id")


def test_configured_paths_may_write_the_configs_beside_them_outside_git(tmp_path: Path) -> None:
    """No git: the configuration's folder is the project, so `register_markers` may add the
    marker to its pyproject.toml even though only `tests/` is scanned."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        "import pytest\n\n\n@pytest.mark.slowish\ndef test_a():\n    pass\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codemod]\nrecipes = ["register-markers"]\npaths = ["tests"]\n\n'
        "[tool.pytest.ini_options]\nmarkers = []\n"
    )
    done = codemod(tmp_path, "apply", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert "slowish" in (tmp_path / "pyproject.toml").read_text()
