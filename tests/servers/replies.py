"""What flows through a test server: the recorded request and the replies a handler returns."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One HTTP request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes
    json: Any | None  # the parsed body, or None when it is empty or not JSON
    connection_id: int = 0  # which TCP connection carried it (1, 2, ... in accept order)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class JsonReply:
    """A JSON body with Content-Length."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RawReply:
    """Arbitrary bytes with Content-Length (e.g. an HTML error page from a proxy)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ResetConnection:
    """Abort the TCP connection (RST), as a reply or mid-stream."""


@dataclass(frozen=True, slots=True)
class TruncatedBody:
    """Declare `declared_length` bytes, send only `body`, then close.

    Inside a StreamReply it becomes a chunk whose size line promises `declared_length`.
    """

    status: int = 200
    body: bytes = b""
    declared_length: int | None = None  # None: len(body) + 100
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    @property
    def length(self) -> int:
        return len(self.body) + 100 if self.declared_length is None else self.declared_length


@dataclass(frozen=True, slots=True)
class CloseWithoutResponse:
    """Close the connection cleanly (FIN) without answering; mid-stream: stop without the end."""


@dataclass(frozen=True, slots=True)
class Pause:
    """Inside a StreamReply: sleep this long before the next item (a stalled stream)."""

    seconds: float


Fault = ResetConnection | TruncatedBody | CloseWithoutResponse
StreamItem = bytes | str | Fault | Pause


@dataclass(frozen=True, slots=True)
class StreamReply:
    """Headers, then each item as one HTTP chunk, then the terminating chunk."""

    status: int = 200
    events: Sequence[StreamItem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds between items
    content_type: str = "text/event-stream"


@dataclass(frozen=True, slots=True)
class Delayed:
    """Wait before sending `reply` (for timeout tests)."""

    seconds: float
    reply: Reply


Reply = JsonReply | RawReply | StreamReply | Fault | Delayed
REPLY_TYPES = (
    JsonReply,
    RawReply,
    StreamReply,
    ResetConnection,
    TruncatedBody,
    CloseWithoutResponse,
    Delayed,
)

# Handlers may also be plain functions; the server awaits the result only when it is awaitable.
Handler = Callable[[RecordedRequest], Awaitable[Reply] | Reply]


def parse_json(body: bytes) -> Any | None:
    """The JSON value of `body`, or None."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
