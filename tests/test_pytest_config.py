"""``find_pytest_config`` agrees with real pytest about which config file applies.

Each layout is a small tree; pytest itself (run once, in a subprocess, over all of them) says
which config file, rootdir, asyncio mode and markers it uses, and our finder must say the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.analysis.project import ProjectIndex
from codemods.analysis.pytest_config import (
    find_pytest_config,
    parse_ini,
    pytest_config_for,
)
from codemods.analysis.pytest_facts import BUILTIN_MARKERS, PLUGIN_MARKERS

TEST = "def test_x():\n    pass\n"

# name -> (files, the directory pytest is run on)
LAYOUTS: dict[str, tuple[dict[str, str], str]] = {
    "empty_pytest_ini_beats_pyproject": (
        {
            "pytest.ini": "",
            "pyproject.toml": '[tool.pytest.ini_options]\nasyncio_mode = "auto"\nmarkers = ["x: y"]\n',
            "tests/test_a.py": TEST,
        },
        "tests",
    ),
    "pyproject_without_table_is_skipped_for_tox_above": (
        {
            "tox.ini": "[tox]\nenvlist = py\n\n[pytest]\nmarkers =\n    slow: slow ones\n",
            "pkg/pyproject.toml": '[project]\nname = "pkg"\n',
            "pkg/tests/test_a.py": TEST,
        },
        "pkg/tests",
    ),
    "nearest_directory_wins": (
        {
            "pyproject.toml": '[tool.pytest.ini_options]\nasyncio_mode = "auto"\n',
            "sub/tox.ini": "[pytest]\naddopts = -q\n",
            "sub/tests/test_a.py": TEST,
        },
        "sub/tests",
    ),
    "tox_ini_without_pytest_section_is_ignored": (
        {
            "pyproject.toml": '[tool.pytest.ini_options]\nmarkers = ["db: database"]\n',
            "sub/tox.ini": "[tox]\nenvlist = py\n",
            "sub/test_a.py": TEST,
        },
        "sub",
    ),
    "setup_cfg_tool_pytest": (
        {
            "setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\nasyncio_mode = auto\n"
            "markers =\n    api: the api\n    # comment: not a marker\n    db(name): a db\n",
            "tests/test_a.py": TEST,
        },
        "tests",
    ),
    "pyproject_fallback_when_nothing_matches": (
        {
            "pyproject.toml": '[project]\nname = "x"\n',
            "tests/setup.cfg": "[metadata]\nname = x\n",
            "tests/test_a.py": TEST,
        },
        "tests",
    ),
    "setup_py_gives_rootdir": (
        {"setup.py": "", "src/tests/test_a.py": TEST},
        "src/tests",
    ),
    "conftest_markers_from_rootdir_down": (
        {
            "pytest.ini": "[pytest]\nmarkers = top: from ini\n",
            "conftest.py": (
                "def pytest_configure(config):\n"
                '    config.addinivalue_line("markers", "root_mark: from the root conftest")\n'
            ),
            "tests/conftest.py": (
                "def pytest_configure(config):\n"
                '    config.addinivalue_line("markers", "deep(x): from tests")\n'
            ),
            "tests/test_a.py": TEST,
        },
        "tests",
    ),
    "addopts_asyncio_mode": (
        {"pytest.ini": "[pytest]\naddopts = -ra --asyncio-mode=auto\n", "test_a.py": TEST},
        ".",
    ),
    "hidden_pytest_ini": (
        {
            ".pytest.ini": "[pytest]\nmarkers =\n    hidden: yes\n",
            "tox.ini": "[pytest]\nmarkers =\n    tox: no\n",
            "test_a.py": TEST,
        },
        ".",
    ),
    "pyproject_native_tool_pytest": (
        {
            "pyproject.toml": '[tool.pytest]\nasyncio_mode = "auto"\nmarkers = ["native: toml"]\n',
            "test_a.py": TEST,
        },
        ".",
    ),
}

ORACLE = r"""
import json, sys
import pytest

class Report:
    def pytest_collection_finish(self, session):
        config = session.config
        mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode") or "strict"
        print("ORACLE " + json.dumps({
            "path": str(config.inipath) if config.inipath else None,
            "rootdir": str(config.rootpath),
            "asyncio_mode": str(mode),
            "markers": sorted(m.name for m in config._iter_registered_markers()),
        }), flush=True)

for target in sys.argv[1:]:
    pytest.main(["--co", "-q", "-p", "no:cacheprovider", target], plugins=[Report()])
"""


def _build(base: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(scope="module")
def pytest_says(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """What real pytest reports for each layout (one subprocess for all of them)."""
    base = tmp_path_factory.mktemp("layouts")
    targets = []
    for name, (files, target) in LAYOUTS.items():
        _build(base / name, files)
        targets.append(str((base / name / target).resolve()))
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    proc = subprocess.run(
        [sys.executable, "-c", ORACLE, *targets],
        capture_output=True,
        text=True,
        cwd=base,
        env=env,
        timeout=300,
    )
    reports = [
        json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("ORACLE ")
    ]
    assert len(reports) == len(targets), proc.stdout + proc.stderr
    return {
        name: dict(report, base=str(base / name))
        for name, report in zip(LAYOUTS, reports, strict=True)
    }


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_same_config_as_pytest(name: str, pytest_says: dict[str, dict]) -> None:
    real = pytest_says[name]
    target = Path(real["base"]) / LAYOUTS[name][1]
    ours = find_pytest_config(target / "test_a.py")
    assert (str(ours.path) if ours.path else None) == real["path"]
    assert str(ours.rootdir) == real["rootdir"]
    assert ours.asyncio_mode == real["asyncio_mode"]
    project_markers = set(real["markers"]) - BUILTIN_MARKERS - PLUGIN_MARKERS
    assert ours.markers == project_markers


def test_kinds_and_defaults(tmp_path: Path) -> None:
    _build(tmp_path, {"a/setup.cfg": "[tool:pytest]\n", "b/test_b.py": TEST})
    cfg = find_pytest_config(tmp_path / "a")
    assert (cfg.kind, cfg.path, cfg.asyncio_mode) == (
        "setup.cfg",
        tmp_path / "a" / "setup.cfg",
        "strict",
    )
    none = find_pytest_config(tmp_path / "b" / "test_b.py")
    assert none.kind == "none" and none.path is None and none.markers == frozenset()


def test_steps_get_it_through_the_project_index_cached_per_directory(tmp_path: Path) -> None:
    _build(tmp_path, {"pytest.ini": "[pytest]\nasyncio_mode = auto\n", "t/test_a.py": TEST})
    project = ProjectIndex(tmp_path)
    first = pytest_config_for(project, tmp_path / "t" / "test_a.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    again = pytest_config_for(project, tmp_path / "t" / "test_b.py")
    assert first is again and again.asyncio_mode == "auto"  # one read per run
    assert find_pytest_config(tmp_path / "t").asyncio_mode == "strict"


def test_ini_parser_follows_iniconfig() -> None:
    sections = parse_ini(
        "[pytest]\nmarkers =\n    a: one\n\n    # c: comment\n    b: two\naddopts = -q\n"
    )
    (section,) = sections
    entry = section.entry("markers")
    assert entry is not None and entry.values == ["a: one", "b: two"]
    assert (entry.line, entry.last) == (1, 5)
    assert section.entry("addopts") is not None
