"""Google Gemini generateContent / streamGenerateContent / embeddings, in the real wire format."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from .replies import JsonReply, RecordedRequest, Reply, StreamReply
from .sse import sse
from .synth import count_tokens, fake_vector, split_text

FunctionCall = tuple[str, dict[str, Any]]  # (name, args)
Usage = tuple[int, int]  # (prompt tokens, candidate tokens)

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

_ROUTE = re.compile(r"^/(?:v1|v1beta|v1alpha)/models/(?P<model>[^/:]+):(?P<method>\w+)$")


def _usage(prompt: int, candidates: int | None) -> dict[str, int]:
    if candidates is None:  # intermediate stream chunks only know the prompt size
        return {"promptTokenCount": prompt, "totalTokenCount": prompt}
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates,
    }


def _response(
    parts: list[dict[str, Any]],
    finish_reason: str | None,
    usage: dict[str, int],
    model_version: str,
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": 0}
    if parts:  # a blocked (e.g. SAFETY) candidate has no content at all
        candidate["content"] = {"role": "model", "parts": parts}
    if finish_reason is not None:
        candidate["finishReason"] = finish_reason
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": model_version,
        "responseId": "resp-test",
    }


def _call_parts(function_calls: Sequence[FunctionCall] | None) -> list[dict[str, Any]]:
    return [{"functionCall": {"name": n, "args": args}} for n, args in function_calls or ()]


def generate_response(
    text: str | None = None,
    function_calls: Sequence[FunctionCall] | None = None,
    finish_reason: str = "STOP",
    usage: Usage = (10, 5),
    model_version: str = "gemini-test",
) -> dict[str, Any]:
    """A GenerateContentResponse: a text part (if `text`), then one functionCall part each."""
    parts = ([{"text": text}] if text is not None else []) + _call_parts(function_calls)
    return _response(parts, finish_reason, _usage(*usage), model_version)


def generate_stream_bodies(
    text_chunks: Sequence[str] = (),
    function_calls: Sequence[FunctionCall] | None = None,
    finish_reason: str = "STOP",
    usage: Usage = (10, 5),
    model_version: str = "gemini-test",
) -> list[dict[str, Any]]:
    """The partial responses of a stream: one per text chunk, the function calls whole in one
    of their own, and `finishReason` plus the full usage on the last one."""
    chunks = [[{"text": chunk}] for chunk in text_chunks]
    if function_calls:
        chunks.append(_call_parts(function_calls))
    if not chunks:
        chunks.append([{"text": ""}])
    prompt, candidates = usage
    bodies = []
    for i, parts in enumerate(chunks):
        last = i == len(chunks) - 1
        finish = finish_reason if last else None
        bodies.append(
            _response(parts, finish, _usage(prompt, candidates if last else None), model_version)
        )
    return bodies


def generate_stream(
    text_chunks: Sequence[str] = (),
    function_calls: Sequence[FunctionCall] | None = None,
    finish_reason: str = "STOP",
    usage: Usage = (10, 5),
    model_version: str = "gemini-test",
    *,
    crlf: bool = False,
) -> list[bytes]:
    """`generate_stream_bodies` as the SSE events of `streamGenerateContent?alt=sse` (no end
    marker). `crlf=True` uses the CRLF line endings the real service sends."""
    bodies = generate_stream_bodies(
        text_chunks, function_calls, finish_reason, usage, model_version
    )
    return [sse(body, crlf=crlf) for body in bodies]


def embed_response(vectors: Sequence[Sequence[float]]) -> dict[str, Any]:
    """A batchEmbedContents response."""
    return {"embeddings": [{"values": list(vector)} for vector in vectors]}


def error_body(code: int, status: str, message: str) -> dict[str, Any]:
    """Google's error shape, e.g. error_body(429, "RESOURCE_EXHAUSTED", "quota")."""
    return {"error": {"code": code, "message": message, "status": status}}


def error_reply(code: int, message: str) -> JsonReply:
    """An HTTP error reply with the status name that goes with `code`."""
    return JsonReply(code, error_body(code, STATUS_BY_CODE.get(code, "UNKNOWN"), message))


# -- default handler -------------------------------------------------------------------------


def _part_text(part: Any) -> str:
    if not isinstance(part, dict):
        return ""
    if "text" in part:
        return str(part["text"])
    if "functionResponse" in part:
        return json.dumps(part["functionResponse"].get("response"))
    return ""


def content_text(content: Any) -> str:
    """Text of a Content: its text parts (and functionResponse payloads as JSON)."""
    parts = content.get("parts") if isinstance(content, dict) else None
    return "\n".join(t for t in map(_part_text, parts if isinstance(parts, list) else []) if t)


def last_user_text(contents: Any) -> str:
    for content in reversed(contents if isinstance(contents, list) else []):
        if isinstance(content, dict) and content.get("role", "user") in ("user", "function"):
            return content_text(content)
    return ""


async def gemini_default_handler(request: RecordedRequest) -> Reply:
    """Echoes `"echo: " + last user text` (streamed in 4-character chunks by
    streamGenerateContent), embeds with 8-dim hash vectors; 401 for key `bad-key`."""
    key = request.headers.get("x-goog-api-key") or request.query.get("key")
    if key == "bad-key":
        return error_reply(401, "API key not valid. Please pass a valid API key.")
    route = _ROUTE.match(request.path)
    if request.method != "POST" or route is None:
        return error_reply(404, f"Not found: {request.method} {request.path}")
    model, method = route["model"], route["method"]
    body = request.json
    if not isinstance(body, dict):
        return error_reply(400, "Invalid JSON payload received.")
    if method in ("batchEmbedContents", "embedContent"):
        return _embed_reply(method, body)
    if method not in ("generateContent", "streamGenerateContent"):
        return error_reply(404, f"Method not found: {method}")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return error_reply(400, "* GenerateContentRequest.contents: contents is not specified")
    text = "echo: " + last_user_text(contents)
    pieces = split_text(text, 4)
    usage = (count_tokens(*map(content_text, contents)), len(pieces))
    if method == "generateContent":
        return JsonReply(200, generate_response(text, usage=usage, model_version=model))
    bodies = generate_stream_bodies(pieces, usage=usage, model_version=model)
    if request.query.get("alt") == "sse":
        return StreamReply(events=[sse(body) for body in bodies])
    return JsonReply(200, bodies)  # without alt=sse the service streams one JSON array


def _embed_reply(method: str, body: dict[str, Any]) -> Reply:
    dims = body.get("outputDimensionality", 8)
    if method == "embedContent":
        vector = fake_vector(content_text(body.get("content")), dims)
        return JsonReply(200, {"embedding": {"values": vector}})
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        return error_reply(400, "* BatchEmbedContentsRequest.requests: field is required")
    vectors = []
    for item in requests:
        item_dims = item.get("outputDimensionality", dims) if isinstance(item, dict) else dims
        content = item.get("content") if isinstance(item, dict) else None
        vectors.append(fake_vector(content_text(content), item_dims))
    return JsonReply(200, embed_response(vectors))
