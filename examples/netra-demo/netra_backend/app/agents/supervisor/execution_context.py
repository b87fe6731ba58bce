"""Pipeline execution types: a step of the pipeline enum, and the configuration of a step."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class PipelineStep(Enum):
    """Where the pipeline is (this name used to belong to the dataclass below)."""

    INITIALIZATION = "initialization"
    EXECUTION = "execution"
    COMPLETION = "completion"


@dataclass
class PipelineStepConfig:
    """The configuration of one pipeline step (formerly the `PipelineStep` dataclass)."""

    agent_name: str
    timeout: float = 30.0
    metadata: dict[str, Any] = field(default_factory=dict)
