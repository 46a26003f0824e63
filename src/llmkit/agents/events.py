"""What `Agent.run_stream` yields: bus `Event`s with typed fields.

Each class is an `llmkit.events.Event` (a dotted name from `llmkit.events.names`, a
JSON-ready payload, the run id), so a streamed run can go straight to an `EventBus`, a
recorder or a replay, and filters and patterns work on it as on any event. The typed
fields (`text`, `call`, `result`, …) are what a program reads while streaming; the payload
is what is recorded, and what a replay gives back as a plain `Event`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from ..events import names
from ..events.event import Event, Severity
from ..messages import ToolCallPart, ToolResultPart, Usage
from ..models.request import ModelResponse
from ..models.stream import (
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageEvent,
)

if TYPE_CHECKING:
    from .result import RunResult

__all__ = [
    "AgentEvent",
    "ModelResponseEvent",
    "RunFinished",
    "RunStarted",
    "TextDeltaEvent",
    "ToolArgumentsEvent",
    "ToolCallEvent",
    "ToolCallStartedEvent",
    "ToolResultEvent",
    "UsageUpdateEvent",
    "from_model_event",
]


@dataclass(slots=True, kw_only=True)
class RunStarted(Event):
    """The run began; `run_id` is known from here on."""

    name: str = names.AGENT_RUN_STARTED
    agent: str = ""

    def __post_init__(self) -> None:
        self.payload = {"agent": self.agent}
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class TextDeltaEvent(Event):
    """More text of the model's reply."""

    name: str = names.MODEL_TEXT_DELTA
    severity: Severity = "debug"
    text: str = ""

    def __post_init__(self) -> None:
        self.payload = {"text": self.text}
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class ToolCallStartedEvent(Event):
    """The model began writing a tool call; `index` tells concurrent calls apart."""

    name: str = names.MODEL_TOOL_CALL_STARTED
    severity: Severity = "debug"
    index: int = 0
    tool_call_id: str = ""
    tool: str = ""

    def __post_init__(self) -> None:
        self.payload = {"index": self.index, "tool_call_id": self.tool_call_id, "tool": self.tool}
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class ToolArgumentsEvent(Event):
    """A fragment of a tool call's JSON arguments, as the model writes them."""

    name: str = names.MODEL_TOOL_CALL_ARGUMENTS
    severity: Severity = "debug"
    index: int = 0
    delta: str = ""

    def __post_init__(self) -> None:
        self.payload = {"index": self.index, "delta": self.delta}
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class ToolCallEvent(Event):
    """The model finished a tool call; `call` has its decoded (or invalid-marked) arguments."""

    name: str = names.MODEL_TOOL_CALL_COMPLETED
    call: ToolCallPart

    def __post_init__(self) -> None:
        call = self.call
        self.payload = {
            "tool": call.name,
            "tool_call_id": call.id,
            "arguments": call.arguments,
            "invalid": call.invalid_reason,
        }
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class UsageUpdateEvent(Event):
    """Token usage the provider reported so far for the current request."""

    name: str = names.MODEL_USAGE
    severity: Severity = "debug"
    usage: Usage

    def __post_init__(self) -> None:
        self.payload = _usage(self.usage)
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class ModelResponseEvent(Event):
    """A model request finished; `response` is the whole reply."""

    name: str = names.MODEL_REQUEST_COMPLETED
    response: ModelResponse

    def __post_init__(self) -> None:
        response = self.response
        self.payload = {
            "model": response.model_name,
            "provider": response.provider,
            "text": response.message.text,
            "finish_reason": response.finish_reason,
            "tool_calls": [c.name for c in response.message.tool_calls],
            **_usage(response.usage),
        }
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class ToolResultEvent(Event):
    """A tool call finished (``tool.call.completed``) or failed (``tool.call.failed``)."""

    name: str = ""
    call: ToolCallPart
    result: ToolResultPart

    def __post_init__(self) -> None:
        call, result = self.call, self.result
        if not self.name:
            self.name = names.TOOL_CALL_FAILED if result.is_error else names.TOOL_CALL_COMPLETED
            self.severity = "warning" if result.is_error else "info"
        self.payload = {
            "tool": call.name,
            "tool_call_id": call.id,
            "arguments": call.arguments,
            "result": result.content,
            "is_error": result.is_error,
        }
        Event.__post_init__(self)


@dataclass(slots=True, kw_only=True)
class RunFinished(Event):
    """The run is over; `result` is what `Agent.run` would have returned.

    A run that paused for approvals finishes here too, with ``result.paused`` set.
    """

    name: str = names.AGENT_RUN_COMPLETED
    result: RunResult[Any] = field(repr=False)
    agent: str = ""

    def __post_init__(self) -> None:
        result = self.result
        self.run_id = result.run_id
        self.payload = {
            "agent": self.agent,
            "output": to_jsonable_python(result.output, fallback=repr),
            "paused": result.paused is not None,
            **_usage(result.usage),
        }
        Event.__post_init__(self)


def from_model_event(event: StreamEvent, run_id: str) -> AgentEvent | None:
    """The agent event for one of the model's stream events (None for the finish, which
    the run reports as a `ModelResponseEvent` once hooks have seen the response)."""
    match event:
        case TextDelta():
            return TextDeltaEvent(text=event.text, run_id=run_id)
        case ToolCallStart():
            return ToolCallStartedEvent(
                index=event.index, tool_call_id=event.id, tool=event.name, run_id=run_id
            )
        case ToolCallDelta():
            return ToolArgumentsEvent(index=event.index, delta=event.arguments_delta, run_id=run_id)
        case ToolCallEnd():
            return ToolCallEvent(call=event.part, run_id=run_id)
        case UsageEvent():
            return UsageUpdateEvent(usage=event.usage, run_id=run_id)
    return None


def _usage(usage: Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "requests": usage.requests,
    }


AgentEvent = (
    RunStarted
    | TextDeltaEvent
    | ToolCallStartedEvent
    | ToolArgumentsEvent
    | ToolCallEvent
    | UsageUpdateEvent
    | ModelResponseEvent
    | ToolResultEvent
    | RunFinished
)
"""Everything `Agent.run_stream` yields, in the order things happen."""
