"""`FallbackModel`: try the next model when one fails with a provider error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from ..errors import ConfigError, ProviderError
from ..messages import Message
from .base import Model
from .request import ModelResponse, ModelSettings, ToolDefinition
from .stream import ModelStream, StreamEvent

__all__ = ["FallbackExhausted", "FallbackModel"]


class FallbackExhausted(ProviderError):
    """Every model of a `FallbackModel` failed; `errors` holds each failure in order."""

    def __init__(self, errors: list[ProviderError]) -> None:
        summary = "; ".join(f"{type(e).__name__}: {e}" for e in errors)
        super().__init__(f"all {len(errors)} fallback models failed: {summary}")
        self.errors = errors


class FallbackModel(Model):
    """Tries `models` in order; a `ProviderError` moves on to the next one.

    A stream falls back only while it has produced no event: once the caller has seen part
    of a reply, switching models would splice two answers together, so the error is raised.
    Configuration errors are not provider failures and are raised at once.
    """

    def __init__(self, *models: Model | str) -> None:
        if not models:
            raise ConfigError("FallbackModel needs at least one model")
        from ..providers.resolve import get_model

        self.models = [get_model(m) if isinstance(m, str) else m for m in models]
        self.model_name = "|".join(m.name for m in self.models)
        self.provider_name = "fallback"

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        errors: list[ProviderError] = []
        for model in self.models:
            try:
                return await model.request(messages, tools=tools, settings=settings)
            except ProviderError as exc:
                errors.append(exc)
        raise FallbackExhausted(errors)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelStream:
        return ModelStream(self._stream_events(messages, tools, settings))

    async def _stream_events(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition],
        settings: ModelSettings | None,
    ) -> AsyncIterator[StreamEvent]:
        errors: list[ProviderError] = []
        for model in self.models:
            started = False
            try:
                async with model.stream(messages, tools=tools, settings=settings) as stream:
                    async for event in stream:
                        started = True
                        yield event
                return
            except ProviderError as exc:
                if started:
                    raise
                errors.append(exc)
        raise FallbackExhausted(errors)

    async def aclose(self) -> None:
        for model in self.models:
            await model.aclose()
