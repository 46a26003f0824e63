"""`PostgresWorker`: one PostgreSQL connection owned by one worker thread, for async stores.

The PostgreSQL side of `llmkit.memory.connection_thread.ConnectionThread` (the SQLite side
is `llmkit.memory.worker.SqliteWorker`), so both backends keep the same semantics: calls run
in order on the worker and a cancelled call still runs to its end. The connection opens on
first use with the store's schema migrations applied, and reopens on the next call after the
server went away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..errors import LLMKitError
from ..memory.connection_thread import ConnectionThread
from ..memory.errors import StorageError
from .postgres_schema import migrate
from .urls import import_psycopg, redact

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresWorker"]


class PostgresWorker(ConnectionThread["psycopg.Connection"]):
    """A PostgreSQL connection with the store's migrations applied; reopened after the
    server went away."""

    #: The name of this store's row in the ``schema_version`` table.
    component: str
    #: The schema migrations: migration ``i`` takes the schema from version ``i`` to ``i + 1``.
    migrations: Sequence[Callable[[psycopg.Connection], None]]
    thread_name = "llmkit-postgres"

    def __init__(self, url: str, *, connect_timeout: float = 10.0) -> None:
        import_psycopg()  # fail here, naming the extra, rather than on first use
        self.url = url
        #: The URL without its password, for messages.
        self.where = redact(url)
        self.connect_timeout = connect_timeout
        super().__init__()

    def _closed_error(self) -> Exception:
        """The error a call on a closed store raises."""
        return StorageError(f"the store at {self.where} is closed")

    def _usable(self, conn: psycopg.Connection) -> bool:
        return not conn.closed

    def _translate(self, exc: Exception) -> Exception | None:
        if isinstance(exc, LLMKitError):
            return None
        if isinstance(exc, import_psycopg().Error | UnicodeEncodeError):
            return self._failure(exc)
        return None

    def _failure(self, exc: Exception) -> Exception:
        """The typed error a failed job raises (psycopg's error, or text that cannot be sent)."""
        return StorageError(f"PostgreSQL failed on {self.where}: {exc}")

    def _open(self) -> psycopg.Connection:
        driver = import_psycopg()
        # Autocommit: every write opens its own `conn.transaction()`.
        conn: psycopg.Connection = driver.connect(
            self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout))
        )
        try:
            migrate(conn, self.component, self.migrations)
        except BaseException:
            conn.close()
            raise
        return conn
