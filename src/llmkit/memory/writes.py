"""The SQL every store write shares: a transaction, input checks, and row inserts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from types import TracebackType

from ..messages import Message
from .errors import InvalidMessagesError
from .records import encode_message

__all__ = ["check_batch", "check_id", "insert", "touch", "transaction"]


class transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any error.

    IMMEDIATE takes the write lock up front, so reading the next sequence number and
    inserting cannot interleave with another writer.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            # Some errors (a full disk, say) end the transaction themselves; rolling back
            # again would raise and hide the error that matters.
            self.conn.execute("ROLLBACK")


def check_id(conversation_id: object) -> None:
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise InvalidMessagesError(
            f"conversation id must be a non-empty string, got {conversation_id!r}"
        )


def check_batch(
    conversation_id: str,
    messages: Sequence[Message],
    token_counts: Sequence[int | None] | None,
) -> tuple[list[Message], list[int | None]]:
    if isinstance(messages, Message | str | bytes):
        raise InvalidMessagesError(
            f"messages for conversation {conversation_id!r} must be a sequence of Message, "
            f"got a single {type(messages).__name__}",
            conversation_id=conversation_id,
        )
    items = list(messages)
    counts: list[int | None] = [None] * len(items) if token_counts is None else list(token_counts)
    if len(counts) != len(items):
        raise InvalidMessagesError(
            f"{len(counts)} token counts for {len(items)} messages "
            f"in conversation {conversation_id!r}",
            conversation_id=conversation_id,
        )
    for index, count in enumerate(counts):
        if count is not None and (type(count) is not int or count < 0):
            raise InvalidMessagesError(
                f"token count {index} for conversation {conversation_id!r} is {count!r}, "
                "not a non-negative int or None",
                conversation_id=conversation_id,
            )
    return items, counts


def touch(conn: sqlite3.Connection, conversation_id: str, now: float) -> None:
    conn.execute(
        "INSERT INTO conversations (id, created, updated) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET updated = excluded.updated",
        (conversation_id, now, now),
    )


def insert(
    conn: sqlite3.Connection,
    conversation_id: str,
    items: list[Message],
    counts: list[int | None],
    *,
    first: int,
    now: float,
) -> list[int]:
    # Items are encoded one by one inside the transaction: a bad one rolls back the batch.
    sequences = []
    for index, (message, count) in enumerate(zip(items, counts, strict=True)):
        encoded = encode_message(message, conversation_id=conversation_id, index=index)
        conn.execute(
            "INSERT INTO messages (conversation_id, seq, message, token_count, created)"
            " VALUES (?, ?, ?, ?, ?)",
            (conversation_id, first + index, encoded, count, now),
        )
        sequences.append(first + index)
    return sequences
