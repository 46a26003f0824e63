"""`Provider`: where a model lives and how to authenticate — base URL, key, HTTP client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..http.retry import RetryPolicy
from ..http.transport import HttpTransport
from .specs import Wire

if TYPE_CHECKING:
    import httpx

__all__ = ["Provider", "validate_base_url"]

ANTHROPIC_VERSION = "2023-06-01"


def _auth_headers(wire: Wire, api_key: str | None) -> dict[str, str]:
    if wire == "anthropic":
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        return headers
    if not api_key:
        return {}
    if wire == "gemini":
        return {"x-goog-api-key": api_key}
    return {"Authorization": f"Bearer {api_key}"}


def validate_base_url(url: str, *, provider: str) -> str:
    """Return `url` without a trailing slash, or raise `ConfigError` saying what is wrong."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise ConfigError(f"{provider}: base URL {url!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{provider}: base URL {url!r} is not an http(s) URL with a host; "
            "write it like http://127.0.0.1:8080/v1"
        )
    return url.strip().rstrip("/")


class Provider:
    """An HTTP provider: a name, a wire format, a base URL, a key, and one pooled client."""

    def __init__(
        self,
        *,
        name: str,
        wire: Wire,
        base_url: str,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 600.0,
        retry: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = name
        self.wire = wire
        self.base_url = validate_base_url(base_url, provider=name)
        self.api_key = api_key
        all_headers = {**_auth_headers(wire, api_key), **(headers or {})}
        self.transport = HttpTransport(
            provider=name,
            base_url=self.base_url,
            headers=all_headers,
            timeout=timeout,
            retry=retry,
            client=client,
        )

    async def aclose(self) -> None:
        """Close the provider's pooled connections."""
        await self.transport.aclose()

    def __repr__(self) -> str:
        return f"Provider(name={self.name!r}, base_url={self.base_url!r})"
