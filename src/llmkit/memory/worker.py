"""`SqliteWorker`: one SQLite connection owned by one worker thread, for async stores.

The thread, the ordering and the closing are `ConnectionThread`'s. The file opens on first
use, in WAL mode, with the store's schema migrations applied. Stores subclass it and say how
failures read to their users.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import ConfigError
from .connection_thread import ConnectionThread
from .errors import StorageError
from .schema import Synchronous, configure, migrate

__all__ = ["SqliteWorker"]


class SqliteWorker(ConnectionThread[sqlite3.Connection]):
    """One SQLite file, in WAL mode, with the store's migrations applied on opening."""

    #: The schema migrations applied when the file is opened.
    migrations: Sequence[Callable[[sqlite3.Connection], None]]
    thread_name = "llmkit-sqlite"

    def __init__(self, path: str | Path, *, synchronous: Synchronous, busy_timeout: float) -> None:
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ConfigError(
                f"synchronous must be OFF, NORMAL, FULL or EXTRA, got {synchronous!r}"
            )
        self.path = Path(path)
        self.synchronous: Synchronous = synchronous
        self.busy_timeout = busy_timeout
        super().__init__()

    def _closed_error(self) -> Exception:
        """The error a call on a closed store raises."""
        return StorageError(f"the store at {self.path} is closed")

    def _translate(self, exc: Exception) -> Exception | None:
        if isinstance(exc, sqlite3.Error | StorageError):
            return self._failure(exc)
        return None

    def _failure(self, exc: sqlite3.Error | StorageError) -> Exception:
        """What a failed job raises; returning `exc` itself re-raises it unchanged."""
        if isinstance(exc, StorageError):
            return exc
        return StorageError(f"SQLite failed on {self.path}: {exc}")

    def _open(self) -> sqlite3.Connection:
        # Autocommit mode: `transaction` begins and ends every transaction explicitly.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            configure(conn, synchronous=self.synchronous, busy_timeout=self.busy_timeout)
            migrate(conn, self.migrations)
        except BaseException:
            conn.close()
            raise
        return conn
