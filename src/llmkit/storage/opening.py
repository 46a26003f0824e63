"""Open any store from a path or URL: SQLite for a path or ``sqlite:///path``, PostgreSQL
for ``postgresql://…``. With no target, the configured one (`database_url`) is used."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError
from ..events.recorder import Recorder
from ..memory.conversation_storage import ConversationStorage
from ..memory.vector_store import VectorStore
from ..workflows.checkpoint_storage import CheckpointStorage
from .urls import StorageTarget, database_url, parse_storage_url

__all__ = ["open_checkpoint_store", "open_conversation_store", "open_recorder", "open_vector_store"]

Target = str | os.PathLike[str] | None


def _resolve(target: Target) -> StorageTarget:
    if target is None:
        target = database_url()
        if target is None:
            raise ConfigError(
                "no database given: pass a path or URL, set LLMKIT_DATABASE_URL, or set "
                "[storage] url in llmkit.toml"
            )
    return parse_storage_url(target)


def _sqlite_path(found: StorageTarget) -> Path:
    assert found.path is not None
    return found.path


def open_conversation_store(target: Target = None) -> ConversationStorage:
    """A conversation store at `target` (a path, ``sqlite:///path`` or ``postgresql://``)."""
    found = _resolve(target)
    if found.backend == "postgres" and found.url is not None:
        from .postgres_conversations import PostgresConversationStore

        return PostgresConversationStore(found.url)
    from ..memory.sqlite_store import ConversationStore

    return ConversationStore(_sqlite_path(found))


def open_checkpoint_store(target: Target = None) -> CheckpointStorage:
    """A workflow checkpoint store at `target` (path, ``sqlite:///`` or ``postgresql://``)."""
    found = _resolve(target)
    if found.backend == "postgres" and found.url is not None:
        from .postgres_checkpoints import PostgresCheckpointStore

        return PostgresCheckpointStore(found.url)
    from ..workflows.checkpoints import CheckpointStore

    return CheckpointStore(_sqlite_path(found))


def open_vector_store(target: Target = None) -> VectorStore:
    """A vector store at `target`: the embedded SQLite + HNSW store, or pgvector."""
    found = _resolve(target)
    if found.backend == "postgres" and found.url is not None:
        from .postgres_vectors import PostgresVectorStore

        return PostgresVectorStore(found.url)
    from ..memory.sqlite_vectors import SqliteVectorStore

    return SqliteVectorStore(_sqlite_path(found))


def open_recorder(target: Target = None) -> Recorder:
    """An event recorder writing to `target`: a SQLite file or a PostgreSQL database."""
    found = _resolve(target)
    if found.backend == "postgres" and found.url is not None:
        from .postgres_recorder import PostgresRecorder

        return PostgresRecorder(found.url)
    from ..events.sqlite_recorder import SqliteRecorder

    return SqliteRecorder(_sqlite_path(found))
