"""The registry of agents available to the supervisor."""

from __future__ import annotations

from typing import Any

DEFAULT_LIMIT = 10


class RegistryError(LookupError):
    """Raised for an unknown agent name."""


class AgentRegistry:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._agents: dict[str, Any] = {}

    def register(self, name: str, agent: Any) -> None:
        if len(self._agents) >= self.limit:
            raise RegistryError(f"registry is full ({self.limit} agents)")
        self._agents[name] = agent

    def get(self, name: str) -> Any:
        try:
            return self._agents[name]
        except KeyError:
            raise RegistryError(name) from None


_registry: AgentRegistry | None = None


def get_agent_registry() -> AgentRegistry:
    global _registry
    if _registry is None:
        _registry = AgentRegistry()
    return _registry
