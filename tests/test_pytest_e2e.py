"""End to end under real pytest: a broken project fails, `netra-remediation` fixes it, it passes.

The project uses pytest-asyncio in strict mode and ``--strict-markers``, and has the
breakages of BREAKAGES.md: an unmarked async test, a ``def`` test that awaits, an async
``setup_method`` awaiting its parent's, the renamed ``auth_handshake`` marker and an
unregistered marker. pytest and codemod both run in subprocesses, as a user would run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE

PYPROJECT = """\
[project]
name = "shop"

[tool.pytest.ini_options]
# strict: every async test needs its mark; unknown markers are errors
asyncio_mode = "strict"
asyncio_default_fixture_loop_scope = "function"
addopts = "--strict-markers -p no:cacheprovider"
markers = [
    "integration: talks to real services",  # keep this comment
]
"""

TEST_ORDERS = '''\
"""Order tests."""
import asyncio


class OrderTestBase:
    def setup_method(self, method):
        self.log = [method.__name__]


class TestOrders(OrderTestBase):
    async def setup_method(self, method):
        await super().setup_method(method)
        self.orders = {"o1": "open"}

    async def test_close(self):
        await asyncio.sleep(0)
        self.orders["o1"] = "closed"
        assert self.log == ["test_close"]

    def test_count(self):
        assert len(self.orders) == 1


def test_total():
    total = await asyncio.sleep(0, 42)
    assert total == 42
'''

TEST_MARKERS = """\
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.auth_handshake]


@pytest.mark.backend
def test_routes():
    assert True


@pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.slow_db)])
def test_numbers(n):
    assert n
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _pytest(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )


def _codemod(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codemods", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )


def test_netra_remediation_makes_a_strict_pytest_suite_pass(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "tests" / "test_orders.py").write_text(TEST_ORDERS)
    (project / "tests" / "test_markers.py").write_text(TEST_MARKERS)

    before = _pytest(project)
    assert before.returncode != 0
    assert "'auth_handshake' not found in `markers`" in before.stdout
    assert "'await' outside async function" in before.stdout

    # Without the SyntaxError and the marker errors, the remaining breakages show too.
    broken_parts = tmp_path / "parts"
    (broken_parts / "tests").mkdir(parents=True)
    (broken_parts / "pyproject.toml").write_text(PYPROJECT)
    (broken_parts / "tests" / "test_orders.py").write_text(
        TEST_ORDERS.split("\n\ndef test_total")[0] + "\n"
    )
    partial = _pytest(broken_parts)
    assert partial.returncode != 0
    assert "has no attribute 'orders'" in partial.stdout  # setup_method never awaited
    assert "test_close" in partial.stdout  # the unmarked async test does not pass

    applied = _codemod("apply", "netra-remediation", str(project), "--color", "never", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr

    after = _pytest(project)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "6 passed" in after.stdout

    config = (project / "pyproject.toml").read_text()
    assert '"integration: talks to real services",  # keep this comment' in config
    for name in ("backend", "slow_db", "websocket_authentication"):
        assert f'"{name}: ' in config
    assert '"asyncio: ' not in config and '"parametrize: ' not in config

    again = _codemod("apply", "netra-remediation", str(project), "--check", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr


def test_netra_demo_example_passes_after_remediation(example_copy: Path) -> None:
    mine = [
        "tests/test_metrics_setup.py",
        "tests/test_async_agents.py",
        "tests/test_websocket_auth.py",
        "tests/test_backend_routes.py",
    ]
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *mine]
    before = subprocess.run(run, cwd=example_copy, capture_output=True, text=True, env=_env())
    assert before.returncode != 0
    applied = _codemod("apply", "netra-remediation", ".", cwd=example_copy)
    assert applied.returncode == 0, applied.stderr
    after = subprocess.run(run, cwd=example_copy, capture_output=True, text=True, env=_env())
    assert after.returncode == 0, after.stdout + after.stderr
    assert (EXAMPLE / "tests" / "test_backend_routes.py").read_text() == (
        example_copy / "tests" / "test_backend_routes.py"
    ).read_text()


FIXTURE_MODE_TESTS = """\
import asyncio

import pytest

LOG = []


class FakeClient:
    async def connect(self):
        await asyncio.sleep(0)
        self.connected = True

    async def close(self):
        await asyncio.sleep(0)
        LOG.append("client closed")


class ClientTestBase:
    def setup_method(self, method):
        LOG.append(f"base setup {method.__name__}")

    def teardown_method(self, method):
        LOG.append("base teardown")


class TestClient(ClientTestBase):
    async def setup_method(self, method):
        await super().setup_method(method)
        self.client = FakeClient()
        self.name = method.__name__
        await self.client.connect()

    async def teardown_method(self, method):
        await self.client.close()
        await super().teardown_method(method)

    def test_sync_sees_the_client(self):
        assert self.client.connected and self.name == "test_sync_sees_the_client"

    @pytest.mark.asyncio
    async def test_async_sees_the_client(self):
        assert self.client.connected


def test_order():
    assert LOG == [
        "base setup test_sync_sees_the_client",
        "client closed",
        "base teardown",
        "base setup test_async_sees_the_client",
        "client closed",
        "base teardown",
    ]
"""


def test_sync_setup_methods_fixture_mode_under_real_pytest_asyncio(tmp_path: Path) -> None:
    project = tmp_path / "client"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "tests" / "test_client.py").write_text(FIXTURE_MODE_TESTS)
    recipe = tmp_path / "async-setup-to-fixture.yaml"
    recipe.write_text(
        "title: Async setup methods become async autouse fixtures\n"
        "description: Opt-in fixture mode.\n"
        "steps:\n  - sync_setup_methods:\n      other_awaits: fixture\n"
    )
    assert _pytest(project).returncode != 0

    held_back = _codemod("apply", str(recipe), str(project), cwd=tmp_path)
    assert "async def setup_method" in (project / "tests" / "test_client.py").read_text()
    assert "--unsafe" in held_back.stderr

    applied = _codemod("apply", str(recipe), str(project), "--unsafe", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    source = (project / "tests" / "test_client.py").read_text()
    assert "@pytest_asyncio.fixture(autouse=True)" in source
    after = _pytest(project)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "3 passed" in after.stdout
