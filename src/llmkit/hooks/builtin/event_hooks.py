"""Publish what agents and workflows do as typed events on an `EventBus` (record them, tail
them, replay them)."""

from __future__ import annotations

from typing import Any, Literal

from ...events.bus import EventBus
from ...events.event import Event
from ..registry import HookContext, HookHandle, HookRegistry

__all__ = ["EventHooks"]

# Hook point -> event name and severity.
Severity = Literal["debug", "info", "warning", "error", "critical"]
_EVENTS: dict[str, tuple[str, Severity]] = {
    "agent.run.start": ("agent.run.started", "info"),
    "agent.run.end": ("agent.run.completed", "info"),
    "agent.run.error": ("agent.run.failed", "error"),
    "model.request.before": ("model.request.started", "debug"),
    "model.request.after": ("model.request.completed", "info"),
    "model.request.error": ("model.request.failed", "error"),
    "tool.call.before": ("tool.call.started", "debug"),
    "tool.call.after": ("tool.call.completed", "info"),
    "tool.call.error": ("tool.call.failed", "error"),
    "memory.load": ("memory.load", "debug"),
    "memory.save": ("memory.save", "debug"),
    "workflow.start": ("workflow.run.started", "info"),
    "workflow.end": ("workflow.run.completed", "info"),
    "workflow.error": ("workflow.run.failed", "error"),
    "step.start": ("step.started", "debug"),
    "step.end": ("step.completed", "info"),
    "step.error": ("step.failed", "error"),
}
# Context metadata a workflow or step event carries in its payload.
_WORKFLOW_KEYS = ("workflow", "step", "kind")


class EventHooks:
    """Emit one event per hook point, correlated by run id, with a JSON-able payload."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def install(self, hooks: HookRegistry) -> list[HookHandle]:
        """Register on `hooks`; returns the handles."""
        # Lowest priority: the event reports the value after other hooks changed it.
        return [
            hooks.register(point, self._emit, priority=-10_000, name=f"events.{point}")
            for point in _EVENTS
        ]

    def _emit(self, ctx: HookContext) -> None:
        name, severity = _EVENTS[ctx.point]
        if not self.bus.has_subscribers(name):
            return  # building the payload is the cost: skip it when nobody listens
        payload: dict[str, Any] = {"agent": ctx.agent} if ctx.agent else {}
        for key in _WORKFLOW_KEYS:
            if key in ctx.metadata:
                payload[key] = ctx.metadata[key]
        if ctx.tool:
            payload["tool"] = ctx.tool
            payload["tool_call_id"] = ctx.metadata.get("tool_call_id")
        if ctx.model:
            payload["model"] = ctx.model
        payload.update(_describe(ctx))
        self.bus.emit(Event(name=name, severity=severity, run_id=ctx.run_id, payload=payload))


def _describe(ctx: HookContext) -> dict[str, Any]:
    value = ctx.value
    if ctx.point.endswith(".error"):
        return {"error": type(value).__name__, "message": str(value)[:500]}
    if ctx.point == "agent.run.end":
        usage = value.usage
        return {
            "output": str(value.output)[:2000],
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "requests": usage.requests,
        }
    if ctx.point == "model.request.after":
        return {
            "text": value.text[:2000],
            "finish_reason": value.finish_reason,
            "tool_calls": [c.name for c in value.tool_calls],
            "input_tokens": value.usage.input_tokens,
            "output_tokens": value.usage.output_tokens,
        }
    if ctx.point == "tool.call.before":
        return {"arguments": value}
    if ctx.point == "tool.call.after":
        return {"result": str(value)[:2000]}
    if ctx.point in ("workflow.end", "step.end"):
        return {"output": str(value)[:2000]}
    if isinstance(value, list):
        return {"messages": len(value)}
    return {}
