"""``--ray-address``: a run on a cluster started apart (``ray start --head`` on loopback)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import codemod, make_repo

if not os.environ.get("CI"):  # in CI, Ray must be there (.ci/run installs codemods[ray])
    pytest.importorskip("ray")

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parent.parent / "examples" / "netra-demo"
#: Every Ray server on 127.0.0.1, and token authentication with a token of this test's own
#: (the head and each client need the same one, as on a real cluster).
LOOPBACK = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "token",
    "RAY_AUTH_TOKEN": secrets.token_hex(16),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A head node in its own process group, ended (the whole group) at the end."""
    port = _free_port()
    ray_cli = Path(sys.executable).with_name("ray")
    log = tmp_path_factory.mktemp("ray-head") / "head.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [
                str(ray_cli),
                "start",
                "--head",
                "--block",
                f"--port={port}",
                "--num-cpus=2",
                "--node-ip-address=127.0.0.1",
                "--include-dashboard=false",
                "--disable-usage-stats",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **LOOPBACK},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"ray start --head did not come up: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        started = _descendants(proc.pid)  # workers may sit in sessions of their own
        os.killpg(proc.pid, signal.SIGTERM)  # `ray start --block` stops what it started
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in started):
            time.sleep(0.5)
        for pid in started:  # only processes this fixture started
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, waiting for its parent


def test_a_run_on_a_given_cluster_gives_the_pools_patch(head: str, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(DEMO, demo)
    make_repo(demo)
    pool = codemod(demo, "preview", "netra-remediation", "--patch", str(tmp_path / "pool.patch"))
    assert pool.returncode == 0, pool.stderr
    env = {**LOOPBACK}
    on_ray = codemod(
        demo,
        "preview",
        "netra-remediation",
        "--executor",
        "ray",
        "--ray-address",
        head,
        "--no-cache",
        "--patch",
        str(tmp_path / "ray.patch"),
        real=True,
        env=env,
    )
    assert on_ray.returncode == 0, on_ray.stderr
    assert on_ray.stdout == pool.stdout
    assert (tmp_path / "ray.patch").read_bytes() == (tmp_path / "pool.patch").read_bytes()
    # the cluster outlives the run: a second run joins it again
    again = codemod(
        demo,
        "apply",
        "netra-remediation",
        "--executor",
        "ray",
        "--ray-address",
        head,
        real=True,
        env=env,
    )
    assert again.returncode == 0, again.stderr
    assert b"9 files changed" in again.stderr


def test_without_an_address_a_run_starts_its_own_cluster(head: str, tmp_path: Path) -> None:
    """A cluster already running on the machine (``head``) is not joined by accident."""
    demo = tmp_path / "demo"
    shutil.copytree(DEMO, demo)
    make_repo(demo)
    pool = codemod(demo, "preview", "netra-remediation", "--patch", str(tmp_path / "pool.patch"))
    on_ray = codemod(
        demo,
        "preview",
        "netra-remediation",
        "--executor",
        "ray",
        "--jobs",
        "2",
        "--patch",
        str(tmp_path / "ray.patch"),
        real=True,
        env=LOOPBACK,
    )
    assert on_ray.returncode == 0, on_ray.stderr
    assert (tmp_path / "ray.patch").read_bytes() == (tmp_path / "pool.patch").read_bytes()
    assert pool.stdout == on_ray.stdout
