"""`CheckpointStorage`: what every checkpoint store backend offers.

`CheckpointStore` (SQLite) and `llmkit.storage.PostgresCheckpointStore` implement it;
`run_durable`, `resume` and the ``llmkit workflow`` commands take either.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from .approval import PendingApproval
from .checkpoints import RunInfo, RunStatus, RunSummary, StepCheckpoint

__all__ = ["CheckpointStorage"]


@runtime_checkable
class CheckpointStorage(Protocol):
    """Durable runs and their top-level step checkpoints, persisted by a backend."""

    #: The file or database the store is in, for messages (no password).
    where: str

    async def create_run(
        self,
        run_id: str,
        workflow: str,
        input: Any,
        *,
        definition: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> None:
        """Record a new ``running`` run; a run id already stored is a `CheckpointError`."""
        ...

    async def get_run(self, run_id: str) -> RunInfo:
        """The stored run."""
        ...

    async def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        workflow: str | None = None,
        limit: int | None = None,
    ) -> list[RunSummary]:
        """Runs newest first, optionally filtered."""
        ...

    async def load_steps(self, run_id: str) -> list[StepCheckpoint]:
        """The run's step checkpoints in running order."""
        ...

    async def step_started(
        self, run_id: str, step_id: str, *, position: int, idempotent: bool
    ) -> None:
        """Record that a step is about to run; `RunCancelled` if the run was cancelled."""
        ...

    async def step_finished(
        self,
        run_id: str,
        step_id: str,
        output_json: str,
        *,
        position: int | None = None,
        flush: bool = True,
    ) -> None:
        """Record a step's JSON output and mark it ``finished``."""
        ...

    async def step_failed(self, run_id: str, step_id: str, error: str) -> None:
        """Mark a step ``failed``."""
        ...

    async def set_status(self, run_id: str, status: RunStatus, error: str | None = None) -> None:
        """Set a run's status, clearing any pending approval."""
        ...

    async def pause(self, run_id: str, pending: PendingApproval) -> None:
        """Mark the run ``paused`` at an approval."""
        ...

    async def run_status(self, run_id: str) -> RunStatus:
        """Just the run's status."""
        ...

    async def cancel(self, run_id: str, reason: str = "cancelled") -> RunStatus:
        """Mark a run ``cancelled``; return the status it had."""
        ...

    async def close(self) -> None:
        """Release the backend; later calls raise."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
