"""The typed errors of conversation memory: bad input, corrupted rows, lost races."""

from __future__ import annotations

from ..errors import LLMKitError

__all__ = [
    "ConcurrentModificationError",
    "CorruptedRecordError",
    "InvalidMessagesError",
    "StorageError",
    "SummarizationError",
]


class StorageError(LLMKitError):
    """The conversation store cannot do what was asked (SQLite failed, store closed…).

    `conversation_id` names the conversation concerned, when there is one.
    """

    def __init__(self, message: str, *, conversation_id: str | None = None) -> None:
        super().__init__(message)
        self.conversation_id = conversation_id


class InvalidMessagesError(StorageError, ValueError):
    """The caller passed something the store cannot keep: an empty id, a non-Message item,
    token counts that do not line up with the messages."""


class CorruptedRecordError(StorageError):
    """A stored message row cannot be read back; `sequence` says which row."""

    def __init__(self, message: str, *, conversation_id: str, sequence: int) -> None:
        super().__init__(message, conversation_id=conversation_id)
        self.sequence = sequence


class ConcurrentModificationError(StorageError):
    """A conditional write found the conversation changed since it was read."""


class SummarizationError(LLMKitError):
    """Summarising older turns failed. The messages being added were stored before it ran."""
