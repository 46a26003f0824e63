"""``Hook``: script functions at hook points of the agents a script runs."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ...hooks import Cancel, HookContext, HookRegistry, Modify, Retry, Skip
from ..callbacks import ScriptFunction
from ..errors import BridgeArgumentError
from ..registry import Bridge, bridge_method
from .conversions import handle_id, json_safe, messages_from_script, messages_to_script

if TYPE_CHECKING:
    from ...hooks import HookHandle, HookResult
    from ..host import HostSession

__all__ = ["HookBridge", "session_hooks"]

_ACTIONS = ("continue", "modify", "skip", "cancel", "retry")


def session_hooks(session: HostSession) -> HookRegistry:
    """The hooks a run's scripts registered; every agent the script creates uses them."""
    bridge = session.bridge("Hook")
    assert isinstance(bridge, HookBridge)
    return bridge.hooks


def value_to_script(value: Any) -> Any:
    """What flows through a hook point, as a script sees it."""
    from ...messages import Message
    from ...models.request import ModelResponse
    from .provider import response_to_script

    if isinstance(value, list) and value and all(isinstance(m, Message) for m in value):
        return messages_to_script(value)
    if isinstance(value, ModelResponse):
        return response_to_script(value)
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return json_safe(value)


def value_from_script(new: Any, old: Any) -> Any:
    """A script's replacement for `old`, in `old`'s Python type (messages, a reply)."""
    from ...messages import Message
    from ...models.request import ModelResponse

    if isinstance(old, list) and old and all(isinstance(m, Message) for m in old):
        return messages_from_script(new, "Hook.modify")
    if isinstance(old, ModelResponse):
        text = new.get("text") if isinstance(new, dict) else new
        return dataclasses.replace(old, message=Message.assistant(str(text)))
    return new


def decision(result: Any, ctx: HookContext) -> HookResult:
    """A script hook's return value as a hook result: nil continues; a table made by
    ``Hook.modify/skip/cancel/retry`` decides.

    Raises:
        BridgeArgumentError: The table names no known action.
    """
    if result is None:
        return None
    action = result.get("action") if isinstance(result, dict) else None
    if action not in _ACTIONS:
        raise BridgeArgumentError(
            f"a hook at {ctx.point} returned {result!r}; return nil or Hook.modify(value), "
            "Hook.skip(value), Hook.cancel(reason), Hook.retry(opts)"
        )
    assert isinstance(result, dict)
    if action == "modify":
        return Modify(value_from_script(result.get("value"), ctx.value))
    if action == "skip":
        return Skip(result.get("value"))
    if action == "cancel":
        return Cancel(str(result.get("reason") or "cancelled by a script hook"))
    if action == "retry":
        return Retry(
            delay=float(result.get("delay") or 0), attempts=int(result.get("attempts") or 1)
        )
    return None


def _context_to_script(ctx: HookContext) -> dict[str, Any]:
    fields = {
        "point": ctx.point,
        "value": value_to_script(ctx.value),
        "agent": ctx.agent,
        "run_id": ctx.run_id,
        "tool": ctx.tool,
        "model": ctx.model,
        "attempt": ctx.attempt,
    }
    metadata = {k: v for k, v in ctx.metadata.items() if k not in ("tools", "settings")}
    fields["metadata"] = json_safe(metadata)
    return {k: v for k, v in fields.items() if v is not None}


class HookBridge(Bridge):
    """Script functions called at the hook points of this run's agents and workflows."""

    name = "Hook"
    summary = "Register script functions at hook points; their return value decides."

    def __init__(self, session: HostSession) -> None:
        super().__init__(session)
        self.hooks = HookRegistry()
        self._handles: dict[str, HookHandle] = {}

    @bridge_method(returns="table")
    def register(
        self, point: str, fn: ScriptFunction, opts: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call `fn(ctx)` at `point` for every agent and workflow this script runs.

        ``ctx`` has ``point``, ``value`` (the messages before a model request, the reply
        after it, the arguments of a tool call...), ``agent``, ``tool``, ``model``,
        ``run_id``, ``attempt``. Return nil to go on, or ``Hook.modify(value)``,
        ``Hook.skip(value)``, ``Hook.cancel(reason)``, ``Hook.retry({delay, attempts})``.

        Args:
            point: e.g. ``"model.request.before"``, ``"tool.call.after"``,
                ``"agent.run.start"``.
            fn: The hook.
            opts: ``priority`` (higher runs first), ``name``, and context fields to match
                (``tool = "add"``).

        Example (lua):
            local handle = Hook.register("tool.call.before", function(ctx) end,
              {priority = 5, tool = "add"})
            assert(handle.point == "tool.call.before" and handle.priority == 5)
        """
        options = dict(opts or {})
        priority = options.pop("priority", 0)
        label = options.pop("name", None)
        if not isinstance(priority, int):
            raise BridgeArgumentError("Hook.register: priority must be an integer")

        async def call(ctx: HookContext) -> HookResult:
            return decision(await fn.call_async(_context_to_script(ctx)), ctx)

        handle = self.hooks.register(
            point, call, priority=priority, name=str(label or f"script:{point}"), **options
        )
        hook_id = f"hook:{len(self._handles) + 1}"
        self._handles[hook_id] = handle
        return {"id": hook_id, "point": point, "priority": priority, "name": handle.name}

    @bridge_method(returns="boolean")
    def unregister(self, handle: Any) -> bool:
        """Remove a hook; returns whether it was registered.

        Args:
            handle: What ``Hook.register`` returned (or its id).

        Example (lua):
            local handle = Hook.register("agent.run.start", function() end)
            assert(Hook.unregister(handle) and not Hook.unregister(handle))
        """
        found = self._handles.pop(handle_id(handle, "a hook handle"), None)
        if found is None:
            return False
        self.hooks.unregister(found)
        return True

    @bridge_method(returns="array")
    def list(self, point: str | None = None) -> list[dict[str, Any]]:
        """The script's hooks in the order they run: ``{id, point, priority, name}``.

        Args:
            point: Only hooks at this point.

        Example (lua):
            Hook.register("tool.call.after", function() end, {name = "audit"})
            assert(Hook.list("tool.call.after")[1].name == "audit")
        """
        ids = {id(handle): hook_id for hook_id, handle in self._handles.items()}
        return [
            {"id": ids[id(h)], "point": h.point, "priority": h.priority, "name": h.name}
            for h in self.hooks.list(point)
            if id(h) in ids
        ]

    @bridge_method(returns="table")
    def modify(self, value: Any = None) -> dict[str, Any]:
        """The result that replaces the value flowing through a hook point.

        Args:
            value: The new value (messages keep their ``{role, parts}`` or
                ``{role, content}`` shape).

        Example (lua):
            assert(Hook.modify({1, 2}).action == "modify")
        """
        return {"action": "modify", "value": value}

    @bridge_method(returns="table")
    def skip(self, value: Any = None) -> dict[str, Any]:
        """The result that skips the step and uses `value` as its result (a canned reply
        before a model request).

        Args:
            value: The step's result.

        Example (lua):
            assert(Hook.skip("cached answer").value == "cached answer")
        """
        return {"action": "skip", "value": value}

    @bridge_method(returns="table")
    def cancel(self, reason: str | None = None) -> dict[str, Any]:
        """The result that stops the step with an error giving `reason`.

        Args:
            reason: Why.

        Example (lua):
            assert(Hook.cancel("over budget").reason == "over budget")
        """
        return {"action": "cancel", "reason": reason or "cancelled by a script hook"}

    @bridge_method(returns="table")
    def retry(self, opts: dict[str, Any] | None = None) -> dict[str, Any]:
        """The result that retries a failed step (at an ``.error`` point).

        Args:
            opts: ``delay`` in seconds, ``attempts``.

        Example (lua):
            assert(Hook.retry({attempts = 2}).attempts == 2)
        """
        options = opts or {}
        return {
            "action": "retry",
            "delay": float(options.get("delay", 0)),
            "attempts": int(options.get("attempts", 1)),
        }
