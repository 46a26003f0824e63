"""``Event``: subscribe script functions to events, emit, record and replay them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...events import Event, EventBus, Subscription, from_dict
from ..callbacks import ScriptFunction
from ..errors import BridgeArgumentError
from ..registry import Bridge, bridge_method
from .conversions import event_to_script, handle_id, json_safe
from .paths import granted_path

if TYPE_CHECKING:
    from ...events import Recorder
    from ..host import HostSession

__all__ = ["EventBridge", "session_bus"]


def session_bus(session: HostSession) -> EventBus:
    """The bus a run's script events go to: the run's own (``ScriptOptions.bus``), else
    one private to the run, so handlers never outlive it."""
    bridge = session.bridge("Event")
    assert isinstance(bridge, EventBridge)
    return bridge.bus


class EventBridge(Bridge):
    """Script event handlers on the run's event bus, plus recording and replay."""

    name = "Event"
    summary = "Subscribe script functions to events; emit, record and replay events."

    def __init__(self, session: HostSession) -> None:
        super().__init__(session)
        self.bus = session.bus or EventBus()
        self._subscriptions: dict[str, Subscription] = {}
        self._recorders: dict[str, Recorder] = {}

    async def aclose(self) -> None:
        """End the run's subscriptions and write out the recordings it left running."""
        subscriptions, self._subscriptions = list(self._subscriptions.values()), {}
        for subscription in subscriptions:
            subscription.cancel()
        recorders, self._recorders = list(self._recorders.values()), {}
        for recorder in recorders:
            await recorder.aclose()

    @bridge_method(returns="table")
    def on(
        self, pattern: str, fn: ScriptFunction, filter: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call `fn(event)` for every event whose name matches `pattern` (``*`` one
        segment, ``**`` any) and `filter`; returns the subscription.

        The event is a table: ``name``, ``payload``, ``severity``, ``timestamp``,
        ``run_id``. Agents run by this script emit their events here too.

        Args:
            pattern: A dotted name pattern, e.g. ``"order.*"``.
            fn: The handler.
            filter: ``{field = "payload.total", op = "gt", value = 10}`` (ops: eq, ne, gt,
                ge, lt, le, contains, in, regex, exists; combine with ``and``/``or``/``not``).

        Example (lua):
            local seen = 0
            Event.on("order.*", function(event) seen = seen + event.payload.items end)
            Event.emit("order.placed", {items = 3})
            assert(seen == 3)
        """
        event_filter = from_dict(filter) if filter else None

        async def deliver(event: Event) -> None:
            await fn.call_async(event_to_script(event))

        subscription = self.bus.subscribe(pattern, deliver, filter=event_filter)
        sub_id = f"sub:{len(self._subscriptions) + 1}"
        self._subscriptions[sub_id] = subscription
        return {"id": sub_id, "pattern": pattern}

    @bridge_method(returns="boolean")
    def off(self, subscription: Any) -> bool:
        """End a subscription; returns whether it was active.

        Args:
            subscription: What ``Event.on`` returned (or its id).

        Example (lua):
            local count = 0
            local sub = Event.on("tick", function() count = count + 1 end)
            Event.emit("tick"); assert(Event.off(sub)); Event.emit("tick")
            assert(count == 1)
        """
        found = self._subscriptions.pop(handle_id(subscription, "a subscription"), None)
        if found is None:
            return False
        found.cancel()
        return True

    @bridge_method(returns="integer")
    def emit(self, name: str, payload: dict[str, Any] | None = None) -> int:
        """Emit an event and wait for the script handlers; returns how many handlers
        matched.

        Args:
            name: A dotted lowercase name, e.g. ``"order.placed"``.
            payload: A table of JSON values.

        Example (lua):
            Event.on("job.done", function() end)
            assert(Event.emit("job.done", {id = 7}) == 1)
        """
        if payload is not None and not isinstance(payload, dict):
            raise BridgeArgumentError("Event.emit: the payload must be a table of fields")
        event = Event(name=name, payload=json_safe(payload or {}), run_id=self.session.run_id)
        matched = sum(1 for sub in self.bus.subscriptions if sub.matcher(name))
        self.session.await_host(self.bus.emit_async(event))
        return matched

    @bridge_method(permission="write", returns="table")
    def record(self, path: str, pattern: str = "**") -> dict[str, Any]:
        """Record this run's events matching `pattern` to a JSON Lines file until
        ``Event.stop(recording)``.

        Args:
            path: The file (under a folder granted with ``--allow-write``).
            pattern: Which events.

        Example (lua):
            -- llmkit run --allow-write=. script.lua; without the grant it is refused:
            local ok, err = pcall(Event.record, "events.jsonl")
            assert(not ok and err:find("PermissionDenied"))
        """
        from ...events import JsonlRecorder

        recorder = JsonlRecorder(granted_path(self.session, path, "write"))
        recorder.attach(self.bus, pattern)
        rec_id = f"rec:{len(self._recorders) + 1}"
        self._recorders[rec_id] = recorder
        return {"id": rec_id, "path": str(recorder.path)}

    @bridge_method(returns="integer")
    def stop(self, recording: Any) -> int:
        """Stop a recording and write it out; returns how many events it holds.

        Args:
            recording: What ``Event.record`` returned (or its id).

        Example (lua):
            local ok, err = pcall(Event.stop, "rec:404")
            assert(not ok and err:find("no active recording"))
        """
        from ...events import load_events

        rec_id = handle_id(recording, "a recording")
        recorder = self._recorders.pop(rec_id, None)
        if recorder is None:
            raise BridgeArgumentError(f"Event.stop: no active recording {rec_id!r}")
        recorder.close()
        return len(load_events(recorder.path))

    @bridge_method(returns="integer")
    def replay(self, path: str, pattern: str | None = None) -> int:
        """Emit the events of a recording (JSONL or SQLite) again, in order, to this run's
        handlers; returns how many.

        Args:
            path: The recording (under a folder granted with ``--allow-read``).
            pattern: Only events whose name matches.

        Example (lua):
            -- llmkit run --allow-read=. script.lua; without the grant it is refused:
            local ok, err = pcall(Event.replay, "events.jsonl")
            assert(not ok and err:find("PermissionDenied"))
        """
        from ...events import load_events, replay

        events = load_events(granted_path(self.session, path, "read"), pattern=pattern)
        return self.session.await_host(replay(events, self.bus, speed=0))
