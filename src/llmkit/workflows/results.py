"""What a run leaves behind: one record per step and the workflow's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["StepRecord", "StepStatus", "WorkflowResult"]

StepStatus = Literal["pending", "running", "success", "failed", "cancelled"]


@dataclass(slots=True, kw_only=True)
class StepRecord:
    """One step's outcome. Times are `time.time()` seconds; `error` is the message.

    Steps inside loops keep the record of their last iteration; steps inside a map
    iteration are keyed ``map_id[index].step_id``, inside a sub-workflow ``step_id.sub_id``.
    """

    status: StepStatus = "pending"
    output: Any = None
    error: str | None = None
    attempts: int = 0
    started: float | None = None
    finished: float | None = None


@dataclass(slots=True, kw_only=True)
class WorkflowResult:
    """A finished run: its output, the final state and every step record by key."""

    output: Any
    state: dict[str, Any]
    steps: dict[str, StepRecord] = field(default_factory=dict)
