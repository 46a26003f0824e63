"""`ConversationStore`: conversations persisted in one SQLite file.

All SQLite work runs on one dedicated worker thread that owns the store's connection:
calls queue up in order (so appends from many tasks land in the order they were made)
and the event loop never blocks on disk. Every write is one transaction, so a crash or a
bad item leaves either the whole batch or none of it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..messages import Message
from .conversation_rows import LIST_CONVERSATIONS_SQL, conversation_infos, encode_metadata
from .errors import ConcurrentModificationError, StorageError
from .records import ConversationInfo, StoredMessage, decode_message
from .schema import MIGRATIONS, Synchronous
from .worker import SqliteWorker
from .writes import check_batch, check_id, insert, touch, transaction

__all__ = ["ConversationStore"]


class ConversationStore(SqliteWorker):
    """Conversations and their messages in one SQLite file (WAL mode).

    The file is opened on first use. Several stores (or processes) may share a file:
    SQLite's locks serialise their writes, waiting up to `busy_timeout` seconds. Call
    `close` (or use ``async with``) when done. A cancelled call still runs to its end on
    the worker thread, so a write is never left half-done.
    """

    migrations = MIGRATIONS
    thread_name = "llmkit-memory"

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Synchronous = "NORMAL",
        busy_timeout: float = 5.0,
    ) -> None:
        super().__init__(path, synchronous=synchronous, busy_timeout=busy_timeout)

    async def append(
        self,
        conversation_id: str,
        messages: Sequence[Message],
        *,
        token_counts: Sequence[int | None] | None = None,
    ) -> list[int]:
        """Append messages in one transaction; return their sequence numbers.

        `token_counts` (one per message, None where unknown) records what each message
        costs, for example the provider's reported output tokens for an assistant reply.
        """
        check_id(conversation_id)
        items, counts = check_batch(conversation_id, messages, token_counts)

        def write(conn: sqlite3.Connection) -> list[int]:
            now = time.time()
            with transaction(conn):
                touch(conn, conversation_id, now)
                first = conn.execute(
                    "SELECT COALESCE(MAX(seq), -1) + 1 FROM messages WHERE conversation_id = ?",
                    (conversation_id,),
                ).fetchone()[0]
                return insert(conn, conversation_id, items, counts, first=first, now=now)

        return await self._run(write)

    async def load(self, conversation_id: str) -> list[Message]:
        """All messages of a conversation in order; an unknown conversation has none."""
        return [record.message for record in await self.load_records(conversation_id)]

    async def load_records(self, conversation_id: str) -> list[StoredMessage]:
        """All messages of a conversation with their sequence numbers and token counts.

        Raises `CorruptedRecordError` naming the first row that cannot be read.
        """
        check_id(conversation_id)

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(
                "SELECT seq, message, token_count, created FROM messages"
                " WHERE conversation_id = ? ORDER BY seq",
                (conversation_id,),
            ).fetchall()

        # Rows decode here, off the worker, so a long read does not hold up writers.
        return [
            decode_message(raw, count, created, conversation_id=conversation_id, sequence=seq)
            for seq, raw, count, created in await self._run(read)
        ]

    async def count(self, conversation_id: str) -> int:
        """How many messages a conversation holds."""
        check_id(conversation_id)

        def read(conn: sqlite3.Connection) -> int:
            sql = "SELECT COUNT(*) FROM messages WHERE conversation_id = ?"
            return int(conn.execute(sql, (conversation_id,)).fetchone()[0])

        return await self._run(read)

    async def list_conversations(self) -> list[ConversationInfo]:
        """Every conversation, most recently updated first."""
        rows = await self._fetch(LIST_CONVERSATIONS_SQL)
        return conversation_infos(rows)

    async def set_metadata(self, conversation_id: str, metadata: Mapping[str, Any]) -> None:
        """Replace a conversation's metadata (a JSON object), creating it if new."""
        check_id(conversation_id)
        encoded = encode_metadata(conversation_id, metadata, ensure_ascii=False)

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                touch(conn, conversation_id, time.time())
                conn.execute(
                    "UPDATE conversations SET metadata = ? WHERE id = ?",
                    (encoded, conversation_id),
                )

        await self._run(write)

    async def delete(self, conversation_id: str) -> bool:
        """Delete a conversation and its messages; return whether it existed."""
        check_id(conversation_id)

        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                # The foreign key cascades to the messages.
                cur = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
                return cur.rowcount > 0

        return await self._run(write)

    async def replace(
        self,
        conversation_id: str,
        messages: Sequence[Message],
        *,
        token_counts: Sequence[int | None] | None = None,
        expected_count: int | None = None,
    ) -> None:
        """Replace all messages of a conversation at once (after summarising, say).

        With `expected_count`, the replacement happens only if the conversation still holds
        that many messages; otherwise `ConcurrentModificationError` is raised and nothing
        changes, so messages appended meanwhile are never lost.
        """
        check_id(conversation_id)
        items, counts = check_batch(conversation_id, messages, token_counts)

        def write(conn: sqlite3.Connection) -> None:
            now = time.time()
            with transaction(conn):
                if expected_count is not None:
                    found = conn.execute(
                        "SELECT COUNT(*) FROM messages WHERE conversation_id = ?",
                        (conversation_id,),
                    ).fetchone()[0]
                    if found != expected_count:
                        raise ConcurrentModificationError(
                            f"conversation {conversation_id!r} holds {found} messages, "
                            f"expected {expected_count}: it changed since it was read",
                            conversation_id=conversation_id,
                        )
                touch(conn, conversation_id, now)
                conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
                insert(conn, conversation_id, items, counts, first=0, now=now)

        await self._run(write)

    def _closed_error(self) -> Exception:
        return StorageError(f"the conversation store at {self.path} is closed")
