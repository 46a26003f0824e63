"""Streaming a run: the run is a plain coroutine that hands its events to the consumer.

The run loop is written once, as coroutines, with an optional ``emit`` callback: with none
(`Agent.run`) it builds no events and no generator frames, which keeps thousands of runs in
flight cheap. `stream_events` runs the same loop in a task and passes each event over a
rendezvous: the run waits until the consumer asks for the next event, so a consumer that
stops early stops the run where it is, exactly as a generator would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

__all__ = ["Emit", "stream_events"]

Emit = Callable[[Any], Awaitable[None]]
"""Hands one event to whoever streams the run."""


async def stream_events(
    produce: Callable[[Emit], Coroutine[Any, Any, Any]],
) -> AsyncIterator[Any]:
    """Yield what `produce(emit)` emits; its error, if any, is raised after the last event."""
    loop = asyncio.get_running_loop()
    channel = _Rendezvous(loop)
    task: asyncio.Task[Any] = loop.create_task(produce(channel.put))
    task.add_done_callback(channel.wake_consumer)
    try:
        while (event := await channel.get(task)) is not None:
            yield event
        task.result()
    finally:
        if not task.done():  # the consumer stopped early: so does the run
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class _Rendezvous:
    __slots__ = ("_consumer", "_event", "_loop", "_producer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event: Any = None
        self._consumer: asyncio.Future[None] | None = None
        self._producer: asyncio.Future[None] | None = None

    async def put(self, event: Any) -> None:
        self._event = event
        _wake(self._consumer)
        self._producer = self._loop.create_future()
        await self._producer

    async def get(self, task: asyncio.Task[Any]) -> Any:
        _wake(self._producer)  # the previous event was taken: the run goes on
        while self._event is None:
            if task.done():
                return None
            self._consumer = self._loop.create_future()
            await self._consumer
        event, self._event = self._event, None
        return event

    def wake_consumer(self, _task: asyncio.Task[Any]) -> None:
        _wake(self._consumer)


def _wake(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)
