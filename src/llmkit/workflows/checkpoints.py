"""`CheckpointStore`: durable-run checkpoints (runs and their top-level steps) in SQLite.

Like `ConversationStore`, one worker thread owns the connection, the file is in WAL mode,
`PRAGMA user_version` versions the schema and every write is one transaction. The default
``synchronous=FULL`` makes a checkpoint survive power loss too, not only a process crash.

Besides checkpoints, the store is where runs are controlled from outside the process that
runs them: `list_runs`, `get_run` (with the stored definition and a pending approval) and
`cancel`, which a running durable run notices at its next top-level step.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..memory.errors import StorageError
from ..memory.schema import Synchronous
from ..memory.worker import SqliteWorker
from ..memory.writes import transaction
from .approval import PendingApproval
from .checkpoint_schema import MIGRATIONS
from .errors import WorkflowError

__all__ = [
    "CheckpointError",
    "CheckpointStore",
    "RunCancelled",
    "RunInfo",
    "RunStatus",
    "RunSummary",
    "StepCheckpoint",
    "StepCheckpointStatus",
]


RunStatus = Literal["running", "completed", "failed", "interrupted", "paused", "cancelled"]
RUN_STATUSES: tuple[RunStatus, ...] = (
    "running",
    "completed",
    "failed",
    "interrupted",
    "paused",
    "cancelled",
)
StepCheckpointStatus = Literal["started", "finished", "failed"]


class CheckpointError(WorkflowError):
    """The checkpoint store cannot do what was asked: a corrupted or foreign file, a
    corrupted row, an unknown or duplicate run, an output that is not JSON."""

    def __init__(
        self, message: str, *, run_id: str | None = None, step_id: str | None = None
    ) -> None:
        super().__init__(message, step_id=step_id)
        self.run_id = run_id


class RunCancelled(WorkflowError):
    """The run was cancelled (`CheckpointStore.cancel`): it stops at its next top-level
    step and cannot be resumed."""

    def __init__(self, message: str, *, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """One line of `CheckpointStore.list_runs`; `waiting_on` is a paused run's step."""

    run_id: str
    workflow: str
    status: RunStatus
    error: str | None
    created: float
    updated: float
    waiting_on: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """One durable run as stored: `definition` is the workflow as plain data (see
    `workflow_to_dict`), `source` the file it came from, `pending` what a paused run
    waits for."""

    run_id: str
    workflow: str
    input: Any
    status: RunStatus
    error: str | None
    created: float
    updated: float
    definition: dict[str, Any] | None = None
    source: str | None = None
    pending: PendingApproval | None = None


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


class StoredRowReader:
    """The read side shared by every checkpoint store backend: `get_run` and `load_steps`,
    and reading stored JSON back, where a value that does not decode is a
    `CheckpointError` naming the database, the run and the step."""

    #: The file or database the store is in, for messages (no password).
    where: str
    #: The SQL parameter placeholder of the backend (``?`` or ``%s``).
    _mark: str

    if TYPE_CHECKING:  # each backend's `ConnectionThread` provides it

        async def _fetch(self, sql: str, params: Any = None) -> list[Any]:
            """The rows `sql` selects, run on the backend's connection."""

    async def get_run(self, run_id: str) -> RunInfo:
        """The stored run; an unknown run id or a corrupted row is a `CheckpointError`."""
        rows = await self._fetch(
            "SELECT workflow, input, status, error, created, updated, definition, source,"
            f" pending FROM runs WHERE run_id = {self._mark}",
            (run_id,),
        )
        if not rows:
            raise CheckpointError(f"no run {run_id!r} in {self.where}", run_id=run_id)
        workflow, raw, status, error, created, updated, definition, source, pending = rows[0]
        if status not in RUN_STATUSES:
            raise self._corrupted(run_id, f"its status {status!r} is unknown")
        return RunInfo(
            run_id=run_id,
            workflow=workflow,
            input=self._decode(raw, run_id, "the workflow input"),
            status=status,
            error=error,
            created=created,
            updated=updated,
            definition=(
                None if definition is None else self._decode(definition, run_id, "its definition")
            ),
            source=source,
            pending=self._pending(pending, run_id),
        )

    async def load_steps(self, run_id: str) -> list[StepCheckpoint]:
        """The run's step checkpoints in running order."""
        rows = await self._fetch(
            "SELECT step_id, position, status, output, error, idempotent, started, finished"
            f" FROM steps WHERE run_id = {self._mark} ORDER BY position",
            (run_id,),
        )
        return [
            StepCheckpoint(
                step_id=sid,
                position=pos,
                status=status,
                output=(
                    self._decode(out, run_id, f"the output of step {sid!r}", step_id=sid)
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

    def _decode(self, raw: Any, run_id: str, what: str, *, step_id: str | None = None) -> Any:
        try:
            return json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise self._corrupted(run_id, f"{what} is not JSON: {exc}", step_id) from exc

    def _pending(self, raw: str | None, run_id: str) -> PendingApproval | None:
        if raw is None:
            return None
        try:
            return PendingApproval.from_dict(json.loads(raw))
        except ValueError as exc:
            raise self._corrupted(run_id, f"its pending approval is unreadable: {exc}") from exc

    def _corrupted(self, run_id: str, problem: str, step_id: str | None = None) -> CheckpointError:
        return CheckpointError(
            f"checkpoint database {self.where}, run {run_id!r}: {problem} (the row is corrupted)",
            run_id=run_id,
            step_id=step_id,
        )


class CheckpointStore(StoredRowReader, SqliteWorker):
    """Runs and step checkpoints in one SQLite file; call `close` (or ``async with``)."""

    migrations = MIGRATIONS
    thread_name = "llmkit-ckpt"
    _mark = "?"

    def __init__(
        self, path: str | Path, *, synchronous: Synchronous = "FULL", busy_timeout: float = 5.0
    ) -> None:
        super().__init__(path, synchronous=synchronous, busy_timeout=busy_timeout)
        self.where = str(self.path)

    async def create_run(
        self,
        run_id: str,
        workflow: str,
        input: Any,
        *,
        definition: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> None:
        """Record a new ``running`` run, with its definition and source file if given.

        A run id already stored is a `CheckpointError`.
        """
        encoded = encode(input, run_id=run_id, what="the workflow input")
        stored = None if definition is None else encode(definition, run_id=run_id, what="it")

        def write(conn: sqlite3.Connection) -> None:
            now = time.time()
            with transaction(conn):
                if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                    raise CheckpointError(
                        f"run {run_id!r} already exists in {self.path}; resume it instead",
                        run_id=run_id,
                    )
                conn.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, 'running', NULL, ?, ?, ?, ?, NULL)",
                    (run_id, workflow, encoded, now, now, stored, source),
                )

        await self._run(write)

    async def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        workflow: str | None = None,
        limit: int | None = None,
    ) -> list[RunSummary]:
        """Runs newest first, optionally only those with `status` or of `workflow`.

        Only plain columns are read, so a run whose stored JSON is damaged still lists.
        """
        check_listing(status, limit)
        sql = (
            "SELECT run_id, workflow, status, error, created, updated,"
            " CASE WHEN json_valid(pending) THEN json_extract(pending, '$.step_id') END"
            " FROM runs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR workflow = ?2)"
            " ORDER BY created DESC, rowid DESC LIMIT ?3"
        )
        params = (status, workflow, -1 if limit is None else limit)
        rows = await self._fetch(sql, params)
        return [summary(row) for row in rows]

    async def step_started(
        self, run_id: str, step_id: str, *, position: int, idempotent: bool
    ) -> None:
        """Record that a step is about to run (again, for an idempotent re-run).

        Raises:
            RunCancelled: The run was cancelled; nothing is recorded. Checked in the same
                transaction, so a step never starts after its run was cancelled.
        """
        sql = (
            "INSERT INTO steps VALUES (?, ?, ?, 'started', NULL, NULL, ?, ?, NULL)"
            " ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'started', output = NULL,"
            " error = NULL, finished = NULL, position = excluded.position,"
            " idempotent = excluded.idempotent, started = excluded.started"
        )

        def refuse_if_cancelled(conn: sqlite3.Connection) -> None:
            if self._status_of(conn, run_id) == "cancelled":
                raise RunCancelled(
                    f"run {run_id!r} was cancelled; stopped before step {step_id!r}",
                    run_id=run_id,
                )

        await self._write(
            run_id,
            sql,
            lambda now: (run_id, step_id, position, int(idempotent), now),
            first=refuse_if_cancelled,
        )

    async def step_finished(
        self,
        run_id: str,
        step_id: str,
        output_json: str,
        *,
        position: int | None = None,
        flush: bool = True,
    ) -> None:
        """Record a step's JSON output and mark it ``finished``, in one transaction.

        With a `position`, the step need not have been recorded as started (a step that
        can safely run again skips that). ``flush=False`` commits without waiting for the
        disk even under ``synchronous=FULL``: for outputs a resumed run could recompute.
        The next flushed commit makes them durable too (it syncs the whole WAL).
        """
        if position is None:
            sql = (
                "UPDATE steps SET status = 'finished', output = ?, finished = ?"
                " WHERE run_id = ? AND step_id = ?"
            )

            def params(now: float) -> tuple[Any, ...]:
                return (output_json, now, run_id, step_id)

        else:
            sql = (
                "INSERT INTO steps VALUES (?, ?, ?, 'finished', ?, NULL, 1, ?, ?)"
                " ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'finished',"
                " output = excluded.output, error = NULL, finished = excluded.finished"
            )

            def params(now: float) -> tuple[Any, ...]:
                return (run_id, step_id, position, output_json, now, now)

        await self._write(run_id, sql, params, flush=flush)

    async def step_failed(self, run_id: str, step_id: str, error: str) -> None:
        """Mark a step ``failed`` (it raised; its effects are unknown)."""
        sql = (
            "UPDATE steps SET status = 'failed', error = ?, finished = ?"
            " WHERE run_id = ? AND step_id = ?"
        )
        await self._write(run_id, sql, lambda now: (error, now, run_id, step_id))

    async def set_status(self, run_id: str, status: RunStatus, error: str | None = None) -> None:
        """Set a run's status (and error message), clearing any pending approval.

        Raises:
            RunCancelled: The run was cancelled; its status stays ``cancelled``.
        """
        if status == "cancelled":
            raise CheckpointError("use cancel() to cancel a run", run_id=run_id)
        await self._transition(run_id, status, error, pending=None)

    async def pause(self, run_id: str, pending: PendingApproval) -> None:
        """Mark the run ``paused``, waiting for the decision `pending` describes."""
        encoded = encode(pending.to_dict(), run_id=run_id, what="the pending approval")
        await self._transition(run_id, "paused", None, pending=encoded)

    async def run_status(self, run_id: str) -> RunStatus:
        """Just the run's status: cheap enough to check before every step."""
        return await self._run(lambda conn: self._status_of(conn, run_id))

    async def cancel(self, run_id: str, reason: str = "cancelled") -> RunStatus:
        """Mark a run ``cancelled`` and return the status it had.

        A process running it stops at its next top-level step; it can never be resumed.
        Cancelling a cancelled run changes nothing.

        Raises:
            CheckpointError: The run is unknown or already ``completed``.
        """

        def write(conn: sqlite3.Connection) -> RunStatus:
            with transaction(conn):
                previous = self._status_of(conn, run_id)
                if previous == "completed":
                    raise CheckpointError(
                        f"run {run_id!r} has completed; there is nothing to cancel",
                        run_id=run_id,
                    )
                if previous != "cancelled":
                    conn.execute(
                        "UPDATE runs SET status = 'cancelled', error = ?, pending = NULL,"
                        " updated = ? WHERE run_id = ?",
                        (reason, time.time(), run_id),
                    )
            return previous

        return await self._run(write)

    async def _transition(
        self, run_id: str, status: RunStatus, error: str | None, *, pending: str | None
    ) -> None:
        # A cancelled run stays cancelled, whatever the process still running it says.
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if self._status_of(conn, run_id) == "cancelled":
                    raise RunCancelled(f"run {run_id!r} was cancelled", run_id=run_id)
                conn.execute(
                    "UPDATE runs SET status = ?, error = ?, pending = ?, updated = ?"
                    " WHERE run_id = ?",
                    (status, error, pending, time.time(), run_id),
                )

        await self._run(write)

    async def _write(
        self,
        run_id: str,
        sql: str,
        params: Callable[[float], tuple[Any, ...]],
        *,
        first: Callable[[sqlite3.Connection], None] | None = None,
        flush: bool = True,
    ) -> None:
        # The statement and the run's `updated` stamp commit together or not at all.
        relax = not flush and self.synchronous in ("FULL", "EXTRA")

        def write(conn: sqlite3.Connection) -> None:
            stamp = time.time()
            if relax:
                conn.execute("PRAGMA synchronous = NORMAL")
            try:
                with transaction(conn):
                    if first is not None:
                        first(conn)
                    cur = conn.execute(sql, params(stamp))
                    conn.execute("UPDATE runs SET updated = ? WHERE run_id = ?", (stamp, run_id))
                    if cur.rowcount == 0:
                        raise CheckpointError(
                            f"no such run or step in run {run_id!r}", run_id=run_id
                        )
            finally:
                if relax:
                    conn.execute(f"PRAGMA synchronous = {self.synchronous}")

        await self._run(write)

    def _status_of(self, conn: sqlite3.Connection, run_id: str) -> RunStatus:
        row = conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise CheckpointError(f"no run {run_id!r} in {self.path}", run_id=run_id)
        status: RunStatus = row[0]
        return status

    def _closed_error(self) -> Exception:
        return CheckpointError(f"the checkpoint store at {self.path} is closed")

    def _failure(self, exc: sqlite3.Error | StorageError) -> Exception:
        hint = ""
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.OperationalError | sqlite3.IntegrityError
        ):
            hint = " (the file is corrupted or is not a checkpoint database)"
        return CheckpointError(f"checkpoint database {self.path}: {exc}{hint}")


def check_listing(status: RunStatus | None, limit: int | None) -> None:
    """`CheckpointError` unless `list_runs` can take this `status` and `limit`."""
    if status is not None and status not in RUN_STATUSES:
        raise CheckpointError(f"unknown run status {status!r}; known: {list(RUN_STATUSES)}")
    if limit is not None and limit < 1:
        raise CheckpointError(f"limit must be >= 1, got {limit}")


def summary(row: tuple[Any, ...]) -> RunSummary:
    """The `RunSummary` of a row of run_id, workflow, status, error, created, updated and
    the step a paused run waits on (anything but a string reads as none)."""
    run_id, workflow, status, error, created, updated, waiting = row
    return RunSummary(
        run_id=run_id,
        workflow=workflow,
        status=status,
        error=error,
        created=created,
        updated=updated,
        waiting_on=waiting if isinstance(waiting, str) else None,
    )


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
