"""What a run leaves behind: one record per step and the workflow's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .approval import PendingApproval

__all__ = ["CompensationRecord", "StepRecord", "StepStatus", "WorkflowResult"]

StepStatus = Literal["pending", "running", "success", "failed", "cancelled"]


@dataclass(slots=True, kw_only=True)
class StepRecord:
    """One step's outcome. Times are `time.time()` seconds; `error` is the message.

    `fallback` is the key of the fallback step when the step failed and its fallback gave
    the output; the status is then ``success`` and `error` says why the step itself failed.

    Steps inside loops keep the record of their last iteration; steps inside a map
    iteration are keyed ``map_id[index].step_id``, inside a sub-workflow ``step_id.sub_id``.
    """

    status: StepStatus = "pending"
    output: Any = None
    error: str | None = None
    attempts: int = 0
    started: float | None = None
    finished: float | None = None
    fallback: str | None = None


@dataclass(slots=True, kw_only=True)
class CompensationRecord:
    """The compensation of one step after its workflow failed.

    `step` is the key of the step that was undone; `error` says why its compensation
    failed (the compensation steps' own records are in ``WorkflowResult.steps``).
    """

    step: str
    status: Literal["success", "failed"]
    error: str | None = None


@dataclass(slots=True, kw_only=True)
class WorkflowResult:
    """A finished run: its output, the final state and every step record by key.

    `paused` is set when a durable run stopped at an approval step instead of finishing;
    `output` is then None and `state` holds what ran so far.
    """

    output: Any
    state: dict[str, Any]
    steps: dict[str, StepRecord] = field(default_factory=dict)
    compensations: list[CompensationRecord] = field(default_factory=list)
    paused: PendingApproval | None = None
