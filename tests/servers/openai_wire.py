"""OpenAI chat completions and embeddings, in the real wire format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .replies import Handler, JsonReply, RawReply, RecordedRequest, Reply, StreamReply
from .sse import sse, sse_done
from .synth import count_tokens, fake_vector, split_text

ToolCall = tuple[str, str, str]  # (id, name, arguments as a JSON string)
Usage = tuple[int, int]  # (prompt tokens, completion tokens)

CREATED = 1_700_000_000  # a fixed timestamp keeps replies deterministic


def _usage(usage: Usage) -> dict[str, int]:
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def chat_completion(
    text: str | None = None,
    tool_calls: Sequence[ToolCall] | None = None,
    finish_reason: str | None = None,
    usage: Usage | None = (10, 5),
    model: str = "test-model",
    *,
    completion_id: str = "chatcmpl-test",
) -> dict[str, Any]:
    """A `chat.completion` object; usage=None leaves `usage` out."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if tool_calls:
        message["tool_calls"] = [
            {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}
            for id_, name, arguments in tool_calls
        ]
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop"),
            }
        ],
    }
    if usage is not None:
        body["usage"] = _usage(usage)
    return body


def chat_stream(
    text_chunks: Sequence[str] = (),
    tool_calls: Sequence[ToolCall] | None = None,
    finish_reason: str | None = None,
    usage: Usage | None = (10, 5),
    include_usage: bool = True,
    arg_fragment_size: int = 7,
    model: str = "test-model",
    *,
    completion_id: str = "chatcmpl-test",
) -> list[bytes]:
    """The SSE events of a streamed completion, `data: [DONE]` included.

    A role chunk, one chunk per text piece, each tool call's arguments split into fragments
    (the first fragment also carries id, type and name), the finish chunk, then, with
    `include_usage`, the usage chunk with `choices: []`.
    """

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            body["usage"] = None  # the real API sends null until the final usage chunk
        return sse(body)

    events = [chunk({"role": "assistant", "content": ""})]
    events.extend(chunk({"content": piece}) for piece in text_chunks)
    for index, (id_, name, arguments) in enumerate(tool_calls or ()):
        fragments = split_text(arguments, arg_fragment_size) or [""]
        function = {"name": name, "arguments": fragments[0]}
        first = {"index": index, "id": id_, "type": "function", "function": function}
        events.append(chunk({"tool_calls": [first]}))
        events.extend(
            chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
            for fragment in fragments[1:]
        )
    events.append(chunk({}, finish_reason or ("tool_calls" if tool_calls else "stop")))
    if include_usage and usage is not None:
        final = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [],
            "usage": _usage(usage),
        }
        events.append(sse(final))
    events.append(sse_done())
    return events


def embeddings(
    vectors: Sequence[Sequence[float]],
    model: str = "text-embedding-test",
    prompt_tokens: int | None = None,
) -> dict[str, Any]:
    """An embeddings `list` object."""
    tokens = len(vectors) if prompt_tokens is None else prompt_tokens
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": list(vector)}
            for i, vector in enumerate(vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def error_body(
    message: str,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """OpenAI's error shape."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


# -- default handlers ------------------------------------------------------------------------


def _endpoint(path: str) -> str:
    return path.removeprefix("/v1") or "/"


def _content_text(content: Any) -> str:
    """Text of a message `content`: a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict) and "text" in p]
        return "\n".join(texts)
    return ""


def last_user_text(messages: Any) -> str:
    """Text of the last `user` (or `tool`) message."""
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") in ("user", "tool"):
            return _content_text(message.get("content"))
    return ""


def _bad_key(request: RecordedRequest) -> Reply | None:
    if request.headers.get("authorization") == "Bearer bad-key":
        message = "Incorrect API key provided: bad-key."
        return JsonReply(401, error_body(message, "invalid_request_error", "invalid_api_key"))
    return None


async def openai_default_handler(request: RecordedRequest) -> Reply:
    """Echoes chat (`"echo: " + last user text`, streamed in 4-character chunks when asked)
    and answers embeddings with 8-dim hash vectors; 401 for `Bearer bad-key`."""
    if (denied := _bad_key(request)) is not None:
        return denied
    endpoint, body = _endpoint(request.path), request.json
    if request.method != "POST" or endpoint not in ("/chat/completions", "/embeddings"):
        message = f"Unknown request URL: {request.method} {request.path}."
        return JsonReply(404, error_body(message, code="unknown_url"))
    if not isinstance(body, dict):
        return JsonReply(400, error_body("We could not parse the JSON body of your request."))
    if endpoint == "/embeddings":
        return _embeddings_reply(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return JsonReply(400, error_body("'messages' is a required property", param="messages"))
    model = str(body.get("model", "test-model"))
    text = "echo: " + last_user_text(messages)
    pieces = split_text(text, 4)
    prompt = [_content_text(m.get("content")) for m in messages if isinstance(m, dict)]
    usage = (count_tokens(*prompt), len(pieces))
    if body.get("stream"):
        options = body.get("stream_options") or {}
        include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
        events = chat_stream(pieces, usage=usage, include_usage=include_usage, model=model)
        return StreamReply(events=events)
    return JsonReply(200, chat_completion(text, usage=usage, model=model))


def _embeddings_reply(body: dict[str, Any]) -> Reply:
    raw = body.get("input")
    if raw is None:
        return JsonReply(400, error_body("'input' is a required property", param="input"))
    inputs = raw if isinstance(raw, list) and all(isinstance(i, str) for i in raw) else [raw]
    dims = body.get("dimensions", 8)
    vectors = [fake_vector(str(item), dims if isinstance(dims, int) else 8) for item in inputs]
    tokens = count_tokens(*(str(item) for item in inputs))
    model = str(body.get("model", "text-embedding-test"))
    return JsonReply(200, embeddings(vectors, model=model, prompt_tokens=tokens))


def openai_stream_handler(chunks: int) -> Handler:
    """For benchmarks: every chat request gets exactly `chunks` content chunks
    (streamed when `stream` is true, else one completion of the same text).

    Replies are pre-encoded once so the per-request cost is just the socket work.
    """
    pieces = [f"t{i} " for i in range(chunks)]
    usage = (10, chunks)
    with_usage = chat_stream(pieces, usage=usage, include_usage=True)
    without_usage = chat_stream(pieces, usage=usage, include_usage=False)
    completion = json.dumps(chat_completion("".join(pieces), usage=usage)).encode()

    async def handler(request: RecordedRequest) -> Reply:
        if (denied := _bad_key(request)) is not None:
            return denied
        if _endpoint(request.path) != "/chat/completions":
            return JsonReply(404, error_body(f"Unknown request URL: {request.path}."))
        body = request.json if isinstance(request.json, dict) else {}
        if not body.get("stream"):
            return RawReply(200, completion, content_type="application/json")
        options = body.get("stream_options") or {}
        include = isinstance(options, dict) and options.get("include_usage")
        return StreamReply(events=with_usage if include else without_usage)

    return handler
