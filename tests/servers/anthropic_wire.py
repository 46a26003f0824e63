"""Anthropic messages API, in the real wire format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .replies import JsonReply, RecordedRequest, Reply, StreamReply
from .sse import sse
from .synth import count_tokens, split_text

ToolUse = tuple[str, str, dict[str, Any]]  # (id, name, input)
Usage = tuple[int, int]  # (input tokens, output tokens)


def _usage(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
    }


def _stop_reason(stop_reason: str | None, tool_uses: Sequence[ToolUse] | None) -> str:
    return stop_reason or ("tool_use" if tool_uses else "end_turn")


def message(
    text: str | None = None,
    tool_uses: Sequence[ToolUse] | None = None,
    stop_reason: str | None = None,
    usage: Usage = (10, 5),
    model: str = "claude-test",
    *,
    message_id: str = "msg_test",
    stop_sequence: str | None = None,
) -> dict[str, Any]:
    """A `message` object: a text block (if `text`), then one tool_use block per tool use."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text is not None else []
    content.extend(
        {"type": "tool_use", "id": id_, "name": name, "input": input_}
        for id_, name, input_ in tool_uses or ()
    )
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _stop_reason(stop_reason, tool_uses),
        "stop_sequence": stop_sequence,
        "usage": _usage(*usage),
    }


def _event(name: str, **fields: Any) -> bytes:
    # The data repeats the event name in `type`, as the real API does.
    return sse({"type": name, **fields}, event=name)


def message_stream(
    text_chunks: Sequence[str] = (),
    tool_uses: Sequence[ToolUse] | None = None,
    stop_reason: str | None = None,
    usage: Usage = (10, 5),
    model: str = "claude-test",
    *,
    arg_fragment_size: int = 7,
    message_id: str = "msg_test",
    stop_sequence: str | None = None,
) -> list[bytes]:
    """The SSE events of a streamed message, `message_stop` included.

    message_start, then a text block (if any chunks) and one tool_use block per tool use, whose
    input JSON arrives as `input_json_delta` fragments (the first one empty, as the real API
    does), with a `ping` after the first block start, then message_delta and message_stop.
    """
    input_tokens, output_tokens = usage
    start: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(input_tokens, 1),
    }
    events = [_event("message_start", message=start)]
    blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    if text_chunks:
        deltas = [{"type": "text_delta", "text": chunk} for chunk in text_chunks]
        blocks.append(({"type": "text", "text": ""}, deltas))
    for id_, name, input_ in tool_uses or ():
        fragments = ["", *split_text(json.dumps(input_), arg_fragment_size)]
        deltas = [{"type": "input_json_delta", "partial_json": f} for f in fragments]
        blocks.append(({"type": "tool_use", "id": id_, "name": name, "input": {}}, deltas))
    for index, (block, deltas) in enumerate(blocks):
        events.append(_event("content_block_start", index=index, content_block=block))
        if index == 0:
            events.append(_event("ping"))
        events.extend(_event("content_block_delta", index=index, delta=d) for d in deltas)
        events.append(_event("content_block_stop", index=index))
    if not blocks:
        events.append(_event("ping"))
    delta = {"stop_reason": _stop_reason(stop_reason, tool_uses), "stop_sequence": stop_sequence}
    events.append(_event("message_delta", delta=delta, usage={"output_tokens": output_tokens}))
    events.append(_event("message_stop"))
    return events


def error_body(type: str, message: str) -> dict[str, Any]:
    """Anthropic's error shape, e.g. error_body("rate_limit_error", "slow down")."""
    return {"type": "error", "error": {"type": type, "message": message}}


def stream_error(type: str = "overloaded_error", message: str = "Overloaded") -> bytes:
    """An `event: error` SSE event, as sent mid-stream."""
    return sse(error_body(type, message), event="error")


# -- default handler -------------------------------------------------------------------------


def _block_text(block: Any) -> str:
    if not isinstance(block, dict):
        return ""
    if block.get("type") == "text":
        return str(block.get("text", ""))
    if block.get("type") == "tool_result":
        return _content_text(block.get("content"))
    return ""


def _content_text(content: Any) -> str:
    """Text of a string content or of a list of text / tool_result blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(text for text in map(_block_text, content) if text)
    return ""


def last_user_text(messages: Any) -> str:
    for item in reversed(messages if isinstance(messages, list) else []):
        if isinstance(item, dict) and item.get("role") == "user":
            return _content_text(item.get("content"))
    return ""


async def anthropic_default_handler(request: RecordedRequest) -> Reply:
    """Echoes `"echo: " + last user text` on POST /v1/messages (streamed in 4-character chunks
    when asked); 401 for x-api-key `bad-key`; 400 without `anthropic-version` or `max_tokens`."""
    if request.headers.get("x-api-key") == "bad-key":
        return JsonReply(401, error_body("authentication_error", "invalid x-api-key"))
    if request.method != "POST" or request.path.removeprefix("/v1") != "/messages":
        return JsonReply(404, error_body("not_found_error", f"Not found: {request.path}"))
    if "anthropic-version" not in request.headers:
        message_ = "anthropic-version: header is required"
        return JsonReply(400, error_body("invalid_request_error", message_))
    body = request.json
    if not isinstance(body, dict):
        return JsonReply(400, error_body("invalid_request_error", "request body is not JSON"))
    if "max_tokens" not in body:
        return JsonReply(400, error_body("invalid_request_error", "max_tokens: Field required"))
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return JsonReply(400, error_body("invalid_request_error", "messages: Field required"))
    model = str(body.get("model", "claude-test"))
    text = "echo: " + last_user_text(messages)
    pieces = split_text(text, 4)
    prompt = [_content_text(m.get("content")) for m in messages if isinstance(m, dict)]
    usage = (count_tokens(*prompt), len(pieces))
    if body.get("stream"):
        return StreamReply(events=message_stream(pieces, usage=usage, model=model))
    return JsonReply(200, message(text, usage=usage, model=model))
