"""Helpers for provider tests: a loopback server and models pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llmkit import Model, ModelStream, RetryPolicy, StreamInterrupted, TextDelta, get_model
from tests.servers import LoopbackServer, ScriptedHandler

FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01, max_retry_after=0.05)


def serve(default: object) -> Iterator[LoopbackServer]:
    with LoopbackServer(ScriptedHandler(default=default)) as server:  # type: ignore[arg-type]
        yield server


def model_at(name: str, server: LoopbackServer, *, path: str = "/v1", **options: object) -> Model:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("api_key", "test-key")
    return get_model(name, base_url=server.url + path, **options)  # type: ignore[arg-type]


async def assert_interrupted_after(
    stream: ModelStream, server: LoopbackServer, expected_text: str
) -> None:
    """The stream breaks with `StreamInterrupted` after `expected_text` arrived, keeps that
    text on the error, has no finished response, and was never retried."""
    seen: list[str] = []

    async def read() -> None:
        async for event in stream:
            if isinstance(event, TextDelta):
                seen.append(event.text)

    with pytest.raises(StreamInterrupted) as info:
        await read()
    assert "".join(seen) == expected_text == info.value.partial_text
    with pytest.raises(StreamInterrupted):
        stream.response  # noqa: B018 - no finished message exists
    assert len(server.requests) == 1  # never retried after content


__all__ = ["FAST_RETRY", "assert_interrupted_after", "model_at", "pytest", "serve"]
