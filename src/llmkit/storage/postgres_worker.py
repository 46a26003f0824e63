"""`PostgresWorker`: one PostgreSQL connection owned by one worker thread, for async stores.

The PostgreSQL twin of `llmkit.memory.worker.SqliteWorker`, so both backends keep the same
semantics: calls run in order on the worker (appends land in the order they were made), the
event loop never blocks on the network, and a cancelled call still runs to its end, so a
write is never left half-done. The connection opens on first use with the store's schema
migrations applied, and reopens on the next call after the server went away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

from ..errors import LLMKitError
from ..memory.errors import StorageError
from .postgres_schema import migrate
from .urls import import_psycopg, redact

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresWorker"]

T = TypeVar("T")


class PostgresWorker:
    """The connection, its thread, opening, reconnecting, closing and running jobs on it."""

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
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.thread_name)
        self._conn: psycopg.Connection | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        await self._run(lambda conn: None)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection and stop the worker thread; later calls raise."""
        if self._closed:
            return
        self._closed = True

        def shut(conn: psycopg.Connection | None) -> None:
            if conn is not None:
                conn.close()

        await asyncio.get_running_loop().run_in_executor(self._executor, shut, self._conn)
        self._conn = None
        self._executor.shutdown(wait=True)

    def _closed_error(self) -> Exception:
        """The error a call on a closed store raises."""
        return StorageError(f"the store at {self.where} is closed")

    def _failure(self, exc: Exception) -> Exception:
        """The typed error a failed job raises (psycopg's error, or text that cannot be sent)."""
        return StorageError(f"PostgreSQL failed on {self.where}: {exc}")

    async def _run(self, job: Callable[[psycopg.Connection], T]) -> T:
        if self._closed:
            raise self._closed_error()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, job)

    def _call(self, job: Callable[[psycopg.Connection], T]) -> T:
        # Runs on the worker thread, which alone touches the connection.
        psycopg = import_psycopg()
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._open()
            return job(self._conn)
        except LLMKitError:
            raise
        except (psycopg.Error, UnicodeEncodeError) as exc:
            raise self._failure(exc) from exc

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
