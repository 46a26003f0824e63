"""`PostgresVectorStore`: the scale-out vector store — PostgreSQL with pgvector.

Each collection is its own table (its vectors have one fixed size, which pgvector's HNSW
index needs): an HNSW index for cosine search, a generated ``tsvector`` column with a GIN
index for keyword search, and ``jsonb`` metadata for filters. Filtered searches use
pgvector's iterative index scans, so a selective filter still returns `k` hits.

Text and ids are stored losslessly, NUL included (see `escape_text`); ``jsonb`` cannot
hold a NUL at all, so a record whose metadata has one is refused on its own.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..memory.vector_checks import (
    CheckedRecord,
    check_collection,
    check_collection_name,
    check_records,
    unit_vector,
)
from ..memory.vector_errors import (
    DimensionMismatchError,
    InvalidRecordError,
    UnknownCollectionError,
    VectorStoreError,
)
from ..memory.vector_filters import MetadataFilter, parse_filter
from ..memory.vector_queries import check_ids, check_k, keyword_terms
from ..memory.vector_records import (
    CollectionInfo,
    RejectedRecord,
    SearchHit,
    UpsertReport,
    VectorRecord,
)
from .postgres_text import escape_text, unescape_text
from .postgres_vector_sql import postgres_where, vector_literal
from .postgres_worker import PostgresWorker

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresCollection", "PostgresVectorStore"]

# HNSW build settings matching the embedded index (see llmkit.memory.vector_index).
_HNSW_M = 16
_EF_CONSTRUCTION = 128
_EF_SEARCH = 64


def _create_v1(conn: psycopg.Connection) -> None:
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(
        """
        CREATE TABLE vector_collections (
            name       TEXT PRIMARY KEY,
            dimension  INTEGER NOT NULL,
            embedder   TEXT,
            table_name TEXT NOT NULL UNIQUE,
            created    DOUBLE PRECISION NOT NULL
        )
        """
    )


def _table_name(name: str) -> str:
    return "vectors_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]


class PostgresVectorStore(PostgresWorker):
    """Vector collections in PostgreSQL with pgvector (see `VectorStore`).

    `url` is a ``postgresql://`` URL of a database where the ``vector`` extension exists
    or may be created. `ef_search` trades search speed for recall.
    """

    component = "vectors"
    migrations = (_create_v1,)
    thread_name = "llmkit-pg-vectors"

    def __init__(self, url: str, *, ef_search: int = _EF_SEARCH, connect_timeout: float = 10.0):
        super().__init__(url, connect_timeout=connect_timeout)
        self.ef_search = ef_search

    def _closed_error(self) -> Exception:
        return VectorStoreError(f"the vector store at {self.where} is closed")

    def _failure(self, exc: Exception) -> Exception:
        psycopg = __import__("psycopg")
        if isinstance(exc, psycopg.errors.UndefinedTable):
            return UnknownCollectionError(f"a collection of {self.where} was dropped: {exc}")
        return VectorStoreError(f"PostgreSQL failed on {self.where}: {exc}")

    async def collection(
        self, name: str, *, dimension: int | None = None, embedder: str | None = None
    ) -> PostgresCollection:
        """The collection `name`, created when `dimension` is given (see `VectorStore`)."""
        check_collection(name, dimension)
        stored_name = escape_text(name)

        def open_or_create(conn: psycopg.Connection) -> tuple[int, str | None, str]:
            with conn.transaction():
                row = conn.execute(
                    "SELECT dimension, embedder, table_name FROM vector_collections"
                    " WHERE name = %s",
                    (stored_name,),
                ).fetchone()
                if row is not None:
                    return int(row[0]), row[1], row[2]
                if dimension is None:
                    raise UnknownCollectionError(f"no collection named {name!r} in {self.where}")
                table = _table_name(name)
                _create_table(conn, table, dimension)
                conn.execute(
                    "INSERT INTO vector_collections VALUES (%s, %s, %s, %s, %s)",
                    (stored_name, dimension, embedder, table, time.time()),
                )
                return dimension, embedder, table

        found, stored_embedder, table = await self._run(open_or_create)
        if dimension is not None and found != dimension:
            raise DimensionMismatchError(
                f"collection {name!r} holds {found}-dimensional vectors, not {dimension}"
            )
        if embedder is not None and stored_embedder is not None and embedder != stored_embedder:
            raise VectorStoreError(
                f"collection {name!r} was filled by embedder {stored_embedder!r}; searching "
                f"it with {embedder!r} would compare vectors from different models"
            )
        return PostgresCollection(self, name, found, stored_embedder, table)

    async def collections(self) -> list[CollectionInfo]:
        """Every collection with its dimension, record count and embedder, by name."""

        def read(conn: psycopg.Connection) -> list[CollectionInfo]:
            rows = conn.execute(
                "SELECT name, dimension, embedder, table_name FROM vector_collections"
            ).fetchall()
            infos = []
            for name, dim, embedder, table in rows:
                count = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
                infos.append(
                    CollectionInfo(
                        name=unescape_text(name),
                        dimension=dim,
                        embedder=embedder,
                        count=int(count[0]) if count else 0,
                    )
                )
            return sorted(infos, key=lambda info: info.name)

        return await self._run(read)

    async def drop_collection(self, name: str) -> bool:
        """Delete a collection and its records; False if there was none."""
        check_collection_name(name)

        def drop(conn: psycopg.Connection) -> bool:
            with conn.transaction():
                row = conn.execute(
                    "DELETE FROM vector_collections WHERE name = %s RETURNING table_name",
                    (escape_text(name),),
                ).fetchone()
                if row is None:
                    return False
                conn.execute(f"DROP TABLE IF EXISTS {row[0]}")
                return True

        return await self._run(drop)


def _create_table(conn: psycopg.Connection, table: str, dimension: int) -> None:
    # The table name is a digest (letters and digits): safe to put in the SQL text.
    conn.execute(
        f"""
        CREATE TABLE {table} (
            id        TEXT PRIMARY KEY,
            embedding vector({int(dimension)}) NOT NULL,
            text      TEXT NOT NULL,
            metadata  JSONB NOT NULL,
            words     tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
        )
        """
    )
    conn.execute(
        f"CREATE INDEX {table}_hnsw ON {table} USING hnsw (embedding vector_cosine_ops)"
        f" WITH (m = {_HNSW_M}, ef_construction = {_EF_CONSTRUCTION})"
    )
    conn.execute(f"CREATE INDEX {table}_words ON {table} USING gin (words)")


class PostgresCollection:
    """One collection of a `PostgresVectorStore`; every call runs on the store's worker."""

    def __init__(
        self,
        store: PostgresVectorStore,
        name: str,
        dimension: int,
        embedder: str | None,
        table: str,
    ) -> None:
        self.store = store
        self.name = name
        self.dimension = dimension
        self.embedder = embedder
        self.table = table

    def __repr__(self) -> str:
        return f"PostgresCollection({self.name!r}, dimension={self.dimension})"

    async def upsert(self, records: Sequence[VectorRecord]) -> UpsertReport:
        """Insert or replace records by id (see `VectorCollection.upsert`)."""
        checked, rejected = check_records(records, self.dimension)
        accepted = _refuse_nul_metadata(records, checked, rejected)
        report = UpsertReport(rejected=sorted(rejected, key=lambda r: r.index))
        if not accepted:
            return report
        rows = [
            (escape_text(record.id), vector_literal(vector), escape_text(record.text), metadata)
            for record, vector, metadata in accepted
        ]
        sql = (
            f"INSERT INTO {self.table} (id, embedding, text, metadata)"
            " VALUES (%s, %s::vector, %s, %s::jsonb) ON CONFLICT (id) DO UPDATE SET"
            " embedding = excluded.embedding, text = excluded.text, metadata = excluded.metadata"
        )

        def write(conn: psycopg.Connection) -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(sql, rows)

        await self.store._run(write)
        report.written = [record.id for record, _, _ in accepted]
        return report

    async def delete(self, ids: Sequence[str]) -> int:
        """Delete records by id; return how many existed."""
        wanted = [escape_text(i) for i in check_ids(ids)]
        sql = f"DELETE FROM {self.table} WHERE id = ANY(%s)"
        return await self.store._run(lambda conn: conn.execute(sql, (wanted,)).rowcount)

    async def get(self, ids: Sequence[str]) -> list[VectorRecord]:
        """The stored records with these ids, in the order asked; unknown ids left out."""
        wanted = check_ids(ids)
        sql = f"SELECT id, embedding::text, text, metadata FROM {self.table} WHERE id = ANY(%s)"
        stored = [escape_text(i) for i in wanted]
        rows = await self.store._fetch(sql, (stored,))
        found = {
            unescape_text(rid): VectorRecord(
                id=unescape_text(rid),
                vector=json.loads(vector),
                text=unescape_text(text),
                metadata=metadata,
            )
            for rid, vector, text, metadata in rows
        }
        return [found[i] for i in wanted if i in found]

    async def search(
        self,
        vector: Sequence[float],
        *,
        k: int = 10,
        where: MetadataFilter | None = None,
        min_score: float | None = None,
    ) -> list[SearchHit]:
        """The `k` records most similar to `vector` (cosine; see `VectorCollection.search`)."""
        query = vector_literal(unit_vector(vector, self.dimension))
        check_k(k)
        clause, params = postgres_where(parse_filter(where), "metadata")
        sql = (
            f"SELECT id, text, metadata, 1 - (embedding <=> %s::vector) FROM {self.table}"
            f" WHERE {clause} ORDER BY embedding <=> %s::vector LIMIT %s"
        )
        ef_search = max(self.store.ef_search, k)

        def find(conn: psycopg.Connection) -> list[Any]:
            with conn.transaction():
                # Iterative scans keep reading the graph until `k` rows pass the filter.
                conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
                conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
                return conn.execute(sql, (query, *params, query, k)).fetchall()

        hits = [_hit(row) for row in await self.store._run(find)]
        # Equal scores come back in no particular order from PostgreSQL: order them by id.
        hits.sort(key=lambda hit: (-round(hit.score, 6), hit.id))
        if min_score is not None:
            hits = [hit for hit in hits if hit.score >= min_score]
        return hits

    async def keyword_search(
        self, query: str, *, k: int = 10, where: MetadataFilter | None = None
    ) -> list[SearchHit]:
        """The `k` records whose text best matches the words of `query` (``ts_rank_cd``)."""
        unique = keyword_terms(query)
        check_k(k)
        if not unique:
            return []
        # Each term goes through plainto_tsquery (no query syntax), then OR-ed together.
        tsquery = " || ".join(["plainto_tsquery('english', %s)"] * len(unique))
        clause, params = postgres_where(parse_filter(where), "metadata")
        sql = (
            f"SELECT id, text, metadata, ts_rank_cd(words, q) AS rank"
            f" FROM {self.table}, ({'SELECT ' + tsquery}) AS t(q)"
            f" WHERE words @@ q AND {clause} ORDER BY rank DESC, id LIMIT %s"
        )
        rows = await self.store._run(
            lambda conn: conn.execute(sql, (*unique, *params, k)).fetchall()
        )
        return [_hit(row) for row in rows]

    async def count(self, where: MetadataFilter | None = None) -> int:
        """How many records (matching `where`) the collection holds."""
        clause, params = postgres_where(parse_filter(where), "metadata")
        sql = f"SELECT COUNT(*) FROM {self.table} WHERE {clause}"
        row = await self.store._run(lambda conn: conn.execute(sql, params).fetchone())
        return int(row[0]) if row else 0


def _hit(row: tuple[Any, ...]) -> SearchHit:
    rid, text, metadata, score = row
    return SearchHit(
        id=unescape_text(rid), score=float(score), text=unescape_text(text), metadata=metadata
    )


def _refuse_nul_metadata(
    records: Sequence[VectorRecord], checked: list[CheckedRecord], rejected: list[RejectedRecord]
) -> list[CheckedRecord]:
    # jsonb has no way to hold U+0000: refuse just that record, keep the rest of the batch.
    positions = {id(record): index for index, record in enumerate(records)}
    accepted = []
    for record, vector, metadata in checked:
        if "\\u0000" not in metadata:
            accepted.append((record, vector, metadata))
            continue
        error = InvalidRecordError(
            f"record {record.id!r}: metadata holds a NUL character (\\u0000), which "
            "PostgreSQL's jsonb cannot store",
            record_id=record.id,
        )
        rejected.append(RejectedRecord(index=positions.get(id(record), -1), error=error))
    return accepted
