"""Conversation rows both conversation store backends read and write: the listing and the
metadata JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidMessagesError, StorageError
from .records import ConversationInfo

__all__ = ["LIST_CONVERSATIONS_SQL", "conversation_infos", "encode_metadata"]

#: Every conversation with its message count, most recently updated first (no parameters).
LIST_CONVERSATIONS_SQL = (
    "SELECT c.id, c.created, c.updated, c.metadata,"
    " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)"
    " FROM conversations c ORDER BY c.updated DESC, c.id"
)


def conversation_infos(rows: Iterable[tuple[Any, ...]]) -> list[ConversationInfo]:
    """The rows of `LIST_CONVERSATIONS_SQL`; metadata that is not JSON is a `StorageError`."""
    infos = []
    for cid, created, updated, metadata, n in rows:
        try:
            meta = json.loads(metadata)
        except (TypeError, ValueError) as exc:
            raise StorageError(
                f"conversation {cid!r} has corrupted metadata: {exc}", conversation_id=cid
            ) from exc
        infos.append(
            ConversationInfo(
                id=cid, created=created, updated=updated, message_count=n, metadata=meta
            )
        )
    return infos


def encode_metadata(
    conversation_id: str, metadata: Mapping[str, Any], *, ensure_ascii: bool
) -> str:
    """`metadata` as a JSON object, or `InvalidMessagesError` when it is not JSON."""
    try:
        return json.dumps(dict(metadata), ensure_ascii=ensure_ascii)
    except (TypeError, ValueError) as exc:
        raise InvalidMessagesError(
            f"metadata of conversation {conversation_id!r} is not JSON: {exc}",
            conversation_id=conversation_id,
        ) from exc
