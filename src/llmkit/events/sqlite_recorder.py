"""`SqliteRecorder`: events recorded to one SQLite file (WAL), in batched transactions.

The schema is versioned with ``PRAGMA user_version``; a later release appends to
`_MIGRATIONS` and never edits old steps, as the conversation store does.
"""

from __future__ import annotations

import functools
import itertools
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import RecordingError
from .event import Event
from .event_rows import EVENT_COLUMNS, event_row, row_event, select_events_sql
from .filters import Filter
from .queryable import QueryableRecorder
from .recorder import select

__all__ = ["SqliteRecorder", "is_sqlite_file", "query_sqlite"]

_INSERT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
# Rows per INSERT statement: one statement of 100 rows costs SQLite a third less than
# 100 of one row (fewer resets and steps); 900 parameters stay under every SQLite limit.
_ROWS_PER_INSERT = 100
_INSERT_MANY = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES " + ", ".join(
    ["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * _ROWS_PER_INSERT
)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=repr).encode


def _create_v1(conn: sqlite3.Connection) -> None:
    # `seq` keeps the order events were recorded in, which replay must reproduce.
    conn.execute(
        """
        CREATE TABLE events (
            seq           INTEGER PRIMARY KEY,
            id            TEXT NOT NULL,
            name          TEXT NOT NULL,
            category      TEXT NOT NULL,
            severity      TEXT NOT NULL,
            timestamp     REAL NOT NULL,
            run_id        TEXT,
            parent_run_id TEXT,
            trace_id      TEXT,
            payload       TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX events_by_time ON events(timestamp)")


_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_v1]


def _migrate(conn: sqlite3.Connection) -> None:
    target = len(_MIGRATIONS)
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > target:
            raise RecordingError(
                f"event database schema version {found} is newer than this llmkit "
                f"supports ({target}); upgrade llmkit"
            )
        for step in _MIGRATIONS[found:]:
            step(conn)
        conn.execute(f"PRAGMA user_version={target}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class SqliteRecorder(QueryableRecorder):
    """Records events to a SQLite file, one transaction per batch.

    The file survives reopening: a new recorder on it appends after what is there.
    `synchronous` is SQLite's setting; NORMAL (the default) survives a process crash.
    """

    _conn: sqlite3.Connection

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "NORMAL",
        max_pending: int = 1_000_000,
        interval: float = 0.05,
    ) -> None:
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA: {synchronous!r}")
        self.synchronous = synchronous
        super().__init__(path, max_pending=max_pending, interval=interval)

    def _open(self) -> None:
        try:
            # Autocommit: `_write` begins and commits each batch itself. Only the writer
            # thread uses the connection after this.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            try:
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise RecordingError(f"SQLite refused WAL mode for {self.path} ({mode!r})")
                conn.execute(f"PRAGMA synchronous={self.synchronous}")
                conn.execute("PRAGMA busy_timeout=5000")
                _migrate(conn)
            except BaseException:
                conn.close()
                raise
        except sqlite3.Error as exc:
            raise RecordingError(f"cannot open {self.path} for recording: {exc}") from exc
        self._conn = conn

    def _write(self, batch: list[Event]) -> None:
        encode = _encode
        rows = [event_row(e, encode) for e in batch]
        # One transaction per batch: commits, not rows, are what cost in SQLite. (Inserting
        # on a second thread to overlap with encoding measured slower: GIL hand-offs.)
        conn = self._conn
        conn.execute("BEGIN")
        try:
            _insert(conn, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _shut(self) -> None:
        self._conn.close()

    def _reader(self) -> Callable[..., list[Event]]:
        return functools.partial(query_sqlite, self.path)


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    step = _ROWS_PER_INSERT
    whole = len(rows) - len(rows) % step
    conn.executemany(
        _INSERT_MANY,
        (tuple(itertools.chain.from_iterable(rows[i : i + step])) for i in range(0, whole, step)),
    )
    conn.executemany(_INSERT, rows[whole:])


def is_sqlite_file(path: str | Path) -> bool:
    """Whether `path` starts with SQLite's file header."""
    try:
        with Path(path).open("rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def query_sqlite(
    path: str | Path,
    *,
    filter: Filter | None = None,
    since: float | None = None,
    until: float | None = None,
    pattern: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """The events of a SQLite recording with `since <= timestamp < until` that match.

    Time range and exact names are narrowed in SQL; wildcards and filters in Python.
    """
    sql, args, pattern = select_events_sql(
        "?", filtered=filter is not None, since=since, until=until, pattern=pattern, limit=limit
    )
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute(sql, args).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise RecordingError(f"cannot read the event database {path}: {exc}") from exc
    events = (row_event(path, row) for row in rows)
    return select(events, filter=filter, pattern=pattern, limit=limit)
