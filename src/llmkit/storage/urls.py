"""Storage URLs: ``sqlite:///path`` or a plain path for SQLite, ``postgresql://…`` for
PostgreSQL, and where the default one comes from (`database_url`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigError

__all__ = ["StorageTarget", "database_url", "import_psycopg", "parse_storage_url", "redact"]

Backend = Literal["sqlite", "postgres"]
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageTarget:
    """Where a store lives: a SQLite `path`, or a PostgreSQL `url`."""

    backend: Backend
    path: Path | None = None
    url: str | None = None


def parse_storage_url(target: str | os.PathLike[str]) -> StorageTarget:
    """Tell a SQLite file (``sqlite:///path`` or a plain path) from a PostgreSQL URL.

    Raises `ConfigError` for an empty target or another URL scheme.
    """
    if isinstance(target, os.PathLike):
        return StorageTarget(backend="sqlite", path=Path(target))
    if not isinstance(target, str) or not target.strip():
        raise ConfigError(f"a storage URL must be a non-empty string or path, got {target!r}")
    text = target.strip()
    if text.startswith(_POSTGRES_SCHEMES):
        return StorageTarget(backend="postgres", url=text)
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        if not rest.startswith("/") or rest == "/":
            raise ConfigError(
                f"a SQLite URL is sqlite:///relative or sqlite:////absolute: {text!r}"
            )
        # sqlite:///a.db is relative, sqlite:////tmp/a.db absolute (as in SQLAlchemy).
        return StorageTarget(backend="sqlite", path=Path(rest[1:]).expanduser())
    scheme = text.split("://", 1)[0] if "://" in text else None
    if scheme is not None:
        raise ConfigError(
            f"unknown storage URL scheme {scheme!r} in {redact(text)!r}; use a path, "
            "sqlite:///path or postgresql://user@host/database"
        )
    return StorageTarget(backend="sqlite", path=Path(text).expanduser())


def database_url(env: Mapping[str, str] | None = None) -> str | None:
    """``$LLMKIT_DATABASE_URL``, else ``[storage] url`` of llmkit.toml, else None."""
    from ..config import load_config

    return load_config(env=env).database_url


def redact(url: str) -> str:
    """`url` without its password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def import_psycopg() -> ModuleType:
    """The psycopg module, or a `ConfigError` naming the extra that installs it."""
    try:
        import psycopg
    except ImportError as exc:
        raise ConfigError(
            "PostgreSQL storage needs psycopg: pip install 'llmkit[postgres]'"
        ) from exc
    return psycopg
