"""`HttpModel`: what the HTTP wire formats share — a provider, its client, malformed replies."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from ..errors import ConfigError, InvalidResponseError
from ..providers.provider import Provider
from .base import Model

__all__ = ["HttpModel"]


class HttpModel(Model):
    """A model reached over HTTP through a `Provider`.

    `provider` is a `Provider`, or the name of one to build from the configuration.
    """

    #: The wire format's name, as in `llmkit.providers.specs.WIRE_MODELS`.
    wire: ClassVar[str]

    def __init__(self, model_name: str, *, provider: Provider | str) -> None:
        if isinstance(provider, str):
            from ..providers.resolve import get_model

            resolved = get_model(f"{provider}:{model_name}")
            if not isinstance(resolved, HttpModel) or resolved.wire != self.wire:
                raise ConfigError(
                    f"provider {provider!r} does not speak the {self.wire} wire format"
                )
            provider = resolved.provider
        self.model_name = model_name
        self.provider: Provider = provider
        self.provider_name = provider.name

    async def aclose(self) -> None:
        """Close the provider's pooled connections."""
        await self.provider.aclose()

    def _invalid(self, message: str, data: Any) -> InvalidResponseError:
        """A reply that is not the documented wire format, with a preview of what came."""
        body = data if isinstance(data, str) else json.dumps(data, default=str)
        return InvalidResponseError(message, provider=self.provider_name, body=body[:500])

    def _decode_event(self, data: str) -> dict[str, Any]:
        """One streamed JSON object, or `InvalidResponseError` saying what it was instead."""
        try:
            decoded = json.loads(data)
        except ValueError:
            raise InvalidResponseError(
                f"a stream event is not JSON: {data[:200]!r}", provider=self.provider_name
            ) from None
        if not isinstance(decoded, dict):
            raise self._invalid("a stream event is not a JSON object", decoded)
        return decoded
