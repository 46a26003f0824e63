"""Versioned schemas on PostgreSQL: one ``schema_version`` row per store.

Every store keeps its tables in the same database and its version in
``schema_version(component, version)``. Migration ``i`` takes a store's schema from version
``i`` to ``i + 1``; later releases append migrations and never edit old ones. Several
processes may open a store at once: an advisory lock makes one of them migrate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    import psycopg

__all__ = ["migrate", "schema_version"]

# Any fixed number: the advisory lock every llmkit migration takes.
_MIGRATION_LOCK = 0x6C6C6D6B


def migrate(
    conn: psycopg.Connection,
    component: str,
    migrations: Sequence[Callable[[psycopg.Connection], None]],
) -> int:
    """Bring `component`'s schema to ``len(migrations)`` in one transaction; return the old
    version. A schema newer than `migrations` knows is a `ConfigError` (upgrade llmkit)."""
    target = len(migrations)
    if _known_version(conn, component) == target:
        return target
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )
        found = schema_version(conn, component)
        if found > target:
            raise ConfigError(
                f"the {component} schema is at version {found}, newer than this llmkit "
                f"supports ({target}); upgrade llmkit"
            )
        for step in migrations[found:]:
            step(conn)
        conn.execute(
            "INSERT INTO schema_version VALUES (%s, %s)"
            " ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            (component, target),
        )
    return found


def schema_version(conn: psycopg.Connection, component: str) -> int:
    """The schema version of `component` (0 when it has no tables yet)."""
    row = conn.execute(
        "SELECT version FROM schema_version WHERE component = %s", (component,)
    ).fetchone()
    return 0 if row is None else int(row[0])


def _known_version(conn: psycopg.Connection, component: str) -> int | None:
    # The cheap check outside a transaction; None when the table does not exist yet.
    exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    return schema_version(conn, component)
