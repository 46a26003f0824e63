"""The Google Gemini wire format (``generateContent`` on the Generative Language API).

Tool parameter schemas are sent as ``parameters``, in Gemini's OpenAPI-style subset of JSON
Schema: keys outside that subset (``$schema``, ``additionalProperties``, ``$ref``…) are dropped
recursively, and ``"type": ["string", "null"]`` becomes ``"type": "string", "nullable": true``.
Inline ``$ref`` definitions before relying on them. ``ResponseFormat(type="json_schema")`` is
sent as ``responseJsonSchema``, which takes standard JSON Schema unchanged.
``parallel_tool_calls`` has no Gemini equivalent and is not sent.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any
from urllib.parse import unquote_to_bytes

from llmkit.errors import (
    AuthenticationError,
    InvalidResponseError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
)
from llmkit.messages import (
    FinishReason,
    ImagePart,
    Message,
    Part,
    TextPart,
    ToolCallPart,
    Usage,
)
from llmkit.models.http_model import HttpModel
from llmkit.models.request import ModelResponse, ModelSettings, ToolDefinition
from llmkit.models.stream import ModelStream, StreamAssembler, StreamEvent, ToolCallStart
from llmkit.models.streaming import interrupted_or
from llmkit.providers.provider import Provider

__all__ = ["GeminiModel", "clean_schema", "map_finish_reason"]

_FINISH_REASONS: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
}

# The keys of Gemini's `Schema` object; anything else is rejected by older API versions.
_SCHEMA_KEYS = frozenset({
    "type", "format", "description", "nullable", "enum", "items", "properties", "required",
    "minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength",
    "pattern", "minimum", "maximum", "anyOf", "propertyOrdering", "default", "example",
})  # fmt: skip

# google.rpc status names, for an error object sent inside a 200 stream.
_STATUS_ERRORS: dict[str, type[ProviderError]] = {
    "RESOURCE_EXHAUSTED": RateLimitError,
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": AuthenticationError,
    "UNAVAILABLE": ServerError,
    "INTERNAL": ServerError,
    "DEADLINE_EXCEEDED": ProviderTimeout,
}

_Json = dict[str, Any]
_TOOL_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}


def map_finish_reason(raw: str | None) -> FinishReason:
    """Gemini's finish reason in llmkit's terms; unknown reasons become ``"other"``."""
    if raw is None:
        return "stop"
    return _FINISH_REASONS.get(raw, "other")


def clean_schema(schema: Any) -> Any:
    """A JSON schema reduced to the subset Gemini's ``Schema`` object accepts."""
    if isinstance(schema, list):
        return [clean_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: clean_schema(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = clean_schema(value)
        elif key in _SCHEMA_KEYS:
            out[key] = value
    kind = out.get("type")
    if isinstance(kind, list):  # ["string", "null"]: Gemini wants one type, maybe nullable
        types = [t for t in kind if t != "null"]
        if len(types) < len(kind):
            out["nullable"] = True
        if len(types) == 1:
            out["type"] = types[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": t} for t in types]
    return out


class GeminiModel(HttpModel):
    """A Gemini model behind ``POST {base_url}/models/{model}:generateContent``.

    Args:
        model_name: The model as Google names it (``gemini-2.5-flash``); a name with a slash
            (``tunedModels/x``) is used as the resource path as is.
        provider: A `Provider`, or the name of one to resolve from the configuration.
    """

    wire = "gemini"

    def __init__(self, model_name: str, *, provider: Provider | str = "gemini") -> None:
        super().__init__(model_name, provider=provider)
        self._resource = model_name if "/" in model_name else f"models/{model_name}"

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        body = self.build_body(messages, tools, settings)
        timeout = settings.timeout if settings else None
        try:
            data = await self.provider.transport.post_json(
                f"{self._resource}:generateContent", body, timeout=timeout
            )
        except ProviderError as exc:
            _raise_auth_error(exc)
            raise
        return self.parse_response(data)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelStream:
        body = self.build_body(messages, tools, settings)
        timeout = settings.timeout if settings else None
        return ModelStream(self._stream_events(body, timeout))

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts through ``POST {base_url}/models/{model}:batchEmbedContents``."""
        if not texts:
            return []
        requests = [{"model": self._resource, "content": {"parts": [{"text": t}]}} for t in texts]
        try:
            data = await self.provider.transport.post_json(
                f"{self._resource}:batchEmbedContents", {"requests": requests}
            )
        except ProviderError as exc:
            _raise_auth_error(exc)
            raise
        try:
            vectors = [[float(x) for x in item["values"]] for item in data["embeddings"]]
        except (KeyError, TypeError, ValueError) as exc:
            message = f"embeddings reply lacks embeddings[].values ({exc!r})"
            raise self._invalid(message, data) from None
        if len(vectors) != len(texts):
            raise self._invalid(f"asked for {len(texts)} embeddings, got {len(vectors)}", data)
        return vectors

    # -- request -------------------------------------------------------------------------

    def build_body(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition],
        settings: ModelSettings | None,
    ) -> dict[str, Any]:
        """The JSON body of a generateContent request (the streamed one is the same)."""
        system, contents = _to_gemini(messages)
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        if tools:
            declarations = [_tool_to_gemini(t) for t in tools]
            body["tools"] = [{"functionDeclarations": declarations}]
        s = settings or ModelSettings()
        if tools and s.tool_choice is not None:
            mode = _TOOL_MODES.get(s.tool_choice)
            calling: dict[str, Any] = {"mode": mode or "ANY"}
            if mode is None:  # the name of the one tool to call
                calling["allowedFunctionNames"] = [s.tool_choice]
            body["toolConfig"] = {"functionCallingConfig": calling}
        generation: dict[str, Any] = {
            "maxOutputTokens": s.max_tokens,
            "temperature": s.temperature,
            "topP": s.top_p,
            "stopSequences": s.stop,
            "seed": s.seed,
        }
        fmt = s.response_format
        if fmt is not None:
            generation["responseMimeType"] = "application/json"
            if fmt.type == "json_schema":
                generation["responseJsonSchema"] = fmt.schema
        generation = {key: value for key, value in generation.items() if value is not None}
        if generation:
            body["generationConfig"] = generation
        for key, value in (s.extra_body or {}).items():
            # Most vendor options live in generationConfig: merge into it, don't replace it.
            if isinstance(value, dict) and isinstance(body.get(key), dict):
                body[key] = {**body[key], **value}
            else:
                body[key] = value
        return body

    # -- response ------------------------------------------------------------------------

    def parse_response(self, data: Any) -> ModelResponse:
        """A `ModelResponse` from a generateContent JSON reply."""
        if not isinstance(data, dict):
            raise self._invalid("the reply is not a JSON object", data)
        candidate, raw_parts = self._candidate(data)
        block_reason = (data.get("promptFeedback") or {}).get("blockReason")
        parts: list[Part] = []
        for part in raw_parts:
            if isinstance(part.get("text"), str) and part["text"]:
                parts.append(TextPart(text=part["text"]))
            elif isinstance(part.get("functionCall"), dict):
                calls = sum(isinstance(p, ToolCallPart) for p in parts)
                parts.append(self._call_part(part, calls, data))
        raw_reason: str | None
        if candidate is not None:
            raw_reason = candidate.get("finishReason")
            reason = map_finish_reason(raw_reason)
        elif block_reason:  # the prompt itself was blocked: an empty, filtered reply
            raw_reason, reason = str(block_reason), "content_filter"
        else:
            raise self._invalid("the reply has no candidates", data)
        if reason == "stop" and any(isinstance(p, ToolCallPart) for p in parts):
            reason = "tool_calls"
        return ModelResponse(
            message=Message(role="assistant", parts=parts),
            usage=_usage(data.get("usageMetadata")),
            finish_reason=reason,
            model_name=str(data.get("modelVersion") or self.model_name),
            provider=self.provider_name,
            response_id=data.get("responseId"),
            raw_finish_reason=raw_reason,
        )

    def _candidate(self, data: _Json) -> tuple[_Json | None, list[_Json]]:
        """The first candidate (None if there is none) and its answer parts (no thoughts)."""
        candidates = data.get("candidates")
        if not candidates:
            return None, []
        candidate = candidates[0] if isinstance(candidates, list) else None
        content = (candidate.get("content") or {}) if isinstance(candidate, dict) else None
        parts = (content.get("parts") or []) if isinstance(content, dict) else None
        if candidate is None or not isinstance(parts, list):
            raise self._invalid("candidates[0] has no content.parts list", data)
        # Thought summaries (`thought: true`) are not part of the answer.
        return candidate, [p for p in parts if isinstance(p, dict) and not p.get("thought")]

    def _call_part(self, part: dict[str, Any], index: int, data: Any) -> ToolCallPart:
        tool_call = self._bare_call_part(part["functionCall"], index, data)
        # Thinking models sign their calls; the signature must come back with the call.
        signature = part.get("thoughtSignature")
        if isinstance(signature, str):
            tool_call.provider_data = {"thoughtSignature": signature}
        return tool_call

    def _bare_call_part(self, call: dict[str, Any], index: int, data: Any) -> ToolCallPart:
        name = call.get("name")
        if not isinstance(name, str) or not name:
            raise self._invalid("a functionCall has no name", data)
        # Gemini rarely sends ids; a synthesized one only has to pair the call with its result.
        call_id = str(call.get("id") or f"call_{index}")
        arguments = call.get("args", {})
        if isinstance(arguments, dict):
            return ToolCallPart(id=call_id, name=name, arguments=arguments)
        return ToolCallPart.from_raw(id=call_id, name=name, raw_arguments=json.dumps(arguments))

    async def _stream_events(
        self, body: dict[str, Any], request_timeout: float | None
    ) -> AsyncIterator[StreamEvent]:
        asm = StreamAssembler(model_name=self.model_name, provider=self.provider_name)
        path = f"{self._resource}:streamGenerateContent"
        sse = self.provider.transport.stream_sse(
            path, body, timeout=request_timeout, params={"alt": "sse"}
        )
        calls = 0  # function calls so far: each arrives whole, indexed like parse_response
        blocked = False
        try:
            async with aclosing(sse):
                async for batch in sse:
                    for event in batch:
                        chunk = self._decode_event(event.data)
                        for ev in self._chunk_events(asm, chunk, calls):
                            calls += isinstance(ev, ToolCallStart)
                            yield ev
                        block_reason = (chunk.get("promptFeedback") or {}).get("blockReason")
                        if block_reason and not chunk.get("candidates"):
                            asm.finish_seen, blocked = block_reason, True
            if asm.finish_seen is None:
                raise InvalidResponseError(
                    "the stream ended before a finishReason", provider=self.provider_name
                )
        except ProviderError as exc:
            error = interrupted_or(asm, _auth_error(exc))
            if error is exc:
                raise
            raise error from exc
        raw_reason = asm.finish_seen
        reason: FinishReason = "content_filter" if blocked else map_finish_reason(raw_reason)
        for ev in asm.finish(reason, raw_reason):
            yield ev

    def _chunk_events(
        self, asm: StreamAssembler, chunk: dict[str, Any], calls: int
    ) -> list[StreamEvent]:
        if "error" in chunk:
            raise self._stream_error(chunk)
        if asm.response_id is None:
            asm.response_id = chunk.get("responseId")
        events: list[StreamEvent] = []
        candidate, parts = self._candidate(chunk)
        for part in parts:
            if isinstance(part.get("text"), str) and part["text"]:
                events.append(asm.text(part["text"]))
            elif isinstance(part.get("functionCall"), dict):
                # A function call arrives whole: start, all arguments, end.
                call = self._call_part(part, calls, chunk)
                args = call.arguments_json()
                events.extend(asm.tool_call(calls, id=call.id, name=call.name, arguments=args))
                end = asm.end_tool_call(calls)
                if end is not None:
                    end.part.provider_data = call.provider_data
                    events.append(end)
                calls += 1
        if candidate is not None and candidate.get("finishReason"):
            asm.finish_seen = str(candidate["finishReason"])
        usage = chunk.get("usageMetadata")
        if isinstance(usage, dict):
            u = _usage(usage)
            events.append(
                asm.usage(
                    input_tokens=u.input_tokens,
                    output_tokens=u.output_tokens,
                    cache_read_tokens=u.cache_read_tokens,
                )
            )
        return events

    def _stream_error(self, chunk: dict[str, Any]) -> ProviderError:
        error = chunk["error"] if isinstance(chunk["error"], dict) else {}
        status = str(error.get("status") or "")
        message = str(error.get("message") or "no message")
        return _STATUS_ERRORS.get(status, ProviderError)(
            f"the stream reported {status or 'an error'}: {message}",
            provider=self.provider_name,
            body=json.dumps(chunk),
        )


def _raise_auth_error(exc: ProviderError) -> None:
    error = _auth_error(exc)
    if error is not exc:
        raise error from exc


def _auth_error(exc: ProviderError) -> ProviderError:
    """Gemini answers a bad API key with HTTP 400: make it the `AuthenticationError` it is."""
    body = exc.body or ""
    if type(exc) is ProviderError and ("API_KEY_INVALID" in body or "API key not valid" in body):
        return AuthenticationError(
            str(exc.args[0]) if exc.args else "invalid API key",
            provider=exc.provider,
            status_code=exc.status_code,
            body=exc.body,
        )
    return exc


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage(requests=1)
    return Usage(
        input_tokens=int(raw.get("promptTokenCount") or 0),
        # Thinking tokens are billed as output, as OpenAI and Anthropic count them.
        output_tokens=int(raw.get("candidatesTokenCount") or 0)
        + int(raw.get("thoughtsTokenCount") or 0),
        cache_read_tokens=int(raw.get("cachedContentTokenCount") or 0),
        requests=1,
    )


def _tool_to_gemini(tool: ToolDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    parameters = clean_schema(tool.parameters)
    # A tool without arguments is declared without parameters (an empty object is rejected).
    if parameters.get("properties") or parameters.get("type") != "object":
        out["parameters"] = parameters
    return out


def _to_gemini(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    """The system instruction and the user/model contents of a conversation."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            if message.text:
                system.append(message.text)
            continue
        role = "model" if message.role == "assistant" else "user"  # tool results: user
        parts = [p for p in map(_part, message.parts) if p is not None]
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)  # one turn per role change
        else:
            contents.append({"role": role, "parts": parts})
    return "\n\n".join(system), contents


def _part(part: Part) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"text": part.text} if part.text else None
    if isinstance(part, ImagePart):
        return _image_part(part)
    if isinstance(part, ToolCallPart):
        # Garbled arguments go back as {} (the tool result that follows says what was wrong).
        call = {"name": part.name, "args": part.arguments if part.arguments is not None else {}}
        wire: dict[str, Any] = {"functionCall": {"id": part.id, **call} if part.id else call}
        if part.provider_data and "thoughtSignature" in part.provider_data:
            wire["thoughtSignature"] = part.provider_data["thoughtSignature"]
        return wire
    key = "error" if part.is_error else "result"
    response = {"name": part.name, "response": {key: part.content}}
    if part.tool_call_id:
        response["id"] = part.tool_call_id
    return {"functionResponse": response}


def _image_part(part: ImagePart) -> dict[str, Any]:
    if part.url.startswith("data:"):
        header, _, payload = part.url.partition(",")
        mime = header[5:].split(";", 1)[0] or part.media_type or "application/octet-stream"
        if not header.endswith(";base64"):  # a percent-encoded data: URL
            payload = base64.b64encode(unquote_to_bytes(payload)).decode("ascii")
        return {"inlineData": {"mimeType": mime, "data": payload}}
    file_data = {"fileUri": part.url}
    mime = part.media_type or mimetypes.guess_type(part.url)[0] or ""
    if mime:
        file_data["mimeType"] = mime
    return {"fileData": file_data}
