"""The vector store interface every backend implements (embedded SQLite, PostgreSQL…).

A `VectorStore` holds named collections; a `VectorCollection` holds records of one vector
size. The conformance suite in ``tests/test_vector_store.py`` runs against every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from .vector_filters import MetadataFilter
from .vector_records import CollectionInfo, SearchHit, UpsertReport, VectorRecord

__all__ = ["VectorCollection", "VectorStore"]


@runtime_checkable
class VectorCollection(Protocol):
    """Records of one dimension: write, delete, and search by vector or by keywords."""

    name: str
    dimension: int
    embedder: str | None

    async def upsert(self, records: Sequence[VectorRecord]) -> UpsertReport:
        """Insert or replace records by id. A bad record is refused (listed in the report
        with its error); the rest of the batch is written in one transaction."""
        ...

    async def delete(self, ids: Sequence[str]) -> int:
        """Delete records by id; return how many existed."""
        ...

    async def get(self, ids: Sequence[str]) -> list[VectorRecord]:
        """The stored records with these ids (unit vectors), in the order asked; unknown
        ids are left out."""
        ...

    async def search(
        self,
        vector: Sequence[float],
        *,
        k: int = 10,
        where: MetadataFilter | None = None,
        min_score: float | None = None,
    ) -> list[SearchHit]:
        """The `k` records most similar to `vector` (cosine), best first, that match
        `where` and score at least `min_score`."""
        ...

    async def keyword_search(
        self, query: str, *, k: int = 10, where: MetadataFilter | None = None
    ) -> list[SearchHit]:
        """The `k` records whose text best matches the words of `query` (BM25-like)."""
        ...

    async def count(self, where: MetadataFilter | None = None) -> int:
        """How many records (matching `where`) the collection holds."""
        ...


@runtime_checkable
class VectorStore(Protocol):
    """Named collections of vectors, persisted by the backend."""

    async def collection(
        self, name: str, *, dimension: int | None = None, embedder: str | None = None
    ) -> VectorCollection:
        """The collection `name`, created when `dimension` is given and it does not exist.

        Raises `UnknownCollectionError` for a missing collection without `dimension`,
        `DimensionMismatchError` when it exists with another dimension, and
        `VectorStoreError` when it was filled by another embedder than `embedder`.
        """
        ...

    async def collections(self) -> list[CollectionInfo]:
        """Every collection with its dimension, record count and embedder."""
        ...

    async def drop_collection(self, name: str) -> bool:
        """Delete a collection and its records; False if there was none."""
        ...

    async def close(self) -> None:
        """Persist what is pending and release the backend."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
