from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLE = ROOT / "examples" / "netra-demo"


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled example project."""
    target = tmp_path / "netra-demo"
    shutil.copytree(EXAMPLE, target)
    return target
