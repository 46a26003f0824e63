"""`http_request`: HTTP to allowed hosts only, through the SSRF-safe pinned client."""

from __future__ import annotations

from typing import Any, Literal

from ...policy.safe_http import fetch
from ..base import ModelRetry, RunContext
from ..decorator import tool
from ._policy import network_of

__all__ = ["MAX_RESPONSE_BYTES", "http_request"]

MAX_RESPONSE_BYTES = 1_000_000
MAX_TIMEOUT = 60.0


@tool(capabilities=["net"], category="network", tags=["builtin"])
async def http_request(
    ctx: RunContext[Any],
    url: str,
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
    json_body: Any = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Make an HTTP request to an allowed host.

    Args:
        url: The http(s) URL.
        method: The HTTP method.
        headers: Request headers.
        body: A text body.
        json_body: A JSON body (instead of `body`).
        timeout: Seconds to wait, at most 60.
    """
    if body is not None and json_body is not None:
        raise ModelRetry("give `body` or `json_body`, not both")
    response = await fetch(
        network_of(ctx),
        method,
        url,
        headers=headers,
        content=body,
        json=json_body,
        timeout=min(max(timeout, 0.1), MAX_TIMEOUT),
        max_bytes=MAX_RESPONSE_BYTES,
    )
    return {
        "url": response.url,
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": response.text,
    }
