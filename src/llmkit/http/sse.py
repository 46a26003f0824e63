"""Server-sent events, parsed from the lines of a streamed HTTP body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

__all__ = ["ServerSentEvent", "iter_sse"]


@dataclass(slots=True)
class ServerSentEvent:
    """One event: its type (``message`` when unnamed) and its data lines joined by newlines."""

    event: str
    data: str


async def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    """Parse SSE from text lines (without line endings), per the WHATWG event-stream rules."""
    event = ""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith("data:"):
            # Fast path for the common `data: {...}` line.
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
            continue
        if line.startswith(":"):
            continue  # a comment, used by servers as a keep-alive
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            event = value
        # `id` and `retry` fields matter to browsers reconnecting, not to one model reply.
    if data:
        yield ServerSentEvent(event or "message", "\n".join(data))
