"""`codemod learn` when several names of one `from a import X, Y` move to one new module."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.cli_helpers import codemod, git, make_repo

OLD_MODULE = "class X:\n    pass\n\n\nclass Y:\n    pass\n"
NEW_MODULE = '"""The new home of X and Y."""\n\nimport enum\n\n\nclass X:\n    """An x."""\n\n\nclass Y(enum.Enum):\n    A = 1\n'

#: (before, after as fixed by hand)
CALLERS: dict[str, str] = {
    "test_paren.py": "from shop.old import (\n    X,  # the x\n    Y,\n)\n\n\ndef test_it():\n    assert X and Y\n",
    "test_alias.py": "import os\n\nfrom shop.old import X as XX, Y\nfrom shop.util import z\n\n\n"
    "def test_it():\n    assert XX and Y and z and os\n",
    "test_module.py": "import shop.old\n\n\ndef test_it():\n    assert shop.old.X and shop.old.Y\n",
    "test_plain.py": "from shop.old import X, Y\n\n\ndef test_it():\n    assert X and Y\n",
    "test_inside.py": "def test_it():\n    from shop.old import Y, X\n\n    assert X and Y\n",
}
HAND_FIXED = ("test_paren.py", "test_alias.py")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def repo(tmp_path: Path, callers: dict[str, str], old_module: str) -> Path:
    root = tmp_path / "proj"
    write(
        root,
        {
            "shop/__init__.py": "",
            "shop/util.py": "z = 1\n",
            "shop/old.py": old_module,
            **{f"tests/{n}": t for n, t in callers.items()},
        },
    )
    make_repo(root)
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", message).returncode == 0


def test_every_name_of_a_deleted_module_moving_is_one_rename_module(tmp_path: Path) -> None:
    root = repo(tmp_path, CALLERS, OLD_MODULE)
    # not a rename git can see: the new module is written anew
    git(root, "rm", "-q", "shop/old.py")
    write(root, {"shop/new.py": NEW_MODULE})
    write(root, {f"tests/{n}": CALLERS[n].replace("shop.old", "shop.new") for n in HAND_FIXED})
    commit(root, "Move X and Y to shop.new")
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "learned.yaml")
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "2 of 2 hunks explained exactly" in err
    text = (root / "learned.yaml").read_text()
    assert yaml.safe_load(text)["steps"] == [
        {"rename_module": {"old": "shop.old", "new": "shop.new"}}
    ]
    assert (
        "every name the examples import from `shop.old` (`X`, `Y`) comes from `shop.new` after"
        in " ".join(line.lstrip("# ") for line in text.splitlines())
    )
    assert "the change deletes shop/old.py" in text
    tested = codemod(root, "test", "learned.yaml")
    assert tested.returncode == 0, tested.stdout.decode() + tested.stderr.decode()
    shutil.move(root / "learned.yaml", tmp_path / "learned.yaml")
    applied = codemod(root, "apply", str(tmp_path / "learned.yaml"), "tests")
    assert applied.returncode == 0, applied.stderr.decode()
    for name, before in CALLERS.items():
        # the comment, the alias and the order of the names stay; `import shop.old` moves too
        assert (root / "tests" / name).read_text() == before.replace("shop.old", "shop.new"), name


def test_names_moving_out_of_a_module_that_stays_are_one_step_each(tmp_path: Path) -> None:
    callers = {
        "test_plain.py": CALLERS["test_plain.py"],
        "test_two.py": "from shop.old import X, Y\n\n\ndef test_two():\n    assert Y and X\n",
        "test_keep.py": "from shop.old import X, keep\n\n\ndef test_it():\n    assert X and keep\n",
    }
    root = repo(tmp_path, callers, OLD_MODULE + "\n\ndef keep():\n    pass\n")
    write(root, {"shop/old.py": "def keep():\n    pass\n", "shop/new.py": NEW_MODULE})
    write(root, {"tests/test_plain.py": callers["test_plain.py"].replace("shop.old", "shop.new")})
    commit(root, "Move X and Y out of shop.old")
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "learned.yaml")
    assert done.returncode == 0, done.stderr.decode()
    steps = yaml.safe_load((root / "learned.yaml").read_text())["steps"]
    # `shop.old` still defines `keep`: a rename_module would move `keep` too
    assert steps == [
        {"rename_symbol": {"old": "shop.old.X", "new": "shop.new.X"}},
        {"rename_symbol": {"old": "shop.old.Y", "new": "shop.new.Y"}},
    ]
    shutil.move(root / "learned.yaml", tmp_path / "learned.yaml")
    applied = codemod(root, "apply", str(tmp_path / "learned.yaml"), "tests")
    assert applied.returncode == 0, applied.stderr.decode()
    assert (root / "tests/test_two.py").read_text() == callers["test_two.py"].replace(
        "shop.old", "shop.new"
    )
    keep = (root / "tests/test_keep.py").read_text()
    assert "from shop.old import keep\n" in keep and "from shop.new import X\n" in keep


def test_file_pairs_ask_the_project_whether_the_old_module_is_gone(tmp_path: Path) -> None:
    # no history: `shop.old` is not in the project and `shop.new` is, so the module moved
    write(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/util.py": "z = 1\n",
            "shop/new.py": NEW_MODULE,
            "old/test_paren.py": CALLERS["test_paren.py"],
            "tests/test_paren.py": CALLERS["test_paren.py"].replace("shop.old", "shop.new"),
        },
    )
    done = codemod(
        tmp_path, "learn", "--pair", "old/test_paren.py:tests/test_paren.py", "--format", "json"
    )
    assert done.returncode == 0, done.stderr.decode()
    (step,) = json.loads(done.stdout)["steps"]
    assert (step["step"], step["options"]) == (
        "rename_module",
        {"old": "shop.old", "new": "shop.new"},
    )
    assert step["reason"].endswith("and the project has no module `shop.old`")
    # while the old module is still there, nothing says it moved as a whole
    write(tmp_path, {"shop/old.py": "def keep():\n    pass\n"})
    done = codemod(
        tmp_path, "learn", "--pair", "old/test_paren.py:tests/test_paren.py", "--format", "json"
    )
    assert all(s["step"] != "rename_module" for s in json.loads(done.stdout)["steps"])
