"""Embeddings: turn texts into vectors for search and memory.

`Embedder` is the interface (batched, with checked output). `LocalEmbedder` runs
all-MiniLM-L6-v2 offline (the ``memory`` extra); `ModelEmbedder` uses any model with an
embeddings endpoint (OpenAI, Ollama, vLLM, llama.cpp server, Gemini). `get_embedder`
picks one by name.
"""

from __future__ import annotations

from .base import Embedder, check_text, check_texts
from .errors import EmbeddingError, InvalidEmbeddingInputError
from .local import LocalEmbedder
from .model import ModelEmbedder
from .registry import LOCAL_NAMES, get_embedder

__all__ = [
    "LOCAL_NAMES",
    "Embedder",
    "EmbeddingError",
    "InvalidEmbeddingInputError",
    "LocalEmbedder",
    "ModelEmbedder",
    "check_text",
    "check_texts",
    "get_embedder",
]
