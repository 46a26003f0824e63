"""The Anthropic Messages API wire format (``POST {base_url}/messages``).

Structured output: the API has no generic JSON mode. ``ResponseFormat(type="json_schema")``
becomes a tool named after the format, whose input schema is the schema, that the model must
call; its input comes back as the reply's JSON text (a schema that is not an object is wrapped
as the tool's ``value`` argument and unwrapped again). ``json_object`` adds an instruction to
the system prompt. ``ModelSettings.seed`` has no Anthropic equivalent and is not sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from llmkit.errors import (
    AuthenticationError,
    ConfigError,
    InvalidResponseError,
    ProviderError,
    RateLimitError,
    ServerError,
)
from llmkit.messages import FinishReason, ImagePart, Message, Part, TextPart, ToolCallPart, Usage
from llmkit.models.http_model import HttpModel
from llmkit.models.request import ModelResponse, ModelSettings, ToolDefinition
from llmkit.models.stream import ModelStream, StreamAssembler, StreamEvent
from llmkit.models.streaming import interrupted_or
from llmkit.providers.provider import Provider

__all__ = ["AnthropicModel", "map_stop_reason"]

_STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

# `event: error` types sent mid-stream (the HTTP status was already 200).
_STREAM_ERRORS: dict[str, type[ProviderError]] = {
    "overloaded_error": ServerError,
    "api_error": ServerError,
    "rate_limit_error": RateLimitError,
    "authentication_error": AuthenticationError,
    "permission_error": AuthenticationError,
}

JSON_OBJECT_INSTRUCTION = "Respond with a single JSON object and nothing else (no code fences)."


def map_stop_reason(raw: str | None) -> FinishReason:
    """Anthropic's stop reason in llmkit's terms; unknown reasons become ``"other"``."""
    if raw is None:
        return "stop"
    return _STOP_REASONS.get(raw, "other")


@dataclass(slots=True, frozen=True)
class _OutputTool:
    """The forced tool that carries a ``json_schema`` response format."""

    name: str
    schema: dict[str, Any]
    wrapped: bool  # the caller's schema is not an object: it is the `value` argument

    @classmethod
    def of(cls, settings: ModelSettings | None) -> _OutputTool | None:
        fmt = settings.response_format if settings else None
        if fmt is None or fmt.type != "json_schema" or fmt.schema is None:
            return None
        if fmt.schema.get("type") == "object":
            return cls(fmt.name, fmt.schema, wrapped=False)
        # Tool inputs must be objects.
        wrapper = {"type": "object", "properties": {"value": fmt.schema}, "required": ["value"]}
        return cls(fmt.name, wrapper, wrapped=True)

    def definition(self) -> dict[str, Any]:
        description = "Give your final answer as this tool's input."
        return {"name": self.name, "description": description, "input_schema": self.schema}

    def json_text(self, arguments: Any) -> str:
        value = (
            arguments.get("value") if self.wrapped and isinstance(arguments, dict) else arguments
        )
        return json.dumps(value, ensure_ascii=False)


@dataclass(slots=True)
class _StreamState:
    output: _OutputTool | None
    tool_blocks: set[int] = field(default_factory=set)
    # Output-tool blocks: their JSON is text; a wrapped one is buffered to be unwrapped.
    output_blocks: dict[int, list[str]] = field(default_factory=dict)
    stopped: bool = False


class AnthropicModel(HttpModel):
    """A Claude model behind ``POST {base_url}/messages``.

    Args:
        model_name: The model as Anthropic names it (``claude-sonnet-4-5``).
        provider: A `Provider`, or the name of one to resolve from the configuration.
        default_max_tokens: ``max_tokens`` (required by the API) when the settings omit it.
    """

    wire = "anthropic"

    def __init__(
        self,
        model_name: str,
        *,
        provider: Provider | str = "anthropic",
        default_max_tokens: int = 4096,
    ) -> None:
        if default_max_tokens < 1:
            raise ConfigError(f"default_max_tokens must be positive, got {default_max_tokens}")
        super().__init__(model_name, provider=provider)
        self.default_max_tokens = default_max_tokens

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        body = self.build_body(messages, tools, settings, stream=False)
        data = await self.provider.transport.post_json(
            "messages", body, timeout=settings.timeout if settings else None
        )
        return self.parse_response(data, _OutputTool.of(settings))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelStream:
        body = self.build_body(messages, tools, settings, stream=True)
        timeout = settings.timeout if settings else None
        return ModelStream(self._stream_events(body, timeout, _OutputTool.of(settings)))

    # -- request -------------------------------------------------------------------------

    def build_body(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition],
        settings: ModelSettings | None,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        """The JSON body of a Messages API request."""
        s = settings or ModelSettings()
        system, turns = _to_anthropic(messages)
        fmt = s.response_format
        if fmt is not None and fmt.type == "json_object":
            system = f"{system}\n\n{JSON_OBJECT_INSTRUCTION}" if system else JSON_OBJECT_INSTRUCTION
        body: dict[str, Any] = {
            "model": self.model_name,
            "max_tokens": s.max_tokens if s.max_tokens is not None else self.default_max_tokens,
            "messages": turns,
        }
        if system:
            body["system"] = system
        if stream:
            body["stream"] = True
        wire = {"temperature": s.temperature, "top_p": s.top_p, "stop_sequences": s.stop}
        body.update({key: value for key, value in wire.items() if value is not None})
        output = _OutputTool.of(s)
        wire_tools = [_tool_to_anthropic(t) for t in tools]
        if output is not None:
            wire_tools.append(output.definition())
        if wire_tools:
            body["tools"] = wire_tools
            choice = _tool_choice(s, output, has_user_tools=bool(tools))
            if choice is not None:
                body["tool_choice"] = choice
        if s.extra_body:
            body.update(s.extra_body)
        return body

    # -- response ------------------------------------------------------------------------

    def parse_response(self, data: Any, output: _OutputTool | None = None) -> ModelResponse:
        """A `ModelResponse` from a Messages API JSON reply."""
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise self._invalid("the reply has no content list", data)
        parts: list[Part] = []
        for index, block in enumerate(data["content"]):
            if not isinstance(block, dict):
                raise self._invalid(f"content[{index}] is not an object", data)
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str) and block["text"]:
                parts.append(TextPart(text=block["text"]))
            elif kind == "tool_use":
                parts.append(self._tool_use_part(block, index, data, output))
            # thinking, redacted_thinking and server-tool blocks are not part of the answer.
        raw_reason = data.get("stop_reason")
        reason = map_stop_reason(raw_reason)
        if reason == "tool_calls" and not any(isinstance(p, ToolCallPart) for p in parts):
            reason = "stop"  # the only tool called was the structured-output one
        return ModelResponse(
            message=Message(role="assistant", parts=parts),
            usage=_usage(data.get("usage")),
            finish_reason=reason,
            model_name=str(data.get("model") or self.model_name),
            provider=self.provider_name,
            response_id=data.get("id"),
            raw_finish_reason=raw_reason,
        )

    def _tool_use_part(
        self, block: dict[str, Any], index: int, data: Any, output: _OutputTool | None
    ) -> Part:
        name = block.get("name")
        if not isinstance(name, str) or not name:
            raise self._invalid(f"content[{index}] (tool_use) has no name", data)
        arguments = block.get("input", {})
        if output is not None and name == output.name:
            return TextPart(text=output.json_text(arguments))
        call_id = str(block.get("id") or f"call_{index}")
        if isinstance(arguments, dict):
            return ToolCallPart(id=call_id, name=name, arguments=arguments)
        return ToolCallPart.from_raw(id=call_id, name=name, raw_arguments=json.dumps(arguments))

    async def _stream_events(
        self, body: dict[str, Any], request_timeout: float | None, output: _OutputTool | None
    ) -> AsyncIterator[StreamEvent]:
        asm = StreamAssembler(model_name=self.model_name, provider=self.provider_name)
        state = _StreamState(output)
        sse = self.provider.transport.stream_sse("messages", body, timeout=request_timeout)
        try:
            async with aclosing(sse):
                async for batch in sse:
                    for event in batch:
                        if state.stopped:
                            continue  # read to the end so the connection returns to the pool
                        for ev in self._event(asm, state, event.event, event.data):
                            yield ev
            if not state.stopped:
                raise InvalidResponseError(
                    "the stream ended before message_stop", provider=self.provider_name
                )
        except ProviderError as exc:
            error = interrupted_or(asm, exc)
            if error is exc:
                raise
            raise error from exc
        raw_reason = asm.finish_seen
        reason = map_stop_reason(raw_reason)
        if reason == "tool_calls" and not state.tool_blocks:
            reason = "stop"  # the only tool called was the structured-output one
        for ev in asm.finish(reason, raw_reason):
            yield ev

    def _event(
        self, asm: StreamAssembler, state: _StreamState, name: str, data: str
    ) -> list[StreamEvent]:
        payload = self._decode_event(data)
        kind = payload.get("type") if name == "message" else name
        if kind == "message_start":
            message = payload.get("message") or {}
            asm.response_id = message.get("id")
            return self._usage_event(asm, message.get("usage"))
        if kind == "content_block_start":
            index, block = self._index(payload), payload.get("content_block") or {}
            if block.get("type") == "text" and block.get("text"):
                return [asm.text(block["text"])]
            if block.get("type") != "tool_use":
                return []  # thinking and server-tool blocks
            if state.output is not None and block.get("name") == state.output.name:
                state.output_blocks[index] = []
                return []
            state.tool_blocks.add(index)
            return asm.tool_call(index, id=block.get("id"), name=block.get("name"))
        if kind == "content_block_delta":
            return self._delta(asm, state, self._index(payload), payload.get("delta") or {})
        if kind == "content_block_stop":
            index = self._index(payload)
            if index in state.tool_blocks:
                end = asm.end_tool_call(index)
                return [end] if end is not None else []
            if state.output is not None and state.output.wrapped and index in state.output_blocks:
                raw = "".join(state.output_blocks[index]) or "{}"
                try:
                    arguments = json.loads(raw)
                except ValueError:
                    raise self._invalid("the structured output is not JSON", raw) from None
                return [asm.text(state.output.json_text(arguments))]
            return []
        if kind == "message_delta":
            stop_reason = (payload.get("delta") or {}).get("stop_reason")
            if stop_reason:
                asm.finish_seen = stop_reason
            return self._usage_event(asm, payload.get("usage"))
        if kind == "message_stop":
            state.stopped = True
        elif kind == "error":
            raise self._stream_error(payload)
        return []  # ping, and event types added after this was written

    def _delta(
        self, asm: StreamAssembler, state: _StreamState, index: int, delta: dict[str, Any]
    ) -> list[StreamEvent]:
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text")
            return [asm.text(text)] if isinstance(text, str) and text else []
        if kind != "input_json_delta":
            return []  # thinking_delta, signature_delta, citations_delta
        fragment = str(delta.get("partial_json") or "")
        if index in state.tool_blocks:
            return asm.tool_call(index, arguments=fragment)
        if index in state.output_blocks and fragment:
            if state.output is not None and state.output.wrapped:
                state.output_blocks[index].append(fragment)
                return []
            return [asm.text(fragment)]
        return []

    def _usage_event(self, asm: StreamAssembler, raw: Any) -> list[StreamEvent]:
        fields = _usage_fields(raw)
        return [asm.usage(**fields)] if fields else []

    def _index(self, payload: dict[str, Any]) -> int:
        index = payload.get("index")
        if not isinstance(index, int):
            raise self._invalid(f"a {payload.get('type')} event has no index", payload)
        return index

    def _stream_error(self, payload: dict[str, Any]) -> ProviderError:
        error = payload.get("error")
        error = error if isinstance(error, dict) else {}
        kind = str(error.get("type") or "error")
        message = str(error.get("message") or "no message")
        return _STREAM_ERRORS.get(kind, ProviderError)(
            f"the stream reported {kind}: {message}",
            provider=self.provider_name,
            body=json.dumps(payload),
        )


def _usage(raw: Any) -> Usage:
    fields = _usage_fields(raw)
    return Usage(
        input_tokens=fields.get("input_tokens", 0),
        output_tokens=fields.get("output_tokens", 0),
        cache_read_tokens=fields.get("cache_read_tokens", 0),
        requests=1,
    )


def _usage_fields(raw: Any) -> dict[str, int]:
    """The usage fields present in `raw`, in llmkit's terms."""
    if not isinstance(raw, dict):
        return {}
    fields: dict[str, int] = {}
    cache_read = int(raw.get("cache_read_input_tokens") or 0)
    if "input_tokens" in raw:
        # Anthropic counts cached prompt tokens apart; llmkit's input_tokens is the whole
        # prompt, as OpenAI and Gemini report it.
        cache_write = int(raw.get("cache_creation_input_tokens") or 0)
        fields["input_tokens"] = int(raw.get("input_tokens") or 0) + cache_read + cache_write
    if "output_tokens" in raw:
        fields["output_tokens"] = int(raw.get("output_tokens") or 0)
    if "cache_read_input_tokens" in raw:
        fields["cache_read_tokens"] = cache_read
    return fields


def _tool_choice(
    s: ModelSettings, output: _OutputTool | None, *, has_user_tools: bool
) -> dict[str, Any] | None:
    name = s.tool_choice
    if output is not None and not has_user_tools:
        name = output.name
    elif output is not None and name is None:
        name = "required"  # call a tool or give the structured answer, never plain text
    if name == "none":
        return {"type": "none"}
    if name is None and s.parallel_tool_calls is not False:
        return None  # the API's default: auto
    choice: dict[str, Any]
    if name is None or name == "auto":
        choice = {"type": "auto"}
    elif name == "required":
        choice = {"type": "any"}
    else:
        choice = {"type": "tool", "name": name}
    if s.parallel_tool_calls is False:
        choice["disable_parallel_tool_use"] = True
    return choice


def _tool_to_anthropic(tool: ToolDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name, "input_schema": tool.parameters}
    if tool.description:
        out["description"] = tool.description
    return out


def _to_anthropic(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    """The system prompt and the alternating user/assistant turns of a conversation."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            if message.text:
                system.append(message.text)
            continue
        role = "assistant" if message.role == "assistant" else "user"  # tool results: user
        blocks = [_block(p) for p in message.parts]
        content = [b for b in blocks if b is not None]
        if not content:
            continue  # the API rejects empty turns
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(content)  # the API requires alternating roles
        else:
            turns.append({"role": role, "content": content})
    for turn in turns:
        if turn["role"] == "user":
            # The API wants a user turn's tool results before its other blocks (stable sort).
            turn["content"].sort(key=lambda b: b["type"] != "tool_result")
    return "\n\n".join(system), turns


def _block(part: Part) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text} if part.text else None  # no empty blocks
    if isinstance(part, ImagePart):
        return {"type": "image", "source": _image_source(part)}
    if isinstance(part, ToolCallPart):
        # `input` must be an object: garbled arguments go back as {} (the tool result that
        # follows tells the model what was wrong).
        arguments = part.arguments if part.arguments is not None else {}
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": arguments}
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": part.tool_call_id,
        "is_error": part.is_error,
    }
    if part.content:
        block["content"] = part.content
    return block


def _image_source(part: ImagePart) -> dict[str, Any]:
    if not part.url.startswith("data:"):
        return {"type": "url", "url": part.url}
    header, _, payload = part.url.partition(",")
    media_type = header[5:].split(";", 1)[0] or part.media_type or "application/octet-stream"
    if not header.endswith(";base64"):  # a percent-encoded data: URL
        payload = base64.b64encode(unquote_to_bytes(payload)).decode("ascii")
    return {"type": "base64", "media_type": media_type, "data": payload}
