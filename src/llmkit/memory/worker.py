"""`SqliteWorker`: one SQLite connection owned by one worker thread, for async stores.

Calls queue up in order on the worker (so writes land in the order they were made) and the
event loop never blocks on disk. The file opens on first use, in WAL mode, with the store's
schema migrations applied. Stores subclass it and say how failures read to their users.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from ..errors import ConfigError
from .errors import StorageError
from .schema import Synchronous, configure, migrate

__all__ = ["SqliteWorker"]

T = TypeVar("T")


class SqliteWorker:
    """The connection, its thread, opening, closing, and running jobs on it."""

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
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.thread_name)
        self._conn: sqlite3.Connection | None = None
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

        def shut(conn: sqlite3.Connection | None) -> None:
            if conn is not None:
                conn.close()

        await asyncio.get_running_loop().run_in_executor(self._executor, shut, self._conn)
        self._conn = None
        self._executor.shutdown(wait=True)

    def _closed_error(self) -> Exception:
        """The error a call on a closed store raises."""
        return StorageError(f"the store at {self.path} is closed")

    def _failure(self, exc: sqlite3.Error | StorageError) -> Exception:
        """What a failed job raises; returning `exc` itself re-raises it unchanged."""
        if isinstance(exc, StorageError):
            return exc
        return StorageError(f"SQLite failed on {self.path}: {exc}")

    async def _run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise self._closed_error()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, job)

    def _call(self, job: Callable[[sqlite3.Connection], T]) -> T:
        # Runs on the worker thread, which alone touches the connection.
        try:
            if self._conn is None:
                self._conn = self._open()
            return job(self._conn)
        except (sqlite3.Error, StorageError) as exc:
            failure = self._failure(exc)
            if failure is exc:
                raise
            raise failure from exc

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
