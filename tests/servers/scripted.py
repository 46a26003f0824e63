"""A handler that plays back queued replies, then falls back to a default handler."""

from __future__ import annotations

import inspect
import threading
from collections import deque
from dataclasses import dataclass

from .replies import REPLY_TYPES, Handler, JsonReply, RecordedRequest, Reply


@dataclass(frozen=True, slots=True)
class _Entry:
    path: str | None  # path prefix this reply is reserved for; None matches any request
    reply: Reply | Handler


class ScriptedHandler:
    """FIFO of scripted replies; each request takes the first entry whose path prefix matches.

    An entry may be a Reply or a handler (called with the request, for replies that depend on it).
    With no matching entry the `default` handler answers, or a 500 JSON error when there is none.
    """

    def __init__(self, default: Handler | None = None) -> None:
        self.default = default
        self._entries: deque[_Entry] = deque()
        # Tests enqueue from their own thread while the server pops on its loop thread.
        self._lock = threading.Lock()

    def enqueue(self, *replies: Reply | Handler, path: str | None = None) -> None:
        """Queue replies, optionally only for requests whose path starts with `path`."""
        with self._lock:
            self._entries.extend(_Entry(path, reply) for reply in replies)

    @property
    def pending(self) -> int:
        """How many scripted replies have not been used yet."""
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    async def __call__(self, request: RecordedRequest) -> Reply:
        entry = self._pop(request.path)
        if entry is None:
            if self.default is None:
                message = f"no scripted reply for {request.method} {request.path}"
                return JsonReply(500, {"error": {"message": message, "type": "test_server"}})
            return await _call(self.default, request)
        if isinstance(entry.reply, REPLY_TYPES):
            return entry.reply
        return await _call(entry.reply, request)

    def _pop(self, path: str) -> _Entry | None:
        with self._lock:
            for index, entry in enumerate(self._entries):
                if entry.path is None or path.startswith(entry.path):
                    del self._entries[index]
                    return entry
        return None


async def _call(handler: Handler, request: RecordedRequest) -> Reply:
    result = handler(request)
    if inspect.isawaitable(result):
        return await result
    return result
