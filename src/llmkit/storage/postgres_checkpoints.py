"""`PostgresCheckpointStore`: durable-run checkpoints in PostgreSQL, `CheckpointStore`'s API.

Every write is one transaction that first locks the run's row, so a step never starts
after its run was cancelled, even when the cancel comes from another machine (a Dask
cluster's coordinator and a ``llmkit workflow cancel`` elsewhere share one database).
JSON columns are text holding JSON escapes, so NUL and lone surrogates survive.
``flush=False`` commits with ``synchronous_commit = off``: for outputs a resume could
recompute, the commit does not wait for the WAL flush.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from ..workflows.approval import PendingApproval
from ..workflows.checkpoints import (
    CheckpointError,
    RunCancelled,
    RunStatus,
    RunSummary,
    StoredRowReader,
    check_listing,
    encode,
    summary,
)
from .postgres_text import ascii_json, storable_text, unstorable_reason
from .postgres_worker import PostgresWorker

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresCheckpointStore"]


def _create_v1(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE runs (
            seq        BIGSERIAL UNIQUE,
            run_id     TEXT PRIMARY KEY,
            workflow   TEXT NOT NULL,
            input      TEXT NOT NULL,
            status     TEXT NOT NULL CHECK (status IN
                       ('running', 'completed', 'failed', 'interrupted', 'paused', 'cancelled')),
            error      TEXT,
            created    DOUBLE PRECISION NOT NULL,
            updated    DOUBLE PRECISION NOT NULL,
            definition TEXT,
            source     TEXT,
            pending    TEXT
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE steps (
            run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
            step_id    TEXT NOT NULL,
            position   INTEGER NOT NULL,
            status     TEXT NOT NULL CHECK (status IN ('started', 'finished', 'failed')),
            output     TEXT,
            error      TEXT,
            idempotent BOOLEAN NOT NULL,
            started    DOUBLE PRECISION NOT NULL,
            finished   DOUBLE PRECISION,
            PRIMARY KEY (run_id, step_id)
        )
        """
    )
    conn.execute("CREATE INDEX runs_by_created ON runs(created)")


_STEP_UPSERT = (
    "INSERT INTO steps (run_id, step_id, position, status, idempotent, started)"
    " VALUES (%s, %s, %s, 'started', %s, %s)"
    " ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'started', output = NULL,"
    " error = NULL, finished = NULL, position = excluded.position,"
    " idempotent = excluded.idempotent, started = excluded.started"
)
_STEP_FINISH = (
    "UPDATE steps SET status = 'finished', output = %s, finished = %s"
    " WHERE run_id = %s AND step_id = %s"
)
_STEP_FINISH_AT = (
    "INSERT INTO steps VALUES (%s, %s, %s, 'finished', %s, NULL, TRUE, %s, %s)"
    " ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'finished',"
    " output = excluded.output, error = NULL, finished = excluded.finished"
)


class PostgresCheckpointStore(StoredRowReader, PostgresWorker):
    """Runs and step checkpoints in a PostgreSQL database (see `CheckpointStore`)."""

    component = "checkpoints"
    migrations = (_create_v1,)
    thread_name = "llmkit-pg-ckpt"
    _mark = "%s"

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
        _check_name(run_id, "run id", run_id)
        _check_name(workflow, "workflow name", run_id)
        encoded = ascii_json(encode(input, run_id=run_id, what="the workflow input"))
        stored = (
            None if definition is None else ascii_json(encode(definition, run_id=run_id, what="it"))
        )

        def write(conn: psycopg.Connection) -> None:
            now = time.time()
            cur = conn.execute(
                "INSERT INTO runs (run_id, workflow, input, status, created, updated,"
                " definition, source) VALUES (%s, %s, %s, 'running', %s, %s, %s, %s)"
                " ON CONFLICT (run_id) DO NOTHING",
                (run_id, workflow, encoded, now, now, stored, _loose(source)),
            )
            if cur.rowcount == 0:
                raise CheckpointError(
                    f"run {run_id!r} already exists in {self.where}; resume it instead",
                    run_id=run_id,
                )

        await self._run(write)

    async def list_runs(
        self,
        *,
        status: RunStatus | None = None,
        workflow: str | None = None,
        limit: int | None = None,
    ) -> list[RunSummary]:
        """Runs newest first, optionally only those with `status` or of `workflow`."""
        check_listing(status, limit)
        sql = (
            "SELECT run_id, workflow, status, error, created, updated, pending FROM runs"
            " WHERE (%(status)s::text IS NULL OR status = %(status)s)"
            " AND (%(workflow)s::text IS NULL OR workflow = %(workflow)s)"
            " ORDER BY created DESC, seq DESC LIMIT %(limit)s"
        )
        params = {"status": status, "workflow": workflow, "limit": limit}
        rows = await self._fetch(sql, params)
        return [summary((*row[:6], _waiting_on(row[6]))) for row in rows]

    async def step_started(
        self, run_id: str, step_id: str, *, position: int, idempotent: bool
    ) -> None:
        """Record that a step is about to run; `RunCancelled` if its run was cancelled."""
        _check_name(step_id, "step id", run_id)

        def write(conn: psycopg.Connection, now: float) -> int:
            if self._locked_status(conn, run_id) == "cancelled":
                raise RunCancelled(
                    f"run {run_id!r} was cancelled; stopped before step {step_id!r}",
                    run_id=run_id,
                )
            return conn.execute(_STEP_UPSERT, (run_id, step_id, position, idempotent, now)).rowcount

        await self._write(run_id, write)

    async def step_finished(
        self,
        run_id: str,
        step_id: str,
        output_json: str,
        *,
        position: int | None = None,
        flush: bool = True,
    ) -> None:
        """Record a step's JSON output and mark it ``finished`` (see `CheckpointStore`)."""
        _check_name(step_id, "step id", run_id)
        output = ascii_json(output_json)

        def write(conn: psycopg.Connection, now: float) -> int:
            if position is None:
                return conn.execute(_STEP_FINISH, (output, now, run_id, step_id)).rowcount
            params = (run_id, step_id, position, output, now, now)
            return conn.execute(_STEP_FINISH_AT, params).rowcount

        await self._write(run_id, write, flush=flush)

    async def step_failed(self, run_id: str, step_id: str, error: str) -> None:
        """Mark a step ``failed`` (it raised; its effects are unknown)."""
        sql = (
            "UPDATE steps SET status = 'failed', error = %s, finished = %s"
            " WHERE run_id = %s AND step_id = %s"
        )
        await self._write(
            run_id,
            lambda conn, now: conn.execute(sql, (_loose(error), now, run_id, step_id)).rowcount,
        )

    async def set_status(self, run_id: str, status: RunStatus, error: str | None = None) -> None:
        """Set a run's status (and error message), clearing any pending approval."""
        if status == "cancelled":
            raise CheckpointError("use cancel() to cancel a run", run_id=run_id)
        await self._transition(run_id, status, error, pending=None)

    async def pause(self, run_id: str, pending: PendingApproval) -> None:
        """Mark the run ``paused``, waiting for the decision `pending` describes."""
        encoded = encode(pending.to_dict(), run_id=run_id, what="the pending approval")
        await self._transition(run_id, "paused", None, pending=ascii_json(encoded))

    async def run_status(self, run_id: str) -> RunStatus:
        """Just the run's status: cheap enough to check before every step."""
        return await self._run(lambda conn: self._status_of(conn, run_id, lock=False))

    async def cancel(self, run_id: str, reason: str = "cancelled") -> RunStatus:
        """Mark a run ``cancelled`` and return the status it had (see `CheckpointStore`)."""

        def write(conn: psycopg.Connection) -> RunStatus:
            with conn.transaction():
                previous = self._locked_status(conn, run_id)
                if previous == "completed":
                    raise CheckpointError(
                        f"run {run_id!r} has completed; there is nothing to cancel",
                        run_id=run_id,
                    )
                if previous != "cancelled":
                    conn.execute(
                        "UPDATE runs SET status = 'cancelled', error = %s, pending = NULL,"
                        " updated = %s WHERE run_id = %s",
                        (_loose(reason), time.time(), run_id),
                    )
            return previous

        return await self._run(write)

    async def _transition(
        self, run_id: str, status: RunStatus, error: str | None, *, pending: str | None
    ) -> None:
        def write(conn: psycopg.Connection) -> None:
            with conn.transaction():
                if self._locked_status(conn, run_id) == "cancelled":
                    raise RunCancelled(f"run {run_id!r} was cancelled", run_id=run_id)
                conn.execute(
                    "UPDATE runs SET status = %s, error = %s, pending = %s, updated = %s"
                    " WHERE run_id = %s",
                    (status, _loose(error), pending, time.time(), run_id),
                )

        await self._run(write)

    async def _write(self, run_id: str, statement: Any, *, flush: bool = True) -> None:
        # `statement(conn, now)` and the run's `updated` stamp commit together or not at all.
        def write(conn: psycopg.Connection) -> None:
            now = time.time()
            with conn.transaction():
                if not flush:
                    conn.execute("SET LOCAL synchronous_commit = off")
                if statement(conn, now) == 0:
                    raise CheckpointError(f"no such run or step in run {run_id!r}", run_id=run_id)
                conn.execute("UPDATE runs SET updated = %s WHERE run_id = %s", (now, run_id))

        await self._run(write)

    def _locked_status(self, conn: psycopg.Connection, run_id: str) -> RunStatus:
        return self._status_of(conn, run_id, lock=True)

    def _status_of(self, conn: psycopg.Connection, run_id: str, *, lock: bool) -> RunStatus:
        sql = "SELECT status FROM runs WHERE run_id = %s" + (" FOR UPDATE" if lock else "")
        row = conn.execute(sql, (run_id,)).fetchone()
        if row is None:
            raise CheckpointError(f"no run {run_id!r} in {self.where}", run_id=run_id)
        status: RunStatus = row[0]
        return status

    def _closed_error(self) -> Exception:
        return CheckpointError(f"the checkpoint store at {self.where} is closed")

    def _failure(self, exc: Exception) -> Exception:
        return CheckpointError(f"checkpoint database {self.where}: {exc}")


def _check_name(value: object, what: str, run_id: object) -> None:
    if not isinstance(value, str):
        raise CheckpointError(f"a {what} must be a string, got {value!r}")
    reason = unstorable_reason(value)
    if reason is not None:
        raise CheckpointError(
            f"{what} {value!r} cannot be stored in PostgreSQL: {reason}",
            run_id=run_id if isinstance(run_id, str) else None,
        )


def _loose(text: str | None) -> str | None:
    # Error messages and reasons are free text: keep what can be kept rather than fail.
    return None if text is None else storable_text(text)


def _waiting_on(pending: str | None) -> str | None:
    # Read leniently, like SQLite's json_valid guard: a damaged row still lists.
    if pending is None:
        return None
    try:
        step = json.loads(pending).get("step_id")
    except (ValueError, AttributeError):
        return None
    return step if isinstance(step, str) else None
