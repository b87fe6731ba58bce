"""`codemod learn` infers `pattern` steps for changes no other step explains (real git repos)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.cli_helpers import codemod, git, make_repo

HTTP = (
    "class Client:\n    def fetch_all(self, url, retries=0):\n        return [url]\n\n\n"
    "def fetch(client, url, retries=0):\n    return [url]\n"
)
#: name -> (before, after as a person fixes it)
FETCH: dict[str, tuple[str, str]] = {
    "test_1.py": (
        'from app.http import Client\n\n\ndef test_one():\n    client = Client()\n    assert client.fetch_all("a") == ["a"]\n',
        'from app.http import Client, fetch\n\n\ndef test_one():\n    client = Client()\n    assert fetch(client, "a") == ["a"]\n',
    ),
    "test_2.py": (
        "import os\n\nfrom app.http import Client\n\n\ndef test_two():\n    c = Client()\n    result = c.fetch_all(os.sep)\n    assert result\n",
        "import os\n\nfrom app.http import Client, fetch\n\n\ndef test_two():\n    c = Client()\n    result = fetch(c, os.sep)\n    assert result\n",
    ),
    "test_3.py": (
        'from app.http import Client\n\n\nclass TestThree:\n    def test_three(self):\n        self.api = Client()\n        assert self.api.fetch_all("x" * 2)\n\n    def test_other(self):\n        assert {}.get("k") is None\n',
        'from app.http import Client, fetch\n\n\nclass TestThree:\n    def test_three(self):\n        self.api = Client()\n        assert fetch(self.api, "x" * 2)\n\n    def test_other(self):\n        assert {}.get("k") is None\n',
    ),
}
#: callers nobody fixed by hand: the learned recipe's business
UNFIXED = {
    "test_4.py": 'from app.http import Client\n\n\ndef test_four():\n    web = Client()\n    assert web.fetch_all("b")\n    assert Client().fetch_all(\n        "c",  # twice\n    )\n',
    "test_5.py": "import app.http\n\n\ndef test_five():\n    assert app.http.Client().fetch_all([5])\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def fetch_repo(tmp_path: Path, fixed: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    write(
        root,
        {
            "app/__init__.py": "",
            "app/http.py": HTTP,
            **{f"tests/{n}": before for n, (before, _) in FETCH.items()},
            **{f"tests/{n}": before for n, before in UNFIXED.items()},
        },
    )
    make_repo(root)
    write(root, {f"tests/{n}": text for n, text in fixed.items()})
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "fetch_all is a function now").returncode == 0
    return root


def test_a_call_shape_rewritten_in_three_files_becomes_a_pattern_step(tmp_path: Path) -> None:
    hand = ("test_1.py", "test_2.py", "test_3.py")
    root = fetch_repo(tmp_path, {n: FETCH[n][1] for n in hand})
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "learned.yaml")
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "learned 1 step(s)" in err and "6 of 6 hunks explained exactly" in err
    text = (root / "learned.yaml").read_text()
    recipe = yaml.safe_load(text)
    assert recipe["steps"] == [
        {
            "pattern": {
                "id": "learned-1",
                "pattern": "$A.fetch_all($B)",
                "fix": "fetch($A, $B)",
                "imports": {"add": ["from app.http import fetch"]},
            }
        }
    ]
    assert (
        '# `client.fetch_all("a")` became `fetch(client, "a")` (3 places, the same shape)' in text
    )
    assert {e["path"] for e in recipe["examples"]} == {f"tests/{n}" for n in hand}
    tested = codemod(root, "test", "learned.yaml")
    assert tested.returncode == 0, tested.stdout.decode() + tested.stderr.decode()
    shutil.move(root / "learned.yaml", tmp_path / "learned.yaml")
    applied = codemod(root, "apply", str(tmp_path / "learned.yaml"), "tests")
    assert applied.returncode == 0, applied.stderr.decode()
    err = applied.stderr.decode()
    assert "2 files changed" in err
    assert (root / "tests/test_4.py").read_text() == (
        "from app.http import Client, fetch\n\n\ndef test_four():\n    web = Client()\n"
        '    assert fetch(web, "b")\n'
        # the pattern step keeps a call whose rewrite would drop a comment, and says so
        '    assert Client().fetch_all(\n        "c",  # twice\n    )\n'
    )
    assert "learned-1: left unchanged: the fix would drop the comment `# twice`" in err
    # a file that imports the module gets the new function through it, as the pattern step does
    assert (root / "tests/test_5.py").read_text() == (
        "import app.http\n\n\ndef test_five():\n    assert app.http.fetch(app.http.Client(), [5])\n"
    )


def test_a_pattern_that_would_change_a_call_the_hand_fix_kept_is_rejected(tmp_path: Path) -> None:
    # test_2.py's hand fix rewrote one call and kept another of the same shape: the rule
    # would change both, so it is rejected and the hunks are listed as not explained
    kept = FETCH["test_2.py"][1].replace(
        "    assert result\n", "    assert result\n    assert c.fetch_all(os.sep)\n"
    )
    before = FETCH["test_2.py"][0].replace(
        "    assert result\n", "    assert result\n    assert c.fetch_all(os.sep)\n"
    )
    root = tmp_path / "proj"
    write(
        root,
        {
            "app/__init__.py": "",
            "app/http.py": HTTP,
            "tests/test_1.py": FETCH["test_1.py"][0],
            "tests/test_2.py": before,
        },
    )
    make_repo(root)
    write(root, {"tests/test_1.py": FETCH["test_1.py"][1], "tests/test_2.py": kept})
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "Some calls").returncode == 0
    done = codemod(root, "learn", "--commit", "HEAD", "--format", "json")
    assert done.returncode == 1, done.stderr.decode()
    report = json.loads(done.stdout)
    assert report["steps"] == [] and report["recipe"] is None
    (rejected,) = [r for r in report["rejected"] if r["step"] == "pattern"]
    assert rejected["options"]["pattern"] == "$A.fetch_all($B)"
    assert rejected["why"].startswith("its output differs from the hand fix at tests/test_2.py:")
    assert "+    assert fetch(c, os.sep)" in rejected["why"]
    assert {(u["file"], u["line"]) for u in report["unexplained"]} == {
        ("tests/test_1.py", 1),
        ("tests/test_1.py", 6),
        ("tests/test_2.py", 3),
        ("tests/test_2.py", 8),
    }


UTIL = "def old_func(x, strict=False):\n    return x\n\n\ndef new_func(x):\n    return x\n"


def test_a_function_replaced_is_matched_by_what_it_refers_to(tmp_path: Path) -> None:
    # `old_func(x, True)` -> `new_func(x)`: the literal name in the rule is the qualified one,
    # so an alias or a module import matches and a local function of that name does not
    def caller(n: int) -> str:
        return (
            "from app.util import old_func\n\n\n"
            f"def test_{n}():\n    assert old_func({n}, True) == old_func([{n}], True)\n"
            "    marker = 'm'\n    assert marker\n"
        )

    root = tmp_path / "proj"
    write(
        root,
        {
            "app/__init__.py": "",
            "app/util.py": UTIL,
            **{f"tests/test_{n}.py": caller(n) for n in range(1, 4)},
            "tests/test_alias.py": "import app.util as u\n\n\ndef test_a():\n    assert u.old_func('a', True)\n",
            "tests/test_local.py": "def old_func(x, strict):\n    return x\n\n\ndef test_l():\n    assert old_func(1, True)\n",
        },
    )
    make_repo(root)
    fixed = {
        f"tests/test_{n}.py": caller(n)
        .replace("import old_func", "import new_func")
        .replace(f"old_func({n}, True)", f"new_func({n})")
        .replace(f"old_func([{n}], True)", f"new_func([{n}])")
        for n in range(1, 3)
    }
    write(root, fixed)
    # and a hunk no step can explain: it stays listed
    extra = fixed["tests/test_2.py"].replace("assert marker\n", "assert marker == 'm'\n")
    write(root, {"tests/test_2.py": extra})
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "new_func replaces old_func(x, True)").returncode == 0
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "learned.yaml")
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "4 of 5 hunks explained exactly, 1 not explained" in err
    assert "not explained: tests/test_2.py:7" in err and "+    assert marker == 'm'" in err
    steps = yaml.safe_load((root / "learned.yaml").read_text())["steps"]
    assert steps == [
        {
            "pattern": {
                "id": "learned-1",
                "pattern": "app.util.old_func($A, True)",
                "fix": "new_func($A)",
                "imports": {
                    "add": ["from app.util import new_func"],
                    "remove_if_unused": ["from app.util import old_func"],
                },
            }
        }
    ]
    shutil.move(root / "learned.yaml", tmp_path / "learned.yaml")
    applied = codemod(root, "apply", str(tmp_path / "learned.yaml"), "tests")
    assert applied.returncode == 0, applied.stderr.decode()
    assert (root / "tests/test_3.py").read_text() == (
        "from app.util import new_func\n\n\ndef test_3():\n    assert new_func(3) == new_func([3])\n"
        "    marker = 'm'\n    assert marker\n"
    )
    assert "u.new_func('a')" in (root / "tests/test_alias.py").read_text()
    assert "old_func(1, True)" in (root / "tests/test_local.py").read_text()


WS = "def get_websocket_manager(user):\n    return user\n\n\nasync def connect(user):\n    return user\n"


def awaiting(n: int, spelling: str = "get_websocket_manager") -> str:
    return (
        f"from app.ws import connect, get_websocket_manager\n\n\nasync def test_{n}(user):\n"
        f"    manager = await {spelling}(user)\n    assert await connect(manager)\n"
    )


def test_an_await_removed_from_a_call_keeps_the_callee_as_the_anchor(tmp_path: Path) -> None:
    # BREAKAGES "await removed": `await get_websocket_manager(...)` once it became synchronous
    root = tmp_path / "proj"
    write(
        root,
        {
            "app/__init__.py": "",
            "app/ws.py": WS,
            **{f"tests/test_{n}.py": awaiting(n) for n in range(1, 5)},
            "tests/test_alias.py": "import app.ws as ws\n\n\nasync def test_a(user):\n"
            "    assert await ws.get_websocket_manager(user)\n    assert await ws.connect(user)\n",
        },
    )
    make_repo(root)
    write(
        root,
        {
            f"tests/test_{n}.py": awaiting(n).replace(
                "await get_websocket_manager", "get_websocket_manager"
            )
            for n in range(1, 4)
        },
    )
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "get_websocket_manager is sync").returncode == 0
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "learned.yaml")
    assert done.returncode == 0, done.stderr.decode()
    assert yaml.safe_load((root / "learned.yaml").read_text())["steps"] == [
        {
            "pattern": {
                "id": "learned-1",
                # not `await $A`: the callee is the same everywhere, so it is the anchor
                "pattern": "await app.ws.get_websocket_manager($A)",
                "fix": "get_websocket_manager($A)",
                "imports": {"add": ["from app.ws import get_websocket_manager"]},
            }
        }
    ]
    shutil.move(root / "learned.yaml", tmp_path / "learned.yaml")
    applied = codemod(root, "apply", str(tmp_path / "learned.yaml"), "tests")
    assert applied.returncode == 0, applied.stderr.decode()
    assert (root / "tests/test_4.py").read_text() == awaiting(4).replace(
        "await get_websocket_manager", "get_websocket_manager"
    )
    assert (root / "tests/test_alias.py").read_text() == (
        "import app.ws as ws\n\n\nasync def test_a(user):\n"
        "    assert ws.get_websocket_manager(user)\n    assert await ws.connect(user)\n"
    )


def test_a_method_of_an_imported_class_gets_a_qualified_name_constraint(tmp_path: Path) -> None:
    # `datetime.utcnow()` -> `datetime.now(datetime.UTC)` through two spellings of the class
    write(
        tmp_path,
        {
            "old.py": "import datetime\nfrom datetime import datetime as dt\n\n"
            "A = datetime.datetime.utcnow()\nB = dt.utcnow()\n",
            "new.py": "import datetime\nfrom datetime import datetime as dt\n\n"
            "A = datetime.datetime.now(datetime.UTC)\nB = dt.now(datetime.UTC)\n",
        },
    )
    done = codemod(tmp_path, "learn", "--pair", "old.py:new.py", "-o", "learned.yaml")
    assert done.returncode == 0, done.stderr.decode()
    assert yaml.safe_load((tmp_path / "learned.yaml").read_text())["steps"] == [
        {
            "pattern": {
                "id": "learned-1",
                "pattern": "$A.utcnow()",
                "fix": "$A.now(datetime.UTC)",
                "constraints": {"A": {"qualified_name": "datetime.datetime"}},
                "imports": {"add": ["import datetime"]},
            }
        }
    ]
    write(
        tmp_path,
        {
            "other.py": "import datetime\n\n\nclass Clock:\n    def utcnow(self):\n        pass\n\n\n"
            "T = datetime.datetime.utcnow()\nC = Clock().utcnow()\n",
            # `datetime` is the class here: the fix's `datetime.UTC` cannot be spelled, so the
            # file is skipped with the reason rather than rewritten wrongly
            "clash.py": "from datetime import datetime\n\nX = datetime.utcnow()\n",
        },
    )
    preview = codemod(tmp_path, "preview", "learned.yaml", "other.py", "clash.py")
    out, err = preview.stdout.decode(), preview.stderr.decode()
    assert "+T = datetime.datetime.now(datetime.UTC)" in out
    assert "-C = Clock().utcnow()" not in out  # not the class the constraint names
    assert "clash.py: skipped" in err and "`datetime` already means something else" in err


def test_a_rewritten_statement_next_to_an_added_one_is_still_a_site(tmp_path: Path) -> None:
    # the hand fix rewrote the call AND added a statement after it: the statements are paired
    # by likeness, so the rewrite is learned and the added line is listed as not explained
    before = (
        "from app.http import Client\n\n\ndef test_it():\n    c = Client()\n"
        "    x = c.fetch_all(1)\n    # note\n    # more\n    y = c.fetch_all(2)\n    assert x and y\n"
    )
    after = (
        "from app.http import Client, fetch\n\n\ndef test_it():\n    c = Client()\n"
        "    x = fetch(c, 1)\n    # note\n    print('added')\n    # more\n    y = fetch(c, 2)\n"
        "    assert x and y\n"
    )
    write(
        tmp_path,
        {"app/__init__.py": "", "app/http.py": HTTP, "old.py": before, "new.py": after},
    )
    done = codemod(tmp_path, "learn", "--pair", "old.py:new.py", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert [
        (s["options"]["id"], s["options"]["pattern"], s["options"]["fix"]) for s in report["steps"]
    ] == [("learned-1", "$A.fetch_all($B)", "fetch($A, $B)")]
    assert [(u["line"], u["diff"]) for u in report["unexplained"]] == [(8, "+    print('added')")]
