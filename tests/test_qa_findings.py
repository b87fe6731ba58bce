"""Bugs found by using issues 12, 17 and 18 on real code: each test is the smallest repo that showed one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import codemod, git, make_repo


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_doctor_lists_each_place_once_when_one_import_takes_several_names(tmp_path: Path) -> None:
    # rich's `from .cells import a, b, c, d, e` after cells.py moved: one place, not five.
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/text_cells.py": "def a(): ...\ndef b(): ...\ndef c(): ...\n",
            "pkg/segment.py": "from .cells import a, b, c\n",
            **{f"pkg/user{i}.py": "from pkg.cells import a\n" for i in range(6)},
        },
    )
    make_repo(tmp_path)
    done = codemod(tmp_path, "doctor", "--format", "json", "--write-recipe", "fix-cells.yaml")
    assert done.returncode == 1, done.stderr
    (proposal,) = json.loads(done.stdout)["proposals"]
    assert proposal["step"] == "rename_module"
    assert sorted(proposal["evidence"]) == sorted(set(proposal["evidence"]))
    assert len(proposal["evidence"]) == 7
    recipe = (tmp_path / "fix-cells.yaml").read_text()
    assert "(+1 more)" in recipe, recipe
