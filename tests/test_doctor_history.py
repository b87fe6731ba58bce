"""Doctor asks git history when it cannot name a fix (and cites the commit when it can)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.cli_helpers import codemod, git, make_repo
from tests.test_learn_examples import commit, write

CTX_V1 = (
    "from dataclasses import dataclass\n\n\n"
    "@dataclass(frozen=True)\nclass UserContext:\n    user_id: str\n    session_id: str{default}\n"
    "    trace_id: str = ''\n"
)
CALLER = (
    "from app.ctx import UserContext as UC\n\n\n"
    "def test_make():\n"
    "    ctx = UC(\n        user_id='u',\n        session_id='s',\n    )\n"
    "    assert ctx.user_id == 'u'\n"
)
OTHER = "from app import ctx\n\n\ndef test_other():\n    assert ctx.UserContext(session_id='s', user_id='v').user_id == 'v'\n"


def renamed_field_repo(tmp_path: Path, default: str) -> Path:
    root = tmp_path / "proj"
    write(
        root,
        {
            "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
            "app/__init__.py": "",
            "app/ctx.py": CTX_V1.format(default=default),
            "tests/__init__.py": "",
            "tests/test_make.py": CALLER,
            "tests/test_other.py": OTHER,
        },
    )
    make_repo(root)
    for n in range(3):  # unrelated history on the same file
        (root / "app" / "ctx.py").write_text(
            (root / "app" / "ctx.py").read_text() + f"\n\nVERSION_{n} = {n}\n"
        )
        commit(root, f"Bump version {n}")
    text = (root / "app" / "ctx.py").read_text().replace("session_id", "request_id")
    (root / "app" / "ctx.py").write_text(text)
    commit(root, "Rename UserContext.session_id to request_id")
    for n in range(2):
        (root / "README").write_text(f"later {n}\n")
        commit(root, f"Later change {n}")
    return root


def pytest_passes(root: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


def _short(root: Path, message: str) -> str:
    return git(root, "log", "--format=%h", f"--grep={message}").stdout.strip()


def test_history_names_the_rename_doctor_could_not_guess(tmp_path: Path) -> None:
    # request_id has a default, so no call "leaves out" a required parameter: without
    # history doctor could only say "not clear"
    root = renamed_field_repo(tmp_path, " = ''")
    assert not pytest_passes(root)
    done = codemod(root, "doctor", "--write-recipe", "fixes.yaml")
    assert done.returncode == 1, done.stderr.decode()
    text = (root / "fixes.yaml").read_text()
    recipe = yaml.safe_load(text)
    assert recipe["steps"] == [
        {
            "rename_kwarg": {
                "callables": ["app.ctx.UserContext"],
                "old": "session_id",
                "new": "request_id",
            }
        }
    ]
    sha = _short(root, "Rename UserContext.session_id")
    assert f"commit {sha} (Rename UserContext.session_id to request_id)" in " ".join(
        line.lstrip("# ") for line in text.splitlines()
    )
    assert "(app/ctx.py:7)" in text  # the new field's line
    git(root, "add", "-A")
    commit(root, "doctor's recipe")
    applied = codemod(root, "apply", "fixes.yaml", ".")
    assert applied.returncode == 0, applied.stderr.decode()
    assert "request_id='s'" in (root / "tests/test_make.py").read_text()
    assert pytest_passes(root)


def test_history_is_cited_for_a_rename_doctor_found_itself(tmp_path: Path) -> None:
    root = renamed_field_repo(tmp_path, "")
    done = codemod(root, "doctor", "--format", "json")
    import json

    report = json.loads(done.stdout)
    (proposal,) = [p for p in report["proposals"] if p["step"] == "rename_kwarg"]
    assert proposal["options"]["new"] == "request_id"
    sha = _short(root, "Rename UserContext.session_id")
    assert (
        f"history: commit {sha} (Rename UserContext.session_id to request_id)" in proposal["reason"]
    )


def test_no_history_no_guess(tmp_path: Path) -> None:
    # the same broken callers with no commit that renamed anything: still "not clear"
    root = tmp_path / "proj"
    write(
        root,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/ctx.py": CTX_V1.format(default=" = ''").replace("session_id", "request_id"),
            "tests/test_make.py": CALLER,
        },
    )
    make_repo(root)
    done = codemod(root, "doctor", "--format", "json")
    import json

    report = json.loads(done.stdout)
    assert [p["step"] for p in report["proposals"]] == [None]


def test_history_names_a_moved_module_and_a_moved_name(tmp_path: Path) -> None:
    # two modules define each name, so doctor alone cannot pick; history can
    root = tmp_path / "proj"
    write(
        root,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/agents/__init__.py": "",
            "app/core/registry.py": "class AgentRegistry:\n    pass\n",
            "app/legacy.py": "class AgentRegistry:\n    pass\n\n\nclass Status:\n    OLD = 1\n",
            "app/enums.py": "class Status:\n    OK = 1\n\n\nclass Color:\n    RED = 1\n",
            "tests/test_a.py": (
                "from app.core.registry import AgentRegistry\n"
                "from app.enums import Color, Status\n\n\n"
                "def test_a():\n    assert AgentRegistry and Status.OK and Color.RED\n"
            ),
        },
    )
    make_repo(root)
    git(root, "mv", "app/core/registry.py", "app/agents/registry.py")
    commit(root, "Move the registry")
    (root / "app/enums.py").write_text("class Color:\n    RED = 1\n")
    (root / "app/schemas.py").write_text("class Status:\n    OK = 1\n")
    commit(root, "Status lives in schemas")
    done = codemod(root, "doctor", "--write-recipe", "fixes.yaml")
    assert done.returncode == 1, done.stderr.decode()
    text = (root / "fixes.yaml").read_text()
    steps = yaml.safe_load(text)["steps"]
    assert steps == [
        {"rename_module": {"old": "app.core.registry", "new": "app.agents.registry"}},
        {"rename_symbol": {"old": "app.enums.Status", "new": "app.schemas.Status"}},
    ]
    flat = " ".join(line.lstrip("# ") for line in text.splitlines())
    assert f"commit {_short(root, 'Move the registry')} (Move the registry)" in flat
    assert f"commit {_short(root, 'Status lives')} (Status lives in schemas)" in flat
    git(root, "add", "-A")
    commit(root, "recipe")
    applied = codemod(root, "apply", "fixes.yaml", ".")
    assert applied.returncode == 0, applied.stderr.decode()
    assert (
        (root / "tests/test_a.py")
        .read_text()
        .startswith(
            "from app.agents.registry import AgentRegistry\n"
            "from app.enums import Color\n"
            "from app.schemas import Status\n"
        )
    )
    assert pytest_passes(root)


def test_moves_doctor_found_itself_carry_the_commit_that_made_them(tmp_path: Path) -> None:
    # every name is defined in exactly one other module: doctor proposes both steps on its own,
    # and the history of the old files backs each with the commit that moved it
    root = tmp_path / "proj"
    write(
        root,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/agents/__init__.py": "",
            "app/core/registry.py": "class AgentRegistry:\n    pass\n\n\ndef get_registry():\n    pass\n",
            "app/enums.py": "class Status:\n    OK = 1\n\n\nclass Color:\n    RED = 1\n",
            "tests/test_a.py": (
                "from app.core.registry import AgentRegistry, get_registry\n"
                "from app.enums import Color, Status\n\n\n"
                "def test_a():\n    assert AgentRegistry and get_registry and Status.OK and Color.RED\n"
            ),
        },
    )
    make_repo(root)
    git(root, "mv", "app/core/registry.py", "app/agents/registry.py")
    commit(root, "Move the registry")
    (root / "app/enums.py").write_text("class Color:\n    RED = 1\n")
    (root / "app/schemas.py").write_text("class Status:\n    OK = 1\n")
    commit(root, "Status lives in schemas")
    done = codemod(root, "doctor", "--write-recipe", "fixes.yaml", "--format", "json")
    assert done.returncode == 1, done.stderr.decode()
    import json

    proposals = {p["step"]: p["reason"] for p in json.loads(done.stdout)["proposals"]}
    moved = _short(root, "Move the registry")
    assert proposals["rename_module"] == (
        "module `app.core.registry` does not exist; everything imported from it "
        "(AgentRegistry, get_registry) is defined in `app.agents.registry`; history: commit "
        f"{moved} (Move the registry) moved it to `app.agents.registry` (app/agents/registry.py)"
    )
    status = _short(root, "Status lives")
    assert proposals["rename_symbol"] == (
        "`app.enums` does not define `Status`; `Status` is defined only in `app.schemas`; "
        f"history: commit {status} (Status lives in schemas) moved it to `app.schemas.Status` "
        "(app/schemas.py:1)"
    )
    flat = " ".join(line.lstrip("# ") for line in (root / "fixes.yaml").read_text().splitlines())
    assert f"commit {moved} (Move the registry)" in flat
    assert f"commit {status} (Status lives in schemas)" in flat


def test_history_that_disagrees_with_doctor_is_said(tmp_path: Path) -> None:
    # git saw app/core/registry.py renamed to app/mid/registry.py; a later commit moved the
    # class on to a new file: doctor follows the definition, the history names the rename
    root = tmp_path / "proj"
    write(
        root,
        {
            "pyproject.toml": "",
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/mid/__init__.py": "",
            "app/agents/__init__.py": "",
            "app/core/registry.py": "class AgentRegistry:\n    pass\n\n\ndef helper():\n    pass\n",
            "tests/test_a.py": "from app.core.registry import AgentRegistry\n\n\n"
            "def test_a():\n    assert AgentRegistry\n",
        },
    )
    make_repo(root)
    git(root, "mv", "app/core/registry.py", "app/mid/registry.py")
    commit(root, "Move the registry to mid")
    (root / "app/mid/registry.py").write_text("def helper():\n    pass\n")
    (root / "app/agents/registry.py").write_text("class AgentRegistry:\n    pass\n")
    commit(root, "AgentRegistry lives in agents")
    done = codemod(root, "doctor", "--format", "json")
    import json

    (proposal,) = json.loads(done.stdout)["proposals"]
    assert proposal["step"] == "rename_module"
    assert proposal["options"] == {"old": "app.core.registry", "new": "app.agents.registry"}
    assert proposal["reason"].endswith(
        f"; but history: commit {_short(root, 'Move the registry to mid')} (Move the registry to "
        "mid) moved it to `app.mid.registry` (app/mid/registry.py): check which one is right"
    )
