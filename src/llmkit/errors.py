"""The typed errors every llmkit entry point raises.

Callers catch by meaning (`RateLimitError`, `AuthenticationError`), never by
parsing messages. Each provider error keeps the provider name, the HTTP status and
the body (trimmed) so a log line says what went wrong without a debugger.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "ContextLengthError",
    "InvalidResponseError",
    "LLMKitError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimitError",
    "ServerError",
    "StreamInterrupted",
]

_BODY_PREVIEW = 500


class LLMKitError(Exception):
    """Base class of every error llmkit raises on purpose."""


class ConfigError(LLMKitError):
    """The configuration (model string, keys, base URL, llmkit.toml) cannot work.

    The message says what is wrong and how to fix it.
    """


class ProviderError(LLMKitError):
    """A model provider failed to give a usable answer."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        self.body = body[:_BODY_PREVIEW] if body is not None else None

    def __str__(self) -> str:
        text = super().__str__()
        where = f"[{self.provider}] " if self.provider else ""
        status = f" (HTTP {self.status_code})" if self.status_code is not None else ""
        return f"{where}{text}{status}"


class AuthenticationError(ProviderError):
    """The provider rejected the credentials (HTTP 401/403)."""


class RateLimitError(ProviderError):
    """The provider asked us to slow down (HTTP 429) and retries ran out.

    `retry_after` is the wait in seconds the provider asked for, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        provider: str | None = None,
        status_code: int | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status_code=status_code, body=body)
        self.retry_after = retry_after


class ContextLengthError(ProviderError):
    """The request does not fit the model's context window."""


class ServerError(ProviderError):
    """The provider failed on its side (HTTP 5xx) and retries ran out."""


class ProviderTimeout(ProviderError):
    """The provider did not answer within the configured timeout."""


class ProviderConnectionError(ProviderError):
    """The provider could not be reached (refused, reset, DNS failure)."""


class InvalidResponseError(ProviderError):
    """The provider answered with something that is not its documented wire format."""


class StreamInterrupted(ProviderError):
    """A stream broke after it had delivered content.

    It is never retried (the caller has already seen part of the answer) and the
    partial reply is never returned as a finished message; `partial_text` keeps
    what arrived so a caller can show or log it.
    """

    def __init__(
        self, message: str, *, partial_text: str = "", provider: str | None = None
    ) -> None:
        super().__init__(message, provider=provider)
        self.partial_text = partial_text
