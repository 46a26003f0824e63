"""The typed errors of embedders: bad input, bad vectors, missing model files."""

from __future__ import annotations

from ..errors import LLMKitError

__all__ = ["EmbeddingError", "InvalidEmbeddingInputError"]


class EmbeddingError(LLMKitError):
    """An embedder could not produce usable vectors (wrong count, wrong size, NaN…)."""


class InvalidEmbeddingInputError(EmbeddingError, ValueError):
    """The texts passed to `embed` cannot be embedded: not strings, empty, lone surrogates.

    `index` is the position of the first bad text, when one text is to blame.
    """

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index
