"""`PostgresRecorder`: events recorded to PostgreSQL, in batched transactions.

The same design as `SqliteRecorder`: the bus handler only queues, a writer thread writes
what accumulated as one batch, here through ``COPY`` (one round trip for the batch).
PostgreSQL refuses some text that events may carry (NUL, lone surrogates): payloads are
JSON with escapes, so they survive; a batch that still fails is written again row by row,
with what cannot be stored replaced, so one odd event never loses its neighbours.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..events.errors import RecordingError
from ..events.event import Event
from ..events.event_rows import EVENT_COLUMNS, event_row, row_event, select_events_sql
from ..events.filters import Filter
from ..events.queryable import QueryableRecorder
from ..events.recorder import select
from .postgres_schema import migrate
from .postgres_text import storable_text
from .urls import import_psycopg, redact

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresRecorder", "query_postgres"]

# ensure_ascii: a lone surrogate in a payload travels as an escape and reads back as it was.
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=repr).encode


def _create_v1(conn: psycopg.Connection) -> None:
    # `seq` keeps the order events were recorded in, which replay must reproduce.
    conn.execute(
        """
        CREATE TABLE events (
            seq           BIGSERIAL PRIMARY KEY,
            id            TEXT NOT NULL,
            name          TEXT NOT NULL,
            category      TEXT NOT NULL,
            severity      TEXT NOT NULL,
            timestamp     DOUBLE PRECISION NOT NULL,
            run_id        TEXT,
            parent_run_id TEXT,
            trace_id      TEXT,
            payload       TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX events_by_time ON events(timestamp)")


_MIGRATIONS = (_create_v1,)


class PostgresRecorder(QueryableRecorder):
    """Records events to a PostgreSQL database, one transaction per batch.

    `url` is a ``postgresql://`` URL; recordings from many processes may share a database.
    """

    _conn: psycopg.Connection

    def __init__(self, url: str, *, max_pending: int = 1_000_000, interval: float = 0.05) -> None:
        self.url = url
        #: The URL without its password, for messages.
        self.where = redact(url)
        super().__init__(Path(self.where), max_pending=max_pending, interval=interval)

    def _open(self) -> None:
        psycopg = import_psycopg()
        try:
            conn = psycopg.connect(self.url, autocommit=True)
            try:
                migrate(conn, "events", _MIGRATIONS)
            except BaseException:
                conn.close()
                raise
        except psycopg.Error as exc:
            raise RecordingError(f"cannot open {self.where} for recording: {exc}") from exc
        self._conn = conn

    def _write(self, batch: list[Event]) -> None:
        encode = _encode
        rows = [event_row(e, encode) for e in batch]
        psycopg = import_psycopg()
        try:
            self._copy(rows)
        except (psycopg.DataError, UnicodeEncodeError):
            # Some event holds text PostgreSQL refuses: keep every row, cleaned.
            self._copy([tuple(_clean(value) for value in row) for row in rows])

    def _copy(self, rows: list[tuple[Any, ...]]) -> None:
        conn = self._conn
        with (
            conn.transaction(),
            conn.cursor() as cur,
            cur.copy(f"COPY events ({EVENT_COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def _shut(self) -> None:
        self._conn.close()

    def _reader(self) -> Callable[..., list[Event]]:
        return functools.partial(query_postgres, self.url)


def _clean(value: Any) -> Any:
    return storable_text(value) if isinstance(value, str) else value


def query_postgres(
    url: str,
    *,
    filter: Filter | None = None,
    since: float | None = None,
    until: float | None = None,
    pattern: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """The events recorded in PostgreSQL at `url` with `since <= timestamp < until` that
    match; time range and exact names are narrowed in SQL, the rest in Python."""
    psycopg = import_psycopg()
    sql, args, pattern = select_events_sql(
        "%s", filtered=filter is not None, since=since, until=until, pattern=pattern, limit=limit
    )
    try:
        with psycopg.connect(url) as conn:
            rows = conn.execute(sql, args).fetchall()
    except psycopg.Error as exc:
        raise RecordingError(f"cannot read the events in {redact(url)}: {exc}") from exc
    events = (row_event(redact(url), row) for row in rows)
    return select(events, filter=filter, pattern=pattern, limit=limit)
