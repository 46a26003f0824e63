"""The SQLite schema of the checkpoint store; `PRAGMA user_version` is its version.

Migration ``i`` takes a database from version ``i`` to ``i + 1``; later releases append to
`MIGRATIONS` and never edit old ones (see `llmkit.memory.schema.migrate`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["MIGRATIONS"]


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE runs (
            run_id   TEXT PRIMARY KEY,
            workflow TEXT NOT NULL,
            input    TEXT NOT NULL,
            status   TEXT NOT NULL
                     CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
            error    TEXT,
            created  REAL NOT NULL,
            updated  REAL NOT NULL
        )
        """
    )
    # One row per top-level step; `position` lets a resume check the definition matches.
    conn.execute(
        """
        CREATE TABLE steps (
            run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
            step_id    TEXT NOT NULL,
            position   INTEGER NOT NULL,
            status     TEXT NOT NULL CHECK (status IN ('started', 'finished', 'failed')),
            output     TEXT,
            error      TEXT,
            idempotent INTEGER NOT NULL,
            started    REAL NOT NULL,
            finished   REAL,
            PRIMARY KEY (run_id, step_id)
        ) WITHOUT ROWID
        """
    )


def _control_v2(conn: sqlite3.Connection) -> None:
    """Runs can be ``paused`` (at an approval) or ``cancelled``, and keep their definition.

    SQLite cannot change a CHECK constraint in place, so both tables are rebuilt: the new
    ones are filled, the old child then parent dropped (so no ON DELETE CASCADE fires on
    copied rows), and the renames repoint the foreign key.
    """
    conn.execute(
        """
        CREATE TABLE runs_v2 (
            run_id     TEXT PRIMARY KEY,
            workflow   TEXT NOT NULL,
            input      TEXT NOT NULL,
            status     TEXT NOT NULL CHECK (status IN
                       ('running', 'completed', 'failed', 'interrupted', 'paused', 'cancelled')),
            error      TEXT,
            created    REAL NOT NULL,
            updated    REAL NOT NULL,
            definition TEXT,
            source     TEXT,
            pending    TEXT
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE steps_v2 (
            run_id     TEXT NOT NULL REFERENCES runs_v2(run_id) ON DELETE CASCADE,
            step_id    TEXT NOT NULL,
            position   INTEGER NOT NULL,
            status     TEXT NOT NULL CHECK (status IN ('started', 'finished', 'failed')),
            output     TEXT,
            error      TEXT,
            idempotent INTEGER NOT NULL,
            started    REAL NOT NULL,
            finished   REAL,
            PRIMARY KEY (run_id, step_id)
        ) WITHOUT ROWID
        """
    )
    conn.execute(
        "INSERT INTO runs_v2 (run_id, workflow, input, status, error, created, updated)"
        " SELECT run_id, workflow, input, status, error, created, updated FROM runs"
    )
    conn.execute("INSERT INTO steps_v2 SELECT * FROM steps")
    conn.execute("DROP TABLE steps")
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
    conn.execute("ALTER TABLE steps_v2 RENAME TO steps")
    # `list_runs` filters by status and sorts newest first.
    conn.execute("CREATE INDEX runs_by_created ON runs(created)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_v1, _control_v2]
