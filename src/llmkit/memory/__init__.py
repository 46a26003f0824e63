"""Memory: conversations persisted in SQLite, and vector memory for retrieval.

`ConversationStore` keeps messages in one SQLite file; `Conversation` is one conversation
in it, with a `HistoryWindow` choosing what fits the model and an optional `Summarizer`
folding older turns into a summary.

`Memory` remembers texts and files and recalls them by meaning and keywords, on a
`VectorStore` (by default `SqliteVectorStore`: SQLite plus an embedded HNSW index).
"""

from __future__ import annotations

from .chunking import Chunk, Chunker
from .context import assemble_context
from .conversation import Conversation
from .documents import Document, load_document
from .errors import (
    ConcurrentModificationError,
    CorruptedRecordError,
    InvalidMessagesError,
    StorageError,
    SummarizationError,
)
from .ingest import IngestProgress, IngestReport
from .records import ConversationInfo, StoredMessage
from .retrieval import Memory, SearchMode
from .retrieval_tool import memory_tool
from .schema import SCHEMA_VERSION, Synchronous
from .sqlite_store import ConversationStore
from .sqlite_vectors import SqliteCollection, SqliteVectorStore
from .summarizer import SUMMARY_PREFIX, Summarizer, render_transcript
from .vector_errors import (
    DimensionMismatchError,
    DocumentTooLargeError,
    IngestError,
    InvalidFilterError,
    InvalidRecordError,
    UnknownCollectionError,
    UnreadableDocumentError,
    VectorStoreError,
)
from .vector_filters import MetadataFilter
from .vector_records import CollectionInfo, RejectedRecord, SearchHit, UpsertReport, VectorRecord
from .vector_store import VectorCollection, VectorStore
from .window import HistoryWindow, TokenCounter, estimate_tokens

__all__ = [
    "Chunk",
    "Chunker",
    "CollectionInfo",
    "ConcurrentModificationError",
    "Conversation",
    "ConversationInfo",
    "ConversationStore",
    "CorruptedRecordError",
    "DimensionMismatchError",
    "Document",
    "DocumentTooLargeError",
    "HistoryWindow",
    "IngestError",
    "IngestProgress",
    "IngestReport",
    "InvalidFilterError",
    "InvalidMessagesError",
    "InvalidRecordError",
    "Memory",
    "MetadataFilter",
    "RejectedRecord",
    "SCHEMA_VERSION",
    "SUMMARY_PREFIX",
    "SearchHit",
    "SearchMode",
    "SqliteCollection",
    "SqliteVectorStore",
    "StorageError",
    "StoredMessage",
    "SummarizationError",
    "Summarizer",
    "Synchronous",
    "TokenCounter",
    "UnknownCollectionError",
    "UnreadableDocumentError",
    "UpsertReport",
    "VectorCollection",
    "VectorRecord",
    "VectorStore",
    "VectorStoreError",
    "assemble_context",
    "estimate_tokens",
    "load_document",
    "memory_tool",
    "render_transcript",
]
