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


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_v1]
