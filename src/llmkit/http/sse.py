"""Server-sent events, decoded line by line from a streamed HTTP body."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]


@dataclass(slots=True)
class ServerSentEvent:
    """One event: its type (``message`` when unnamed) and its data lines joined by newlines."""

    event: str
    data: str


class SSEDecoder:
    """Feed it lines (without line endings); it returns an event at each blank line.

    A method call per line rather than a generator layer: streams of thousands of chunks
    pass through here, and each generator resumption costs more than a call.
    """

    __slots__ = ("_data", "_event")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> ServerSentEvent | None:
        """Take one line; return the event it completes, if any (WHATWG event-stream rules)."""
        if line.startswith("data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(" ") else value)
            return None
        if not line:
            return self.flush()
        if line.startswith(":"):
            return None  # a comment, sent by servers as a keep-alive
        name, _, value = line.partition(":")
        if name == "event":
            self._event = value[1:] if value.startswith(" ") else value
        # `id` and `retry` matter to browsers reconnecting, not to one model reply.
        return None

    def flush(self) -> ServerSentEvent | None:
        """The pending event at the end of the stream (or a blank line), if any."""
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(self._event or "message", "\n".join(self._data))
        self._event, self._data = "", []
        return event
