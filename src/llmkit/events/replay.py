"""Replaying recorded events onto a bus, and printing events as JSON lines.

`tail` and `replay_file` are what ``llmkit events tail`` and ``llmkit events replay``
call; they print one `Event.to_json` object a line to the stream they are given.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from .bus import EventBus
from .event import Event
from .filters import Filter
from .recording import load_events

__all__ = ["replay", "replay_file", "tail", "tail_file"]

# Gaps shorter than this are not slept: a timer costs more than it would keep.
_MIN_SLEEP = 0.001
# At full speed, yield to the loop this often so a long replay does not starve it.
_YIELD_EVERY = 1000


async def replay(
    events: Iterable[Event], bus: EventBus, *, speed: float = 1.0, seek: float = 0.0
) -> int:
    """Re-emit recorded events in their order, keeping their relative timing.

    Gaps between events are divided by `speed` (0 or infinity: no waiting at all). Events
    less than `seek` seconds after the first one are skipped, and the first kept one is
    emitted at once. Events keep their ids and timestamps. Returns how many were emitted.
    """
    if speed < 0 or math.isnan(speed):
        raise ValueError(f"speed must be >= 0, got {speed}")
    if seek < 0:
        raise ValueError(f"seek must be >= 0, got {seek}")
    timed = speed not in (0, math.inf)
    loop = asyncio.get_running_loop()
    first: float | None = None
    start = 0.0
    emitted = 0
    for event in events:
        if first is None:
            first = event.timestamp
        offset = event.timestamp - first - seek
        if offset < 0:
            continue
        if timed:
            if emitted == 0:
                start = loop.time() - offset / speed
            delay = start + offset / speed - loop.time()
            if delay >= _MIN_SLEEP:
                await asyncio.sleep(delay)
        elif emitted % _YIELD_EVERY == _YIELD_EVERY - 1:
            await asyncio.sleep(0)
        await bus.emit_async(event)
        emitted += 1
    return emitted


async def tail(
    bus: EventBus,
    pattern: str = "**",
    out: TextIO | None = None,
    *,
    filter: Filter | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Print every matching event of `bus` to `out` as a JSON line until `stop` is set.

    Without `stop` it runs until cancelled. `out` defaults to standard output.
    """
    sub = bus.subscribe(pattern, _printer(out), filter=filter)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        sub.cancel()


async def replay_file(
    path: str | Path,
    out: TextIO | None = None,
    *,
    speed: float = 1.0,
    seek: float = 0.0,
    pattern: str = "**",
    filter: Filter | None = None,
    bus: EventBus | None = None,
) -> int:
    """Replay a recording (SQLite or JSONL), printing each matching event as a JSON line.

    With `bus`, the events are also re-emitted on it. Returns how many were printed.
    """
    stream = out if out is not None else _stdout()
    target = bus if bus is not None else EventBus()
    printed = 0

    def show(event: Event) -> None:
        nonlocal printed
        printed += 1
        stream.write(event.to_json() + "\n")

    sub = target.subscribe(pattern, show, filter=filter)
    try:
        events = await asyncio.to_thread(load_events, path)
        await replay(events, target, speed=speed, seek=seek)
    finally:
        sub.cancel()
        stream.flush()
    return printed


async def tail_file(
    path: str | Path,
    pattern: str = "**",
    out: TextIO | None = None,
    *,
    filter: Filter | None = None,
    stop: asyncio.Event | None = None,
    poll: float = 0.2,
) -> None:
    """Follow a JSONL recording like ``tail -f``, printing new matching events.

    Starts at the end of the file; runs until `stop` is set or it is cancelled.
    """
    bus = EventBus()
    bus.subscribe(pattern, _printer(out), filter=filter)
    done = stop or asyncio.Event()
    # File calls go through a thread: a slow disk or network mount must not stall the loop.
    file = await asyncio.to_thread(Path(path).open, encoding="utf-8")
    try:
        await asyncio.to_thread(file.seek, 0, 2)
        partial = ""
        while not done.is_set():
            chunk = await asyncio.to_thread(file.read)
            if chunk:
                lines = (partial + chunk).split("\n")
                partial = lines.pop()  # A line the writer has not finished yet.
                for line in lines:
                    if line.strip():
                        bus.emit(Event.from_json(line))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), poll)
    finally:
        file.close()


def _printer(out: TextIO | None) -> Callable[[Event], None]:
    stream = out if out is not None else _stdout()

    def show(event: Event) -> None:
        # Flushed per line: someone is watching, or piping into another tool.
        stream.write(event.to_json() + "\n")
        stream.flush()

    return show


def _stdout() -> TextIO:
    import sys

    return sys.stdout
