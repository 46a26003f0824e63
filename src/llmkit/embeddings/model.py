"""`ModelEmbedder`: embeddings from a model's wire format (OpenAI-compatible, Gemini)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError
from ..models.base import Model
from .base import Embedder

__all__ = ["ModelEmbedder"]


class ModelEmbedder(Embedder):
    """Embeds through `Model.embed`: OpenAI, Ollama, vLLM, llama.cpp server, Gemini…

    Example:
        ``ModelEmbedder(get_model("openai:text-embedding-3-small"), batch_size=256)``
    """

    def __init__(
        self, model: Model, *, batch_size: int = 128, dimension: int | None = None
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        self.model = model
        self.name = model.name
        self.batch_size = batch_size
        self.dimension = dimension

    async def embed_batch(self, texts: list[str]) -> Sequence[Sequence[float]]:
        return await self.model.embed(texts)

    async def aclose(self) -> None:
        await self.model.aclose()
