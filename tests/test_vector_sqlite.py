"""What the embedded SQLite + HNSW store adds to the conformance suite: its index file
is derived data, so a crash, a corrupted file or another writer never loses a record."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

from llmkit.memory import SqliteVectorStore, VectorRecord


def rec(rid: str, vector: list[float]) -> VectorRecord:
    return VectorRecord(id=rid, vector=vector, text=f"text {rid}")


async def test_index_file_is_saved_on_close_and_used_on_reopen(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    async with SqliteVectorStore(db) as store:
        collection = await store.collection("c", dimension=2)
        await collection.upsert([rec("a", [1, 0]), rec("b", [0, 1])])
        index_file = store.index_path("c")
    assert index_file.is_file() and index_file.stat().st_size > 0
    async with SqliteVectorStore(db) as store:
        collection = await store.collection("c")
        assert [h.id for h in await collection.search([0, 1], k=1)] == ["b"]


async def test_a_corrupted_index_file_is_rebuilt_from_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    async with SqliteVectorStore(db) as store:
        collection = await store.collection("c", dimension=2)
        await collection.upsert([rec("a", [1, 0]), rec("b", [0, 1])])
        index_file = store.index_path("c")
    index_file.write_bytes(b"garbage" * 10)
    async with SqliteVectorStore(db) as store:
        collection = await store.collection("c")
        assert [h.id for h in await collection.search([1, 0.1], k=2)] == ["a", "b"]


async def test_writes_of_a_crashed_process_are_searchable(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    async with SqliteVectorStore(db) as store:
        await (await store.collection("c", dimension=2)).upsert([rec("old", [1, 0])])
    # Another process writes, then dies without closing: its index was never saved.
    child = textwrap.dedent(
        f"""
        import asyncio, os
        from llmkit.memory import SqliteVectorStore, VectorRecord
        async def main():
            store = SqliteVectorStore({str(db)!r})
            c = await store.collection("c")
            await c.upsert([VectorRecord(id="new", vector=[0, 1], text="t")])
            await c.delete(["old"])
            os._exit(0)
        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", child)
    assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    async with SqliteVectorStore(db) as store:
        collection = await store.collection("c")
        assert [h.id for h in await collection.search([1, 0], k=5)] == ["new"]


async def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    async with SqliteVectorStore(db) as first, SqliteVectorStore(db) as second:
        mine = await first.collection("c", dimension=2)
        await mine.upsert([rec("a", [1, 0])])
        theirs = await second.collection("c")
        assert [h.id for h in await theirs.search([1, 0], k=3)] == ["a"]
        await theirs.upsert([rec("b", [0.9, 0.1])])
        await theirs.delete(["a"])
        assert [h.id for h in await mine.search([1, 0], k=3)] == ["b"]


async def test_storing_vectors_then_embedding_locally_in_one_process(tmp_path: Path) -> None:
    # onnxruntime >= 1.23 crashes the process when it loads after usearch; the store must
    # load it first. A fresh process, since this one may have loaded both already.
    child = textwrap.dedent(
        f"""
        import asyncio
        from llmkit.memory import SqliteVectorStore, VectorRecord
        async def main():
            async with SqliteVectorStore({str(tmp_path / "v.db")!r}) as store:
                c = await store.collection("c", dimension=384)
                await c.upsert([VectorRecord(id="z", vector=[0.0] * 383 + [1.0], text="z")])
                from llmkit.embeddings import LocalEmbedder  # after the index is in use
                [vector] = await LocalEmbedder().embed_batch(["llamas hum"])
                await c.upsert([VectorRecord(id="a", vector=list(vector), text="llamas hum")])
                print([h.id for h in await c.search(list(vector), k=1)])
        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", child, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0 and out.decode().strip() == "['a']"
