"""The OpenAI chat-completions wire format.

One model class serves OpenAI and every server that copies its API: Ollama, vLLM,
llama.cpp server, LM Studio, OpenRouter, Groq, DeepSeek, or any base URL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any

from ..errors import InvalidResponseError, ProviderError
from ..messages import (
    FinishReason,
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from ..providers.provider import Provider
from .http_model import HttpModel
from .request import ModelResponse, ModelSettings, ToolDefinition
from .stream import ModelStream, StreamAssembler, StreamEvent
from .streaming import interrupted_or

__all__ = ["OpenAIChatModel"]

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "eos": "stop",
}


def map_finish_reason(raw: str | None) -> FinishReason:
    """OpenAI's finish reason in llmkit's terms; unknown reasons become ``"other"``."""
    if raw is None:
        return "stop"
    return _FINISH_REASONS.get(raw, "other")


class OpenAIChatModel(HttpModel):
    """A chat model behind ``POST {base_url}/chat/completions``."""

    wire = "openai"

    def __init__(self, model_name: str, *, provider: Provider | str = "openai") -> None:
        super().__init__(model_name, provider=provider)
        # OpenAI's own API wants max_completion_tokens; look-alike servers know max_tokens.
        self._max_tokens_key = (
            "max_completion_tokens"
            if self.provider.base_url == "https://api.openai.com/v1"
            else "max_tokens"
        )

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        body = self.build_body(messages, tools, settings, stream=False)
        data = await self.provider.transport.post_json(
            "chat/completions", body, timeout=settings.timeout if settings else None
        )
        return self.parse_response(data)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelStream:
        body = self.build_body(messages, tools, settings, stream=True)
        timeout = settings.timeout if settings else None
        return ModelStream(self._stream_events(body, timeout))

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts through ``POST {base_url}/embeddings``."""
        if not texts:
            return []
        data = await self.provider.transport.post_json(
            "embeddings", {"model": self.model_name, "input": list(texts)}
        )
        try:
            items = sorted(data["data"], key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._invalid(
                f"embeddings reply lacks data[].embedding ({exc!r})", data
            ) from None
        if len(vectors) != len(texts):
            raise self._invalid(f"asked for {len(texts)} embeddings, got {len(vectors)}", data)
        return vectors

    # -- request -------------------------------------------------------------------------

    def build_body(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition],
        settings: ModelSettings | None,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        """The JSON body of a chat-completions request."""
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": [m for message in messages for m in _to_openai(message)],
        }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if tools:
            body["tools"] = [_tool_to_openai(t) for t in tools]
        if settings is not None:
            self._apply_settings(body, settings, has_tools=bool(tools))
        return body

    def _apply_settings(self, body: dict[str, Any], s: ModelSettings, *, has_tools: bool) -> None:
        if s.max_tokens is not None:
            body[self._max_tokens_key] = s.max_tokens
        for key in ("temperature", "top_p", "stop", "seed"):
            value = getattr(s, key)
            if value is not None:
                body[key] = value
        if has_tools and s.tool_choice is not None:
            if s.tool_choice in ("auto", "none", "required"):
                body["tool_choice"] = s.tool_choice
            else:
                body["tool_choice"] = {"type": "function", "function": {"name": s.tool_choice}}
        if has_tools and s.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = s.parallel_tool_calls
        fmt = s.response_format
        if fmt is not None:
            if fmt.type == "json_object":
                body["response_format"] = {"type": "json_object"}
            else:
                schema: dict[str, Any] = {"name": fmt.name, "schema": fmt.schema}
                if fmt.strict is not None:
                    schema["strict"] = fmt.strict
                body["response_format"] = {"type": "json_schema", "json_schema": schema}
        if s.extra_body:
            body.update(s.extra_body)

    # -- response ------------------------------------------------------------------------

    def parse_response(self, data: Any) -> ModelResponse:
        """A `ModelResponse` from a chat-completions JSON reply."""
        try:
            choice = data["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise self._invalid("the reply has no choices[0].message", data) from None
        if not isinstance(message, dict):
            raise self._invalid("choices[0].message is not an object", data)
        parts: list[TextPart | ToolCallPart] = []
        content = message.get("content")
        if isinstance(content, str) and content:
            parts.append(TextPart(text=content))
        for index, call in enumerate(message.get("tool_calls") or ()):
            parts.append(self._tool_call_part(call, index, data))
        raw_reason = choice.get("finish_reason")
        return ModelResponse(
            message=Message(role="assistant", parts=list(parts)),
            usage=_usage(data.get("usage")),
            finish_reason=map_finish_reason(raw_reason),
            model_name=str(data.get("model") or self.model_name),
            provider=self.provider_name,
            response_id=data.get("id"),
            raw_finish_reason=raw_reason,
        )

    def _tool_call_part(self, call: Any, index: int, data: Any) -> ToolCallPart:
        try:
            function = call["function"]
            name = function["name"]
            arguments = function.get("arguments")
        except (KeyError, TypeError):
            raise self._invalid(f"tool_calls[{index}] lacks function.name", data) from None
        call_id = call.get("id") or f"call_{index}"
        if isinstance(arguments, dict):  # some servers send an object instead of a string
            return ToolCallPart(id=call_id, name=name, arguments=arguments)
        return ToolCallPart.from_raw(id=call_id, name=name, raw_arguments=arguments or "")

    async def _stream_events(
        self, body: dict[str, Any], timeout: float | None
    ) -> AsyncIterator[StreamEvent]:
        asm = StreamAssembler(model_name=self.model_name, provider=self.provider_name)
        sse = self.provider.transport.stream_sse("chat/completions", body, timeout=timeout)
        done = False
        try:
            async with aclosing(sse):
                async for batch in sse:
                    for event in batch:
                        if done:
                            continue  # read to the end so the connection returns to the pool
                        data = event.data
                        if data == "[DONE]":
                            done = True
                            continue
                        chunk = self._decode_event(data)
                        if "error" in chunk:
                            raise ProviderError(
                                f"the stream reported an error: {json.dumps(chunk['error'])[:300]}",
                                provider=self.provider_name,
                            )
                        choices = chunk.get("choices")
                        # Fast path: most chunks carry one choice with a text delta only.
                        if choices and len(choices) == 1 and not chunk.get("usage"):
                            choice = choices[0]
                            delta = choice.get("delta") or {}
                            if "tool_calls" not in delta and not choice.get("finish_reason"):
                                if asm.response_id is None:
                                    asm.response_id = chunk.get("id")
                                text = delta.get("content")
                                if text:
                                    yield asm.text(text)
                                continue
                        for ev in self._chunk_events(asm, chunk):
                            yield ev
            if not done and asm.finish_seen is None:
                raise InvalidResponseError(
                    "the stream ended before the reply finished", provider=self.provider_name
                )
        except ProviderError as exc:
            raise interrupted_or(asm, exc)  # noqa: B904 - its own cause when it wraps
        finish = asm.finish_seen
        for ev in asm.finish(map_finish_reason(finish), finish):
            yield ev

    def _chunk_events(self, asm: StreamAssembler, chunk: dict[str, Any]) -> list[StreamEvent]:
        if asm.response_id is None:
            asm.response_id = chunk.get("id")
        events: list[StreamEvent] = []
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                events.append(asm.text(text))
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                events.extend(
                    asm.tool_call(
                        int(call.get("index", 0)),
                        id=call.get("id"),
                        name=function.get("name"),
                        arguments=function.get("arguments") or "",
                    )
                )
            if choice.get("finish_reason"):
                asm.finish_seen = choice["finish_reason"]
        usage = chunk.get("usage")
        if usage:
            events.append(
                asm.usage(
                    input_tokens=usage.get("prompt_tokens"),
                    output_tokens=usage.get("completion_tokens"),
                )
            )
        return events


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage(requests=1)
    details = raw.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        cache_read_tokens=int(details.get("cached_tokens") or 0),
        requests=1,
    )


def _tool_to_openai(tool: ToolDefinition) -> dict[str, Any]:
    function: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
    }
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def _to_openai(message: Message) -> list[dict[str, Any]]:
    """One llmkit message as one or more OpenAI messages (one per tool result)."""
    results = [p for p in message.parts if isinstance(p, ToolResultPart)]
    if results:
        return [
            {"role": "tool", "tool_call_id": r.tool_call_id, "content": r.content} for r in results
        ]
    if message.role == "assistant":
        # llama.cpp's server rejects `content: null`, so an empty string it is.
        out: dict[str, Any] = {"role": "assistant", "content": message.text}
        calls = message.tool_calls
        if calls:
            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments_json()},
                }
                for c in calls
            ]
        return [out]
    images = any(isinstance(p, ImagePart) for p in message.parts)
    if not images:
        out = {"role": message.role, "content": message.text}
    else:
        out = {"role": message.role, "content": [_content_part(p) for p in message.parts]}
    if message.name:
        out["name"] = message.name
    return [out]


def _content_part(part: Any) -> dict[str, Any]:
    if isinstance(part, ImagePart):
        image: dict[str, Any] = {"url": part.url}
        if part.detail:
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    return {"type": "text", "text": part.text}
