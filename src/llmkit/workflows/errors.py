"""The errors a workflow raises: at definition load, while evaluating, while running."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import LLMKitError

if TYPE_CHECKING:
    from .results import WorkflowResult

__all__ = [
    "CircuitOpen",
    "ExpressionError",
    "StepFailed",
    "StepTimeout",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowInputError",
]


class WorkflowError(LLMKitError):
    """Base of every workflow error; `step_id` names the step when one is to blame."""

    def __init__(self, message: str, *, step_id: str | None = None) -> None:
        super().__init__(message)
        self.step_id = step_id


class WorkflowDefinitionError(WorkflowError):
    """A definition is invalid; the message names the source, the step id and the field."""

    def __init__(
        self,
        message: str,
        *,
        source: str = "<definition>",
        step_id: str | None = None,
        field: str | None = None,
    ) -> None:
        where = [source]
        if step_id is not None:
            where.append(f"step {step_id!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}", step_id=step_id)
        self.source = source
        self.field = field


class ExpressionError(WorkflowError):
    """An expression or template failed at run time; names the step and the expression."""

    def __init__(self, message: str, *, step_id: str | None, expression: str) -> None:
        super().__init__(
            f"step {step_id!r}: expression {expression!r} failed: {message}", step_id=step_id
        )
        self.expression = expression


class StepFailed(WorkflowError):
    """A step raised; the original exception is the ``__cause__``."""


class StepTimeout(StepFailed):
    """A step ran past its `timeout`."""


class CircuitOpen(StepFailed):
    """The step's circuit breaker is open, so the step failed without running.

    `circuit` is the breaker's name; `retry_after` the seconds left until a trial call.
    """

    def __init__(self, message: str, *, step_id: str, circuit: str, retry_after: float) -> None:
        super().__init__(message, step_id=step_id)
        self.circuit = circuit
        self.retry_after = retry_after


class WorkflowInputError(WorkflowError):
    """The workflow input does not match the workflow's `input_schema`."""


class WorkflowFailed(WorkflowError):
    """A run failed; `result` holds the step records gathered up to the failure and the
    compensations that ran (``result.compensations``)."""

    def __init__(self, message: str, *, result: WorkflowResult, step_id: str | None = None) -> None:
        super().__init__(message, step_id=step_id)
        self.result = result

    @property
    def compensated(self) -> list[str]:
        """Keys of the steps whose compensation ran and succeeded, in the order it ran."""
        return [c.step for c in self.result.compensations if c.status == "success"]
