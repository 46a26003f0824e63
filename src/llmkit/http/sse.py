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
    """Decodes an event stream from text as it arrives from the network.

    `feed_text` takes whatever a network read gave and returns every event it completed, so
    a stream of thousands of small events costs one call per read, not a generator layer
    per line.
    """

    __slots__ = ("_buffer", "_data", "_event")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._buffer = ""

    def feed_text(self, text: str) -> list[ServerSentEvent]:
        """Take the next piece of the body; return the events it completes."""
        buffer = self._buffer + text
        if "\r" in buffer:
            # Hold back a trailing CR: its LF may be the first byte of the next read.
            held = "\r" if buffer.endswith("\r") else ""
            buffer = buffer[: len(buffer) - len(held)].replace("\r\n", "\n").replace("\r", "\n")
            buffer += held
        lines = buffer.split("\n")
        self._buffer = lines.pop()
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self.feed(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[ServerSentEvent]:
        """The events still pending when the body ends."""
        events = self.feed_text("\n") if self._buffer else []
        event = self.flush()
        return [*events, event] if event is not None else events

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
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = ServerSentEvent(self._event or "message", data)
        self._event, self._data = "", []
        return event
