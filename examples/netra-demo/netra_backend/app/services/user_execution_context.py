"""Per-request execution context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserExecutionContext:
    user_id: str
    request_id: str
    thread_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_request(cls, user_id: str, request_id: str, **extra: Any) -> UserExecutionContext:
        return cls(user_id=user_id, request_id=request_id, metadata=dict(extra))
