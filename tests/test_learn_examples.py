"""`codemod learn --commit/--pair`: recipes learned from fixes made by hand, in real git repos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.cli_helpers import codemod, git, make_repo

OLD = "shop.core.registry"
NEW = "shop.agents.registry"

#: Ten callers of the registry, each spelled differently: (before, after as a person fixes it).
CALLERS: dict[str, tuple[str, str]] = {
    "test_plain.py": (
        "from shop.core.registry import AgentRegistry\n\n\ndef test_it():\n    assert AgentRegistry()\n",
        "from shop.agents.registry import AgentRegistry\n\n\ndef test_it():\n    assert AgentRegistry()\n",
    ),
    "test_alias.py": (
        "from shop.core.registry import AgentRegistry as AR\n\n\ndef test_it():\n    assert AR()\n",
        "from shop.agents.registry import AgentRegistry as AR\n\n\ndef test_it():\n    assert AR()\n",
    ),
    "test_multi.py": (
        "from shop.core.registry import (\n    AgentRegistry,\n    get_registry,  # shared\n)\n\n\n"
        "def test_it():\n    assert get_registry() is not AgentRegistry\n",
        "from shop.agents.registry import (\n    AgentRegistry,\n    get_registry,  # shared\n)\n\n\n"
        "def test_it():\n    assert get_registry() is not AgentRegistry\n",
    ),
    "test_module.py": (
        "import shop.core.registry\n\n\ndef test_it():\n    assert shop.core.registry.AgentRegistry\n",
        "import shop.agents.registry\n\n\ndef test_it():\n    assert shop.agents.registry.AgentRegistry\n",
    ),
    "test_module_alias.py": (
        "import shop.core.registry as reg\n\n\ndef test_it():\n    assert reg.get_registry()\n",
        "import shop.agents.registry as reg\n\n\ndef test_it():\n    assert reg.get_registry()\n",
    ),
    "test_patch.py": (
        "from unittest.mock import patch\n\nfrom shop.core.registry import AgentRegistry\n\n\n"
        '@patch("shop.core.registry.AgentRegistry.get")\ndef test_it(get):\n    assert AgentRegistry\n',
        "from unittest.mock import patch\n\nfrom shop.agents.registry import AgentRegistry\n\n\n"
        '@patch("shop.agents.registry.AgentRegistry.get")\ndef test_it(get):\n    assert AgentRegistry\n',
    ),
    "test_inside.py": (
        "def test_it():\n    from shop.core.registry import get_registry\n\n    assert get_registry()\n",
        "def test_it():\n    from shop.agents.registry import get_registry\n\n    assert get_registry()\n",
    ),
    "test_from_pkg.py": (
        "from shop.core import registry\n\n\ndef test_it():\n    assert registry.AgentRegistry\n",
        "from shop.agents import registry\n\n\ndef test_it():\n    assert registry.AgentRegistry\n",
    ),
    "test_two.py": (
        "import os\n\nfrom shop.core.registry import AgentRegistry, get_registry\n\n\n"
        "def test_it():\n    assert os.sep and AgentRegistry and get_registry\n",
        "import os\n\nfrom shop.agents.registry import AgentRegistry, get_registry\n\n\n"
        "def test_it():\n    assert os.sep and AgentRegistry and get_registry\n",
    ),
    "test_typed.py": (
        "from __future__ import annotations\n\nfrom shop.core.registry import AgentRegistry\n\n\n"
        'def make() -> "AgentRegistry":\n    return AgentRegistry()\n',
        "from __future__ import annotations\n\nfrom shop.agents.registry import AgentRegistry\n\n\n"
        'def make() -> "AgentRegistry":\n    return AgentRegistry()\n',
    ),
}
HAND_FIXED = ("test_alias.py", "test_multi.py", "test_module.py")
REGISTRY = "class AgentRegistry:\n    pass\n\n\ndef get_registry():\n    return AgentRegistry()\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    done = git(root, "commit", "-qm", message)
    assert done.returncode == 0, done.stderr


def moved_module_repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(
        root,
        {
            "shop/__init__.py": "",
            "shop/core/__init__.py": "",
            "shop/agents/__init__.py": "",
            "shop/core/registry.py": REGISTRY,
            **{f"tests/{name}": before for name, (before, _) in CALLERS.items()},
        },
    )
    make_repo(root)
    git(root, "mv", "shop/core/registry.py", "shop/agents/registry.py")
    write(root, {f"tests/{name}": CALLERS[name][1] for name in HAND_FIXED})
    commit(root, "Move the registry to shop.agents; fix three callers by hand")
    return root


def test_learned_recipe_fixes_the_other_seven_exactly_as_by_hand(tmp_path: Path) -> None:
    root = moved_module_repo(tmp_path)
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "learned-move.yaml")
    assert done.returncode == 0, done.stderr.decode()
    recipe = yaml.safe_load((root / "learned-move.yaml").read_text())
    assert recipe["steps"] == [{"rename_module": {"old": OLD, "new": NEW}}]
    assert {e["path"] for e in recipe["examples"]} == {f"tests/{n}" for n in HAND_FIXED}
    text = (root / "learned-move.yaml").read_text()
    assert "Move the registry to shop.agents" in text  # the commit is the evidence
    assert "4 of the 4 hunks" in text  # test_module.py has two
    # the recipe passes its own cases, then fixes the rest of the project
    tested = codemod(root, "test", "learned-move.yaml")
    assert tested.returncode == 0, tested.stdout.decode() + tested.stderr.decode()
    shutil.move(root / "learned-move.yaml", tmp_path / "learned-move.yaml")
    applied = codemod(root, "apply", str(tmp_path / "learned-move.yaml"), "tests")
    assert applied.returncode == 0, applied.stderr.decode()
    for name, (_, after) in CALLERS.items():
        assert (root / "tests" / name).read_text() == after, name


def test_json_report_and_unexplained_hunks(tmp_path: Path) -> None:
    root = moved_module_repo(tmp_path)
    git(root, "reset", "-q", "--hard", "HEAD~1")
    git(root, "mv", "shop/core/registry.py", "shop/agents/registry.py")
    fixed = CALLERS["test_plain.py"][1].replace(
        "assert AgentRegistry()", "assert AgentRegistry() is not None"
    )
    write(root, {"tests/test_plain.py": fixed, "tests/test_alias.py": CALLERS["test_alias.py"][1]})
    write(root, {"NOTES.md": "moved\n"})
    commit(root, "Move and tweak")
    done = codemod(root, "learn", "--commit", "HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert [s["step"] for s in report["steps"]] == ["rename_module"]
    # the import line is explained; the hand-made assert change is not, and it is listed
    assert report["unexplained"] == [
        {
            "file": "tests/test_plain.py",
            "line": 5,
            "diff": "-    assert AgentRegistry()\n+    assert AgentRegistry() is not None",
        }
    ]
    assert report["not_read"] == ["NOTES.md (added)"]
    assert "tests/test_plain.py:5" in report["recipe"]
    assert "assert AgentRegistry() is not None" in report["recipe"]
    # only the fully explained file is embedded as a case
    assert yaml.safe_load(report["recipe"])["examples"][0]["path"] == "tests/test_alias.py"


MIXED_BEFORE = """\
import pytest
import resource

from shop.ctx import UserContext as UC
from shop.enums import Color, Status


class TestFlow:
    async def setup_method(self, method):
        await super().setup_method(method)
        self.ctx = UC(user_id="u", session_id="s")

    @pytest.mark.auth_handshake
    async def test_flow(self):
        assert Status.OK and Color.RED


async def test_other():
    assert UC(session_id="t")
"""
MIXED_AFTER = """\
import pytest

from shop.ctx import UserContext as UC
from shop.enums import Color
from shop.schemas import Status


class TestFlow:
    def setup_method(self, method):
        super().setup_method(method)
        self.ctx = UC(user_id="u", request_id="s")

    @pytest.mark.websocket_authentication
    @pytest.mark.asyncio
    async def test_flow(self):
        assert Status.OK and Color.RED


@pytest.mark.asyncio
async def test_other():
    assert UC(request_id="t")
"""
#: Another file with the same breakages, spelled differently, that nobody fixed yet.
OTHER_BEFORE = """\
import pytest
from shop import ctx
from shop.enums import Status


@pytest.mark.auth_handshake
async def test_third():
    assert ctx.UserContext(session_id="x", user_id="y") and Status
"""
OTHER_AFTER = """\
import pytest
from shop import ctx
from shop.schemas import Status


@pytest.mark.websocket_authentication
@pytest.mark.asyncio
async def test_third():
    assert ctx.UserContext(request_id="x", user_id="y") and Status
"""


def test_every_kind_of_step_from_one_file_pair(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "before/test_flow.py": MIXED_BEFORE,
            "tests/test_flow.py": MIXED_AFTER,
            "shop/__init__.py": "",
            "shop/ctx.py": "class UserContext:\n    pass\n",
            "tests/test_third.py": OTHER_BEFORE,
        },
    )
    done = codemod(
        tmp_path,
        "learn",
        "--pair",
        "before/test_flow.py:tests/test_flow.py",
        "--format",
        "json",
        "-o",
        "learned.yaml",
    )
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    steps = {(s["step"], json.dumps(s["options"], sort_keys=True)) for s in report["steps"]}
    assert steps == {
        ("rename_symbol", json.dumps({"new": "shop.schemas.Status", "old": "shop.enums.Status"})),
        (
            "rename_kwarg",
            json.dumps(
                {"callables": ["shop.ctx.UserContext"], "new": "request_id", "old": "session_id"},
                sort_keys=True,
            ),
        ),
        ("remove_import", json.dumps({"module": "resource"})),
        (
            "sync_setup_methods",
            json.dumps({"methods": ["setup_method"], "module_functions": []}, sort_keys=True),
        ),
        ("add_asyncio_marker", json.dumps({"fix_await_in_sync_tests": False})),
        ("rename_marker", json.dumps({"new": "websocket_authentication", "old": "auth_handshake"})),
    }
    assert report["unexplained"] == []
    tested = codemod(tmp_path, "test", "learned.yaml")
    assert tested.returncode == 0, tested.stdout.decode() + tested.stderr.decode()
    shutil.move(tmp_path / "learned.yaml", tmp_path / "before" / "learned.yaml")
    applied = codemod(tmp_path, "apply", "--unsafe", "before/learned.yaml", "tests/test_third.py")
    assert applied.returncode == 0, applied.stderr.decode()
    assert (tmp_path / "tests/test_third.py").read_text() == OTHER_AFTER


def test_a_candidate_that_would_change_more_than_the_hand_fix_is_rejected(tmp_path: Path) -> None:
    # the hand fix renamed the keyword in ONE of two calls to the same callable: renaming
    # it everywhere would go beyond the evidence, so no step is proposed
    before = "from shop.ctx import make\n\nmake(a=1)\nmake(a=2)\n"
    after = "from shop.ctx import make\n\nmake(b=1)\nmake(a=2)\n"
    write(tmp_path, {"old.py": before, "new.py": after})
    done = codemod(tmp_path, "learn", "--pair", "old.py:new.py", "--format", "json")
    assert done.returncode == 1, done.stderr.decode()
    report = json.loads(done.stdout)
    assert report["steps"] == [] and report["recipe"] is None
    assert report["rejected"][0]["step"] == "rename_kwarg"
    assert "+make(b=2)" in report["rejected"][0]["why"]  # the call the hand fix left alone
    assert report["unexplained"] == [
        {"file": "new.py", "line": 3, "diff": "-make(a=1)\n+make(b=1)"}
    ]
    assert "not explained: new.py:3" in done.stderr.decode()


def test_a_range_and_paths_limit_what_is_read(tmp_path: Path) -> None:
    root = moved_module_repo(tmp_path)
    write(root, {"tests/test_plain.py": CALLERS["test_plain.py"][1], "docs/x.md": "moved\n"})
    commit(root, "Fix one more caller")
    done = codemod(root, "learn", "--commit", "HEAD~2..HEAD", "tests", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert report["source"].startswith("commits ") and report["examples"] == 4
    assert report["not_read"] == []  # docs/ is outside the paths given
    # limited to tests/, git cannot see the module's file move: `import shop.core.registry`
    # becoming `import shop.agents.registry` proposes it, and it makes the per-name moves
    # redundant (they are rejected as explaining nothing more)
    assert [(s["step"], s["options"]) for s in report["steps"]] == [
        ("rename_module", {"old": OLD, "new": NEW})
    ]
    assert {r["why"] for r in report["rejected"]} == {"explains no hunk the other steps do not"}
    assert report["unexplained"] == []


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    root = moved_module_repo(tmp_path)
    done = codemod(root, "learn", "--commit", "nope")
    assert done.returncode == 2 and "unknown git revision 'nope'" in done.stderr.decode()
    done = codemod(root, "learn")
    assert done.returncode == 2 and "exactly one source of evidence" in done.stderr.decode()
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "Bad_Name.yaml")
    assert done.returncode == 2 and "kebab-case" in done.stderr.decode()
    assert not (root / "Bad_Name.yaml").exists()


def test_a_renamed_name_with_its_uses_and_an_alias_kept(tmp_path: Path) -> None:
    before = (
        "from shop.util import old_helper\n"
        "from shop.util import old_helper as h\n\n\n"
        "def test_it():\n    assert old_helper(1) == h(1)\n"
    )
    after = (
        "from shop.util import new_helper\n"
        "from shop.util import new_helper as h\n\n\n"
        "def test_it():\n    assert new_helper(1) == h(1)\n"
    )
    write(tmp_path, {"a.py": before, "tests/test_a.py": after})
    done = codemod(tmp_path, "learn", "--pair", "a.py:tests/test_a.py", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert [(s["step"], s["options"]) for s in report["steps"]] == [
        ("rename_symbol", {"old": "shop.util.old_helper", "new": "shop.util.new_helper"})
    ]
    assert report["unexplained"] == []


def test_a_classmethod_renamed_at_its_calls(tmp_path: Path) -> None:
    before = (
        "from shop.ctx import UserContext as UC\n\n\n"
        "def test_it():\n    assert UC.create_for_user(user_id='u')\n"
    )
    after = before.replace("create_for_user", "from_request")
    other = (
        "from shop import ctx\n\n\nclass Other:\n    def create_for_user(self):\n        pass\n\n\n"
        "def test_other():\n    assert ctx.UserContext.create_for_user(user_id='v')\n"
        "    assert Other().create_for_user()\n"
    )
    write(tmp_path, {"a.py": before, "tests/test_a.py": after, "tests/test_b.py": other})
    done = codemod(tmp_path, "learn", "--pair", "a.py:tests/test_a.py", "-o", "learned.yaml")
    assert done.returncode == 0, done.stderr.decode()
    recipe = yaml.safe_load((tmp_path / "learned.yaml").read_text())
    assert recipe["steps"] == [
        {
            "rename_symbol": {
                "old": "shop.ctx:UserContext.create_for_user",
                "new": "shop.ctx:UserContext.from_request",
            }
        }
    ]
    shutil.move(tmp_path / "learned.yaml", tmp_path / "a-learned.yaml")
    applied = codemod(tmp_path, "apply", "a-learned.yaml", "tests/test_b.py")
    assert applied.returncode == 0, applied.stderr.decode()
    assert (tmp_path / "tests/test_b.py").read_text() == other.replace(
        "ctx.UserContext.create_for_user", "ctx.UserContext.from_request"
    )


def test_a_sync_test_that_awaits_made_async(tmp_path: Path) -> None:
    before = "import pytest\n\n\ndef test_ping(client):\n    assert await client.ping()\n"
    after = (
        "import pytest\n\n\n@pytest.mark.asyncio\n"
        "async def test_ping(client):\n    assert await client.ping()\n"
    )
    write(tmp_path, {"a.py": before, "tests/test_a.py": after})
    done = codemod(tmp_path, "learn", "--pair", "a.py:tests/test_a.py", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    steps = json.loads(done.stdout)["steps"]
    assert [(s["step"], s["options"]) for s in steps] == [
        ("add_asyncio_marker", {"fix_await_in_sync_tests": True})
    ]


def test_a_file_that_does_not_parse_is_listed_not_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.py": "from shop.a import X\nprint(X)\n",
            "tests/a.py": "from shop.b import X\nprint(X)\n",
            "b.py": "def broken(:\n",
            "tests/b.py": "def broken():\n    pass\n",
        },
    )
    done = codemod(
        tmp_path,
        "learn",
        "--pair",
        "a.py:tests/a.py",
        "--pair",
        "b.py:tests/b.py",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert [s["step"] for s in report["steps"]] == ["rename_symbol"]
    assert report["not_read"] == ["tests/b.py (does not parse before the fix)"]
