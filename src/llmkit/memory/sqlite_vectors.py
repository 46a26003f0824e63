"""`SqliteVectorStore`: the embedded vector store — records in SQLite, an HNSW index beside it.

SQLite is the source of truth (id, unit vector, text, metadata, an FTS5 keyword index);
the usearch HNSW index is derived data, saved next to the database file on `save` and
`close`. A write bumps the collection's `generation`; an index file saved at another
generation (a crash, another process writing) is ignored and rebuilt from SQLite.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .schema import Synchronous
from .vector_checks import check_collection, check_collection_name, check_records, unit_vector
from .vector_errors import DimensionMismatchError, UnknownCollectionError, VectorStoreError
from .vector_filters import Condition, MetadataFilter, parse_filter, sqlite_where
from .vector_index import AnnIndex, import_numpy
from .vector_queries import check_ids, check_k, keyword_terms
from .vector_records import CollectionInfo, SearchHit, UpsertReport, VectorRecord
from .vector_schema import VECTOR_MIGRATIONS
from .worker import SqliteWorker
from .writes import transaction

__all__ = ["SqliteVectorStore", "SqliteCollection"]

# Below this many filter matches, exact scoring of the matches beats a filtered ANN search.
_EXACT_LIMIT = 20_000
_CHUNK = 500  # ids per `IN (...)` list, well under SQLite's parameter limit


class SqliteVectorStore(SqliteWorker):
    """Vector collections in one SQLite file (WAL), each with an HNSW index file.

    The index of a collection lives in memory while the store is open and is written to
    ``<path>.index/`` by `save` and `close`. Opening an unsaved or stale index rebuilds it
    from SQLite, so nothing is lost when a process dies. `index_threads` threads build it.
    """

    migrations = VECTOR_MIGRATIONS
    thread_name = "llmkit-vectors"

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Synchronous = "NORMAL",
        busy_timeout: float = 5.0,
        index_threads: int = 1,
    ) -> None:
        super().__init__(path, synchronous=synchronous, busy_timeout=busy_timeout)
        self.index_dir = Path(f"{self.path}.index")
        self.index_threads = index_threads
        self._collections: dict[str, SqliteCollection] = {}

    def _closed_error(self) -> Exception:
        return VectorStoreError(f"the vector store at {self.path} is closed")

    def _failure(self, exc: Exception) -> Exception:
        return VectorStoreError(f"SQLite failed on {self.path}: {exc}")

    async def collection(
        self, name: str, *, dimension: int | None = None, embedder: str | None = None
    ) -> SqliteCollection:
        """The collection `name`, created when `dimension` is given (see `VectorStore`)."""
        check_collection(name, dimension)

        def open_or_create(conn: sqlite3.Connection) -> tuple[int, str | None]:
            with transaction(conn):
                row = conn.execute(
                    "SELECT dimension, embedder FROM collections WHERE name = ?", (name,)
                ).fetchone()
                if row is None and dimension is None:
                    raise UnknownCollectionError(f"no collection named {name!r} in {self.path}")
                if row is None:
                    conn.execute(
                        "INSERT INTO collections (name, dimension, embedder, created) "
                        "VALUES (?, ?, ?, ?)",
                        (name, dimension, embedder, time.time()),
                    )
                    return int(dimension), embedder  # type: ignore[arg-type]
                return int(row[0]), row[1]

        found, stored_embedder = await self._run(open_or_create)
        if dimension is not None and found != dimension:
            raise DimensionMismatchError(
                f"collection {name!r} holds {found}-dimensional vectors, not {dimension}"
            )
        if embedder is not None and stored_embedder is not None and embedder != stored_embedder:
            raise VectorStoreError(
                f"collection {name!r} was filled by embedder {stored_embedder!r}; searching "
                f"it with {embedder!r} would compare vectors from different models"
            )
        if name not in self._collections or self._collections[name].dimension != found:
            self._collections[name] = SqliteCollection(self, name, found, stored_embedder)
        return self._collections[name]

    async def collections(self) -> list[CollectionInfo]:
        """Every collection with its dimension, record count and embedder, by name."""

        def read(conn: sqlite3.Connection) -> list[CollectionInfo]:
            rows = conn.execute(
                "SELECT c.name, c.dimension, c.embedder, "
                "(SELECT COUNT(*) FROM vectors v WHERE v.collection = c.name) "
                "FROM collections c ORDER BY c.name"
            ).fetchall()
            return [CollectionInfo(name=n, dimension=d, embedder=e, count=c) for n, d, e, c in rows]

        return await self._run(read)

    async def drop_collection(self, name: str) -> bool:
        """Delete a collection, its records and its index file; False if there was none."""
        check_collection_name(name)

        def drop(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                conn.execute("DELETE FROM vectors WHERE collection = ?", (name,))
                gone = conn.execute("DELETE FROM collections WHERE name = ?", (name,)).rowcount
            self.index_path(name).unlink(missing_ok=True)
            return bool(gone)

        self._collections.pop(name, None)
        return await self._run(drop)

    def index_path(self, name: str) -> Path:
        """Where the index file of collection `name` is saved."""
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]
        return self.index_dir / f"{digest}.usearch"

    async def save(self) -> None:
        """Write the in-memory index of every open collection that changed since it was saved."""
        collections = list(self._collections.values())

        def write(conn: sqlite3.Connection) -> None:
            for collection in collections:
                collection.save_index(conn)

        await self._run(write)

    async def close(self) -> None:
        """Save changed indexes, then close the database (see `SqliteWorker.close`)."""
        if not self._closed and self._collections:
            await self.save()
        self._collections.clear()
        await super().close()


class SqliteCollection:
    """One collection of a `SqliteVectorStore`; every call runs on the store's worker."""

    def __init__(self, store: SqliteVectorStore, name: str, dimension: int, embedder: str | None):
        self.store = store
        self.name = name
        self.dimension = dimension
        self.embedder = embedder
        self._index: AnnIndex | None = None
        self._generation = -1  # the generation `_index` reflects

    @property
    def index_memory_bytes(self) -> int:
        """Memory the loaded HNSW index takes (0 before its first use)."""
        return self._index.memory_bytes if self._index is not None else 0

    def __repr__(self) -> str:
        return f"SqliteCollection({self.name!r}, dimension={self.dimension})"

    async def upsert(self, records: Sequence[VectorRecord]) -> UpsertReport:
        """Insert or replace records by id (see `VectorCollection.upsert`)."""
        accepted, rejected = check_records(records, self.dimension)
        report = UpsertReport(rejected=rejected)
        if not accepted:
            return report
        numpy = import_numpy()

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                index = self._sync_index(conn)
                old = self._keys(conn, [record.id for record, _, _ in accepted])
                _delete_keys(conn, old)
                keys = [
                    conn.execute(
                        "INSERT INTO vectors (collection, id, vector, text, metadata) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (self.name, record.id, vector.tobytes(), record.text, metadata),
                    ).lastrowid
                    for record, vector, metadata in accepted
                ]
                generation = self._bump(conn)
            self._apply(
                index,
                generation,
                old,
                numpy.asarray(keys, dtype=numpy.uint64),
                numpy.stack([vector for _, vector, _ in accepted]),
            )

        await self.store._run(write)
        report.written = [record.id for record, _, _ in accepted]
        return report

    async def delete(self, ids: Sequence[str]) -> int:
        """Delete records by id; return how many existed."""
        wanted = check_ids(ids)

        def write(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                index = self._sync_index(conn)
                old = self._keys(conn, wanted)
                _delete_keys(conn, old)
                generation = self._bump(conn) if old else self._generation
            self._apply(index, generation, old, None, None)
            return len(old)

        return await self.store._run(write)

    async def get(self, ids: Sequence[str]) -> list[VectorRecord]:
        """The stored records with these ids, in the order asked; unknown ids left out."""
        wanted = check_ids(ids)
        numpy = import_numpy()

        def read(conn: sqlite3.Connection) -> list[VectorRecord]:
            found: dict[str, VectorRecord] = {}
            for chunk in _chunks(wanted):
                marks = ", ".join("?" * len(chunk))
                for rid, blob, text, metadata in conn.execute(
                    f"SELECT id, vector, text, metadata FROM vectors "
                    f"WHERE collection = ? AND id IN ({marks})",
                    (self.name, *chunk),
                ):
                    vector = numpy.frombuffer(blob, dtype=numpy.float32).tolist()
                    found[rid] = VectorRecord(
                        id=rid, vector=vector, text=text, metadata=json.loads(metadata)
                    )
            return [found[i] for i in wanted if i in found]

        return await self.store._run(read)

    async def search(
        self,
        vector: Sequence[float],
        *,
        k: int = 10,
        where: MetadataFilter | None = None,
        min_score: float | None = None,
    ) -> list[SearchHit]:
        """The `k` records most similar to `vector` (see `VectorCollection.search`)."""
        query = unit_vector(vector, self.dimension)
        check_k(k)
        conditions = parse_filter(where)

        def find(conn: sqlite3.Connection) -> list[SearchHit]:
            index = self._sync_index(conn)
            pairs = self._nearest(conn, index, query, k, conditions)
            if min_score is not None:
                pairs = [(key, score) for key, score in pairs if score >= min_score]
            return self._hits(conn, pairs)

        return await self.store._run(find)

    async def keyword_search(
        self, query: str, *, k: int = 10, where: MetadataFilter | None = None
    ) -> list[SearchHit]:
        """The `k` records whose text best matches the words of `query` (FTS5 BM25)."""
        terms = keyword_terms(query)
        check_k(k)
        if not terms:
            return []
        match = " OR ".join(f'"{term}"' for term in terms)
        clause, params = sqlite_where(parse_filter(where), "v.metadata")

        def find(conn: sqlite3.Connection) -> list[SearchHit]:
            rows = conn.execute(
                "SELECT v.id, v.text, v.metadata, bm25(vectors_fts) AS rank "
                "FROM vectors_fts JOIN vectors v ON v.key = vectors_fts.rowid "
                f"WHERE vectors_fts MATCH ? AND v.collection = ? AND {clause} "
                "ORDER BY rank LIMIT ?",
                (match, self.name, *params, k),
            ).fetchall()
            return [
                SearchHit(id=rid, score=-rank, text=text, metadata=json.loads(meta))
                for rid, text, meta, rank in rows
            ]

        return await self.store._run(find)

    async def count(self, where: MetadataFilter | None = None) -> int:
        """How many records (matching `where`) the collection holds."""
        clause, params = sqlite_where(parse_filter(where), "metadata")

        def read(conn: sqlite3.Connection) -> int:
            sql = f"SELECT COUNT(*) FROM vectors WHERE collection = ? AND {clause}"
            return int(conn.execute(sql, (self.name, *params)).fetchone()[0])

        return await self.store._run(read)

    # -- on the worker thread -------------------------------------------------------------

    def _sync_index(self, conn: sqlite3.Connection) -> AnnIndex:
        """The in-memory index, loaded or rebuilt when it does not match SQLite's generation."""
        row = conn.execute(
            "SELECT generation, index_generation FROM collections WHERE name = ?", (self.name,)
        ).fetchone()
        if row is None:
            raise UnknownCollectionError(f"collection {self.name!r} was dropped")
        generation, saved_generation = row
        if self._index is not None and self._generation == generation:
            return self._index
        index = None
        if self._index is None and saved_generation == generation:
            index = AnnIndex.load(
                self.store.index_path(self.name), self.dimension, threads=self.store.index_threads
            )
        self._index = index or self._rebuild(conn)
        self._generation = generation
        return self._index

    def _rebuild(self, conn: sqlite3.Connection) -> AnnIndex:
        numpy = import_numpy()
        index = AnnIndex(self.dimension, threads=self.store.index_threads)
        cursor = conn.execute(
            "SELECT key, vector FROM vectors WHERE collection = ? ORDER BY key", (self.name,)
        )
        while rows := cursor.fetchmany(10_000):
            keys = numpy.asarray([key for key, _ in rows], dtype=numpy.uint64)
            blob = b"".join(vector for _, vector in rows)
            index.add(keys, numpy.frombuffer(blob, dtype=numpy.float32).reshape(len(rows), -1))
        return index

    def _apply(
        self, index: AnnIndex, generation: int, old: list[int], keys: Any, vectors: Any
    ) -> None:
        """Mirror a committed write in the index; on failure, rebuild it on next use."""
        try:
            index.remove(old)
            if keys is not None:
                index.add(keys, vectors)
            self._generation = generation
        except Exception:
            self._index = None
            raise

    def save_index(self, conn: sqlite3.Connection) -> None:
        """Write the index file if it reflects the current generation and was not saved."""
        row = conn.execute(
            "SELECT generation, index_generation FROM collections WHERE name = ?", (self.name,)
        ).fetchone()
        if row is None or self._index is None or row[0] != self._generation or row[1] == row[0]:
            return
        self._index.save(self.store.index_path(self.name))
        conn.execute(
            "UPDATE collections SET index_generation = ? WHERE name = ? AND generation = ?",
            (self._generation, self.name, self._generation),
        )

    def _bump(self, conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "UPDATE collections SET generation = generation + 1 WHERE name = ? "
            "RETURNING generation",
            (self.name,),
        ).fetchone()
        return int(row[0])

    def _keys(self, conn: sqlite3.Connection, ids: list[str]) -> list[int]:
        keys: list[int] = []
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT key FROM vectors WHERE collection = ? AND id IN ({marks})"
            keys.extend(key for (key,) in conn.execute(sql, (self.name, *chunk)))
        return keys

    def _nearest(
        self,
        conn: sqlite3.Connection,
        index: AnnIndex,
        query: Any,
        k: int,
        conditions: list[Condition],
    ) -> list[tuple[int, float]]:
        if not conditions:
            return index.search(query, k)
        clause, params = sqlite_where(conditions, "metadata")
        sql = f"SELECT key FROM vectors WHERE collection = ? AND {clause}"
        keys = [key for (key,) in conn.execute(sql, (self.name, *params))]
        if len(keys) <= _EXACT_LIMIT:
            return index.exact(query, keys, k)
        # A broad filter: over-fetch from the graph in proportion to what the filter drops.
        allowed = set(keys)
        fetch = min(len(index), k * 2 * -(-len(index) // len(keys)))
        pairs = [pair for pair in index.search(query, fetch) if pair[0] in allowed][:k]
        return pairs if len(pairs) == k else index.exact(query, keys, k)

    def _hits(self, conn: sqlite3.Connection, pairs: list[tuple[int, float]]) -> list[SearchHit]:
        if not pairs:
            return []
        marks = ", ".join("?" * len(pairs))
        rows = {
            key: (rid, text, metadata)
            for key, rid, text, metadata in conn.execute(
                f"SELECT key, id, text, metadata FROM vectors WHERE key IN ({marks})",
                [key for key, _ in pairs],
            )
        }
        return [
            SearchHit(
                id=rows[key][0], score=score, text=rows[key][1], metadata=json.loads(rows[key][2])
            )
            for key, score in pairs
            if key in rows
        ]


def _delete_keys(conn: sqlite3.Connection, keys: list[int]) -> None:
    for chunk in _chunks(keys):
        conn.execute(f"DELETE FROM vectors WHERE key IN ({', '.join('?' * len(chunk))})", chunk)


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
