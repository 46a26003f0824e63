"""Server-sent events: format them for replies and parse them back in self-checks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


def sse(
    data: str | dict[str, Any] | list[Any], event: str | None = None, *, crlf: bool = False
) -> bytes:
    """One event: `event: X` (optional) and `data:` lines, ended by a blank line.

    Dicts and lists are JSON-encoded compactly, as the real APIs do. `crlf` ends lines with
    CRLF, which Gemini does and clients must accept.
    """
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    lines = [f"event: {event}"] if event is not None else []
    lines.extend(f"data: {line}" for line in text.split("\n"))
    newline = "\r\n" if crlf else "\n"
    return (newline.join(lines) + newline + newline).encode()


def sse_done() -> bytes:
    """OpenAI's end-of-stream marker."""
    return b"data: [DONE]\n\n"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(raw: bytes | str) -> list[SSEEvent]:
    """Split an SSE body into events (a minimal parser: `event` and `data` fields only)."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    events: list[SSEEvent] = []
    event: str | None = None
    data: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line:
            if data:
                events.append(SSEEvent(event, "\n".join(data)))
            event, data = None, []
        elif line.startswith(":"):
            continue  # a comment
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
    return events
