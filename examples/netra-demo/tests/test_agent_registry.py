"""Registry tests, written when the registry lived in netra_backend.app.core.agent_registry."""

from unittest import mock

import netra_backend.app.core.user_execution_engine as engine_module
import pytest
from netra_backend.app.core.agent_registry import (
    AgentRegistry,
    RegistryError,
    get_agent_registry,
)
from netra_backend.app.services.user_execution_context import UserExecutionContext


def test_register_and_get():
    registry = AgentRegistry(limit=1)
    registry.register("triage", print)
    assert registry.get("triage") is print
    with pytest.raises(RegistryError):
        registry.register("report", print)


# The engine looks agents up through netra_backend.app.core.agent_registry.AgentRegistry.get
@mock.patch("netra_backend.app.core.agent_registry.AgentRegistry.get")
def test_engine_uses_the_registry(get):
    get.return_value = lambda context, value: (context.user_id, value)
    context = UserExecutionContext(user_id="u1", request_id="r1")
    engine = engine_module.UserExecutionEngine(context, get_agent_registry())
    assert engine.run("triage", 2) == ("u1", 2)


def test_fresh_registry():
    with mock.patch("netra_backend.app.core.agent_registry._registry", None):
        registry = get_agent_registry()
    with pytest.raises(RegistryError):
        registry.get("missing")
