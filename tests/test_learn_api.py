"""`codemod learn --api OLD..NEW`: the API change between two revisions of a small package."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.cli_helpers import codemod, git, make_repo
from tests.test_learn_examples import commit, write

V1 = {
    "pkg/__init__.py": "",
    "pkg/core/__init__.py": "",
    "pkg/agents/__init__.py": "",
    "pkg/core/registry.py": "class AgentRegistry:\n    def get(self):\n        return 1\n",
    "pkg/enums.py": (
        "import enum\n\n\nclass Status:\n    OK = 'ok'\n\n\nclass Level(enum.Enum):\n    LOW = 1\n"
    ),
    "pkg/util.py": (
        "import enum\n"
        "from dataclasses import dataclass\n\n\n"
        "def helper(a, session_id=None):\n    return a\n\n\n"
        "def old_name(x):\n    return x * 2\n\n\n"
        "@dataclass\nclass Ctx:\n    user_id: str\n    session_id: str\n\n\n"
        "class Color(enum.Enum):\n    RED = 1\n    BLUE = 2\n\n\n"
        "class Svc:\n    @classmethod\n    def create_for_user(cls, user):\n        return cls()\n\n"
        "    def run(self, job):\n        return job\n"
    ),
}
V2 = {
    "pkg/enums.py": "from pkg.schemas import Level\n",
    "pkg/schemas.py": (
        "import enum\n\n\nclass Status:\n    OK = 'ok'\n\n\nclass Level(enum.Enum):\n    LOW = 1\n"
    ),
    "pkg/util.py": (
        "import enum\n"
        "from dataclasses import dataclass\n\n\n"
        "def helper(a, request_id=None):\n    return a\n\n\n"
        "def new_name(x):\n    return x * 2\n\n\n"
        "@dataclass\nclass Ctx:\n    user_id: str\n    request_id: str\n\n\n"
        "class Color(enum.Enum):\n    CRIMSON = 1\n    BLUE = 2\n\n\n"
        "class Svc:\n    @classmethod\n    def from_request(cls, user):\n        return cls()\n\n"
        "    def run(self, task):\n        return task\n"
    ),
}


def two_revisions(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    write(root, V1)
    make_repo(root)
    git(root, "tag", "v1")
    git(root, "mv", "pkg/core/registry.py", "pkg/agents/registry.py")
    commit(root, "Move the registry")
    write(root, V2)
    commit(root, "Rename things")
    git(root, "tag", "v2")
    return root


def test_each_move_and_rename_is_listed_exactly_once(tmp_path: Path) -> None:
    root = two_revisions(tmp_path)
    done = codemod(root, "learn", "--api", "v1..v2", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    got = sorted((c["kind"], c["old"], c["new"]) for c in report["changes"])
    assert got == sorted(
        [
            ("module-moved", "pkg.core.registry", "pkg.agents.registry"),
            ("symbol-moved", "pkg.enums.Status", "pkg.schemas.Status"),
            ("re-exported", "pkg.enums.Level", "pkg.schemas.Level"),
            ("symbol-renamed", "pkg.util.old_name", "pkg.util.new_name"),
            ("parameter-renamed", "pkg.util.helper(session_id)", "pkg.util.helper(request_id)"),
            ("parameter-renamed", "pkg.util.Ctx(session_id)", "pkg.util.Ctx(request_id)"),
            ("attribute-renamed", "pkg.util.Color.RED", "pkg.util.Color.CRIMSON"),
            ("attribute-renamed", "pkg.util.Svc.create_for_user", "pkg.util.Svc.from_request"),
            ("unexplained", "pkg.util.Svc.run(job)", "pkg.util.Svc.run(task)"),
        ]
    )
    by_old = {c["old"]: c for c in report["changes"]}
    assert by_old["pkg.util.Ctx(session_id)"]["options"] == {
        "callables": ["pkg.util.Ctx"],
        "old": "session_id",
        "new": "request_id",
    }
    assert by_old["pkg.core.registry"]["evidence"][0].startswith("commit ")
    assert "(Move the registry)" in by_old["pkg.core.registry"]["evidence"][0]
    assert "(Rename things)" in by_old["pkg.util.old_name"]["evidence"][0]
    assert "pkg/util.py:9" in by_old["pkg.util.old_name"]["evidence"]
    recipe = yaml.safe_load(report["recipe"])
    assert len(recipe["steps"]) == 7
    assert {"rename_module": {"old": "pkg.core.registry", "new": "pkg.agents.registry"}} in recipe[
        "steps"
    ]
    assert "# evidence: commit" in report["recipe"]


def test_the_learned_api_recipe_fixes_a_caller(tmp_path: Path) -> None:
    root = two_revisions(tmp_path)
    done = codemod(root, "learn", "--api", "v1..v2", "-o", "api-change.yaml")
    assert done.returncode == 0, done.stderr.decode()
    assert "module-moved: pkg.core.registry -> pkg.agents.registry" in done.stderr.decode()
    caller = tmp_path / "app"
    write(
        caller,
        {
            "test_app.py": (
                "from pkg.core.registry import AgentRegistry\n"
                "from pkg.enums import Level, Status\n"
                "from pkg.util import Color, Ctx, helper, old_name\n\n"
                "ctx = Ctx(user_id='u', session_id='s')\n"
                "helper(1, session_id='s')\n"
                "print(AgentRegistry, Status.OK, Level, Color.RED, old_name(2))\n"
            )
        },
    )
    applied = codemod(caller, "apply", str(root / "api-change.yaml"), ".")
    assert applied.returncode == 0, applied.stderr.decode()
    assert (caller / "test_app.py").read_text() == (
        "from pkg.agents.registry import AgentRegistry\n"
        "from pkg.enums import Level\n"
        "from pkg.schemas import Status\n"
        "from pkg.util import Color, Ctx, helper, new_name\n\n"
        "ctx = Ctx(user_id='u', request_id='s')\n"
        "helper(1, request_id='s')\n"
        "print(AgentRegistry, Status.OK, Level, Color.CRIMSON, new_name(2))\n"
    )


def test_two_folders_and_two_wheels_without_history(tmp_path: Path) -> None:
    import zipfile

    old, new = tmp_path / "old", tmp_path / "new"
    write(old, V1)
    write(new, {**{k: v for k, v in V1.items() if k != "pkg/core/registry.py"}, **V2})
    write(new, {"pkg/agents/registry.py": V1["pkg/core/registry.py"]})
    done = codemod(tmp_path, "learn", "--api", f"{old}..{new}", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    kinds = sorted((c["kind"], c["old"]) for c in json.loads(done.stdout)["changes"])
    # without git, the module move is found by its definitions
    assert ("module-moved", "pkg.core.registry") in kinds
    assert ("parameter-renamed", "pkg.util.Ctx(session_id)") in kinds
    assert len(kinds) == 9
    for folder in (old, new):
        with zipfile.ZipFile(tmp_path / f"{folder.name}.whl", "w") as wheel:
            for path in folder.rglob("*.py"):
                wheel.write(path, path.relative_to(folder).as_posix())
    done = codemod(tmp_path, "learn", "--api", "old.whl..new.whl", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    assert sorted((c["kind"], c["old"]) for c in json.loads(done.stdout)["changes"]) == kinds
