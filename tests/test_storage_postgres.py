"""PostgreSQL behind every store: URL selection, text PostgreSQL refuses, a server crash.

The conformance suites (conversations, checkpoints, events, vectors) run on both backends
through the `store_target` and `open_store` fixtures; this file holds what only
PostgreSQL needs: NUL and lone surrogates, and the server dying mid-ingest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmkit import Message
from llmkit.embeddings import LocalEmbedder
from llmkit.errors import ConfigError
from llmkit.events import Event, EventBus
from llmkit.memory import (
    ConversationStore,
    InvalidMessagesError,
    Memory,
    SqliteVectorStore,
    VectorRecord,
    VectorStoreError,
)
from llmkit.storage import (
    PostgresCheckpointStore,
    PostgresConversationStore,
    PostgresRecorder,
    PostgresVectorStore,
    open_checkpoint_store,
    open_conversation_store,
    open_vector_store,
    parse_storage_url,
    query_postgres,
)
from llmkit.workflows import CheckpointError, CheckpointStore

from .postgres_server import PostgresServer

ODD = ["nul\x00inside", "lone \udc80 surrogate", "both \x00 and \ud800", "\x01json:marker"]


# --- choosing a backend ----------------------------------------------------------------------


def test_urls_choose_the_backend(tmp_path: Path) -> None:
    assert parse_storage_url("a/b.db").path == Path("a/b.db")
    assert parse_storage_url("sqlite:///rel.db").path == Path("rel.db")
    assert parse_storage_url("sqlite:////abs/x.db").path == Path("/abs/x.db")
    assert parse_storage_url(tmp_path / "p.db").backend == "sqlite"
    pg = parse_storage_url("postgresql://u:secret@127.0.0.1:5/db")
    assert (pg.backend, pg.url) == ("postgres", "postgresql://u:secret@127.0.0.1:5/db")
    with pytest.raises(ConfigError, match="unknown storage URL scheme 'mysql'"):
        parse_storage_url("mysql://u:secret@h/db")
    with pytest.raises(ConfigError, match="non-empty"):
        parse_storage_url("  ")
    assert isinstance(open_conversation_store(tmp_path / "c.db"), ConversationStore)
    assert isinstance(open_checkpoint_store(f"sqlite:///{tmp_path}/k.db"), CheckpointStore)
    assert isinstance(open_vector_store(str(tmp_path / "v.db")), SqliteVectorStore)
    assert isinstance(open_checkpoint_store("postgresql://x@127.0.0.1/d"), PostgresCheckpointStore)


def test_the_configured_url_is_the_default(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="LLMKIT_DATABASE_URL"):
        open_conversation_store()
    (clean_env / "llmkit.toml").write_text('[storage]\nurl = "data/app.db"\n')
    store = open_conversation_store()
    assert isinstance(store, ConversationStore) and store.path == clean_env / "data/app.db"
    monkeypatch.setenv("LLMKIT_DATABASE_URL", "postgresql://app@127.0.0.1/app")
    assert isinstance(open_vector_store(), PostgresVectorStore)
    (clean_env / "llmkit.toml").write_text("[storage]\nurl = 5\n")
    with pytest.raises(ConfigError, match=r"\[storage\]: url must be"):
        open_vector_store()


async def test_schema_versions_are_recorded_per_store(postgres: PostgresServer) -> None:
    import psycopg

    url = postgres.create_database()
    for store in (PostgresConversationStore(url), PostgresCheckpointStore(url)):
        async with store:
            pass
    async with PostgresVectorStore(url):
        pass
    PostgresRecorder(url).close()
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT component, version FROM schema_version ORDER BY 1").fetchall()
        assert rows == [("checkpoints", 1), ("conversations", 1), ("events", 1), ("vectors", 1)]
        conn.execute("UPDATE schema_version SET version = 9 WHERE component = 'checkpoints'")
    with pytest.raises(ConfigError, match="version 9, newer than this llmkit supports"):
        async with PostgresCheckpointStore(url):
            pass


async def test_an_unreachable_server_is_a_typed_error(postgres: PostgresServer) -> None:
    url = f"postgresql://postgres@127.0.0.1:{postgres.port}/no_such_database"
    with pytest.raises(CheckpointError, match="no_such_database"):
        async with PostgresCheckpointStore(url):
            pass


# --- text PostgreSQL refuses: stored losslessly, or refused one record at a time ------------


async def test_conversations_keep_nul_and_surrogates(postgres: PostgresServer) -> None:
    async with PostgresConversationStore(postgres.create_database()) as store:
        kept = [Message.user(text) for text in ("plain", "nul\x00inside", "\x01json:marker")]
        await store.append("c", kept)
        await store.set_metadata("c", {"note": "a\x00b", "odd": "\udc80"})
        assert [m.text for m in await store.load("c")] == [m.text for m in kept]
        [info] = await store.list_conversations()
        assert info.metadata == {"note": "a\x00b", "odd": "\udc80"}
        with pytest.raises(InvalidMessagesError, match="NUL character"):
            await store.append("bad\x00id", [Message.user("x")])
        assert await store.count("c") == 3


async def test_checkpoints_keep_nul_and_surrogates(postgres: PostgresServer) -> None:
    async with PostgresCheckpointStore(postgres.create_database()) as store:
        await store.create_run("r", "w", {"odd": ODD}, definition={"name": "nul\x00"})
        await store.step_finished("r", "s1", json.dumps({"out": ODD}), position=0)
        await store.step_started("r", "s2", position=1, idempotent=False)
        await store.step_failed("r", "s2", "boom \x00 \udc80")
        run = await store.get_run("r")
        assert run.input == {"odd": ODD} and run.definition == {"name": "nul\x00"}
        first, second = await store.load_steps("r")
        assert first.output == {"out": ODD}
        assert second.error == "boom \ufffd \ufffd"  # free text: what cannot be kept is replaced
        with pytest.raises(CheckpointError, match="step id 'a\\\\x00b' cannot be stored"):
            await store.step_started("r", "a\x00b", position=2, idempotent=False)


def test_events_with_odd_text_keep_their_batch(postgres: PostgresServer) -> None:
    url = postgres.create_database()
    events = [
        Event(name="tool.call.started", timestamp=1.0, payload={"text": ODD}),
        Event(name="tool.call.started", timestamp=2.0, run_id="run\x00nul"),
        Event(name="tool.call.completed", timestamp=3.0, payload={"ok": True}),
    ]
    bus = EventBus()
    with PostgresRecorder(url) as recorder:
        recorder.attach(bus)
        for event in events:
            bus.emit(event)
        found = recorder.query()
        assert recorder.failed == 0
    assert [e.timestamp for e in found] == [1.0, 2.0, 3.0]
    assert found[0].payload == {"text": ODD}
    assert found[1].run_id == "run\ufffdnul"
    assert query_postgres(url, pattern="tool.call.completed") == [events[2]]


async def test_vector_metadata_with_nul_is_refused_alone(postgres: PostgresServer) -> None:
    async with PostgresVectorStore(postgres.create_database()) as store:
        collection = await store.collection("c", dimension=2)
        report = await collection.upsert(
            [
                VectorRecord(id="a", vector=[1, 0], text=ODD[0]),
                VectorRecord(id="b", vector=[0, 1], metadata={"k": "x\x00y"}),
                VectorRecord(id="c", vector=[1, 1], text=ODD[3], metadata={"k": "fine"}),
            ]
        )
        assert report.written == ["a", "c"]
        [(refused)] = report.rejected
        assert refused.index == 1 and "NUL character" in str(refused.error)
        assert [r.text for r in await collection.get(["a", "c"])] == [ODD[0], ODD[3]]


# --- the server dies mid-ingest ---------------------------------------------------------------


@pytest.fixture
def crashable() -> Iterator[PostgresServer]:
    """A server of the test's own, which it may kill."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


async def test_server_killed_mid_ingest(crashable: PostgresServer, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(12):
        paragraphs = [
            f"Document {n} paragraph {p}: " + "words about storage " * 40 for p in range(4)
        ]
        (folder / f"doc{n:02}.txt").write_text("\n\n".join(paragraphs))
    url = crashable.create_database()
    embedder = LocalEmbedder()
    committed: list[int] = []

    def crash_after_four_files(progress: object) -> None:
        committed.append(progress.chunks)  # type: ignore[attr-defined]
        if len(committed) == 4:
            crashable.crash()

    try:
        async with Memory(PostgresVectorStore(url), embedder=embedder) as memory:
            with pytest.raises(VectorStoreError, match="PostgreSQL failed on postgresql://"):
                await memory.ingest(folder, progress=crash_after_four_files)
            await memory.store.close()
        crashable.start()
        async with PostgresVectorStore(url) as store, Memory(store, embedder=embedder) as memory:
            assert await memory.count() == committed[3] > 0  # what was committed stayed
            first = await memory.ingest(folder)
            again = await memory.ingest(folder)
            assert await memory.count() == first.chunks == again.chunks  # no duplicates
            sources = {hit.metadata["source"] for hit in await memory.recall("storage", k=50)}
            assert len(sources) == 12
    finally:
        await embedder.aclose()
