"""Approval steps: a durable run pauses until a human approves or rejects.

An ``approval`` step renders its prompt and pauses the run: `run_durable` stores the run
as ``paused`` with a `PendingApproval` and returns a result whose ``paused`` says so. A
later ``resume(..., decision=ApprovalDecision.approve(value))`` continues from that step,
whose output is then ``{"approved": true, "value": value}``; a rejection fails the step
with `ApprovalRejected`, so ``continue_on_error`` applies as for any failed step.

Pausing needs somewhere to keep the run, so approval steps run only as top-level steps
of a durable run (validation refuses nested ones). In a plain `WorkflowRunner.run` an
approval step fails with `ApprovalError` saying so.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .definition import ApprovalStep
from .errors import StepFailed, WorkflowError
from .expressions import render
from .scope import Scope

if TYPE_CHECKING:
    from .engine import _Run
    from .results import StepRecord

__all__ = [
    "ApprovalDecision",
    "ApprovalError",
    "ApprovalRejected",
    "PauseForApproval",
    "PendingApproval",
    "approval_slot",
    "check_decision",
    "run_approval",
]


class ApprovalError(WorkflowError):
    """An approval cannot happen as asked: no durable run, a missing or invalid decision,
    a decision for a run that is not paused."""


class ApprovalRejected(StepFailed):
    """The human rejected the approval step; `reason` says why."""

    def __init__(self, message: str, *, step_id: str, reason: str) -> None:
        super().__init__(message, step_id=step_id)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalDecision:
    """A human's answer to a paused approval step: use `approve` or `reject`."""

    approved: bool
    value: Any = None
    reason: str | None = None

    @classmethod
    def approve(cls, value: Any = None) -> ApprovalDecision:
        """Approve, optionally with a value (one of the step's options, or any JSON)."""
        return cls(approved=True, value=value)

    @classmethod
    def reject(cls, reason: str = "rejected") -> ApprovalDecision:
        """Reject; the step fails with `ApprovalRejected` carrying `reason`."""
        return cls(approved=False, reason=reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingApproval:
    """What a paused run waits for: the step and its rendered prompt."""

    run_id: str
    step_id: str
    prompt: str
    options: list[Any] | None = None
    schema: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The pending approval as JSON-ready data."""
        return {
            "run_id": self.run_id,
            "step_id": self.step_id,
            "prompt": self.prompt,
            "options": self.options,
            "schema": self.schema,
        }

    @classmethod
    def from_dict(cls, data: Any) -> PendingApproval:
        """Load `to_dict` output; `ValueError` if it is not one."""
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) for k in ("run_id", "step_id", "prompt")
        ):
            raise ValueError(f"not a pending approval: {data!r}")
        return cls(
            run_id=data["run_id"],
            step_id=data["step_id"],
            prompt=data["prompt"],
            options=data.get("options"),
            schema=data.get("schema"),
        )


class PauseForApproval(BaseException):
    """Raised by an approval step to stop the run; the durable gate turns it into a pause.

    A `BaseException` on purpose: retries, ``continue_on_error`` and error hooks handle
    `Exception` and must not treat a pause as a failure.
    """

    def __init__(
        self, pending: PendingApproval, *, state: dict[str, Any], steps: dict[str, StepRecord]
    ) -> None:
        super().__init__(f"run {pending.run_id!r} paused at approval step {pending.step_id!r}")
        self.pending = pending
        self.state = state
        self.steps = steps


@dataclass(frozen=True, slots=True)
class _Slot:
    step_id: str
    decision: ApprovalDecision | None


# Set by the durable gate around one top-level approval step; unset everywhere else.
_SLOT: ContextVar[_Slot | None] = ContextVar("llmkit_workflow_approval", default=None)


@contextlib.contextmanager
def approval_slot(step_id: str, decision: ApprovalDecision | None) -> Iterator[None]:
    """Let the top-level step `step_id` pause (no `decision`) or take `decision`."""
    token = _SLOT.set(_Slot(step_id, decision))
    try:
        yield
    finally:
        _SLOT.reset(token)


def run_approval(run: _Run, step: ApprovalStep, scope: Scope) -> Any:
    """The approval executor: pause, return the approval, or raise the rejection."""
    slot = _SLOT.get()
    if slot is None or slot.step_id != step.id or scope.prefix:
        raise ApprovalError(
            f"step {step.id!r}: an approval step pauses the run, so it needs a durable run "
            "(run_durable or `llmkit workflow run`) and must be a top-level step of it",
            step_id=step.id,
        )
    decision = slot.decision
    if decision is None:
        prompt = render(step.prompt, scope.context(), step_id=step.id)
        pending = PendingApproval(
            run_id=run.run_id,
            step_id=step.id,
            prompt=prompt,
            options=step.options,
            schema=step.schema,
        )
        raise PauseForApproval(pending, state=scope.state, steps=run.records)
    if not decision.approved:
        reason = decision.reason or "rejected"
        raise ApprovalRejected(
            f"step {step.id!r}: approval rejected: {reason}", step_id=step.id, reason=reason
        )
    return {"approved": True, "value": decision.value}


def check_decision(pending: PendingApproval, decision: ApprovalDecision) -> None:
    """Raise `ApprovalError` unless `decision` fits the pending step's options/schema."""
    where = f"run {pending.run_id!r}, approval step {pending.step_id!r}"
    if not isinstance(decision, ApprovalDecision):
        raise ApprovalError(
            f"{where}: a decision is ApprovalDecision.approve(...) or .reject(...), "
            f"not {type(decision).__name__}"
        )
    if not decision.approved:
        return
    try:
        json.dumps(decision.value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ApprovalError(f"{where}: the approved value is not JSON: {exc}") from None
    if pending.options is not None and decision.value not in pending.options:
        raise ApprovalError(
            f"{where}: the approved value must be one of {pending.options}, got {decision.value!r}"
        )
    if pending.schema is not None:
        from ..schema import Schema, ValidationFailed

        try:
            Schema(pending.schema).validate(decision.value)
        except ValidationFailed as exc:
            raise ApprovalError(f"{where}: the approved value does not match: {exc}") from None
