"""`Model`: the one interface every wire format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from ..messages import Message
from .request import ModelResponse, ModelSettings, ToolDefinition
from .stream import ModelStream

__all__ = ["Model"]


class Model(ABC):
    """A model behind a wire format.

    Subclasses implement `request` (a whole reply) and `stream` (typed events). Both take
    the conversation so far, the tools the model may call and per-request settings.
    """

    #: The model's name as the provider knows it (``gpt-4.1-mini``).
    model_name: str
    #: The provider serving it (``openai``, ``ollama``, ``local``…).
    provider_name: str

    @property
    def name(self) -> str:
        """The ``provider:model`` string that selects this model."""
        return f"{self.provider_name}:{self.model_name}"

    @abstractmethod
    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Send the conversation and return the whole reply."""

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelStream:
        """Send the conversation and stream the reply as typed events."""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts as vectors (one per text).

        Raises:
            ConfigError: This model's provider has no embeddings endpoint.
        """
        from ..errors import ConfigError

        raise ConfigError(
            f"{self.name} ({type(self).__name__}) has no embeddings; use an embedding model "
            "(for example openai:text-embedding-3-small or the local embedder)"
        )

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most models hold nothing
        """Release connections or native resources the model holds."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
