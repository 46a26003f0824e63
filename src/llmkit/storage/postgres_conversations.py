"""`PostgresConversationStore`: conversations in PostgreSQL, with `ConversationStore`'s API.

Messages are kept as JSON text, the same codec as the SQLite store, so NUL characters
(escaped by JSON) and lone surrogates (escaped by `ascii_json`) are stored losslessly. The
conversation row is locked by the upsert that stamps it, so two appends to one
conversation from different processes get consecutive sequence numbers, never the same.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..memory.conversation_rows import (
    LIST_CONVERSATIONS_SQL,
    conversation_infos,
    encode_metadata,
)
from ..memory.errors import ConcurrentModificationError, InvalidMessagesError, StorageError
from ..memory.records import ConversationInfo, StoredMessage, decode_message, encode_message
from ..memory.writes import check_batch, check_id
from ..messages import Message
from .postgres_text import ascii_json, unstorable_reason
from .postgres_worker import PostgresWorker

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresConversationStore"]


def _create_v1(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE conversations (
            id       TEXT PRIMARY KEY,
            created  DOUBLE PRECISION NOT NULL,
            updated  DOUBLE PRECISION NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE messages (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq             INTEGER NOT NULL,
            message         TEXT NOT NULL,
            token_count     INTEGER,
            created         DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        )
        """
    )
    conn.execute("CREATE INDEX conversations_by_updated ON conversations(updated)")


class PostgresConversationStore(PostgresWorker):
    """Conversations and their messages in a PostgreSQL database (see `ConversationStore`).

    `url` is a ``postgresql://`` URL. Several stores and processes may share a database.
    Call `close` (or use ``async with``) when done.
    """

    component = "conversations"
    migrations = (_create_v1,)
    thread_name = "llmkit-pg-memory"

    async def append(
        self,
        conversation_id: str,
        messages: Sequence[Message],
        *,
        token_counts: Sequence[int | None] | None = None,
    ) -> list[int]:
        """Append messages in one transaction; return their sequence numbers."""
        _check_id(conversation_id)
        rows = _encode(conversation_id, *check_batch(conversation_id, messages, token_counts))

        def write(conn: psycopg.Connection) -> list[int]:
            now = time.time()
            with conn.transaction():
                _touch(conn, conversation_id, now)
                row = conn.execute(
                    "SELECT COALESCE(MAX(seq), -1) + 1 FROM messages WHERE conversation_id = %s",
                    (conversation_id,),
                ).fetchone()
                return _insert(
                    conn, conversation_id, rows, first=int(row[0]) if row else 0, now=now
                )

        return await self._run(write)

    async def load(self, conversation_id: str) -> list[Message]:
        """All messages of a conversation in order; an unknown conversation has none."""
        return [record.message for record in await self.load_records(conversation_id)]

    async def load_records(self, conversation_id: str) -> list[StoredMessage]:
        """All messages of a conversation with their sequence numbers and token counts."""
        _check_id(conversation_id)
        sql = (
            "SELECT seq, message, token_count, created FROM messages"
            " WHERE conversation_id = %s ORDER BY seq"
        )
        rows = await self._fetch(sql, (conversation_id,))
        return [
            decode_message(raw, count, created, conversation_id=conversation_id, sequence=seq)
            for seq, raw, count, created in rows
        ]

    async def count(self, conversation_id: str) -> int:
        """How many messages a conversation holds."""
        _check_id(conversation_id)
        sql = "SELECT COUNT(*) FROM messages WHERE conversation_id = %s"
        row = await self._run(lambda conn: conn.execute(sql, (conversation_id,)).fetchone())
        return int(row[0]) if row else 0

    async def list_conversations(self) -> list[ConversationInfo]:
        """Every conversation, most recently updated first."""
        rows = await self._fetch(LIST_CONVERSATIONS_SQL)
        return conversation_infos(rows)

    async def set_metadata(self, conversation_id: str, metadata: Mapping[str, Any]) -> None:
        """Replace a conversation's metadata (a JSON object), creating it if new."""
        _check_id(conversation_id)
        encoded = encode_metadata(conversation_id, metadata, ensure_ascii=True)

        def write(conn: psycopg.Connection) -> None:
            with conn.transaction():
                _touch(conn, conversation_id, time.time())
                conn.execute(
                    "UPDATE conversations SET metadata = %s WHERE id = %s",
                    (encoded, conversation_id),
                )

        await self._run(write)

    async def delete(self, conversation_id: str) -> bool:
        """Delete a conversation and its messages; return whether it existed."""
        _check_id(conversation_id)

        def write(conn: psycopg.Connection) -> bool:
            cur = conn.execute("DELETE FROM conversations WHERE id = %s", (conversation_id,))
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
        """Replace all messages of a conversation at once (see `ConversationStore.replace`)."""
        _check_id(conversation_id)
        rows = _encode(conversation_id, *check_batch(conversation_id, messages, token_counts))

        def write(conn: psycopg.Connection) -> None:
            now = time.time()
            with conn.transaction():
                _touch(conn, conversation_id, now)  # locks the conversation first
                if expected_count is not None:
                    row = conn.execute(
                        "SELECT COUNT(*) FROM messages WHERE conversation_id = %s",
                        (conversation_id,),
                    ).fetchone()
                    found = int(row[0]) if row else 0
                    if found != expected_count:
                        raise ConcurrentModificationError(
                            f"conversation {conversation_id!r} holds {found} messages, "
                            f"expected {expected_count}: it changed since it was read",
                            conversation_id=conversation_id,
                        )
                conn.execute("DELETE FROM messages WHERE conversation_id = %s", (conversation_id,))
                _insert(conn, conversation_id, rows, first=0, now=now)

        await self._run(write)

    def _closed_error(self) -> Exception:
        return StorageError(f"the conversation store at {self.where} is closed")


def _check_id(conversation_id: object) -> None:
    check_id(conversation_id)
    assert isinstance(conversation_id, str)
    reason = unstorable_reason(conversation_id)
    if reason is not None:
        raise InvalidMessagesError(
            f"conversation id {conversation_id!r} cannot be stored in PostgreSQL: {reason}"
        )


def _encode(
    conversation_id: str, items: list[Message], counts: list[int | None]
) -> list[tuple[str, int | None]]:
    # Encoded before the transaction: a bad message refuses the batch without a round trip.
    return [
        (ascii_json(encode_message(m, conversation_id=conversation_id, index=i)), count)
        for i, (m, count) in enumerate(zip(items, counts, strict=True))
    ]


def _touch(conn: psycopg.Connection, conversation_id: str, now: float) -> None:
    conn.execute(
        "INSERT INTO conversations (id, created, updated) VALUES (%s, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET updated = excluded.updated",
        (conversation_id, now, now),
    )


def _insert(
    conn: psycopg.Connection,
    conversation_id: str,
    rows: list[tuple[str, int | None]],
    *,
    first: int,
    now: float,
) -> list[int]:
    sequences = list(range(first, first + len(rows)))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO messages (conversation_id, seq, message, token_count, created)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (conversation_id, seq, message, count, now)
                for seq, (message, count) in zip(sequences, rows, strict=True)
            ],
        )
    return sequences
