"""Output on ``examples/netra-demo`` stays byte-identical across refactors of the engine.

Every built-in recipe's ``preview`` (diffs on stdout, summary on stderr, exit code), doctor's
report in both formats, and the recipe doctor writes, compared to files recorded under
``tests/data/netra-golden/``. Set ``CODEMOD_RECORD_GOLDEN=1`` to re-record after an intended
change (and review the diff of the recorded files).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import codemod
from tests.conftest import EXAMPLE, ROOT

GOLDEN = ROOT / "tests" / "data" / "netra-golden"
RECIPES = sorted(p.stem for p in (ROOT / "recipes").glob("*.yaml"))
RECORD = os.environ.get("CODEMOD_RECORD_GOLDEN") == "1"


@pytest.fixture(scope="module")
def netra(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("golden") / "netra-demo"
    shutil.copytree(EXAMPLE, target)
    return target


def _check(name: str, root: Path, *parts: bytes) -> None:
    actual = b"".join(parts).replace(str(root).encode(), b"<netra-demo>")
    path = GOLDEN / name
    if RECORD:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.is_file(), f"no recorded output {path}; run with CODEMOD_RECORD_GOLDEN=1"
    assert actual.decode() == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("recipe", RECIPES)
def test_preview_output_is_unchanged(netra: Path, recipe: str) -> None:
    done = codemod(netra, "preview", recipe, ".", "--unsafe", "--no-cache", "-j", "1")
    _check(
        f"preview-{recipe}.txt",
        netra,
        b"== rc %d\n" % done.returncode,
        done.stdout,
        b"== stderr\n",
        done.stderr,
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_doctor_output_is_unchanged(netra: Path, fmt: str) -> None:
    done = codemod(netra, "doctor", ".", "--format", fmt)
    _check(
        f"doctor-{fmt}.txt",
        netra,
        b"== rc %d\n" % done.returncode,
        done.stdout,
        b"== stderr\n",
        done.stderr,
    )


def test_doctor_recipe_is_unchanged(netra: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "fix-netra.yaml"
    done = codemod(netra, "doctor", ".", "--write-recipe", str(recipe))
    assert done.returncode == 1
    _check("doctor-recipe.yaml", netra, recipe.read_bytes())
