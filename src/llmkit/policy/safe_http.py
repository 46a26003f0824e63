"""SSRF-safe HTTP: `safe_async_client` and `fetch`.

Redirects: the client follows them (`follow_redirects=True`, up to `max_redirects`),
and each hop is a new request through `PinnedTransport`, which checks it against the
policy before connecting. So a redirect to a metadata address or an unlisted host is
refused at that hop, whoever follows it; `fetch` needs no redirect logic of its own.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ResponseTooLarge
from .network import NetworkPolicy

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchResponse", "fetch", "safe_async_client"]

DEFAULT_MAX_BYTES = 10_000_000


def safe_async_client(
    policy: NetworkPolicy,
    *,
    timeout: float = 30.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = 5,
) -> httpx.AsyncClient:
    """An httpx client that only reaches what `policy` allows, at the checked address.

    Every request and redirect hop is checked; bodies are capped at `max_bytes` raw
    bytes (use `fetch` to cap the decoded body too). Close it (`async with`) when done.
    """
    from .pinned import SafeAsyncClient

    return SafeAsyncClient(
        policy=policy,
        max_bytes=max_bytes,
        timeout=timeout,
        follow_redirects=max_redirects > 0,
        max_redirects=max_redirects,
        trust_env=False,  # no env proxies, no .netrc credentials sent to arbitrary hosts
    )


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """A fully read response: final URL (after redirects), status, headers, body."""

    url: str
    status_code: int
    headers: Mapping[str, str] = field(repr=False)
    content: bytes = field(repr=False)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


async def fetch(
    via: httpx.AsyncClient | NetworkPolicy,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | str | None = None,
    json: Any = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> FetchResponse:
    """Send one request through a safe client and read the body, capped while streaming.

    Args:
        via: A client from `safe_async_client`, or a policy (a client is made and closed).
        timeout: Seconds; defaults to the client's timeout (30 s for a policy).
        max_bytes: Cap of the decoded body; defaults to the client's cap.

    Raises:
        NetworkDenied: The URL or a redirect target is refused.
        ResponseTooLarge: The body is over the cap.
        TypeError: `via` is an httpx client not made by `safe_async_client`.
    """
    from .pinned import SafeAsyncClient

    if isinstance(via, NetworkPolicy):
        cap = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
        seconds = 30.0 if timeout is None else timeout
        async with safe_async_client(via, timeout=seconds, max_bytes=cap) as client:
            return await fetch(
                client, method, url, headers=headers, content=content, json=json, max_bytes=cap
            )
    if not isinstance(via, SafeAsyncClient):
        raise TypeError("fetch() needs a client from safe_async_client() or a NetworkPolicy")
    cap = via.max_bytes if max_bytes is None else max_bytes
    async with via.stream(
        method,
        url,
        headers=headers,
        content=content,
        json=json,
        timeout=via.timeout if timeout is None else timeout,
    ) as response:
        chunks: list[bytes] = []
        seen = 0
        # Decoded bytes: a gzip bomb passes the raw cap but not this one.
        async for chunk in response.aiter_bytes():
            seen += len(chunk)
            if seen > cap:
                raise ResponseTooLarge(
                    f"response from {response.url.host!r} refused: body larger than {cap} bytes"
                )
            chunks.append(chunk)
        return FetchResponse(
            url=str(response.url),
            status_code=response.status_code,
            headers=dict(response.headers),
            content=b"".join(chunks),
        )
