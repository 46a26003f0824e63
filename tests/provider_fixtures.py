"""Helpers for provider tests: a loopback server and models pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llmkit import Model, RetryPolicy, get_model
from tests.servers import LoopbackServer, ScriptedHandler

FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01, max_retry_after=0.05)


def serve(default: object) -> Iterator[LoopbackServer]:
    with LoopbackServer(ScriptedHandler(default=default)) as server:  # type: ignore[arg-type]
        yield server


def model_at(name: str, server: LoopbackServer, *, path: str = "/v1", **options: object) -> Model:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("api_key", "test-key")
    return get_model(name, base_url=server.url + path, **options)  # type: ignore[arg-type]


__all__ = ["FAST_RETRY", "model_at", "pytest", "serve"]
