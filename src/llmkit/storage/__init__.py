"""Storage backends: every store on SQLite (one file, the default) or on PostgreSQL.

`open_conversation_store`, `open_checkpoint_store`, `open_vector_store` and
`open_recorder` take a path, a ``sqlite:///path`` URL or a ``postgresql://`` URL (with
none, ``LLMKIT_DATABASE_URL`` or ``[storage] url`` of llmkit.toml). The PostgreSQL classes
need the ``postgres`` extra (psycopg); vectors need the pgvector extension in the database.
"""

from __future__ import annotations

from .opening import (
    open_checkpoint_store,
    open_conversation_store,
    open_recorder,
    open_vector_store,
)
from .postgres_checkpoints import PostgresCheckpointStore
from .postgres_conversations import PostgresConversationStore
from .postgres_recorder import PostgresRecorder, query_postgres
from .postgres_vectors import PostgresCollection, PostgresVectorStore
from .urls import StorageTarget, database_url, parse_storage_url

__all__ = [
    "PostgresCheckpointStore",
    "PostgresCollection",
    "PostgresConversationStore",
    "PostgresRecorder",
    "PostgresVectorStore",
    "StorageTarget",
    "database_url",
    "open_checkpoint_store",
    "open_conversation_store",
    "open_recorder",
    "open_vector_store",
    "parse_storage_url",
    "query_postgres",
]
