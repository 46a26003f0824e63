"""Events as table rows, shared by the SQLite and PostgreSQL recorders: the columns, an
event's row, a row's event, and the ``SELECT`` a query narrows in SQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from .errors import RecordingError
from .event import Event, Severity
from .patterns import is_exact

__all__ = ["EVENT_COLUMNS", "event_row", "row_event", "select_events_sql"]

#: The columns of an event row, in the order `event_row` and `row_event` use.
EVENT_COLUMNS = "id, name, category, severity, timestamp, run_id, parent_run_id, trace_id, payload"


def event_row(event: Event, encode: Callable[[Any], str]) -> tuple[Any, ...]:
    """The values of `EVENT_COLUMNS` for `event`, its payload as JSON by `encode`."""
    e = event
    payload = encode(e.payload) if e.payload else "{}"
    return (
        e.id,
        e.name,
        e.category,
        e.severity,
        e.timestamp,
        e.run_id,
        e.parent_run_id,
        e.trace_id,
        payload,
    )


def row_event(where: str | Path, row: tuple[Any, ...]) -> Event:
    """The event a row of `EVENT_COLUMNS` holds; a payload that is not JSON is a
    `RecordingError` naming `where` (the file or database) and the event."""
    eid, name, category, severity, timestamp, run_id, parent, trace, payload = row
    try:
        decoded = json.loads(payload)
    except ValueError as exc:
        raise RecordingError(f"{where}: event {eid} has a corrupted payload: {exc}") from exc
    return Event(
        id=eid,
        name=name,
        category=category,
        severity=cast(Severity, severity),
        timestamp=timestamp,
        run_id=run_id,
        parent_run_id=parent,
        trace_id=trace,
        payload=decoded,
    )


def select_events_sql(
    mark: str,
    *,
    filtered: bool,
    since: float | None,
    until: float | None,
    pattern: str | None,
    limit: int | None,
) -> tuple[str, list[Any], str | None]:
    """The ``SELECT`` of the ``events`` table in recording order, narrowed to the time range
    and an exact name, its parameters (placeholder `mark`) and the pattern left to match in
    Python (None when SQL matched it). The limit is in SQL only when nothing is left to
    filter in Python (`filtered` says a `Filter` is)."""
    where: list[str] = []
    args: list[Any] = []
    if since is not None:
        where.append(f"timestamp >= {mark}")
        args.append(since)
    if until is not None:
        where.append(f"timestamp < {mark}")
        args.append(until)
    if pattern is not None and is_exact(pattern):
        where.append(f"name = {mark}")
        args.append(pattern)
        pattern = None
    sql = f"SELECT {EVENT_COLUMNS} FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq"
    if limit is not None and not filtered and pattern is None:
        sql += f" LIMIT {max(int(limit), 0)}"
    return sql, args, pattern
