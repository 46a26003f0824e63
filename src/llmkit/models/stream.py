"""Streaming: the typed events a model yields, and the assembler every wire format shares.

A wire-format parser only says what arrived (a text delta, a tool-call fragment at an
index, usage, the finish reason); `StreamAssembler` turns that into events and builds the
finished `ModelResponse`. The response exists only once the provider said it finished, so a
stream that breaks half-way can never be mistaken for a finished message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from ..errors import StreamInterrupted
from ..messages import FinishReason, Message, Part, TextPart, ToolCallPart, Usage
from .request import ModelResponse

__all__ = [
    "FinishEvent",
    "ModelStream",
    "StreamAssembler",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
    "UsageEvent",
]


@dataclass(slots=True, kw_only=True)
class TextDelta:
    """More text of the reply."""

    text: str
    kind: Literal["text_delta"] = "text_delta"


@dataclass(slots=True, kw_only=True)
class ToolCallStart:
    """The model began a tool call; `index` tells concurrent calls apart."""

    index: int
    id: str
    name: str
    kind: Literal["tool_call_start"] = "tool_call_start"


@dataclass(slots=True, kw_only=True)
class ToolCallDelta:
    """A fragment of a tool call's JSON arguments."""

    index: int
    arguments_delta: str
    kind: Literal["tool_call_delta"] = "tool_call_delta"


@dataclass(slots=True, kw_only=True)
class ToolCallEnd:
    """A tool call is complete; `part` has the decoded (or invalid-marked) arguments."""

    index: int
    part: ToolCallPart
    kind: Literal["tool_call_end"] = "tool_call_end"


@dataclass(slots=True, kw_only=True)
class UsageEvent:
    """Token usage reported by the provider (cumulative for this request)."""

    usage: Usage
    kind: Literal["usage"] = "usage"


@dataclass(slots=True, kw_only=True)
class FinishEvent:
    """The reply is finished; `response` is the whole of it."""

    response: ModelResponse
    kind: Literal["finish"] = "finish"


StreamEvent = TextDelta | ToolCallStart | ToolCallDelta | ToolCallEnd | UsageEvent | FinishEvent


@dataclass(slots=True)
class _OpenCall:
    id: str
    name: str
    fragments: list[str] = field(default_factory=list)


class StreamAssembler:
    """Accumulates one streamed reply and emits the matching events.

    Wire-format parsers call `text`, `tool_call`, `usage` and `finish` as chunks arrive.
    """

    __slots__ = (
        "_calls",
        "_ended",
        "_parts",
        "_text",
        "finish_seen",
        "model_name",
        "provider",
        "response_id",
        "usage_so_far",
    )

    def __init__(self, *, model_name: str, provider: str) -> None:
        self.model_name = model_name
        self.provider = provider
        self.response_id: str | None = None
        #: The raw finish reason once the provider sent one (usage may still follow).
        self.finish_seen: str | None = None
        self.usage_so_far = Usage(requests=1)
        self._text: list[str] = []
        self._calls: dict[int, _OpenCall] = {}
        self._parts: list[Part] = []
        self._ended: set[int] = set()

    @property
    def partial_text(self) -> str:
        """The text received so far."""
        return "".join(self._text)

    @property
    def has_content(self) -> bool:
        """Whether anything a caller may have shown has arrived (text or a tool call)."""
        return bool(self._text or self._calls)

    def text(self, delta: str) -> TextDelta:
        self._text.append(delta)
        return TextDelta(text=delta)

    def tool_call(
        self, index: int, *, id: str | None = None, name: str | None = None, arguments: str = ""
    ) -> list[StreamEvent]:
        """Record a tool-call fragment; the first fragment at an index starts the call."""
        events: list[StreamEvent] = []
        call = self._calls.get(index)
        if call is None:
            self._flush_text()
            call = self._calls[index] = _OpenCall(id=id or f"call_{index}", name=name or "")
            events.append(ToolCallStart(index=index, id=call.id, name=call.name))
        if arguments:
            call.fragments.append(arguments)
            events.append(ToolCallDelta(index=index, arguments_delta=arguments))
        return events

    def end_tool_call(self, index: int) -> ToolCallEnd | None:
        """Close the call at `index` (wire formats that say so); None if unknown or closed."""
        call = self._calls.get(index)
        if call is None or index in self._ended:
            return None
        self._ended.add(index)
        part = ToolCallPart.from_raw(
            id=call.id, name=call.name, raw_arguments="".join(call.fragments)
        )
        self._parts.append(part)
        return ToolCallEnd(index=index, part=part)

    def usage(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cache_read_tokens: int | None = None,
    ) -> UsageEvent:
        u = self.usage_so_far
        if input_tokens is not None:
            u.input_tokens = input_tokens
        if output_tokens is not None:
            u.output_tokens = output_tokens
        if cache_read_tokens is not None:
            u.cache_read_tokens = cache_read_tokens
        return UsageEvent(
            usage=Usage(
                input_tokens=u.input_tokens,
                output_tokens=u.output_tokens,
                cache_read_tokens=u.cache_read_tokens,
                requests=1,
            )
        )

    def finish(self, reason: FinishReason, raw_reason: str | None = None) -> list[StreamEvent]:
        """Close open tool calls and emit the finished response."""
        events: list[StreamEvent] = []
        for index in sorted(self._calls):
            end = self.end_tool_call(index)
            if end is not None:
                events.append(end)
        self._flush_text()
        if reason == "stop" and any(isinstance(p, ToolCallPart) for p in self._parts):
            reason = "tool_calls"
        response = ModelResponse(
            message=Message(role="assistant", parts=self._parts),
            usage=self.usage_so_far,
            finish_reason=reason,
            model_name=self.model_name,
            provider=self.provider,
            response_id=self.response_id,
            raw_finish_reason=raw_reason,
        )
        events.append(FinishEvent(response=response))
        return events

    def _flush_text(self) -> None:
        if self._text:
            self._parts.append(TextPart(text="".join(self._text)))
            self._text = []


class ModelStream:
    """A streamed reply: iterate it for events, then read `response`.

    Use it as ``async with model.stream(...) as stream`` so the connection is released even
    if you stop reading early.
    """

    __slots__ = ("_events", "_response", "_text")

    def __init__(self, events: AsyncIterator[StreamEvent]) -> None:
        self._events = events
        self._response: ModelResponse | None = None
        self._text: list[str] = []

    async def __aenter__(self) -> ModelStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> ModelStream:
        return self

    async def __anext__(self) -> StreamEvent:
        event = await self._events.__anext__()
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, FinishEvent):
            self._response = event.response
        return event

    async def aclose(self) -> None:
        """Stop the stream and release its connection."""
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()

    @property
    def text(self) -> str:
        """Text received so far."""
        return "".join(self._text)

    @property
    def response(self) -> ModelResponse:
        """The finished reply. Raises `StreamInterrupted` if the stream has not finished."""
        if self._response is None:
            raise StreamInterrupted("the stream has not finished", partial_text=self.text)
        return self._response

    async def get_response(self) -> ModelResponse:
        """Read the rest of the stream and return the finished reply."""
        async for _ in self:
            pass
        return self.response
