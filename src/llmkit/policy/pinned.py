"""`PinnedTransport`: an httpx transport that only connects to addresses a policy checked.

Imports httpx at module level, so it is only imported lazily (from `http.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from .errors import ResponseTooLarge
from .network import CheckedTarget, NetworkPolicy

__all__ = ["PinnedTransport", "SafeAsyncClient"]


class SafeAsyncClient(httpx.AsyncClient):
    """An `AsyncClient` whose transport is a `PinnedTransport` (made by `safe_async_client`)."""

    def __init__(self, *, policy: NetworkPolicy, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(transport=PinnedTransport(policy, max_bytes=max_bytes), **kwargs)
        self.policy = policy
        self.max_bytes = max_bytes


class PinnedTransport(httpx.AsyncBaseTransport):
    """Checks every request (so every redirect hop) and connects to the checked IP.

    The request URL's host is swapped for the checked address before httpcore sees it,
    so no second DNS lookup happens; the Host header keeps the name, and for https the
    TLS SNI and certificate check use the name too (`sni_hostname`). Response bodies
    are cut off at `max_bytes` raw bytes while streaming.
    """

    def __init__(self, policy: NetworkPolicy, *, max_bytes: int) -> None:
        self.policy = policy
        self.max_bytes = max_bytes
        # One pool per (scheme, name): pools key connections by IP, and a TLS connection
        # set up for one name must not carry requests for another name on the same IP.
        self._pools: dict[tuple[str, str], httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        target = await self.policy.acheck_target(url.scheme, url.host, url.port)
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=target.address),
            headers=request.headers,  # already holds Host: <name>
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": target.host},
        )
        response = await self._pool(target).handle_async_request(pinned)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await response.aclose()
            raise ResponseTooLarge(_too_large(target, self.max_bytes))
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CappedStream(response.stream, self.max_bytes, target),
            extensions=response.extensions,
        )

    def _pool(self, target: CheckedTarget) -> httpx.AsyncHTTPTransport:
        key = (target.scheme, target.host)
        pool = self._pools.get(key)
        if pool is None:
            # trust_env=False: an environment proxy would make the pinning meaningless.
            pool = self._pools[key] = httpx.AsyncHTTPTransport(trust_env=False)
        return pool

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, limit: int, target: CheckedTarget) -> None:
        self._inner = inner
        self._limit = limit
        self._target = target

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise ResponseTooLarge(_too_large(self._target, self._limit))
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _too_large(target: CheckedTarget, limit: int) -> str:
    return f"response from {target.host!r} refused: body larger than {limit} bytes"
