"""Recording to JSONL and SQLite, querying, and replaying recordings."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from llmkit.events import (
    Event,
    EventBus,
    Field,
    JsonlRecorder,
    RecordingError,
    SqliteRecorder,
    load_events,
    replay,
    replay_file,
    tail,
)
from llmkit.events.recorder import Recorder
from llmkit.storage import PostgresRecorder, query_postgres

Recorders = [JsonlRecorder, SqliteRecorder]
Recording = tuple[Callable[[], Recorder], Callable[[], list[Event]]]


@pytest.fixture(params=["jsonl", "sqlite", "postgres"])
def recording(request: pytest.FixtureRequest, tmp_path: Path) -> Recording:
    """How to open a recorder on each backend, and how to read its recording back."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database()
        return (lambda: PostgresRecorder(url)), (lambda: query_postgres(url))
    cls = JsonlRecorder if request.param == "jsonl" else SqliteRecorder
    path = tmp_path / "events"
    return (lambda: cls(path)), (lambda: load_events(path))


def sample(base: float = 1_000.0) -> list[Event]:
    names = ["agent.run.started", "tool.call.started", "tool.call.completed", "agent.run.completed"]
    return [
        Event(
            name=names[i % 4],
            timestamp=base + i * 0.1,
            run_id=f"run-{i // 4}",
            severity="error" if i == 5 else "info",
            payload={"i": i, "tool": "add" if i % 2 else "mul", "nested": {"v": [i, "é"]}},
        )
        for i in range(12)
    ]


def record(
    cls: type[JsonlRecorder] | type[SqliteRecorder], path: Path, events: list[Event]
) -> None:
    bus = EventBus()
    with cls(path) as recorder:
        recorder.attach(bus)
        for event in events:
            bus.emit(event)


def test_record_then_query(recording: Recording) -> None:
    open_recorder, load = recording
    events = sample()
    bus = EventBus()
    recorder = open_recorder()
    recorder.attach(bus, "tool.**")
    for event in events:
        bus.emit(event)
    tools = [e for e in events if e.category == "tool"]
    assert recorder.query() == tools
    assert recorder.query(Field("payload.tool") == "add") == [
        e for e in tools if e.payload["tool"] == "add"
    ]
    assert recorder.query(since=1000.25, until=1000.65) == [
        e for e in tools if 1000.25 <= e.timestamp < 1000.65
    ]
    assert recorder.query(pattern="tool.call.completed") == [
        e for e in tools if e.name == "tool.call.completed"
    ]
    assert recorder.query(pattern="*.call.*", limit=2) == tools[:2]
    assert recorder.query(limit=3) == tools[:3]
    assert recorder.query(Field("severity") >= "error") == [events[5]]
    recorder.close()
    recorder.close()
    with pytest.raises(RecordingError):
        recorder.flush()
    assert load() == tools


def test_sqlite_file_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    events = sample()
    record(SqliteRecorder, path, events[:6])
    record(SqliteRecorder, path, events[6:])
    with SqliteRecorder(path) as again:
        assert again.query() == events
    assert load_events(path, pattern="agent.**") == [e for e in events if e.category == "agent"]


def test_odd_payload_values_do_not_break_recording(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    record(JsonlRecorder, path, [Event(name="a.b", payload={"when": object})])
    assert load_events(path)[0].payload["when"] == repr(object)


def test_jsonl_lines_are_event_json(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    events = sample()[:3]
    record(JsonlRecorder, path, events)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [Event.from_dict(json.loads(line)) for line in lines] == events


async def test_record_then_replay_reproduces_the_sequence(recording: Recording) -> None:
    # Events recorded live, with real gaps between them.
    open_recorder, load = recording
    live = EventBus()
    recorder = open_recorder()
    recorder.attach(live)
    originals = []
    for i, gap in enumerate([0.0, 0.1, 0.05, 0.2, 0.0, 0.15]):
        await asyncio.sleep(gap)
        event = Event(name=f"step.s{i}", payload={"i": i, "data": {"x": [1, 2]}})
        originals.append(event)
        live.emit(event)
    await recorder.aclose()

    bus = EventBus()
    seen: list[tuple[float, Event]] = []
    bus.subscribe("**", lambda e: seen.append((time.perf_counter(), e)))
    emitted = await replay(load(), bus, speed=10)
    assert emitted == len(originals)
    assert [e for _, e in seen] == originals
    # Relative timing, scaled by 10, within a few milliseconds.
    start, first = seen[0][0], originals[0].timestamp
    for t, e in seen:
        assert abs((t - start) - (e.timestamp - first) / 10) < 0.015


async def test_seek_skips_earlier_events() -> None:
    events = sample()
    bus = EventBus()
    seen: list[int] = []
    bus.subscribe("**", lambda e: seen.append(e.payload["i"]))  # type: ignore[arg-type]
    assert await replay(events, bus, speed=0, seek=0.45) == 7
    assert seen == list(range(5, 12))


async def test_replay_fast_and_async_handlers() -> None:
    events = sample()
    bus = EventBus()
    seen: list[Event] = []

    async def handler(event: Event) -> None:
        seen.append(event)

    bus.subscribe("**", handler)
    start = time.perf_counter()
    await replay(events, bus, speed=float("inf"))
    assert time.perf_counter() - start < 0.5  # The recording spans 1.1 s.
    assert seen == events
    with pytest.raises(ValueError, match="speed"):
        await replay(events, bus, speed=-1)


@pytest.mark.parametrize("cls", Recorders)
async def test_replay_file_prints_json_lines(
    tmp_path: Path, cls: type[JsonlRecorder] | type[SqliteRecorder]
) -> None:
    path = tmp_path / "events"
    events = sample()
    record(cls, path, events)
    out = io.StringIO()
    assert await replay_file(path, out, speed=0, pattern="tool.**") == 6
    printed = [Event.from_json(line) for line in out.getvalue().splitlines()]
    assert printed == [e for e in events if e.category == "tool"]


async def test_tail_prints_until_stopped() -> None:
    bus = EventBus()
    out = io.StringIO()
    stop = asyncio.Event()
    task = asyncio.create_task(tail(bus, "tool.*.failed", out, stop=stop))
    await asyncio.sleep(0)
    bus.emit(Event(name="tool.call.failed", payload={"e": 1}))
    bus.emit(Event(name="tool.call.completed"))
    stop.set()
    await task
    bus.emit(Event(name="tool.call.failed"))
    assert [json.loads(line)["payload"] for line in out.getvalue().splitlines()] == [{"e": 1}]
    assert bus.subscriptions == ()
