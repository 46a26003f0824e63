"""Conversation memory: conversations persisted in SQLite, windowed and summarised.

`ConversationStore` keeps messages in one SQLite file; `Conversation` is one conversation
in it, with a `HistoryWindow` choosing what fits the model and an optional `Summarizer`
folding older turns into a summary.
"""

from __future__ import annotations

from .conversation import Conversation
from .errors import (
    ConcurrentModificationError,
    CorruptedRecordError,
    InvalidMessagesError,
    StorageError,
    SummarizationError,
)
from .records import ConversationInfo, StoredMessage
from .schema import SCHEMA_VERSION, Synchronous
from .sqlite_store import ConversationStore
from .summarizer import SUMMARY_PREFIX, Summarizer, render_transcript
from .window import HistoryWindow, TokenCounter, estimate_tokens

__all__ = [
    "SCHEMA_VERSION",
    "SUMMARY_PREFIX",
    "ConcurrentModificationError",
    "Conversation",
    "ConversationInfo",
    "ConversationStore",
    "CorruptedRecordError",
    "HistoryWindow",
    "InvalidMessagesError",
    "StorageError",
    "StoredMessage",
    "SummarizationError",
    "Summarizer",
    "Synchronous",
    "TokenCounter",
    "estimate_tokens",
    "render_transcript",
]
