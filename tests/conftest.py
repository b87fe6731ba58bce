from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLE = ROOT / "examples" / "netra-demo"
#: Built-in recipes and their cases, in the layout of every recipe: ``<id>.yaml`` beside ``<id>.cases/``.
RECIPES = ROOT / "recipes"


def recipe_case_groups() -> list[Path]:
    """The ``<id>.cases/`` folders of the built-in recipes."""
    return sorted(p for p in RECIPES.glob("*.cases") if p.is_dir())


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled example project."""
    target = tmp_path / "netra-demo"
    shutil.copytree(EXAMPLE, target)
    return target


#: Lines the real-corpus safety tests report (tests/test_safety_corpus.py), shown at the end.
SAFETY_REPORT = pytest.StashKey[list[str]]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(SAFETY_REPORT, [])
    if lines:
        terminalreporter.section("real-corpus safety counts (interpreter stdlib)")
        for line in lines:
            terminalreporter.write_line(line)
