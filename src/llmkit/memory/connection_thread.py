"""`ConnectionThread`: one database connection owned by one worker thread, for async stores.

Calls queue up in order on the worker (so writes land in the order they were made), the event
loop never blocks on I/O, and a cancelled call still runs to its end, so a write is never left
half-done. The connection opens on first use. The SQLite and PostgreSQL workers subclass it
and say how to open a connection and how a driver's failure reads to users.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, cast

__all__ = ["ConnectionThread"]

T = TypeVar("T")


class _Connection(Protocol):
    """What the stores ask of a DB-API connection (sqlite3 and psycopg both have it)."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...

    def close(self) -> Any: ...


C = TypeVar("C", bound=_Connection)


class ConnectionThread(Generic[C]):
    """The connection, its thread, opening, closing, and running jobs on it."""

    thread_name = "llmkit-store"

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.thread_name)
        self._conn: C | None = None
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

        def shut(conn: C | None) -> None:
            if conn is not None:
                conn.close()

        await asyncio.get_running_loop().run_in_executor(self._executor, shut, self._conn)
        self._conn = None
        self._executor.shutdown(wait=True)

    async def _run(self, job: Callable[[C], T]) -> T:
        if self._closed:
            raise self._closed_error()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, job)

    async def _fetch(self, sql: str, params: Any = None) -> list[Any]:
        """The rows `sql` selects (with `params` when given: psycopg reads ``%`` in a
        statement as a placeholder only then)."""

        def rows(conn: C) -> list[Any]:
            cursor = conn.execute(sql) if params is None else conn.execute(sql, params)
            return cast("list[Any]", cursor.fetchall())

        return await self._run(rows)

    def _call(self, job: Callable[[C], T]) -> T:
        # Runs on the worker thread, which alone touches the connection.
        try:
            if self._conn is None or not self._usable(self._conn):
                self._conn = self._open()
            return job(self._conn)
        except Exception as exc:
            failure = self._translate(exc)
            if failure is None or failure is exc:
                raise
            raise failure from exc

    # What each backend says.

    def _open(self) -> C:
        """A new connection, ready for jobs (schema migrated)."""
        raise NotImplementedError

    def _usable(self, conn: C) -> bool:
        """Whether `conn` can still take jobs (else the next call reopens)."""
        return True

    def _closed_error(self) -> Exception:
        """The error a call on a closed store raises."""
        raise NotImplementedError

    def _translate(self, exc: Exception) -> Exception | None:
        """The typed error a job's failure raises; `exc` itself or None re-raises it."""
        return None
