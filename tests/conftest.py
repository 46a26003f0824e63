"""Shared fixtures. Every test runs with the network blocked except loopback."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llmkit.testing import block_network

from .postgres_server import PostgresServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    with block_network():
        yield


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No provider variables and no config files leak in from the machine running the tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("LLMKIT_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "OLLAMA_")) or name in (
            "XDG_CONFIG_HOME",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- storage backends: SQLite files and a real PostgreSQL server ---------------------------

StoreTarget = Callable[[str], str]
"""A name -> where a store lives: a SQLite path, or the URL of a scratch PostgreSQL
database (the same name gives the same file or database within a test)."""


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL 18 + pgvector on 127.0.0.1, for the whole session."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> StoreTarget:
    """Where to open stores, once per backend: the conformance tests run on both."""
    if request.param == "sqlite":
        return lambda name: str(tmp_path / f"{name}.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    databases: dict[str, str] = {}

    def target(name: str) -> str:
        if name not in databases:
            databases[name] = server.create_database()
        return databases[name]

    return target


@pytest.fixture(params=[False, True], ids=["in-process", "isolated"])
def both_modes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a scripting test as written, then again with its module's `run` in a worker
    process (isolated mode)."""
    from llmkit import scripting

    isolated_run = functools.partial(scripting.run, isolated=request.param)
    monkeypatch.setattr(request.module, "run", isolated_run)
