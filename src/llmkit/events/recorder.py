"""`Recorder`: the base of the event recorders, a bus subscriber with a writer thread.

`record` (the bus handler) only appends to a deque, so recording costs the emitter well
under a microsecond; a background thread wakes every `interval` seconds, serialises what
accumulated and writes it as one batch. `flush` puts a marker in the same deque and waits
for the writer to reach it, so it returns once everything recorded before it is written.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

from .bus import EventBus, Subscription
from .errors import RecordingError
from .event import Event
from .filters import Filter
from .patterns import compile_pattern

__all__ = ["Recorder", "select"]

logger = logging.getLogger("llmkit.events")

_BATCH = 10_000


class Recorder:
    """Records events to a file from a background thread; subclasses say how.

    When more than `max_pending` events wait for the writer, new ones are dropped and
    counted in `dropped` (the bus is never blocked on disk). Use as a context manager,
    or call `close`.
    """

    def __init__(
        self, path: str | Path, *, max_pending: int = 1_000_000, interval: float = 0.05
    ) -> None:
        self.path = Path(path)
        self.max_pending = max_pending
        self.interval = interval
        #: Events dropped because the writer fell `max_pending` behind.
        self.dropped = 0
        #: Events lost because writing them failed (each failure is logged).
        self.failed = 0
        self._queue: deque[Event | threading.Event] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._subs: list[tuple[EventBus, Subscription]] = []
        self._open()  # In the caller's thread, so a bad path fails here, loudly.
        self._thread = threading.Thread(
            target=self._run, name=f"llmkit-events-{type(self).__name__}", daemon=True
        )
        self._thread.start()

    # Subclass hooks, all but `_open` called on the writer thread.

    def _open(self) -> None:
        raise NotImplementedError

    def _write(self, batch: list[Event]) -> None:
        raise NotImplementedError

    def _sync(self) -> None:
        """Make what `_write` wrote visible to readers (flush buffers)."""

    def _shut(self) -> None:
        raise NotImplementedError

    # Recording

    def attach(
        self, bus: EventBus, pattern: str = "**", *, filter: Filter | None = None
    ) -> Subscription:
        """Record the events of `bus` that match `pattern` (and `filter`)."""
        self._check_open()
        sub = bus.subscribe(pattern, self.record, filter=filter)
        self._subs.append((bus, sub))
        return sub

    def record(self, event: Event) -> None:
        """Queue one event for writing (what `attach` subscribes)."""
        queue = self._queue
        if len(queue) >= self.max_pending or self._closed:
            self.dropped += 1
            return
        queue.append(event)

    def flush(self) -> None:
        """Block until every event recorded so far is written."""
        self._check_open()
        self._wait_for_writer()

    async def aflush(self) -> None:
        """`flush` without blocking the event loop."""
        import asyncio  # Only async callers pay for importing it.

        await asyncio.to_thread(self.flush)

    def close(self) -> None:
        """Detach from every bus, write what is queued and stop the writer; idempotent."""
        if self._closed:
            return
        for bus, sub in self._subs:
            bus.unsubscribe(sub)
        self._subs.clear()
        self._wait_for_writer()
        self._closed = True
        self._stopping = True
        self._wake.set()
        self._thread.join()

    async def aclose(self) -> None:
        """`close` without blocking the event loop."""
        import asyncio

        await asyncio.to_thread(self.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RecordingError(f"the recorder of {self.path} is closed")

    def _wait_for_writer(self) -> None:
        marker = threading.Event()
        self._queue.append(marker)
        self._wake.set()
        while not marker.wait(0.1):
            if not self._thread.is_alive():
                raise RecordingError(f"the writer thread of {self.path} has stopped")

    # The writer thread

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait(self.interval)
                self._wake.clear()
                self._drain()
                if self._stopping and not self._queue:
                    return
        finally:
            try:
                self._shut()
            except Exception:
                logger.exception("closing the event recording %s failed", self.path)

    def _drain(self) -> None:
        queue = self._queue
        batch: list[Event] = []
        while queue:
            item = queue.popleft()
            if isinstance(item, Event):
                batch.append(item)
                if len(batch) < _BATCH:
                    continue
            self._write_safely(batch)
            batch = []
            if not isinstance(item, Event):
                self._sync_safely()
                item.set()
        self._write_safely(batch)

    def _write_safely(self, batch: list[Event]) -> None:
        if not batch:
            return
        try:
            self._write(batch)
        except Exception:
            # A full disk must not kill the writer: count the loss and keep going.
            self.failed += len(batch)
            logger.exception("recording %d events to %s failed", len(batch), self.path)

    def _sync_safely(self) -> None:
        try:
            self._sync()
        except Exception:
            logger.exception("flushing the event recording %s failed", self.path)


def select(
    events: Iterable[Event],
    *,
    filter: Filter | None = None,
    since: float | None = None,
    until: float | None = None,
    pattern: str | None = None,
    limit: int | None = None,
) -> list[Event]:
    """The events with `since <= timestamp < until` matching `pattern` and `filter`."""
    matcher = compile_pattern(pattern) if pattern is not None else None
    found: list[Event] = []
    if limit is not None and limit <= 0:
        return found
    for event in events:
        if since is not None and event.timestamp < since:
            continue
        if until is not None and event.timestamp >= until:
            continue
        if matcher is not None and not matcher(event.name):
            continue
        if filter is not None and not filter(event):
            continue
        found.append(event)
        if limit is not None and len(found) >= limit:
            break
    return found
