"""`codemod learn` on a module move whose hand fix edited each import where it stood.

``rename_module`` puts the moved import where isort would; a person edits the line in place.
Both are the same fix, so learn's self-check compares the top-level import block up to the
order of its statements (byte for byte everywhere else), says so, and embeds as the recipe's
cases what the recipe really writes. Also: the recipe's header counts the cases it embeds and
names every example file it did not embed, with the reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.cli_helpers import codemod, git, make_repo

OLD, NEW = "fancy.cells", "fancy.text_cells"
BODY = "\n\ndef test_it():\n    assert cell_len and Console and Style\n"

#: Ten callers; the in-place fix of each leaves `fancy.text_cells` before `fancy.console`.
CALLERS: dict[str, str] = {
    "test_a.py": "from fancy.cells import cell_len\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n" + BODY,
    "test_b.py": "import os\n\nfrom fancy.cells import cell_len\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n" + BODY.replace("cell_len and", "os.sep and cell_len and"),
    "test_c.py": '"""Cells."""\nfrom fancy.cells import cell_len\n'
    "from fancy.console import Console\nfrom fancy.style import Style\n" + BODY,
    "test_d.py": "from fancy.cells import cell_len as cl\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n" + BODY.replace("cell_len", "cl"),
    "test_e.py": "from fancy.cells import (\n    cell_len,\n)\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n" + BODY,
    "test_f.py": "import fancy.cells\nfrom fancy.console import Console\nfrom fancy.style import Style\n"
    + BODY.replace("cell_len", "fancy.cells.cell_len"),
    "test_g.py": "from fancy.cells import cell_len\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n\nWIDTH = 3\n" + BODY,
    "test_h.py": "from fancy.cells import cell_len\n# the rest\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n" + BODY + "\n\ndef test_more():\n    assert cell_len('x')\n",
    "test_i.py": "import sys\nfrom fancy.cells import cell_len  # width\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n" + BODY.replace("cell_len and", "sys.argv and cell_len and"),
    "test_j.py": "from fancy.cells import cell_len, cached\nfrom fancy.console import Console\n"
    "from fancy.style import Style\n" + BODY.replace("cell_len and", "cached and cell_len and"),
}
HAND_FIXED = ("test_a.py", "test_c.py", "test_f.py")
PACKAGE = {
    "fancy/__init__.py": "",
    "fancy/cells.py": "def cell_len(text):\n    return len(text)\n\n\ndef cached():\n    pass\n",
    "fancy/console.py": "class Console:\n    pass\n",
    "fancy/style.py": "class Style:\n    pass\n",
}


def in_place(text: str) -> str:
    """The fix a person makes: the module's name edited where it stands."""
    return text.replace(OLD, NEW)


def imports_and_rest(text: str) -> tuple[list[str], str]:
    """The top-level import block's non-blank lines (sorted) and everything after it."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(("import ", "from ")))
    end = start
    for i in range(start, len(lines)):
        if lines[i].startswith(("import ", "from ", "    ", ")", "#")) or not lines[i].strip():
            end = i + 1 if lines[i].strip() else end
        else:
            break
    block = sorted(line.strip() for line in lines[start:end] if line.strip())
    return block, "".join(lines[:start]) + "".join(lines[end:]).lstrip("\n")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def moved_repo(tmp_path: Path, hand_fixed: dict[str, str] | None = None) -> Path:
    root = tmp_path / "proj"
    write(root, {**PACKAGE, **{f"tests/{n}": t for n, t in CALLERS.items()}})
    make_repo(root)
    assert git(root, "mv", "fancy/cells.py", "fancy/text_cells.py").returncode == 0
    fixed = hand_fixed or {n: in_place(CALLERS[n]) for n in HAND_FIXED}
    write(root, {f"tests/{n}": t for n, t in fixed.items()})
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "Move fancy.cells to fancy.text_cells").returncode == 0
    return root


def test_a_move_fixed_in_place_is_learned_up_to_import_order(tmp_path: Path) -> None:
    root = moved_repo(tmp_path)
    # the hand fix really is out of isort order: the recipe's output is not byte-identical
    assert in_place(CALLERS["test_a.py"]).index(NEW) < in_place(CALLERS["test_a.py"]).index(
        "fancy.console"
    )
    done = codemod(root, "learn", "--commit", "HEAD", "-o", "learned.yaml")
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "learned 1 step(s)" in err and "4 of 4 hunks explained exactly" in err
    assert (
        "reproduced up to import order (the recipe writes imports in isort's order, the hand "
        "fix did not): "
        "tests/test_a.py, tests/test_c.py" in err
    )
    text = (root / "learned.yaml").read_text()
    recipe = yaml.safe_load(text)
    assert recipe["steps"] == [{"rename_module": {"old": OLD, "new": NEW}}]
    assert "reproduced up to import order" in text
    assert "Embedded below as cases: 3 of the 3 file(s)." in text
    cases = {e["path"]: e for e in recipe["examples"]}
    assert set(cases) == {f"tests/{n}" for n in HAND_FIXED}
    for name in HAND_FIXED:
        case = cases[f"tests/{name}"]
        if name == "test_f.py":  # `import fancy.text_cells` is in isort's place already
            assert case["after"] == in_place(CALLERS[name])
            continue
        assert "in the order the recipe writes them" in case["title"]
        assert case["after"] != in_place(CALLERS[name])  # the recipe's order, not the hand's
        assert imports_and_rest(case["after"]) == imports_and_rest(in_place(CALLERS[name]))
    tested = codemod(root, "test", "learned.yaml")
    assert tested.returncode == 0, tested.stdout.decode() + tested.stderr.decode()
    shutil.move(root / "learned.yaml", tmp_path / "learned.yaml")
    applied = codemod(root, "apply", str(tmp_path / "learned.yaml"), "tests")
    assert applied.returncode == 0, applied.stderr.decode()
    assert "7 files changed" in applied.stderr.decode()
    for name, before in CALLERS.items():
        now = (root / "tests" / name).read_text()
        compile(now, name, "exec")
        assert OLD not in now, name
        # the other seven: the fix a person would make, with the imports in isort's order
        assert imports_and_rest(now) == imports_and_rest(in_place(before)), name


def test_a_different_statement_in_the_import_block_is_still_a_difference(tmp_path: Path) -> None:
    # the hand fix also imported something else: the blocks hold different statements, so the
    # move explains the edited import but the added one is listed as not explained
    fixed = {n: in_place(CALLERS[n]) for n in HAND_FIXED}
    fixed["test_a.py"] = fixed["test_a.py"].replace(
        "from fancy.console import Console\n", "from fancy.console import Console\nimport json\n"
    )
    root = moved_repo(tmp_path, fixed)
    done = codemod(root, "learn", "--commit", "HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert [s["step"] for s in report["steps"]] == ["rename_module"]
    assert [(u["file"], u["diff"]) for u in report["unexplained"]] == [
        ("tests/test_a.py", "+import json")
    ]
    assert set(report["reproduced_up_to_import_order"]) == {"tests/test_a.py", "tests/test_c.py"}
    recipe = report["recipe"]
    assert "Embedded below as cases: 2 of the 3 file(s):" in recipe
    assert (
        "# - not embedded: tests/test_a.py (the recipe does not reproduce all of its hand fix)"
        in recipe
    )
    assert {e["path"] for e in yaml.safe_load(recipe)["examples"]} == {
        "tests/test_c.py",
        "tests/test_f.py",
    }


def test_the_header_names_the_files_it_did_not_embed_and_why(tmp_path: Path) -> None:
    long_tail = "".join(f"\n\ndef test_{i}():\n    assert cell_len\n" for i in range(50))
    fixed = {
        "test_a.py": in_place(CALLERS["test_a.py"]),
        "test_b.py": in_place(CALLERS["test_b.py"] + long_tail),
        "test_g.py": in_place(CALLERS["test_g.py"]).replace("\n", "\r\n"),
    }
    root = tmp_path / "proj"
    callers = {**CALLERS, "test_b.py": CALLERS["test_b.py"] + long_tail}
    callers["test_g.py"] = CALLERS["test_g.py"].replace("\n", "\r\n")
    files = {**PACKAGE, **{f"tests/{n}": t for n, t in callers.items()}}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    make_repo(root)
    git(root, "mv", "fancy/cells.py", "fancy/text_cells.py")
    for name, text in fixed.items():
        (root / "tests" / name).write_bytes(text.encode())
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "Move").returncode == 0
    done = codemod(root, "learn", "--commit", "HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    recipe = json.loads(done.stdout)["recipe"]
    assert "Embedded below as cases: 1 of the 3 file(s):" in recipe
    assert "# - not embedded: tests/test_b.py (longer than 120 lines)" in recipe
    assert "# - not embedded: tests/test_g.py (CR line endings, which a YAML case cannot hold)" in (
        recipe
    )
    assert [e["path"] for e in yaml.safe_load(recipe)["examples"]] == ["tests/test_a.py"]


def test_the_order_of_names_in_one_from_import_is_import_order(tmp_path: Path) -> None:
    # the hand fix appended `build` to the import; the pattern step writes `build, make`
    write(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/ctx.py": "def make(*a):\n    pass\n\n\ndef build(a):\n    pass\n",
            "old.py": "from shop.ctx import make\n\nmake(a, a)\nmake(b, b)\nmake(c, d)\n",
            "new.py": "from shop.ctx import make, build\n\nbuild(a)\nbuild(b)\nmake(c, d)\n",
        },
    )
    done = codemod(tmp_path, "learn", "--pair", "old.py:new.py", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert [(s["step"], s["options"]["pattern"], s["options"]["fix"]) for s in report["steps"]] == [
        ("pattern", "shop.ctx.make($A, $A)", "build($A)")
    ]
    assert report["reproduced_up_to_import_order"] == ["new.py"]
    (case,) = yaml.safe_load(report["recipe"])["examples"]
    assert case["after"].startswith("from shop.ctx import build, make\n")
    # a statement that differs in more than the order of its names is still a difference
    (tmp_path / "new.py").write_text(
        "from shop.ctx import make, build  # both\n\nbuild(a)\nbuild(b)\nmake(c, d)\n"
    )
    done = codemod(tmp_path, "learn", "--pair", "old.py:new.py", "--format", "json")
    assert json.loads(done.stdout)["steps"] == []
