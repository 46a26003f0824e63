"""Events per second through `llmkit.events.EventBus`, plain and while recording.

    python bench/event_bus.py [--events 1000000]

Events are built before timing (building one costs about 1 µs and is measured on its
own line), so the figures are the bus's and the recorders' cost. Recording figures
include the final flush: every event is on disk when the clock stops.
Targets: >= 1,000,000 events/s to one sync subscriber; >= 200,000/s recording to SQLite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from llmkit.events import Event, EventBus, JsonlRecorder, SqliteRecorder


def make_events(n: int) -> list[Event]:
    names = ["tool.call.started", "tool.call.completed", "model.request.completed"]
    return [
        Event(name=names[i % 3], run_id="run-1", payload={"tool": "add", "i": i}) for i in range(n)
    ]


def rate(n: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return n / (time.perf_counter() - start)


def emit_all(bus: EventBus, events: list[Event]) -> None:
    emit = bus.emit
    for event in events:
        emit(event)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    n = parser.parse_args().events

    start = time.perf_counter()
    events = make_events(n)
    print(f"build Event objects            {n / (time.perf_counter() - start):>12,.0f} /s")

    bus = EventBus()
    print(f"emit, no subscribers           {rate(n, lambda: emit_all(bus, events)):>12,.0f} /s")

    seen = [0]

    def handler(event: Event) -> None:
        seen[0] += 1

    bus.subscribe("tool.**", handler)
    bus.subscribe("model.request.completed", handler)
    figure = rate(n, lambda: emit_all(bus, events))
    assert seen[0] == n
    print(f"emit, one sync subscriber      {figure:>12,.0f} /s   (target >= 1,000,000)")

    with tempfile.TemporaryDirectory() as tmp:
        for label, cls, target in [
            ("SQLite", SqliteRecorder, "   (target >=   200,000)"),
            ("JSONL", JsonlRecorder, ""),
        ]:
            path = Path(tmp) / f"events.{label.lower()}"
            recorder = cls(path)
            recording = EventBus()
            recorder.attach(recording)

            def run(
                recorder: SqliteRecorder | JsonlRecorder = recorder, recording: EventBus = recording
            ) -> None:
                emit_all(recording, events)
                recorder.flush()

            figure = rate(n, run)
            recorder.close()
            assert recorder.dropped == 0 and recorder.failed == 0
            size = path.stat().st_size / n
            print(
                f"emit + record to {label:<6} (flushed) {figure:>9,.0f} /s   "
                f"{size:.0f} B/event{target}"
            )


if __name__ == "__main__":
    main()
