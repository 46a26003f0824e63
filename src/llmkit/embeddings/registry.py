"""`get_embedder`: an embedder from a name (``local``, ``openai:text-embedding-3-small``…)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import Embedder

__all__ = ["LOCAL_NAMES", "get_embedder"]

#: Names that select the offline `LocalEmbedder`.
LOCAL_NAMES = frozenset({"local", "local:all-minilm-l6-v2", "local:minilm"})


def get_embedder(name: str = "local", **options: Any) -> Embedder:
    """The embedder for `name`: ``local`` (all-MiniLM-L6-v2 in process) or a
    ``provider:model`` string served by a model with embeddings (``openai:…``,
    ``ollama:nomic-embed-text``, ``gemini:text-embedding-004``…).

    `options` go to `get_model` (``base_url``, ``api_key``…), except ``batch_size``.
    Raises `ConfigError` for an unknown name, as `get_model` does.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"embedder name must be a non-empty string, got {name!r}")
    batch_size = options.pop("batch_size", None)
    if name in LOCAL_NAMES:
        from .local import LocalEmbedder

        if options:
            raise ConfigError(f"the local embedder takes no options {sorted(options)}")
        return LocalEmbedder(batch_size=batch_size or 32)
    from ..providers.resolve import get_model
    from .model import ModelEmbedder

    return ModelEmbedder(get_model(name, **options), batch_size=batch_size or 128)
