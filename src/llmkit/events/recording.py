"""Recording events to files: `JsonlRecorder` here, `SqliteRecorder` beside it.

Both record from a bus through a background writer thread (see `Recorder`) and answer
`query`. `load_events` reads either kind of file without recording to it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .errors import EventError, RecordingError
from .event import Event
from .filters import Filter
from .queryable import QueryableRecorder
from .recorder import select
from .sqlite_recorder import SqliteRecorder, is_sqlite_file, query_sqlite

__all__ = ["JsonlRecorder", "SqliteRecorder", "load_events", "query_jsonl"]

# Plain `json` with a repr fallback: a recording never fails on an odd payload value.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=repr).encode


class JsonlRecorder(QueryableRecorder):
    """Appends events to a JSON Lines file, one `Event.to_json` object a line."""

    _file: IO[str]

    def _open(self) -> None:
        try:
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise RecordingError(f"cannot open {self.path} for recording: {exc}") from exc

    def _write(self, batch: list[Event]) -> None:
        encode = _encode
        self._file.write("".join([encode(event.to_dict()) + "\n" for event in batch]))

    def _sync(self) -> None:
        self._file.flush()

    def _shut(self) -> None:
        self._file.close()

    def _reader(self) -> Callable[..., list[Event]]:
        return functools.partial(query_jsonl, self.path)


def _read_jsonl(path: Path) -> Iterator[Event]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield Event.from_json(line)
            except EventError as exc:
                # A line cut short by a crash ends the readable part of the file.
                if not line.endswith("\n"):
                    return
                raise RecordingError(f"{path}, line {number}: {exc}") from exc


def query_jsonl(
    path: str | Path,
    *,
    filter: Filter | None = None,
    since: float | None = None,
    until: float | None = None,
    pattern: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """The events of a JSONL recording with `since <= timestamp < until` that match."""
    try:
        return select(
            _read_jsonl(Path(path)),
            filter=filter,
            since=since,
            until=until,
            pattern=pattern,
            limit=limit,
        )
    except OSError as exc:
        raise RecordingError(f"cannot read the recording {path}: {exc}") from exc


def load_events(
    path: str | Path,
    *,
    filter: Filter | None = None,
    since: float | None = None,
    until: float | None = None,
    pattern: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """The events of a recording, SQLite or JSONL (told apart by the file's header)."""
    query = query_sqlite if is_sqlite_file(path) else query_jsonl
    return query(path, filter=filter, since=since, until=until, pattern=pattern, limit=limit)
