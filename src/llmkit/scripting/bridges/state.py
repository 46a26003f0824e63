"""``State``: scoped key-value state for scripts, kept for the run or in an SQLite file."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from ..registry import Bridge, bridge_method
from .conversions import json_safe
from .paths import granted_path

if TYPE_CHECKING:
    from ..host import HostSession

__all__ = ["StateBridge"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS script_state "
    "(scope TEXT, key TEXT, value TEXT, PRIMARY KEY (scope, key))"
)


class StateBridge(Bridge):
    """Values by scope and key; ``State.open(path)`` keeps them across runs."""

    name = "State"
    summary = "Scoped key-value state: kept for the run, or persisted in an SQLite file."

    def __init__(self, session: HostSession) -> None:
        super().__init__(session)
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(_SCHEMA)

    async def aclose(self) -> None:
        """Close the state's SQLite connection."""
        self._db.close()

    @bridge_method(permission="write", returns="string")
    def open(self, path: str) -> str:
        """Keep state in the SQLite file `path` from now on (values set before are
        copied there); returns the file's full path.

        Args:
            path: The file (under a folder granted with ``--allow-write``).

        Example (lua):
            local ok, err = pcall(State.open, "state.db")
            assert(not ok and err:find("PermissionDenied"))
        """
        target = granted_path(self.session, path, "write")
        db = sqlite3.connect(target, check_same_thread=False)
        with db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            rows = self._db.execute("SELECT scope, key, value FROM script_state").fetchall()
            db.executemany("INSERT OR REPLACE INTO script_state VALUES (?, ?, ?)", rows)
        self._db.close()
        self._db = db
        return str(target)

    @bridge_method()
    def get(self, key: str, default: Any = None, scope: str = "default") -> Any:
        """The value under `key` in `scope`, or `default`.

        Args:
            key: The key.
            default: What to return when there is none.
            scope: A namespace (default "default").

        Example (lua):
            State.set("visits", 1)
            assert(State.get("visits") == 1 and State.get("nothing", 0) == 0)
        """
        row = self._db.execute(
            "SELECT value FROM script_state WHERE scope = ? AND key = ?", (scope, key)
        ).fetchone()
        return json.loads(row[0]) if row else default

    @bridge_method(returns="nil")
    def set(self, key: str, value: Any = None, scope: str = "default") -> None:
        """Store `value` (JSON values) under `key` in `scope`; nil deletes it.

        Args:
            key: The key.
            value: The value.
            scope: A namespace.

        Example (lua):
            State.set("user", {name = "Ada"}, "session")
            assert(State.get("user", nil, "session").name == "Ada")
        """
        with self._db:
            if value is None:
                self._db.execute(
                    "DELETE FROM script_state WHERE scope = ? AND key = ?", (scope, key)
                )
                return
            self._db.execute(
                "INSERT OR REPLACE INTO script_state VALUES (?, ?, ?)",
                (scope, key, json.dumps(json_safe(value))),
            )

    @bridge_method(returns="array")
    def keys(self, scope: str = "default") -> list[str]:
        """The keys of `scope`, sorted.

        Args:
            scope: A namespace.

        Example (lua):
            State.set("b", 2, "k"); State.set("a", 1, "k")
            assert(table.concat(State.keys("k"), ",") == "a,b")
        """
        rows = self._db.execute(
            "SELECT key FROM script_state WHERE scope = ? ORDER BY key", (scope,)
        ).fetchall()
        return [row[0] for row in rows]

    @bridge_method(returns="nil")
    def clear(self, scope: str = "default") -> None:
        """Delete every key of `scope`.

        Args:
            scope: A namespace.

        Example (lua):
            State.set("x", 1, "tmp"); State.clear("tmp")
            assert(#State.keys("tmp") == 0)
        """
        with self._db:
            self._db.execute("DELETE FROM script_state WHERE scope = ?", (scope,))
