"""The SQLite schema of the conversation store and the migrations that build it.

`PRAGMA user_version` holds the schema version. Migration ``i`` takes a database from
version ``i`` to ``i + 1``; a later release appends functions to `MIGRATIONS` and never
edits the old ones, so every database, however old, walks the same path forward.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Literal

from .errors import StorageError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Synchronous", "configure", "migrate"]

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
"""SQLite's `synchronous` setting. In WAL mode NORMAL survives a process crash (a commit is
lost only on power loss or an OS crash); FULL also survives those, at an fsync per commit."""


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE conversations (
            id       TEXT PRIMARY KEY,
            created  REAL NOT NULL,
            updated  REAL NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    # One row per message; `seq` orders a conversation and is never reused by an append.
    conn.execute(
        """
        CREATE TABLE messages (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq             INTEGER NOT NULL,
            message         TEXT NOT NULL,
            token_count     INTEGER,
            created         REAL NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE INDEX conversations_by_updated ON conversations(updated)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_v1]
SCHEMA_VERSION = len(MIGRATIONS)


def configure(conn: sqlite3.Connection, *, synchronous: Synchronous, busy_timeout: float) -> None:
    """Set the per-connection pragmas: WAL, `synchronous`, foreign keys, busy timeout."""
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        # For example an in-memory database: the crash-safety promises would not hold.
        raise StorageError(f"SQLite refused WAL mode (journal_mode is {mode!r})")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")


def migrate(
    conn: sqlite3.Connection,
    migrations: Sequence[Callable[[sqlite3.Connection], None]] = MIGRATIONS,
) -> int:
    """Bring the schema up to ``len(migrations)`` in one transaction; return the old version.

    The connection must be in autocommit mode (``isolation_level=None``). Another process
    may migrate at the same time: the version is re-read under the write lock.
    """
    target = len(migrations)
    if _version(conn) == target:
        return target
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = _version(conn)
        if found > target:
            raise StorageError(
                f"database schema version {found} is newer than this llmkit supports "
                f"({target}); upgrade llmkit"
            )
        for step in migrations[found:]:
            step(conn)
        # user_version lives in the database header and commits with the transaction.
        conn.execute(f"PRAGMA user_version={target}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
