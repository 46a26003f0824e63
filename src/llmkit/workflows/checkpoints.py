"""`CheckpointStore`: durable-run checkpoints (runs and their top-level steps) in SQLite.

Like `ConversationStore`, one worker thread owns the connection, the file is in WAL mode,
`PRAGMA user_version` versions the schema and every write is one transaction. The default
``synchronous=FULL`` makes a checkpoint survive power loss too, not only a process crash.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..memory.errors import StorageError
from ..memory.schema import Synchronous
from ..memory.worker import SqliteWorker
from ..memory.writes import transaction
from .checkpoint_schema import MIGRATIONS
from .errors import WorkflowError

__all__ = [
    "CheckpointError",
    "CheckpointStore",
    "RunInfo",
    "RunStatus",
    "StepCheckpoint",
    "StepCheckpointStatus",
]


RunStatus = Literal["running", "completed", "failed", "interrupted"]
StepCheckpointStatus = Literal["started", "finished", "failed"]


class CheckpointError(WorkflowError):
    """The checkpoint store cannot do what was asked: a corrupted or foreign file, a
    corrupted row, an unknown or duplicate run, an output that is not JSON."""

    def __init__(
        self, message: str, *, run_id: str | None = None, step_id: str | None = None
    ) -> None:
        super().__init__(message, step_id=step_id)
        self.run_id = run_id


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """One durable run as stored."""

    run_id: str
    workflow: str
    input: Any
    status: RunStatus
    error: str | None
    created: float
    updated: float


@dataclass(frozen=True, slots=True, kw_only=True)
class StepCheckpoint:
    """One top-level step of a run; `output` is set once it is ``finished``."""

    step_id: str
    position: int
    status: StepCheckpointStatus
    output: Any
    error: str | None
    idempotent: bool
    started: float
    finished: float | None


class CheckpointStore(SqliteWorker):
    """Runs and step checkpoints in one SQLite file; call `close` (or ``async with``)."""

    migrations = MIGRATIONS
    thread_name = "llmkit-ckpt"

    def __init__(
        self, path: str | Path, *, synchronous: Synchronous = "FULL", busy_timeout: float = 5.0
    ) -> None:
        super().__init__(path, synchronous=synchronous, busy_timeout=busy_timeout)

    async def create_run(self, run_id: str, workflow: str, input: Any) -> None:
        """Record a new ``running`` run; a run id already stored is a `CheckpointError`."""
        encoded = encode(input, run_id=run_id, what="the workflow input")

        def write(conn: sqlite3.Connection) -> None:
            now = time.time()
            with transaction(conn):
                if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                    raise CheckpointError(
                        f"run {run_id!r} already exists in {self.path}; resume it instead",
                        run_id=run_id,
                    )
                conn.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, 'running', NULL, ?, ?)",
                    (run_id, workflow, encoded, now, now),
                )

        await self._run(write)

    async def get_run(self, run_id: str) -> RunInfo:
        """The stored run; an unknown run id is a `CheckpointError`."""
        sql = "SELECT workflow, input, status, error, created, updated FROM runs WHERE run_id = ?"
        row = await self._run(lambda conn: conn.execute(sql, (run_id,)).fetchone())
        if row is None:
            raise CheckpointError(f"no run {run_id!r} in {self.path}", run_id=run_id)
        workflow, raw, status, error, created, updated = row
        return RunInfo(
            run_id=run_id,
            workflow=workflow,
            input=decode(raw, run_id=run_id, what="the workflow input"),
            status=status,
            error=error,
            created=created,
            updated=updated,
        )

    async def load_steps(self, run_id: str) -> list[StepCheckpoint]:
        """The run's step checkpoints in running order."""
        sql = (
            "SELECT step_id, position, status, output, error, idempotent, started, finished"
            " FROM steps WHERE run_id = ? ORDER BY position"
        )
        rows = await self._run(lambda conn: conn.execute(sql, (run_id,)).fetchall())
        return [
            StepCheckpoint(
                step_id=sid,
                position=pos,
                status=status,
                output=(
                    decode(out, run_id=run_id, step_id=sid, what=f"the output of step {sid!r}")
                    if status == "finished"
                    else None
                ),
                error=error,
                idempotent=bool(idem),
                started=started,
                finished=finished,
            )
            for sid, pos, status, out, error, idem, started, finished in rows
        ]

    async def step_started(
        self, run_id: str, step_id: str, *, position: int, idempotent: bool
    ) -> None:
        """Record that a step is about to run (again, for an idempotent re-run)."""
        sql = (
            "INSERT INTO steps VALUES (?, ?, ?, 'started', NULL, NULL, ?, ?, NULL)"
            " ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'started', output = NULL,"
            " error = NULL, finished = NULL, position = excluded.position,"
            " idempotent = excluded.idempotent, started = excluded.started"
        )
        await self._write(
            run_id, sql, lambda now: (run_id, step_id, position, int(idempotent), now)
        )

    async def step_finished(self, run_id: str, step_id: str, output_json: str) -> None:
        """Record a step's JSON output and mark it ``finished``, in one transaction."""
        sql = (
            "UPDATE steps SET status = 'finished', output = ?, finished = ?"
            " WHERE run_id = ? AND step_id = ?"
        )
        await self._write(run_id, sql, lambda now: (output_json, now, run_id, step_id))

    async def step_failed(self, run_id: str, step_id: str, error: str) -> None:
        """Mark a step ``failed`` (it raised; its effects are unknown)."""
        sql = (
            "UPDATE steps SET status = 'failed', error = ?, finished = ?"
            " WHERE run_id = ? AND step_id = ?"
        )
        await self._write(run_id, sql, lambda now: (error, now, run_id, step_id))

    async def set_status(self, run_id: str, status: RunStatus, error: str | None = None) -> None:
        """Set a run's status (and error message)."""
        sql = "UPDATE runs SET status = ?, error = ? WHERE run_id = ?"
        await self._write(run_id, sql, lambda now: (status, error, run_id))

    async def _write(
        self, run_id: str, sql: str, params: Callable[[float], tuple[Any, ...]]
    ) -> None:
        # The statement and the run's `updated` stamp commit together or not at all.
        def write(conn: sqlite3.Connection) -> None:
            stamp = time.time()
            with transaction(conn):
                cur = conn.execute(sql, params(stamp))
                conn.execute("UPDATE runs SET updated = ? WHERE run_id = ?", (stamp, run_id))
                if cur.rowcount == 0:
                    raise CheckpointError(f"no such run or step in run {run_id!r}", run_id=run_id)

        await self._run(write)

    def _closed_error(self) -> Exception:
        return CheckpointError(f"the checkpoint store at {self.path} is closed")

    def _failure(self, exc: sqlite3.Error | StorageError) -> Exception:
        hint = ""
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.OperationalError | sqlite3.IntegrityError
        ):
            hint = " (the file is corrupted or is not a checkpoint database)"
        return CheckpointError(f"checkpoint database {self.path}: {exc}{hint}")


def encode(value: Any, *, run_id: str, what: str, step_id: str | None = None) -> str:
    """`value` as JSON, or a `CheckpointError` saying it cannot be checkpointed."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"run {run_id!r}: {what} is not JSON and cannot be checkpointed: {exc}",
            run_id=run_id,
            step_id=step_id,
        ) from exc


def decode(raw: Any, *, run_id: str, what: str, step_id: str | None = None) -> Any:
    """A stored JSON value, or a `CheckpointError` naming the corrupted row."""
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"run {run_id!r}: {what} is corrupted in the checkpoint database: {exc}",
            run_id=run_id,
            step_id=step_id,
        ) from exc
