"""Conversation memory: the SQLite store, the history window and summarisation."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from llmkit import ImagePart, Message, TextPart, ToolCallPart, ToolResultPart, Usage
from llmkit.memory import (
    SCHEMA_VERSION,
    SUMMARY_PREFIX,
    ConcurrentModificationError,
    Conversation,
    ConversationStore,
    CorruptedRecordError,
    HistoryWindow,
    InvalidMessagesError,
    StorageError,
    Summarizer,
    estimate_tokens,
)
from llmkit.memory.conversation_storage import ConversationStorage
from llmkit.models.request import ModelResponse
from llmkit.storage import open_conversation_store
from llmkit.testing import RecordedRequest, Reply, ScriptedModel

from .conftest import StoreTarget


def every_part_kind() -> list[Message]:
    return [
        Message.system("be brief"),
        Message.user(
            [
                TextPart(text="what is this? ünïcode ✓"),
                ImagePart.from_bytes(b"\x89PNG", "image/png"),
                ImagePart(url="https://example.com/a.png", detail="low"),
            ]
        ),
        Message.assistant(
            [
                TextPart(text="let me look"),
                ToolCallPart(
                    id="c1",
                    name="lookup",
                    arguments={"q": "png", "n": 2, "nested": {"a": [1, None]}},
                    provider_data={"thoughtSignature": "abc"},
                ),
                ToolCallPart.from_raw(id="c2", name="broken", raw_arguments='{"q": '),
            ]
        ),
        Message.tool_results(
            [
                ToolResultPart(tool_call_id="c1", name="lookup", content="an image"),
                ToolResultPart(tool_call_id="c2", name="broken", content="bad", is_error=True),
            ]
        ),
        Message(role="assistant", parts=[TextPart(text="It is a PNG.")], name="bot"),
    ]


def tool_pair(n: int) -> list[Message]:
    call = Message.assistant([ToolCallPart(id=f"c{n}", name="f", arguments={"n": n})])
    result = Message.tool_results([ToolResultPart(tool_call_id=f"c{n}", name="f", content="ok")])
    return [call, result]


def texts(messages: list[Message]) -> list[str]:
    return [m.text or m.role for m in messages]


@pytest.fixture
async def store(store_target: StoreTarget) -> AsyncIterator[ConversationStorage]:
    """A conversation store on each backend (SQLite file, PostgreSQL database)."""
    s = open_conversation_store(store_target("memory"))
    yield s
    await s.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """The SQLite store, for tests that look inside its file."""
    s = ConversationStore(tmp_path / "memory.db")
    yield s
    await s.close()


# --- the store ----------------------------------------------------------------------------


async def test_every_part_kind_round_trips_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    original = every_part_kind()
    async with ConversationStore(path) as first:
        assert await first.append("c", original[:2], token_counts=[5, None]) == [0, 1]
        assert await first.append("c", original[2:]) == [2, 3, 4]
    async with ConversationStore(path) as second:  # a new process, as far as SQLite knows
        assert await second.load("c") == original
        records = await second.load_records("c")
        assert [r.sequence for r in records] == [0, 1, 2, 3, 4]
        assert [r.token_count for r in records] == [5, None, None, None, None]
        assert await second.load("unknown") == []


async def test_wal_mode_and_schema_version(tmp_path: Path, sqlite_store: ConversationStore) -> None:
    await sqlite_store.append("c", [Message.user("hi")])
    with sqlite3.connect(sqlite_store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
    conn.close()


async def test_synchronous_is_configurable(tmp_path: Path) -> None:
    async with ConversationStore(tmp_path / "m.db", synchronous="FULL") as s:
        level = await s._run(lambda conn: conn.execute("PRAGMA synchronous").fetchone()[0])
        assert level == 2  # FULL
    async with ConversationStore(tmp_path / "m.db") as s:
        level = await s._run(lambda conn: conn.execute("PRAGMA synchronous").fetchone()[0])
        assert level == 1  # NORMAL


async def test_reopening_keeps_tables_and_data(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    async with ConversationStore(path) as s:
        await s.append("c", [Message.user("one")])
        await s.set_metadata("c", {"title": "first"})
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE marker (x)")  # would vanish if reopening rebuilt the file
    conn.close()
    for _ in range(2):
        async with ConversationStore(path) as s:
            assert texts(await s.load("c")) == ["one"]
            [info] = await s.list_conversations()
            assert (info.id, info.message_count, info.metadata) == ("c", 1, {"title": "first"})
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert names == {"conversations", "messages", "marker"}
    conn.close()


async def test_a_newer_schema_raises_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    s = ConversationStore(path)
    try:
        with pytest.raises(StorageError, match="newer than this llmkit"):
            await s.load("c")
    finally:
        await s.close()


def test_migrations_run_once_in_order(tmp_path: Path) -> None:
    from llmkit.memory.schema import MIGRATIONS, migrate

    ran: list[int] = []

    def v2(conn: sqlite3.Connection) -> None:
        ran.append(2)
        conn.execute("ALTER TABLE conversations ADD COLUMN title TEXT")

    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    try:
        assert migrate(conn) == 0
        conn.execute("INSERT INTO conversations (id, created, updated) VALUES ('c', 1, 1)")
        assert migrate(conn, [*MIGRATIONS, v2]) == 1
        assert migrate(conn, [*MIGRATIONS, v2]) == 2  # already there: nothing runs
        assert ran == [2]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("SELECT id, title FROM conversations").fetchall() == [("c", None)]

        def broken(conn: sqlite3.Connection) -> None:
            conn.execute("CREATE TABLE half (x)")
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            migrate(conn, [*MIGRATIONS, v2, broken])
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2  # rolled back whole
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is None
    finally:
        conn.close()


async def test_append_is_all_or_nothing(store: ConversationStorage) -> None:
    await store.append("c", [Message.user("kept")])
    bad_batch: list[object] = [Message.user("a"), Message.assistant("b"), "not a message"]
    with pytest.raises(InvalidMessagesError, match=r"item 2 .*'c'.* str, not a Message"):
        await store.append("c", bad_batch)  # type: ignore[arg-type]
    # The failure comes from inside the transaction, after rows were inserted.
    unserializable = Message.assistant([ToolCallPart(id="x", name="f", arguments={"o": object()})])
    with pytest.raises(InvalidMessagesError, match="cannot be serialized"):
        await store.append("c", [Message.user("a"), unserializable])
    assert texts(await store.load("c")) == ["kept"]
    assert await store.append("c", [Message.user("next")]) == [1]


@pytest.mark.parametrize(
    ("conversation_id", "messages", "counts", "match"),
    [
        ("", [Message.user("x")], None, "non-empty string"),
        ("   ", [Message.user("x")], None, "non-empty string"),
        ("c", Message.user("x"), None, "single Message"),
        ("c", [Message.user("x")], [1, 2], "2 token counts for 1 messages"),
        ("c", [Message.user("x")], [-1], "non-negative"),
    ],
)
async def test_bad_input_is_refused_by_name(
    store: ConversationStorage, conversation_id: str, messages: object, counts: object, match: str
) -> None:
    with pytest.raises(InvalidMessagesError, match=match):
        await store.append(conversation_id, messages, token_counts=counts)  # type: ignore[arg-type]
    assert await store.list_conversations() == []


async def test_concurrent_appends_keep_order(store: ConversationStorage) -> None:
    async def writer(task: int) -> None:
        for i in range(20):
            # Each task writes its own conversation and, in pairs, one shared conversation.
            await store.append(f"own-{task}", [Message.user(f"{task}:{i}")])
            await store.append("shared", [Message.user(f"{task}:{i}:a"), Message.user("b")])

    await asyncio.gather(*(writer(t) for t in range(10)))
    for task in range(10):
        assert texts(await store.load(f"own-{task}")) == [f"{task}:{i}" for i in range(20)]
    shared = texts(await store.load("shared"))
    assert len(shared) == 400
    seen: dict[str, int] = {}
    for first, second in zip(shared[::2], shared[1::2], strict=True):
        writer_id, index, _ = first.split(":")
        assert second == "b"  # a batch is never interleaved with another
        assert int(index) == seen.get(writer_id, -1) + 1
        seen[writer_id] = int(index)


async def test_a_corrupted_row_names_conversation_and_sequence(
    sqlite_store: ConversationStore,
) -> None:
    await sqlite_store.append("chat-7", [Message.user("a"), Message.user("b"), Message.user("c")])
    with sqlite3.connect(sqlite_store.path) as conn:
        conn.execute("UPDATE messages SET message = '{\"role\": ' WHERE seq = 1")
    conn.close()
    with pytest.raises(CorruptedRecordError, match=r"'chat-7' message 1 is corrupted") as info:
        await sqlite_store.load("chat-7")
    assert (info.value.conversation_id, info.value.sequence) == ("chat-7", 1)
    assert isinstance(info.value, StorageError)


async def test_a_row_of_the_wrong_shape_is_corrupt_too(sqlite_store: ConversationStore) -> None:
    await sqlite_store.append("c", [Message.user("a")])
    with sqlite3.connect(sqlite_store.path) as conn:
        conn.execute("""UPDATE messages SET message = '{"role": "wizard"}' WHERE seq = 0""")
    conn.close()
    with pytest.raises(CorruptedRecordError, match="message 0 is corrupted"):
        await sqlite_store.load("c")


async def test_delete_replace_and_list(store: ConversationStorage) -> None:
    await store.append("a", [Message.user("1"), Message.user("2")])
    await store.append("b", [Message.user("x")])
    assert [i.id for i in await store.list_conversations()] == ["b", "a"]
    await store.replace("a", [Message.system("s")], token_counts=[3])
    assert texts(await store.load("a")) == ["s"]
    with pytest.raises(ConcurrentModificationError):
        await store.replace("a", [Message.user("lost")], expected_count=5)
    assert texts(await store.load("a")) == ["s"]
    assert await store.delete("a") is True
    assert await store.delete("a") is False
    assert await store.load("a") == []
    assert [i.id for i in await store.list_conversations()] == ["b"]


async def test_replace_is_atomic(store: ConversationStorage) -> None:
    await store.append("c", [Message.user("1"), Message.user("2")])
    with pytest.raises(InvalidMessagesError):
        await store.replace("c", [Message.user("new"), 42])  # type: ignore[list-item]
    assert texts(await store.load("c")) == ["1", "2"]


async def test_a_closed_store_refuses_calls(tmp_path: Path) -> None:
    s = ConversationStore(tmp_path / "m.db")
    await s.append("c", [Message.user("x")])
    await s.close()
    await s.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        await s.load("c")


def test_a_killed_writer_leaves_only_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from llmkit import Message
        from llmkit.memory import ConversationStore

        async def main():
            store = ConversationStore({str(path)!r})
            n = 0
            while True:
                batch = [Message.user(f"{{n}}-{{i}}" * 20) for i in range(10)]
                await store.append(f"conv-{{n % 3}}", batch)
                n += 1
                if n == 1:
                    print("ready", flush=True)

        asyncio.run(main())
        """
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    async def check() -> int:
        async with ConversationStore(path) as s:
            total = 0
            for info in await s.list_conversations():
                messages = await s.load(info.id)
                assert len(messages) % 10 == 0, (info.id, len(messages))
                total += len(messages)
            return total

    total = asyncio.run(check())
    assert total >= 10
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


# --- the window ---------------------------------------------------------------------------


def test_window_by_count_keeps_system_and_recent() -> None:
    history = [Message.system("s"), *(Message.user(str(i)) for i in range(10))]
    assert texts(HistoryWindow(max_messages=4).select(history)) == ["s", "7", "8", "9"]
    assert texts(HistoryWindow(max_messages=0).select(history)) == ["s"]
    assert HistoryWindow().select(history) == history


def test_window_never_splits_a_tool_pair_nor_opens_on_a_result() -> None:
    history = [Message.system("s"), Message.user("q"), *tool_pair(1), Message.assistant("a")]
    # Room for 3: the pair does not fit beside "a" with the system message, so both go.
    assert texts(HistoryWindow(max_messages=3).select(history)) == ["s", "a"]
    assert texts(HistoryWindow(max_messages=4).select(history)) == ["s", "assistant", "tool", "a"]
    # A history that opens on orphaned results never sends them first.
    orphan = [Message.system("s"), *tool_pair(1)[1:], Message.user("u")]
    selected = HistoryWindow(max_messages=10).select(orphan)
    assert texts(selected) == ["s", "u"]


def test_window_keeps_multi_result_blocks_whole() -> None:
    call = Message.assistant(
        [ToolCallPart(id="a", name="f", arguments={}), ToolCallPart(id="b", name="f")]
    )
    results = [
        Message.tool_results([ToolResultPart(tool_call_id=i, name="f", content="r")]) for i in "ab"
    ]
    history = [Message.user("q"), call, *results]
    for limit in range(4):
        selected = HistoryWindow(max_messages=limit).select(history)
        assert not selected or selected[0].role != "tool"
        assert len(selected) in (0, 3, 4)


def test_window_by_tokens() -> None:
    history = [Message.system("s" * 40), *(Message.user("x" * 40) for _ in range(5))]
    each = estimate_tokens(history[1])
    assert each == 10 + 4
    window = HistoryWindow(max_tokens=3 * each)
    assert len(window.select(history)) == 3  # the system message and two recent turns
    assert window.select(history)[0].role == "system"


def test_window_by_tokens_moves_tool_pairs_whole() -> None:
    history = [Message.user("q"), *tool_pair(1), Message.assistant("done")]
    costs = [estimate_tokens(m) for m in history]
    one_short = costs[1] + costs[2] + costs[3] - 1
    assert texts(HistoryWindow(max_tokens=one_short).select(history)) == ["done"]


def test_stored_token_counts_beat_the_estimate() -> None:
    history = [Message.user("a"), Message.user("b"), Message.user("c")]
    window = HistoryWindow(max_tokens=100)
    assert len(window.select(history)) == 3
    assert texts(window.select(history, [None, 60, 50])) == ["c"]
    assert texts(window.select(history, [1, 1, None])) == ["a", "b", "c"]


def test_a_custom_counter_is_used() -> None:
    history = [Message.user("a"), Message.user("b"), Message.user("c")]
    window = HistoryWindow(max_tokens=20, counter=lambda message: 10)
    assert texts(window.select(history)) == ["b", "c"]


# --- conversations and summarisation ------------------------------------------------------


async def test_conversation_add_history_clear(store: ConversationStorage) -> None:
    chat = Conversation(store, "c", window=HistoryWindow(max_messages=3))
    await chat.add(Message.system("s"), Message.user("1"))
    await chat.add(Message.assistant("2"), Message.user("3"))
    assert texts(await chat.history()) == ["s", "2", "3"]
    assert texts(await chat.messages()) == ["s", "1", "2", "3"]
    await chat.clear()
    assert await chat.messages() == []


async def test_add_response_stores_provider_usage(store: ConversationStorage) -> None:
    chat = Conversation(store, "c", window=HistoryWindow(max_tokens=100))
    await chat.add(Message.user("q"))
    await chat.add_response(
        ModelResponse(message=Message.assistant("long answer"), usage=Usage(output_tokens=99))
    )
    assert [r.token_count for r in await store.load_records("c")] == [None, 99]
    assert texts(await chat.history()) == ["long answer"]


async def test_summarisation_rewrites_the_store(store: ConversationStorage) -> None:
    model = ScriptedModel(["SUMMARY"])
    chat = Conversation(store, "c", summarizer=Summarizer(model, keep_last=6, trigger_messages=10))
    turns = [Message.user(str(i)) if i % 2 == 0 else Message.assistant(str(i)) for i in range(10)]
    await chat.add(*turns)
    assert model.requests == []  # 10 is not past the trigger
    await chat.add(Message.user("10"))
    history = await chat.history()
    assert history[0].role == "system"
    assert history[0].text == SUMMARY_PREFIX + "SUMMARY"
    assert texts(history[1:]) == ["5", "6", "7", "8", "9", "10"]
    # The store itself was rewritten, numbered afresh, with the summary's output tokens.
    records = await store.load_records("c")
    assert [r.sequence for r in records] == list(range(7))
    assert records[0].token_count == 1  # ScriptedModel's usage for one word
    transcript = model.requests[0].messages[-1].text
    assert "user: 0" in transcript and "user: 4" in transcript and "5" not in transcript
    # New appends continue after the rewritten rows.
    assert await store.append("c", [Message.user("11")]) == [7]


async def test_summarisation_keeps_the_system_prompt_and_tool_pairs(
    store: ConversationStorage,
) -> None:
    model = ScriptedModel(["S1"])
    summarizer = Summarizer(model, keep_last=2, trigger_messages=6)
    chat = Conversation(store, "c", summarizer=summarizer)
    await chat.add(Message.system("rules"), Message.user("a"), Message.assistant("b"))
    await chat.add(Message.user("c"), *tool_pair(1), Message.assistant("d"))
    # Keeping the last 2 would open on the tool result: its call is kept with it.
    history = await chat.history()
    assert texts(history) == ["rules", SUMMARY_PREFIX + "S1", "assistant", "tool", "d"]
    assert "called f" not in model.requests[0].messages[-1].text


async def test_a_failed_summary_leaves_the_store_alone(store: ConversationStorage) -> None:
    from llmkit import ServerError
    from llmkit.memory import SummarizationError

    model = ScriptedModel([ServerError("down")])
    chat = Conversation(store, "c", summarizer=Summarizer(model, keep_last=1, trigger_messages=2))
    with pytest.raises(SummarizationError, match="down"):
        await chat.add(Message.user("1"), Message.user("2"), Message.user("3"))
    assert texts(await chat.messages()) == ["1", "2", "3"]


async def test_summarising_skips_when_the_conversation_changed(store: ConversationStorage) -> None:
    class SlowModel(ScriptedModel):
        async def _reply(self, request: RecordedRequest) -> Reply:
            await store.append("c", [Message.user("meanwhile")])
            return await super()._reply(request)

    summarizer = Summarizer(SlowModel(["S"]), keep_last=1, trigger_messages=2)
    await store.append("c", [Message.user("1"), Message.user("2"), Message.user("3")])
    assert await summarizer.maybe_summarize(store, "c") is False
    assert texts(await store.load("c")) == ["1", "2", "3", "meanwhile"]
