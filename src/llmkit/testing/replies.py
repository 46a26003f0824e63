"""The shared machinery of llmkit's test models: replies built in-process, streamed in chunks."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..messages import Message, TextPart, ToolCallPart, Usage
from ..models.base import Model
from ..models.request import ModelResponse, ModelSettings, ToolDefinition
from ..models.stream import ModelStream, StreamAssembler, StreamEvent

__all__ = [
    "InProcessModel",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "last_user_text",
    "to_response",
]


@dataclass(slots=True, kw_only=True)
class ToolCall:
    """A scripted tool call: the model asks for `name` with `args`."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


Reply = str | ToolCall | list[ToolCall] | Message | ModelResponse | BaseException
"""What a test model may answer: text, tool call(s), a whole message or response, or an error
to raise (to test retries and fallbacks)."""


@dataclass(slots=True, kw_only=True)
class RecordedRequest:
    """One request a test model received, as the caller sent it."""

    messages: list[Message]
    tools: list[ToolDefinition]
    settings: ModelSettings | None
    stream: bool


def _estimate_tokens(text: str) -> int:
    # A rough word count keeps usage non-zero and monotonic without a tokenizer.
    return max(1, len(text.split()))


def to_response(reply: Reply, *, model_name: str, provider: str, prompt: str) -> ModelResponse:
    """Turn a scripted reply into a finished `ModelResponse` (errors are raised)."""
    if isinstance(reply, BaseException):
        raise reply
    if isinstance(reply, ModelResponse):
        return reply
    if isinstance(reply, Message):
        message = reply
    elif isinstance(reply, str):
        message = Message.assistant(reply)
    else:
        calls = [reply] if isinstance(reply, ToolCall) else list(reply)
        message = Message(
            role="assistant",
            parts=[
                ToolCallPart(id=c.id or f"call_{i}", name=c.name, arguments=dict(c.args))
                for i, c in enumerate(calls)
            ],
        )
    out_text = message.text + "".join(c.arguments_json() for c in message.tool_calls)
    return ModelResponse(
        message=message,
        usage=Usage(
            input_tokens=_estimate_tokens(prompt),
            output_tokens=_estimate_tokens(out_text) if out_text else 0,
            requests=1,
        ),
        finish_reason="tool_calls" if message.tool_calls else "stop",
        model_name=model_name,
        provider=provider,
    )


class InProcessModel(Model):
    """A model whose reply is computed in-process; streaming replays it in chunks.

    Every request is recorded in `requests`, so tests can assert what a caller sent.
    """

    def __init__(self, *, model_name: str, provider_name: str, chunk_size: int = 4) -> None:
        self.model_name = model_name
        self.provider_name = provider_name
        self.chunk_size = chunk_size
        self.requests: list[RecordedRequest] = []

    @abstractmethod
    async def _reply(self, request: RecordedRequest) -> Reply:
        """The reply to one recorded request."""

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        recorded = self._record(messages, tools, settings, stream=False)
        return self._respond(await self._reply(recorded), recorded)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelStream:
        recorded = self._record(messages, tools, settings, stream=True)
        return ModelStream(self._stream_events(recorded))

    async def _stream_events(self, recorded: RecordedRequest) -> AsyncIterator[StreamEvent]:
        response = self._respond(await self._reply(recorded), recorded)
        asm = StreamAssembler(model_name=response.model_name, provider=response.provider)
        asm.response_id = response.response_id
        size = max(1, self.chunk_size)
        for index, part in enumerate(response.message.parts):
            if isinstance(part, TextPart):
                for start in range(0, len(part.text), size):
                    yield asm.text(part.text[start : start + size])
            elif isinstance(part, ToolCallPart):
                raw = part.arguments_json()
                for event in asm.tool_call(index, id=part.id, name=part.name):
                    yield event
                for start in range(0, len(raw), size):
                    for event in asm.tool_call(index, arguments=raw[start : start + size]):
                        yield event
                end = asm.end_tool_call(index)
                if end is not None:
                    yield end
        u = response.usage
        yield asm.usage(input_tokens=u.input_tokens, output_tokens=u.output_tokens)
        for event in asm.finish(response.finish_reason, response.raw_finish_reason):
            yield event

    def _record(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition],
        settings: ModelSettings | None,
        *,
        stream: bool,
    ) -> RecordedRequest:
        recorded = RecordedRequest(
            messages=list(messages), tools=list(tools), settings=settings, stream=stream
        )
        self.requests.append(recorded)
        return recorded

    def _respond(self, reply: Reply, recorded: RecordedRequest) -> ModelResponse:
        prompt = " ".join(m.text for m in recorded.messages)
        return to_response(
            reply, model_name=self.model_name, provider=self.provider_name, prompt=prompt
        )


def last_user_text(messages: Sequence[Message]) -> str:
    """The text of the last user message (handy in FunctionModel functions)."""
    for message in reversed(messages):
        if message.role == "user":
            return message.text
    return ""
