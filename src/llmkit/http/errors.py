"""Turning HTTP failures into llmkit's typed errors."""

from __future__ import annotations

import json
from typing import Any

from ..errors import (
    AuthenticationError,
    ContextLengthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
)

__all__ = ["error_from_status", "provider_message"]

# Phrases vendors use when a prompt does not fit (OpenAI, Anthropic, Gemini, llama.cpp, vLLM).
_CONTEXT_PHRASES = (
    "context_length_exceeded",
    "context length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
    "exceeds the available context",
    "input token count",
)


def provider_message(body: str) -> str:
    """The human message inside a vendor error body, or the body itself."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body.strip()[:300] or "(empty body)"
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(error, str):
        return error
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return body.strip()[:300]


def error_from_status(
    *,
    provider: str,
    status: int,
    body: str,
    retry_after: float | None,
) -> ProviderError:
    """The typed error for a non-2xx response."""
    message = provider_message(body)
    common: dict[str, Any] = {"provider": provider, "status_code": status, "body": body}
    if status in (401, 403):
        return AuthenticationError(f"authentication failed: {message}", **common)
    if status == 429:
        return RateLimitError(f"rate limited: {message}", retry_after=retry_after, **common)
    if status == 408:
        return ProviderTimeout(f"request timed out: {message}", **common)
    lowered = message.lower()
    if status in (400, 413, 422) and any(p in lowered for p in _CONTEXT_PHRASES):
        return ContextLengthError(f"the request does not fit the context: {message}", **common)
    if status >= 500:
        return ServerError(f"server error: {message}", **common)
    return ProviderError(f"request rejected: {message}", **common)
