"""Async tests written before pytest-asyncio ran in strict mode."""

import asyncio

import pytest


async def test_agent_answers():
    await asyncio.sleep(0)
    assert "pong" == "pong"


class TestSupervisor:
    async def test_supervisor_runs_agents(self):
        results = await asyncio.gather(asyncio.sleep(0, "a"), asyncio.sleep(0, "b"))
        assert results == ["a", "b"]

    @pytest.mark.asyncio
    async def test_already_marked(self):
        assert await asyncio.sleep(0, True)


def test_awaits_without_async():
    value = await asyncio.sleep(0, 42)
    assert value == 42
