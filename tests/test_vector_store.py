"""The vector store conformance suite: every backend must pass every test here.

A backend joins by adding an entry to `BACKENDS`: a function that takes the request and
`tmp_path` and returns `open_store`, a zero-argument callable opening a *new* connection
to the same persistent store each time it is called (the restart tests call it twice).
The PostgreSQL backend points at a scratch database on the session's server.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from llmkit.memory import (
    DimensionMismatchError,
    InvalidFilterError,
    InvalidRecordError,
    SqliteVectorStore,
    UnknownCollectionError,
    VectorCollection,
    VectorRecord,
    VectorStore,
    VectorStoreError,
)
from llmkit.storage import PostgresVectorStore

OpenStore = Callable[[], VectorStore]


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    return lambda: SqliteVectorStore(tmp_path / "vectors.db")


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    url = request.getfixturevalue("postgres").create_database()
    return lambda: PostgresVectorStore(url)


BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], OpenStore]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(BACKENDS))
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    return BACKENDS[request.param](request, tmp_path)


def rec(rid: str, vector: list[float], text: str = "", **metadata: object) -> VectorRecord:
    return VectorRecord(id=rid, vector=vector, text=text or f"text of {rid}", metadata=metadata)


PLANETS = [
    rec("mercury", [1, 0, 0], "Mercury is the closest planet to the Sun", kind="rock", order=1),
    rec("venus", [0.9, 0.1, 0], "Venus has a thick toxic atmosphere", kind="rock", order=2),
    rec("jupiter", [0, 1, 0], "Jupiter is a gas giant with a great red spot", kind="gas", order=5),
    rec("neptune", [0, 0.2, 1], "Neptune is an ice giant far from the Sun", kind="ice", order=8),
]


async def planets(store: VectorStore) -> VectorCollection:
    collection = await store.collection("planets", dimension=3)
    report = await collection.upsert(PLANETS)
    assert report.written == [p.id for p in PLANETS] and report.rejected == []
    return collection


async def test_stores_and_reads_back_unit_vectors(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)
        assert await collection.count() == 4
        [venus, mercury] = await collection.get(["venus", "mercury", "pluto"])
        assert (mercury.id, mercury.text, mercury.metadata) == (
            "mercury",
            PLANETS[0].text,
            {"kind": "rock", "order": 1},
        )
        assert venus.vector == pytest.approx([0.99388373, 0.11043153, 0.0], abs=1e-6)


async def test_search_ranks_by_cosine_and_respects_k_and_min_score(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)
        hits = await collection.search([1, 0.05, 0], k=2)
        assert [h.id for h in hits] == ["mercury", "venus"]
        assert hits[0].score == pytest.approx(0.99875, abs=1e-3)
        assert hits[0].text == PLANETS[0].text and hits[0].metadata["kind"] == "rock"
        strong = await collection.search([1, 0.05, 0], k=4, min_score=0.5)
        assert [h.id for h in strong] == ["mercury", "venus"]
        assert len(await collection.search([0, 1, 0], k=10)) == 4


async def test_upsert_replaces_by_id(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)
        await collection.upsert([rec("jupiter", [1, 0, 0], "moved", kind="gas")])
        assert await collection.count() == 4
        hits = await collection.search([1, 0, 0], k=2)
        assert {h.id for h in hits} == {"mercury", "jupiter"}
        assert (await collection.get(["jupiter"]))[0].text == "moved"


async def test_delete_removes_from_search_and_count(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)
        assert await collection.delete(["mercury", "pluto"]) == 1
        assert await collection.delete(["mercury"]) == 0
        assert await collection.count() == 3
        assert [h.id for h in await collection.search([1, 0, 0], k=1)] == ["venus"]
        assert await collection.keyword_search("closest planet") == []


async def test_metadata_filters(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)

        async def ids(where: dict[str, object]) -> list[str]:
            return [h.id for h in await collection.search([1, 0, 0], k=10, where=where)]

        assert await ids({"kind": "gas"}) == ["jupiter"]
        assert await ids({"kind": {"$in": ["ice", "gas"]}}) == ["jupiter", "neptune"]
        assert await ids({"kind": {"$ne": "rock"}}) == ["jupiter", "neptune"]
        assert await ids({"order": {"$gte": 2}, "kind": "rock"}) == ["venus"]
        assert await ids({"order": {"$lt": 0}}) == []
        assert await collection.count({"kind": "rock"}) == 2
        for bad in ({"kind": {"$regex": "r"}}, {"a b": 1}, {"kind": {"$in": []}}, {"k": [1]}):
            with pytest.raises(InvalidFilterError):
                await collection.search([1, 0, 0], where=bad)


async def test_bad_records_are_refused_one_by_one(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await store.collection("c", dimension=3)
        report = await collection.upsert(
            [
                rec("ok-1", [1, 0, 0]),
                rec("short", [1, 0]),
                rec("nan", [math.nan, 0, 1]),
                rec("inf", [math.inf, 0, 1]),
                rec("zero", [0, 0, 0]),
                rec("", [1, 0, 0]),
                rec("surrogate", [0, 1, 0], "half a pair: \ud83d"),
                VectorRecord(id="meta", vector=[0, 1, 0], metadata={"x": object()}),
                rec("ok-2", [0, 0, 1]),
            ]
        )
        assert report.written == ["ok-1", "ok-2"]
        assert [r.index for r in report.rejected] == [1, 2, 3, 4, 5, 6, 7]
        errors = [r.error for r in report.rejected]
        assert isinstance(errors[0], DimensionMismatchError)
        assert "NaN or infinite" in str(errors[1]) and "NaN or infinite" in str(errors[2])
        assert "all zeros" in str(errors[3]) and "non-empty" in str(errors[4])
        assert "lone surrogate" in str(errors[5]) and errors[5].record_id == "surrogate"
        assert "metadata" in str(errors[6])
        assert await collection.count() == 2


async def test_unicode_text_is_stored_losslessly(open_store: OpenStore) -> None:
    texts = ["nul\x00inside", "emoji 🧪 and ZWJ 👩‍🔬", "עברית RTL", "e\u0301 combining", "\u2028"]
    async with open_store() as store:
        collection = await store.collection("u", dimension=2)
        await collection.upsert([rec(f"id-{t}", [1, i + 1], t) for i, t in enumerate(texts)])
    async with open_store() as store:
        collection = await store.collection("u")
        stored = await collection.get([f"id-{t}" for t in texts])
        assert [r.text for r in stored] == texts
        assert [r.id for r in stored] == [f"id-{t}" for t in texts]


async def test_bad_queries_raise_typed_errors(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)
        with pytest.raises(DimensionMismatchError, match="3 dimensions"):
            await collection.search([1, 0])
        with pytest.raises(InvalidRecordError, match="NaN"):
            await collection.search([math.nan, 0, 0])
        with pytest.raises(VectorStoreError, match="k must be"):
            await collection.search([1, 0, 0], k=0)
        with pytest.raises(InvalidRecordError):
            await collection.upsert("not records")  # type: ignore[arg-type]


async def test_collections_are_separate_and_checked(open_store: OpenStore) -> None:
    async with open_store() as store:
        await planets(store)
        other = await store.collection("notes", dimension=2, embedder="test:e1")
        await other.upsert([rec("n1", [1, 1], "a note")])
        infos = {info.name: info for info in await store.collections()}
        assert (infos["planets"].count, infos["planets"].dimension) == (4, 3)
        assert (infos["notes"].count, infos["notes"].embedder) == (1, "test:e1")
        with pytest.raises(DimensionMismatchError, match="holds 3-dimensional"):
            await store.collection("planets", dimension=4)
        with pytest.raises(UnknownCollectionError, match="missing"):
            await store.collection("missing")
        with pytest.raises(VectorStoreError, match="different models"):
            await store.collection("notes", embedder="test:e2")
        assert await store.drop_collection("notes") is True
        assert await store.drop_collection("notes") is False
        assert [info.name for info in await store.collections()] == ["planets"]


async def test_keyword_search(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)
        hits = await collection.keyword_search("Which one is a GAS giant?")
        assert hits[0].id == "jupiter" and {h.id for h in hits} >= {"jupiter", "neptune"}
        assert [h.id for h in await collection.keyword_search("giant", where={"kind": "ice"})] == [
            "neptune"
        ]
        assert await collection.keyword_search("?!") == []
        assert await collection.keyword_search('"unbalanced AND OR NEAR(') == []


async def test_survives_a_restart(open_store: OpenStore) -> None:
    async with open_store() as store:
        collection = await planets(store)
        before = await collection.search([0, 1, 0.1], k=4)
    async with open_store() as store:
        collection = await store.collection("planets")
        assert await collection.count() == 4
        assert await collection.search([0, 1, 0.1], k=4) == before
        await collection.delete(["jupiter"])
    async with open_store() as store:
        collection = await store.collection("planets")
        assert [h.id for h in await collection.search([0, 1, 0], k=1)] == ["neptune"]


async def test_closed_store_raises(open_store: OpenStore) -> None:
    store = open_store()
    collection = await planets(store)
    await store.close()
    with pytest.raises(VectorStoreError, match="closed"):
        await collection.count()


async def test_recall_against_exact_search_with_and_without_filters(open_store: OpenStore) -> None:
    rng = np.random.default_rng(3)
    data = rng.standard_normal((3000, 24)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    records = [
        VectorRecord(id=str(i), vector=data[i], metadata={"half": i % 2}) for i in range(3000)
    ]
    queries = rng.standard_normal((40, 24)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    async with open_store() as store:
        collection = await store.collection("random", dimension=24)
        for first in range(0, 3000, 1000):
            await collection.upsert(records[first : first + 1000])
        found = unfiltered = 0
        for query in queries:
            exact = np.argsort(-(data @ query))
            want = {str(i) for i in exact[:10]}
            got = {h.id for h in await collection.search(query, k=10)}
            unfiltered += len(want & got)
            odd = [str(i) for i in exact if i % 2 == 1][:10]
            hits = await collection.search(query, k=10, where={"half": 1})
            assert all(h.metadata["half"] == 1 for h in hits)
            found += len(set(odd) & {h.id for h in hits})
        assert unfiltered / 400 >= 0.95
        assert found / 400 >= 0.95
