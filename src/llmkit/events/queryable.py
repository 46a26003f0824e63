"""`QueryableRecorder`: a recorder that reads back what it recorded, with one `query`."""

from __future__ import annotations

from collections.abc import Callable

from .event import Event
from .filters import Filter
from .recorder import Recorder

__all__ = ["QueryableRecorder"]


class QueryableRecorder(Recorder):
    """A `Recorder` whose `query` flushes, then reads its store with `_reader`."""

    def _reader(self) -> Callable[..., list[Event]]:
        """The function reading this recorder's events, given `query`'s keywords."""
        raise NotImplementedError(f"{type(self).__name__} does not read its events back")

    def query(
        self,
        filter: Filter | None = None,
        *,
        since: float | None = None,
        until: float | None = None,
        pattern: str | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """Flush, then the recorded events with `since <= timestamp < until` that match."""
        self.flush()
        read = self._reader()
        return read(filter=filter, since=since, until=until, pattern=pattern, limit=limit)
