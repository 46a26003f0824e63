"""Cache model replies keyed by the request: in memory or in SQLite, with TTL and size bounds.

A hit skips the model (the ``model.request.before`` hook returns `Skip`); a miss stores the
reply after it arrives. The key covers the model, the messages, the tools and the settings.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from ...messages import Usage, messages_from_json, messages_to_json
from ...models.request import ModelResponse
from ..registry import HookContext, HookHandle, HookRegistry
from ..results import Skip
from .timing import call_key

__all__ = ["CachingHooks", "MemoryCache", "ResponseCache", "SqliteCache", "request_key"]


class ResponseCache(Protocol):
    """Where replies are kept: text values by key."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


class MemoryCache:
    """An in-process LRU cache with a time to live."""

    def __init__(self, *, max_entries: int = 1000, ttl: float | None = 3600.0) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def get(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        stored, value = item
        if self.ttl is not None and time.time() - stored > self.ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: str, value: str) -> None:
        self._items[key] = (time.time(), value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)


class SqliteCache:
    """A cache in one SQLite file (WAL), shared across processes; oldest entries go first."""

    def __init__(
        self, path: str | Path, *, max_entries: int = 10_000, ttl: float | None = 86_400.0
    ) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS llmkit_cache "
            "(key TEXT PRIMARY KEY, stored REAL NOT NULL, value TEXT NOT NULL)"
        )

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT stored, value FROM llmkit_cache WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        if self.ttl is not None and time.time() - row[0] > self.ttl:
            with self._lock:
                self._db.execute("DELETE FROM llmkit_cache WHERE key = ?", (key,))
            return None
        return str(row[1])

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO llmkit_cache VALUES (?, ?, ?)",
                    (key, time.time(), value),
                )
                self._db.execute(
                    "DELETE FROM llmkit_cache WHERE key IN (SELECT key FROM llmkit_cache "
                    "ORDER BY stored DESC LIMIT -1 OFFSET ?)",
                    (self.max_entries,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def request_key(ctx: HookContext) -> str:
    """A digest of everything that decides the reply: model, messages, tools, settings."""
    tools = [dataclasses.asdict(t) for t in ctx.metadata.get("tools") or ()]
    settings = ctx.metadata.get("settings")
    payload = {
        "model": ctx.model,
        "messages": json.loads(messages_to_json(ctx.value)),
        "tools": tools,
        "settings": dataclasses.asdict(settings) if settings is not None else None,
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _dump(response: ModelResponse) -> str:
    u = response.usage
    return json.dumps(
        {
            "message": json.loads(messages_to_json([response.message]))[0],
            "usage": [u.input_tokens, u.output_tokens, u.cache_read_tokens, u.requests],
            "finish_reason": response.finish_reason,
            "model_name": response.model_name,
            "provider": response.provider,
            "response_id": response.response_id,
        }
    )


def _load(text: str) -> ModelResponse:
    data = json.loads(text)
    message = messages_from_json(json.dumps([data["message"]]))[0]
    inp, out, cached, requests = data["usage"]
    return ModelResponse(
        message=message,
        usage=Usage(
            input_tokens=inp, output_tokens=out, cache_read_tokens=cached, requests=requests
        ),
        finish_reason=data["finish_reason"],
        model_name=data["model_name"],
        provider=data["provider"],
        response_id=data["response_id"],
    )


class CachingHooks:
    """Serve repeated requests from `cache`; `hits` and `misses` count what happened."""

    def __init__(self, cache: ResponseCache | None = None) -> None:
        self.cache = cache if cache is not None else MemoryCache()
        self.hits = 0
        self.misses = 0
        self._pending: dict[tuple[str, str, str], str] = {}

    def install(self, hooks: HookRegistry) -> list[HookHandle]:
        """Register on `hooks`; returns the handles."""
        # Lowest priority: other hooks (redaction, say) shape the request before the key.
        return [
            hooks.register(
                "model.request.before", self._lookup, priority=-1000, name="cache.lookup"
            ),
            hooks.register("model.request.after", self._store, priority=1000, name="cache.store"),
        ]

    async def _lookup(self, ctx: HookContext) -> Skip | None:
        key = request_key(ctx)
        cached = await asyncio.to_thread(self.cache.get, key)
        if cached is not None:
            self.hits += 1
            return Skip(_load(cached))
        self.misses += 1
        self._pending[call_key(ctx, "model")] = key
        return None

    async def _store(self, ctx: HookContext) -> None:
        key = self._pending.pop(call_key(ctx, "model"), None)
        response: ModelResponse = ctx.value
        if key is not None and response.finish_reason in ("stop", "tool_calls"):
            await asyncio.to_thread(self.cache.put, key, _dump(response))
