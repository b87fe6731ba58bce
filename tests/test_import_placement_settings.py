"""A new import is placed with the project's isort/ruff settings: a real ``codemod apply`` in a
real git repo whose ``pyproject.toml`` configures the ``I`` rule, and real ``ruff check
--select I`` (reading that configuration) before and after."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.oracle import compiles, pyflakes_counts
from tests.cli_helpers import codemod, make_repo

RECIPE = """title: Move names
description: Moves two names into the vendored package.
steps:
  - rename_symbol:
      old: thirdp.old.Delta
      new: vendored.helpers.Delta
  - rename_symbol:
      old: vendored.old.Gamma
      new: vendored.new.Gamma
"""

BEFORE = """import json
from pathlib import Path
import sys

import attr
from thirdp.old import Delta

from vendored.new import Beta as B
from vendored.old import Gamma as G

print(json, Path, sys, attr, Delta, B, G)
"""

# known-first-party puts vendored in its own section; force-sort-within-sections mixes
# `import x` and `from x import` by module; combine-as merges `as` names into one statement.
RUFF = """[tool.ruff.lint.isort]
known-first-party = ["vendored"]
force-sort-within-sections = true
combine-as-imports = true
"""
RUFF_AFTER = """import json
from pathlib import Path
import sys

import attr

from vendored.helpers import Delta
from vendored.new import Beta as B, Gamma as G

print(json, Path, sys, attr, Delta, B, G)
"""

# force-single-line: never merged; the new statement sits at its sorted place.
SINGLE = """[tool.ruff.isort]
known-first-party = ["vendored"]
force-sort-within-sections = true
force-single-line = true
"""
SINGLE_AFTER = """import json
from pathlib import Path
import sys

import attr

from vendored.helpers import Delta
from vendored.new import Beta as B
from vendored.new import Gamma as G

print(json, Path, sys, attr, Delta, B, G)
"""

# ruff reads [tool.isort]'s snake_case spellings too (isort's own table).
ISORT = """[tool.isort]
known_first_party = ["vendored"]
force_sort_within_sections = true
combine_as_imports = true
"""


def _ruff_clean(root: Path, name: str) -> bool:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "I",
            "--output-format",
            "json",
            "--no-cache",
            name,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout or "[]") == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [(RUFF, RUFF_AFTER), (SINGLE, SINGLE_AFTER), (ISORT, RUFF_AFTER)],
    ids=["ruff-lint-isort", "ruff-isort-force-single-line", "tool-isort"],
)
def test_new_import_placed_with_the_project_settings(
    tmp_path: Path, config: str, expected: str
) -> None:
    before = BEFORE
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n\n' + config)
    (tmp_path / "mod.py").write_text(before)
    (tmp_path / "r.yaml").write_text(RECIPE)
    make_repo(tmp_path)
    if config is not ISORT:  # ruff does not read [tool.isort]; the table is isort's
        assert _ruff_clean(tmp_path, "mod.py"), "the input must be isort-clean to begin with"
    done = codemod(tmp_path, "apply", "r.yaml", "mod.py", real=True)
    assert done.returncode == 0, done.stderr
    out = (tmp_path / "mod.py").read_text()
    assert out == expected
    if config is not ISORT:
        assert _ruff_clean(tmp_path, "mod.py")
    assert compiles(out.encode())
    counts = pyflakes_counts(out.encode())
    assert counts is not None and not [k for k in counts if k[0] == "UndefinedName"]


def test_defaults_keep_as_names_apart(tmp_path: Path) -> None:
    """Without combine-as-imports (ruff's default) an `as` name gets its own statement, as
    ruff's I rule wants; the file stays isort-clean."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    source = (
        "import json\n\nimport attr\nfrom vendored.new import Beta as B\n"
        "from vendored.old import Gamma as G\n\nprint(json, attr, B, G)\n"
    )
    (tmp_path / "mod.py").write_text(source)
    (tmp_path / "r.yaml").write_text(RECIPE)
    make_repo(tmp_path)
    assert _ruff_clean(tmp_path, "mod.py"), source
    done = codemod(tmp_path, "apply", "r.yaml", "mod.py", real=True)
    assert done.returncode == 0, done.stderr
    out = (tmp_path / "mod.py").read_text()
    assert "from vendored.new import Beta as B\nfrom vendored.new import Gamma as G\n" in out
    assert _ruff_clean(tmp_path, "mod.py"), out


def test_the_closest_ruff_config_is_read_as_ruff_reads_it(tmp_path: Path) -> None:
    """ruff uses the config closest to the file: ``sub/ruff.toml`` (extending the root's
    ``pyproject.toml`` and adding force-single-line) governs ``sub/mod.py``; ``other/`` has a
    ``pyproject.toml`` without ``[tool.ruff]``, which ruff skips, so the root's governs it."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n\n' + RUFF)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ruff.toml").write_text(
        'extend = "../pyproject.toml"\n\n[lint.isort]\nforce-single-line = true\n'
    )
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[project]\nname = "other"\n')
    for name in ("mod.py", "sub/mod.py", "other/mod.py"):
        (tmp_path / name).write_text(BEFORE)
        assert _ruff_clean(tmp_path, name), name
    (tmp_path / "r.yaml").write_text(RECIPE)
    make_repo(tmp_path)
    done = codemod(tmp_path, "apply", "r.yaml", ".", real=True)
    assert done.returncode == 0, done.stderr
    expected = {"mod.py": RUFF_AFTER, "sub/mod.py": SINGLE_AFTER, "other/mod.py": RUFF_AFTER}
    assert {name: (tmp_path / name).read_text() for name in expected} == expected
    for name in expected:
        assert _ruff_clean(tmp_path, name), name


MOVE_MODULE = """title: Move a module
description: Moves every name of vendored.old to vendored.new.
steps:
  - rename_module:
      old: vendored.old
      new: vendored.new
"""


@pytest.mark.parametrize(
    ("existing", "merged"),
    [
        ("from vendored.new import Zeta\n", "from vendored.new import Alpha, Beta, Zeta\n"),
        (
            "from vendored.new import (\n    Zeta,\n)\n",
            "from vendored.new import (\n    Alpha,\n    Beta,\n    Zeta,\n)\n",
        ),
        (
            "from vendored.new import Zeta_with_a_rather_long_name, Zeta_with_another_long_name\n",
            "from vendored.new import (\n    Alpha,\n    Beta,\n    Zeta_with_a_rather_long_name,\n"
            "    Zeta_with_another_long_name,\n)\n",
        ),
    ],
    ids=["one-line", "one-per-line", "wrapped-at-line-length"],
)
def test_a_multi_name_move_merges_into_the_existing_statement(
    tmp_path: Path, existing: str, merged: str
) -> None:
    """``from vendored.old import Alpha, Beta`` moving to a module the file already imports
    from: one statement, in its layout, as ruff's I rule wants (ruff checks before and after)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    names = existing.split(" import ", 1)[1].strip("()\n").replace("\n", "").replace(" ", "")
    used = ", ".join(["Alpha", "Beta", *[n for n in names.split(",") if n]])
    source = (
        f"import json\n\n{existing}from vendored.old import Alpha, Beta\n\nprint(json, {used})\n"
    )
    (tmp_path / "mod.py").write_text(source)
    (tmp_path / "r.yaml").write_text(MOVE_MODULE)
    make_repo(tmp_path)
    assert _ruff_clean(tmp_path, "mod.py"), source
    done = codemod(tmp_path, "apply", "r.yaml", "mod.py", real=True)
    assert done.returncode == 0, done.stderr
    out = (tmp_path / "mod.py").read_text()
    assert out == f"import json\n\n{merged}\nprint(json, {used})\n"
    assert _ruff_clean(tmp_path, "mod.py"), out
    counts = pyflakes_counts(out.encode())
    assert counts is not None and not [k for k in counts if k[0] == "UndefinedName"]
