"""`Memory`: remember texts, recall them by meaning and keywords, ingest files, build context.

It ties an `Embedder` to a collection of a `VectorStore` (by default the embedded
`SqliteVectorStore`): texts are embedded on the way in and queries on the way out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from ..embeddings.base import Embedder, check_text
from ..embeddings.errors import InvalidEmbeddingInputError
from .chunking import Chunker
from .context import assemble_context
from .fusion import fuse
from .vector_errors import InvalidRecordError, UnknownCollectionError, VectorStoreError
from .vector_filters import MetadataFilter
from .vector_records import RejectedRecord, SearchHit, UpsertReport, VectorRecord
from .vector_store import VectorCollection, VectorStore

if TYPE_CHECKING:
    from ..tools.base import Tool
    from .ingest import IngestProgress, IngestReport

__all__ = ["Memory", "SearchMode"]

SearchMode = Literal["hybrid", "vector", "keyword"]
# Each side of a hybrid search fetches this many times `k` candidates before fusion.
_HYBRID_FETCH = 4


class Memory:
    """Long-term memory for an application or an agent, in one collection of a store.

    `store` is a `VectorStore` or the path of an SQLite file (then `Memory` owns the
    store and closes it). `embedder` is an `Embedder` (the caller closes it) or a name for
    `get_embedder` (default ``"local"``: all-MiniLM-L6-v2 offline). Use ``async with`` or
    `close`.
    """

    def __init__(
        self,
        store: VectorStore | str | Path,
        *,
        collection: str = "default",
        embedder: Embedder | str = "local",
        chunker: Chunker | None = None,
    ) -> None:
        if isinstance(store, str | Path):
            from .sqlite_vectors import SqliteVectorStore

            self.store: VectorStore = SqliteVectorStore(store)
            self._owns_store = True
        else:
            self.store, self._owns_store = store, False
        self._owns_embedder = isinstance(embedder, str)
        if isinstance(embedder, str):
            from ..embeddings.registry import get_embedder

            embedder = get_embedder(embedder)
        self.embedder = embedder
        self.collection_name = collection
        self.chunker = chunker or Chunker()
        self._collection: VectorCollection | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the store and the embedder, each only if `Memory` made it."""
        if self._owns_embedder:
            await self.embedder.aclose()
        if self._owns_store:
            await self.store.close()

    async def collection(self, *, dimension: int | None = None) -> VectorCollection:
        """The collection this memory uses, created with `dimension` when missing."""
        if self._collection is None:
            self._collection = await self.store.collection(
                self.collection_name,
                dimension=dimension or self.embedder.dimension,
                embedder=self.embedder.name,
            )
        return self._collection

    async def remember(
        self,
        texts: str | Sequence[str],
        *,
        metadata: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> UpsertReport:
        """Embed and store texts; return what was written and what was refused.

        `metadata` is one mapping for all texts or one per text. Without `ids`, a text's id
        is a hash of its content, so remembering the same text twice keeps one copy. A bad
        text (blank, a lone surrogate…) is refused on its own; the others are stored.
        """
        items = [texts] if isinstance(texts, str) else list(texts)
        metas = _per_item(metadata, len(items), "metadata")
        keys = list(ids) if ids is not None else [_content_id(t) for t in items]
        if len(keys) != len(items):
            raise InvalidRecordError(f"got {len(keys)} ids for {len(items)} texts")
        good, rejected = _split_texts(items)
        report = UpsertReport(rejected=rejected)
        if not good:
            return report
        vectors = await self.embedder.embed([items[i] for i in good])
        collection = await self.collection(dimension=len(vectors[0]))
        records = [
            VectorRecord(id=keys[i], vector=v, text=items[i], metadata=dict(metas[i]))
            for i, v in zip(good, vectors, strict=True)
        ]
        written = await collection.upsert(records)
        report.written = written.written
        report.rejected += [
            RejectedRecord(index=good[r.index], error=r.error) for r in written.rejected
        ]
        report.rejected.sort(key=lambda r: r.index)
        return report

    async def recall(
        self,
        query: str,
        *,
        k: int = 5,
        where: MetadataFilter | None = None,
        mode: SearchMode = "hybrid",
        min_score: float | None = None,
    ) -> list[SearchHit]:
        """The `k` stored texts that best answer `query`, best first.

        ``mode="hybrid"`` fuses vector and keyword rankings (reciprocal rank fusion);
        ``"vector"`` ranks by cosine similarity only (`min_score` applies to it);
        ``"keyword"`` by word matches only. A memory with nothing stored returns [].
        """
        if mode not in ("hybrid", "vector", "keyword"):
            raise VectorStoreError(f"mode must be 'hybrid', 'vector' or 'keyword', got {mode!r}")
        try:
            check_text(query)
        except InvalidEmbeddingInputError as exc:
            raise VectorStoreError(f"query: {exc}") from None
        try:
            collection = await self.collection()
        except UnknownCollectionError:
            return []
        fetch = k * _HYBRID_FETCH if mode == "hybrid" else k
        rankings: list[list[SearchHit]] = []
        if mode != "keyword":
            vector = await self.embedder.embed_one(query)
            rankings.append(
                await collection.search(vector, k=fetch, where=where, min_score=min_score)
            )
        if mode != "vector":
            rankings.append(await collection.keyword_search(query, k=fetch, where=where))
        return rankings[0] if len(rankings) == 1 else fuse(rankings, k)

    async def context(
        self,
        query: str,
        *,
        max_tokens: int = 800,
        k: int = 8,
        where: MetadataFilter | None = None,
        count_tokens: Callable[[str], int] | None = None,
    ) -> str:
        """The best passages for `query`, numbered with their sources, in `max_tokens`."""
        hits = await self.recall(query, k=k, where=where)
        if count_tokens is None:
            return assemble_context(hits, max_tokens=max_tokens)
        return assemble_context(hits, max_tokens=max_tokens, count_tokens=count_tokens)

    async def forget(self, ids: Sequence[str]) -> int:
        """Delete stored texts by id; return how many existed."""
        try:
            return await (await self.collection()).delete(ids)
        except UnknownCollectionError:
            return 0

    async def count(self, where: MetadataFilter | None = None) -> int:
        """How many texts (matching `where`) are stored."""
        try:
            return await (await self.collection()).count(where)
        except UnknownCollectionError:
            return 0

    async def ingest(
        self,
        path: str | Path,
        *,
        metadata: Mapping[str, Any] | None = None,
        max_bytes: int | None = None,
        progress: Callable[[IngestProgress], None] | None = None,
    ) -> IngestReport:
        """Load, chunk, embed and store a file or every supported file under a folder.

        See `llmkit.memory.ingest.ingest_path` for what is stored and how failures read.
        """
        from .ingest import ingest_path

        return await ingest_path(
            self, Path(path), metadata=metadata, max_bytes=max_bytes, progress=progress
        )

    def as_tool(self, *, name: str = "search_memory", k: int = 5, max_tokens: int = 800) -> Tool:
        """A tool an agent calls with a query to get the best passages as cited context."""
        from .retrieval_tool import memory_tool

        return memory_tool(self, name=name, k=k, max_tokens=max_tokens)

    def __repr__(self) -> str:
        return f"Memory({self.collection_name!r}, embedder={self.embedder.name!r})"


def _content_id(text: Any) -> str:
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else repr(text).encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def _per_item(
    value: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None, count: int, what: str
) -> list[Mapping[str, Any]]:
    if value is None:
        return [{}] * count
    if isinstance(value, Mapping):
        return [value] * count
    items = list(value)
    if len(items) != count or not all(isinstance(v, Mapping) for v in items):
        raise InvalidRecordError(f"{what} must be one mapping or one mapping per text ({count})")
    return items


def _split_texts(items: list[Any]) -> tuple[list[int], list[RejectedRecord]]:
    good: list[int] = []
    rejected: list[RejectedRecord] = []
    for index, text in enumerate(items):
        try:
            check_text(text, index)
        except InvalidEmbeddingInputError as exc:
            rejected.append(RejectedRecord(index=index, error=InvalidRecordError(str(exc))))
        else:
            good.append(index)
    return good, rejected
