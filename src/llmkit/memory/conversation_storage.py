"""`ConversationStorage`: what every conversation store backend offers.

`ConversationStore` (SQLite) and `llmkit.storage.PostgresConversationStore` implement it;
`Conversation` and `Summarizer` take either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from ..messages import Message
from .records import ConversationInfo, StoredMessage

__all__ = ["ConversationStorage"]


@runtime_checkable
class ConversationStorage(Protocol):
    """Conversations and their messages, persisted by a backend."""

    async def append(
        self,
        conversation_id: str,
        messages: Sequence[Message],
        *,
        token_counts: Sequence[int | None] | None = None,
    ) -> list[int]:
        """Append messages in one transaction; return their sequence numbers."""
        ...

    async def load(self, conversation_id: str) -> list[Message]:
        """All messages of a conversation in order."""
        ...

    async def load_records(self, conversation_id: str) -> list[StoredMessage]:
        """All messages with their sequence numbers and token counts."""
        ...

    async def count(self, conversation_id: str) -> int:
        """How many messages a conversation holds."""
        ...

    async def list_conversations(self) -> list[ConversationInfo]:
        """Every conversation, most recently updated first."""
        ...

    async def set_metadata(self, conversation_id: str, metadata: Mapping[str, Any]) -> None:
        """Replace a conversation's metadata, creating it if new."""
        ...

    async def delete(self, conversation_id: str) -> bool:
        """Delete a conversation and its messages; return whether it existed."""
        ...

    async def replace(
        self,
        conversation_id: str,
        messages: Sequence[Message],
        *,
        token_counts: Sequence[int | None] | None = None,
        expected_count: int | None = None,
    ) -> None:
        """Replace all messages, only if `expected_count` still holds (when given)."""
        ...

    async def close(self) -> None:
        """Release the backend; later calls raise."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
