"""`HttpTransport`: one pooled httpx client per provider, with retries and typed errors.

Retries cover 408, 409, 429, 5xx, timeouts and connection failures, and only happen
before a caller has seen anything: once a stream has yielded an event it is never retried.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidResponseError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
)
from .errors import error_from_status
from .retry import RetryPolicy, retry_after_seconds
from .sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpTransport"]

Sleep = Callable[[float], Awaitable[None]]


class HttpTransport:
    """Sends JSON requests to one provider's base URL.

    The httpx client is created on first use (importing httpx costs ~60 ms) and reused for
    every request, so connections are pooled. Pass `client` to share your own.
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        timeout: float = 600.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retry = retry or RetryPolicy()
        self._client = client
        self._owns_client = client is None
        # A client we did not create lacks our auth headers: send them with each request.
        self._request_headers = None if client is None else self.headers
        self._sleep = sleep

    @property
    def client(self) -> httpx.AsyncClient:
        """The pooled httpx client, created on first use."""
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                headers=self.headers,
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            )
        return self._client

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    async def post_json(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        timeout: float | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """POST `body` as JSON and return the decoded JSON reply, retrying what is retryable."""
        import httpx

        url = self.url(path)
        attempt = 0
        while True:
            try:
                response = await self.client.post(
                    url,
                    json=body,
                    params=params,
                    headers=self._request_headers,
                    timeout=self._timeout(timeout),
                )
                content = response.content
            except httpx.HTTPError as exc:
                error = self._transport_error(exc)
                retry_after = None
            else:
                if response.is_success:
                    return self._decode_json(content, response.status_code)
                retry_after = retry_after_seconds(response.headers)
                error = error_from_status(
                    provider=self.provider,
                    status=response.status_code,
                    body=content.decode("utf-8", "replace"),
                    retry_after=retry_after,
                )
                if not self.retry.is_retryable_status(response.status_code):
                    raise error
            if attempt >= self.retry.max_retries:
                raise error
            await self._sleep(self.retry.delay(attempt, retry_after))
            attempt += 1

    async def stream_sse(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        timeout: float | None = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[list[ServerSentEvent], None]:
        """POST `body` and yield the server-sent events of the reply, in batches.

        Each batch holds the events one network read completed (one generator step per
        read, not per event, keeps long streams cheap).

        Failures before the first event are retried like `post_json`. After it, a broken
        connection raises `ProviderConnectionError` (or `ProviderTimeout`); the model layer
        turns that into `StreamInterrupted` when content had arrived.
        """
        import httpx

        url = self.url(path)
        attempt = 0
        while True:
            delivered = False
            retry_after: float | None = None
            try:
                async with self.client.stream(
                    "POST",
                    url,
                    json=body,
                    params=params,
                    headers=self._request_headers,
                    timeout=self._timeout(timeout),
                ) as response:
                    if not response.is_success:
                        content = await response.aread()
                        retry_after = retry_after_seconds(response.headers)
                        error = error_from_status(
                            provider=self.provider,
                            status=response.status_code,
                            body=content.decode("utf-8", "replace"),
                            retry_after=retry_after,
                        )
                        if not self.retry.is_retryable_status(response.status_code):
                            raise error
                    else:
                        decoder = SSEDecoder()
                        async for text in response.aiter_text():
                            events = decoder.feed_text(text)
                            if events:
                                delivered = True
                                yield events
                        events = decoder.close()
                        if events:
                            yield events
                        return
            except httpx.HTTPError as exc:
                error = self._transport_error(exc)
                if delivered:
                    raise error from exc
            if attempt >= self.retry.max_retries:
                raise error
            await self._sleep(self.retry.delay(attempt, retry_after))
            attempt += 1

    async def aclose(self) -> None:
        """Close pooled connections (only of a client this transport created)."""
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    def _timeout(self, timeout: float | None) -> Any:
        if timeout is None:
            return self.client.timeout
        import httpx

        return httpx.Timeout(timeout, connect=min(timeout, self.connect_timeout))

    def _transport_error(self, exc: Exception) -> ProviderError:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeout(f"no answer in time: {exc!r}", provider=self.provider)
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return ProviderConnectionError(
                f"invalid URL {self.base_url!r}: {exc}", provider=self.provider
            )
        return ProviderConnectionError(
            f"connection to {self.base_url} failed: {exc!r}", provider=self.provider
        )

    def _decode_json(self, content: bytes, status: int) -> Any:
        try:
            return json.loads(content)
        except ValueError as exc:
            raise InvalidResponseError(
                f"the reply is not valid JSON ({exc})",
                provider=self.provider,
                status_code=status,
                body=content.decode("utf-8", "replace"),
            ) from None
