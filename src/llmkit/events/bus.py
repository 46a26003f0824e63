"""`EventBus`: publish events to subscribers chosen by name pattern and filter.

Speed comes from routing once per event *name*: the first `emit` of a name finds the
matching subscriptions and caches them as a tuple, so later emits of that name are one
dict lookup plus the handler calls. Any subscribe or unsubscribe clears the cache.

Sync handlers run inline, in subscription order, on the emitting thread. Async handlers
go through a bounded dispatch queue drained in order by one task on the event loop (or
are awaited directly by `emit_async`). Handler errors are logged and counted, never
raised to the emitter.

Overflow policy: the pause queue and the async dispatch queue hold at most `max_queue`
items each; when one is full the *oldest* item is dropped and `stats.dropped` counts it,
so a slow consumer sees the most recent events and memory stays bounded.
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .event import Event
from .filters import Filter
from .patterns import compile_pattern

if TYPE_CHECKING:
    import asyncio

__all__ = ["BusStats", "EventBus", "Handler", "Subscription"]

logger = logging.getLogger("llmkit.events")

Handler = Callable[[Event], Any] | Callable[[Event], Awaitable[Any]]
"""A sync function of an event, or an async one."""

_ROUTE_CACHE_LIMIT = 4096


@dataclass(slots=True)
class BusStats:
    """Counters of what went wrong; reading them is free, resetting is up to you."""

    #: Events or async deliveries dropped because a bounded queue was full.
    dropped: int = 0
    #: Handler calls that raised (each is logged).
    errors: int = 0


class Subscription:
    """One handler subscribed to a pattern; `cancel` ends it."""

    __slots__ = ("_bus", "active", "filter", "handler", "is_async", "matcher", "pattern")

    def __init__(
        self, bus: EventBus, pattern: str, handler: Handler, event_filter: Filter | None
    ) -> None:
        self._bus = bus
        self.pattern = pattern
        self.matcher = compile_pattern(pattern)
        self.handler = handler
        self.filter = event_filter
        self.is_async = _is_async(handler)
        self.active = True

    def cancel(self) -> None:
        """Stop delivery to this handler; idempotent."""
        self._bus.unsubscribe(self)

    def __repr__(self) -> str:
        return f"<Subscription {self.pattern!r} -> {self.handler!r} active={self.active}>"


def _is_async(handler: Handler) -> bool:
    # What `inspect.iscoroutinefunction` checks, without its 12 ms import: the coroutine
    # flag of the code, through partials, bound methods and async `__call__` objects.
    func: Any = handler
    while isinstance(func, functools.partial):
        func = func.func
    func = getattr(func, "__func__", func)
    code = getattr(func, "__code__", None)
    if code is None:
        call = getattr(type(func), "__call__", None)  # noqa: B004 - its code, not callability
        code = getattr(call, "__code__", None)
    return code is not None and bool(code.co_flags & _CO_COROUTINE)


_CO_COROUTINE = 0x80


class EventBus:
    """Routes emitted events to the subscriptions whose pattern and filter match."""

    def __init__(self, *, max_queue: int = 10_000) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be >= 1, got {max_queue}")
        self.max_queue = max_queue
        self.stats = BusStats()
        self._subs: list[Subscription] = []
        self._routes: dict[str, tuple[Subscription, ...]] = {}
        self._paused = False
        self._held: deque[Event] = deque()
        self._pending: deque[tuple[Subscription, Event]] = deque()
        self._dispatcher: asyncio.Task[None] | None = None

    # Subscriptions

    def subscribe(
        self, pattern: str, handler: Handler, *, filter: Filter | None = None
    ) -> Subscription:
        """Call `handler` for every event whose name matches `pattern` (and `filter`)."""
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {handler!r}")
        sub = Subscription(self, pattern, handler, filter)
        self._subs.append(sub)
        self._routes = {}
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivery to `sub`; unknown or already cancelled subscriptions are ignored."""
        if sub.active and sub in self._subs:
            self._subs.remove(sub)
            self._routes = {}
        sub.active = False

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The live subscriptions, in subscription order."""
        return tuple(self._subs)

    def has_subscribers(self, name: str) -> bool:
        """Whether an event called `name` would reach anyone (to skip building it)."""
        route = self._routes.get(name)
        return bool(route if route is not None else self._route(name))

    def _route(self, name: str) -> tuple[Subscription, ...]:
        route = tuple(sub for sub in self._subs if sub.matcher(name))
        if len(self._routes) >= _ROUTE_CACHE_LIMIT:
            self._routes = {}  # Unbounded distinct names must not grow memory forever.
        self._routes[name] = route
        return route

    # Emitting

    def emit(self, event: Event) -> None:
        """Deliver `event`: sync handlers now, async ones through the dispatch queue."""
        if self._paused:
            self._hold(event)
            return
        try:
            route = self._routes[event.name]
        except KeyError:
            route = self._route(event.name)
        for sub in route:
            # `active`: a handler earlier in this loop may have cancelled a later one.
            if not sub.active or (sub.filter is not None and not sub.filter(event)):
                continue
            if sub.is_async:
                self._enqueue(sub, event)
                continue
            try:
                sub.handler(event)
            except Exception:
                self._failed(sub, event)

    async def emit_async(self, event: Event) -> None:
        """Deliver `event`, awaiting its async handlers (in order) before returning."""
        if self._paused:
            self._hold(event)
            return
        if self._pending:
            await self.drain()  # Keep per-handler order with earlier `emit` calls.
        route = self._routes.get(event.name)
        for sub in route if route is not None else self._route(event.name):
            if not sub.active or (sub.filter is not None and not sub.filter(event)):
                continue
            try:
                result = sub.handler(event)
                if sub.is_async:
                    await result
            except Exception:
                self._failed(sub, event)

    def _failed(self, sub: Subscription, event: Event) -> None:
        self.stats.errors += 1
        logger.exception("event handler %r failed on %s (id %s)", sub.handler, event.name, event.id)

    # Pausing

    @property
    def paused(self) -> bool:
        """Whether events are being held instead of delivered."""
        return self._paused

    def pause(self) -> None:
        """Hold emitted events (at most `max_queue`, oldest dropped) until `resume`."""
        self._paused = True

    def resume(self) -> None:
        """Deliver the held events in the order they were emitted, then carry on."""
        self._paused = False
        held = self._held
        while held and not self._paused:  # A handler may pause again.
            self.emit(held.popleft())

    def _hold(self, event: Event) -> None:
        if len(self._held) >= self.max_queue:
            self._held.popleft()
            self.stats.dropped += 1
        self._held.append(event)

    # Async dispatch

    def _enqueue(self, sub: Subscription, event: Event) -> None:
        if len(self._pending) >= self.max_queue:
            self._pending.popleft()
            self.stats.dropped += 1
        self._pending.append((sub, event))
        if self._dispatcher is None:
            import asyncio  # Here, not at the top: sync-only programs never pay for it.

            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # No loop here: `drain()` on one delivers them later.
            self._start(loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._dispatcher = loop.create_task(self._dispatch(), name="llmkit-events-dispatch")

    async def _dispatch(self) -> None:
        pending = self._pending
        try:
            while pending:
                sub, event = pending.popleft()
                if not sub.active:
                    continue
                try:
                    await sub.handler(event)
                except Exception:
                    self._failed(sub, event)
        finally:
            self._dispatcher = None

    async def drain(self) -> None:
        """Wait until every queued async delivery has been made."""
        import asyncio

        while self._pending or self._dispatcher is not None:
            if self._dispatcher is None:
                self._start(asyncio.get_running_loop())
            task = self._dispatcher
            if task is not None:
                await asyncio.shield(task)
            await asyncio.sleep(0)

    @property
    def queued(self) -> int:
        """Events held by `pause` plus async deliveries not yet made."""
        return len(self._held) + len(self._pending)
