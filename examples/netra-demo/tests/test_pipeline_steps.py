"""Pipeline tests, written when `PipelineStep` was the step configuration dataclass."""

from netra_backend.app.agents.base.interface import ExecutionStatus
from netra_backend.app.agents.supervisor.execution_context import PipelineStep


def build(names: list[str]) -> "list[PipelineStep]":
    return [PipelineStep(agent_name=name) for name in names]


def test_pipeline_defaults():
    steps = build(["triage", "report"])
    assert all(isinstance(step, PipelineStep) for step in steps)
    assert steps[0].timeout == 30.0


def test_status_values():
    assert ExecutionStatus.PENDING.value == "pending"
