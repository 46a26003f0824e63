"""The SQLite schema of the vector store (its own file, its own `user_version`).

`vectors.key` is the HNSW index key; AUTOINCREMENT means a key is never reused, so a
replaced or deleted record can never be confused with a new one. `generation` counts
writes: the index file is trusted only when it was saved at the current generation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["VECTOR_MIGRATIONS"]


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE collections (
            name             TEXT PRIMARY KEY,
            dimension        INTEGER NOT NULL,
            embedder         TEXT,
            generation       INTEGER NOT NULL DEFAULT 0,
            index_generation INTEGER NOT NULL DEFAULT -1,
            created          REAL NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE vectors (
            key        INTEGER PRIMARY KEY AUTOINCREMENT,
            collection TEXT NOT NULL REFERENCES collections(name) ON DELETE CASCADE,
            id         TEXT NOT NULL,
            vector     BLOB NOT NULL,
            text       TEXT NOT NULL,
            metadata   TEXT NOT NULL,
            UNIQUE (collection, id)
        )
        """
    )
    # Keyword search: an external-content FTS5 table kept in step by triggers.
    conn.execute(
        "CREATE VIRTUAL TABLE vectors_fts USING fts5("
        "text, content='vectors', content_rowid='key', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    conn.execute(
        "CREATE TRIGGER vectors_ai AFTER INSERT ON vectors BEGIN "
        "INSERT INTO vectors_fts(rowid, text) VALUES (new.key, new.text); END"
    )
    conn.execute(
        "CREATE TRIGGER vectors_ad AFTER DELETE ON vectors BEGIN "
        "INSERT INTO vectors_fts(vectors_fts, rowid, text) VALUES ('delete', old.key, old.text); "
        "END"
    )


VECTOR_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_v1]
