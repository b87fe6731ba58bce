"""Target checks ask the whole project, whatever paths were scanned, and the interpreter for
what is outside it: a real ``codemod apply`` in a real git repo, scanning only ``tests/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.oracle import compiles, pyflakes_counts
from tests.cli_helpers import codemod, git, make_repo

RECIPE = """title: Move names
description: Moves names to homes that may or may not have them.
steps:
  - rename_symbol:
      old: old.mod.Nowhere
      new: new.mod.Nowhere
  - rename_symbol:
      old: old.mod.Here
      new: new.mod.Here
  - rename_symbol:
      old: zzz_gone_pkg.mod.Thing
      new: zzz_nowhere_pkg.mod.Thing
  - rename_symbol:
      old: zzz_gone_pkg.mod.Other
      new: json.decoder.Other
  - rename_module:
      old: zzz_gone_pkg.util
      new: zzz_nowhere_pkg.util
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    for package in ("new", "old"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "new" / "mod.py").write_text("class Here:\n    pass\n")
    (tmp_path / "old" / "mod.py").write_text(
        "class Here:\n    pass\n\n\nclass Nowhere:\n    pass\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_inside.py").write_text(
        "from old.mod import Here, Nowhere\n\n\ndef test_x():\n    assert Here and Nowhere\n"
    )
    (tmp_path / "tests" / "test_outside.py").write_text(
        "import zzz_gone_pkg.util\nfrom zzz_gone_pkg.mod import Other, Thing\n\n\n"
        "def test_y():\n    assert Thing and Other and zzz_gone_pkg.util\n"
    )
    (tmp_path / "r.yaml").write_text(RECIPE)
    return make_repo(tmp_path)


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": warning [" in line]


def test_only_tests_scanned_but_the_whole_project_is_asked(project: Path) -> None:
    done = codemod(project, "apply", "r.yaml", "tests/", real=True)
    assert done.returncode == 0, done.stderr
    warnings = _warnings(done.stdout.decode() + done.stderr.decode())
    inside = [w for w in warnings if w.startswith("tests/test_inside.py")]
    # new/mod.py is outside the scanned paths, yet it is read: Here is there, Nowhere is not.
    assert inside == [
        "tests/test_inside.py:1: warning [rename_symbol] rewrote the import to `new.mod`, "
        "which does not define `Nowhere`"
    ]
    outside = [w for w in warnings if w.startswith("tests/test_outside.py")]
    # zzz_nowhere_pkg is neither in the project nor importable: one warning per rewrite to it;
    # json.decoder is importable (the stdlib), so no warning for it.
    assert len(outside) == 2, outside
    assert all("`zzz_nowhere_pkg" in w and "nor importable here" in w for w in outside)
    assert not any("json" in w for w in warnings)
    for name in ("test_inside.py", "test_outside.py"):
        text = (project / "tests" / name).read_bytes()
        assert compiles(text)
        counts = pyflakes_counts(text)
        assert counts is not None and not [k for k in counts if k[0] == "UndefinedName"]
    assert (
        b"from new.mod import Here, Nowhere\n"
        in (project / "tests" / "test_inside.py").read_bytes()
    )
    git(project, "checkout", "--", ".")


def test_targets_that_exist_give_no_warning(project: Path) -> None:
    (project / "new" / "mod.py").write_text("class Here:\n    pass\n\n\nclass Nowhere:\n    pass\n")
    (project / "tests" / "test_outside.py").unlink()
    git(project, "commit", "-qam", "targets exist")
    done = codemod(project, "apply", "r.yaml", "tests/", real=True)
    assert done.returncode == 0, done.stderr
    assert _warnings(done.stdout.decode() + done.stderr.decode()) == []
    assert (
        b"from new.mod import Here, Nowhere\n"
        in (project / "tests" / "test_inside.py").read_bytes()
    )
