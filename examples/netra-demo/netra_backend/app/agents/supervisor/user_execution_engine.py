"""Runs a user's agents with that user's execution context."""

from __future__ import annotations

from typing import Any

from netra_backend.app.agents.supervisor.agent_registry import AgentRegistry
from netra_backend.app.services.user_execution_context import UserExecutionContext


class UserExecutionEngine:
    def __init__(self, context: UserExecutionContext, registry: AgentRegistry) -> None:
        self.context = context
        self.registry = registry

    def run(self, agent_name: str, *args: Any) -> Any:
        return self.registry.get(agent_name)(self.context, *args)
