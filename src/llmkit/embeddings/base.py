"""`Embedder`: texts in, one unit-free vector per text out, in batches."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

from .errors import EmbeddingError, InvalidEmbeddingInputError

__all__ = ["Embedder", "check_text", "check_texts"]


def check_text(text: object, index: int | None = None) -> str:
    """`text` if an embedder can take it; else raise `InvalidEmbeddingInputError` saying why.

    A text must be a non-blank string that encodes as UTF-8 (no lone surrogates). NUL and
    other control characters are allowed.
    """
    where = f"text {index}" if index is not None else "text"
    if not isinstance(text, str):
        raise InvalidEmbeddingInputError(
            f"{where} must be a string, got {type(text).__name__}", index=index
        )
    if not text.strip():
        raise InvalidEmbeddingInputError(f"{where} is empty or blank", index=index)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEmbeddingInputError(
            f"{where} has a lone surrogate {text[exc.start]!r} at position {exc.start}; "
            "it cannot be encoded as UTF-8",
            index=index,
        ) from None
    return text


def check_texts(texts: Sequence[str]) -> list[str]:
    """Every text checked by `check_text`, as a list; a bare string is refused."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise InvalidEmbeddingInputError(
            f"texts must be a sequence of strings, got {type(texts).__name__}"
        )
    return [check_text(text, i) for i, text in enumerate(texts)]


class Embedder(ABC):
    """Turns texts into vectors, `batch_size` texts per call to the backend.

    Subclasses implement `embed_batch`. `embed` checks the input, splits it into batches
    and checks every vector that comes back (count, size, finite numbers), so a backend
    that answers NaN or the wrong dimension raises `EmbeddingError` instead of poisoning
    a vector store.
    """

    #: A name that says which model made the vectors (``local:all-minilm-l6-v2``).
    name: str
    #: Vector size; None until known (a remote model tells it with its first answer).
    dimension: int | None = None
    #: Texts per backend call.
    batch_size: int = 32
    #: Batch texts of similar length together (results keep the caller's order): a local
    #: model pads every text of a batch to the longest, so mixed lengths waste work.
    sorts_by_length: bool = False

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order; raises `InvalidEmbeddingInputError` on bad texts."""
        items = check_texts(texts)
        order = list(range(len(items)))
        if self.sorts_by_length:
            order.sort(key=lambda i: len(items[i]))
        vectors: list[list[float]] = [[] for _ in items]
        for first in range(0, len(items), self.batch_size):
            chosen = order[first : first + self.batch_size]
            batch = [items[i] for i in chosen]
            for i, vector in zip(
                chosen, self._checked(batch, await self.embed_batch(batch), chosen), strict=True
            ):
                vectors[i] = vector
        return vectors

    async def embed_one(self, text: str) -> list[float]:
        """The vector of one text."""
        return (await self.embed([text]))[0]

    @abstractmethod
    async def embed_batch(self, texts: list[str]) -> Sequence[Sequence[float]]:
        """Vectors for one batch of already checked texts (at most `batch_size`)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most embedders hold nothing
        """Release connections or native resources the embedder holds."""

    def _checked(
        self, texts: list[str], vectors: Sequence[Sequence[float]], positions: list[int]
    ) -> list[list[float]]:
        if len(vectors) != len(texts):
            raise EmbeddingError(
                f"{self.name} returned {len(vectors)} vectors for {len(texts)} texts"
            )
        rows = [v if isinstance(v, list) else list(v) for v in vectors]
        for offset, row in enumerate(rows):
            if self.dimension is None:
                self.dimension = len(row)
            if len(row) != self.dimension or not row:
                raise EmbeddingError(
                    f"{self.name} returned a {len(row)}-dimensional vector for text "
                    f"{positions[offset]}; expected {self.dimension}"
                )
            if not all(map(math.isfinite, row)):
                raise EmbeddingError(
                    f"{self.name} returned NaN or infinite values for text {positions[offset]}"
                )
        return rows

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
