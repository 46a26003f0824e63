"""The event-stream decoder, fed the way the network splits a body."""

from __future__ import annotations

import pytest

from llmkit.http.sse import ServerSentEvent, SSEDecoder

BODY = (
    ": keep-alive comment\r\n"
    "event: message_start\r\n"
    'data: {"a": 1}\r\n'
    "\r\n"
    "data: first line\r\n"
    "data:second line\r\n"
    "id: 7\r\n"
    "\r\n"
    "data: [DONE]\r\n"
    "\r\n"
)
EXPECTED = [
    ServerSentEvent("message_start", '{"a": 1}'),
    ServerSentEvent("message", "first line\nsecond line"),
    ServerSentEvent("message", "[DONE]"),
]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_any_split_gives_the_same_events(size: int) -> None:
    decoder = SSEDecoder()
    events = []
    for start in range(0, len(BODY), size):
        events += decoder.feed_text(BODY[start : start + size])
    events += decoder.close()
    assert events == EXPECTED


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_endings(ending: str) -> None:
    text = BODY.replace("\r\n", ending)
    decoder = SSEDecoder()
    assert decoder.feed_text(text) + decoder.close() == EXPECTED


def test_an_unterminated_last_event_is_delivered_at_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed_text("data: tail") == []
    assert decoder.close() == [ServerSentEvent("message", "tail")]
