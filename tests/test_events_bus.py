"""EventBus: routing, filters, async handlers, pause, overflow and error isolation."""

from __future__ import annotations

import asyncio
import functools
import logging

import pytest

from llmkit.events import Event, EventBus, Field


def ev(name: str, **payload: object) -> Event:
    return Event(name=name, payload=dict(payload))


def test_sync_handler_receives_matching_events_only() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe("agent.*", lambda e: seen.append(e.name))
    for name in ["agent.started", "agent.run.started", "tool.call.started", "agent.done"]:
        bus.emit(ev(name))
    assert seen == ["agent.started", "agent.done"]


def test_route_cache_follows_new_subscriptions() -> None:
    bus = EventBus()
    first: list[Event] = []
    second: list[Event] = []
    bus.subscribe("tool.**", first.append)
    bus.emit(ev("tool.call.started"))
    bus.subscribe("tool.call.started", second.append)
    bus.emit(ev("tool.call.started"))
    assert len(first) == 2 and len(second) == 1
    assert bus.has_subscribers("tool.x") and not bus.has_subscribers("agent.x")


def test_filter_on_subscription() -> None:
    bus = EventBus()
    seen: list[object] = []
    bus.subscribe(
        "tool.**", lambda e: seen.append(e.payload["tool"]), filter=Field("payload.tool") == "add"
    )
    bus.emit(ev("tool.call.started", tool="add"))
    bus.emit(ev("tool.call.started", tool="mul"))
    assert seen == ["add"]


async def test_sync_and_async_handlers_both_receive() -> None:
    bus = EventBus()
    sync_seen: list[str] = []
    async_seen: list[str] = []

    async def handler(event: Event) -> None:
        await asyncio.sleep(0)
        async_seen.append(event.name)

    class Callable:
        async def __call__(self, event: Event) -> None:
            async_seen.append("obj:" + event.name)

    bus.subscribe("**", sync_seen.append)
    bus.subscribe("**", handler)
    bus.subscribe("a.*", Callable())
    bus.subscribe("a.*", functools.partial(handler))
    bus.emit(ev("a.one"))
    bus.emit(ev("a.two"))
    assert [e.name for e in sync_seen] == ["a.one", "a.two"]  # type: ignore[attr-defined]
    await bus.drain()
    assert async_seen == ["a.one", "obj:a.one", "a.one", "a.two", "obj:a.two", "a.two"]
    await bus.emit_async(ev("a.three"))
    assert async_seen[-3:] == ["a.three", "obj:a.three", "a.three"]


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[Event] = []
    sub = bus.subscribe("**", seen.append)
    other = bus.subscribe("**", lambda e: None)
    bus.emit(ev("a.b"))
    sub.cancel()
    sub.cancel()  # Idempotent.
    bus.emit(ev("a.b"))
    bus.unsubscribe(other)
    assert len(seen) == 1 and bus.subscriptions == ()


def test_handler_cancelling_a_later_one_stops_it_at_once() -> None:
    bus = EventBus()
    seen: list[Event] = []
    later = None

    def first(event: Event) -> None:
        assert later is not None
        later.cancel()

    bus.subscribe("**", first)
    later = bus.subscribe("**", seen.append)
    bus.emit(ev("a.b"))
    assert seen == []


def test_pause_then_resume_delivers_in_order() -> None:
    bus = EventBus()
    seen: list[int] = []
    bus.subscribe("**", lambda e: seen.append(e.payload["i"]))
    bus.pause()
    for i in range(5):
        bus.emit(ev("a.b", i=i))
    assert seen == [] and bus.paused and bus.queued == 5
    bus.resume()
    bus.emit(ev("a.b", i=5))
    assert seen == [0, 1, 2, 3, 4, 5] and bus.queued == 0


def test_overflow_drops_oldest_and_counts() -> None:
    bus = EventBus(max_queue=3)
    seen: list[int] = []
    bus.subscribe("**", lambda e: seen.append(e.payload["i"]))
    bus.pause()
    for i in range(5):
        bus.emit(ev("a.b", i=i))
    bus.resume()
    assert seen == [2, 3, 4]
    assert bus.stats.dropped == 2


async def test_async_queue_overflow_drops_oldest() -> None:
    bus = EventBus(max_queue=2)
    seen: list[int] = []

    async def handler(event: Event) -> None:
        seen.append(event.payload["i"])  # type: ignore[arg-type]

    bus.subscribe("**", handler)
    for i in range(4):  # No await in between: the dispatcher has not run yet.
        bus.emit(ev("a.b", i=i))
    await bus.drain()
    assert seen == [2, 3] and bus.stats.dropped == 2


async def test_raising_handler_is_isolated(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def bad(event: Event) -> None:
        raise RuntimeError("boom")

    async def bad_async(event: Event) -> None:
        raise RuntimeError("async boom")

    bus.subscribe("**", bad)
    bus.subscribe("**", bad_async)
    bus.subscribe("**", lambda e: seen.append(e.name))
    with caplog.at_level(logging.ERROR, logger="llmkit.events"):
        bus.emit(ev("a.b"))
        await bus.emit_async(ev("a.c"))
        await bus.drain()
    assert seen == ["a.b", "a.c"]
    assert bus.stats.errors == 4
    assert "boom" in caplog.text


def test_async_handler_without_a_loop_waits_for_drain() -> None:
    bus = EventBus()
    seen: list[str] = []

    async def handler(event: Event) -> None:
        seen.append(event.name)

    bus.subscribe("**", handler)
    bus.emit(ev("a.b"))
    assert seen == [] and bus.queued == 1
    asyncio.run(bus.drain())
    assert seen == ["a.b"]
