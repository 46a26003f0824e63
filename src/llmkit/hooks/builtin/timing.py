"""Pairs `before` and `after` contexts of one request or tool call, to measure it."""

from __future__ import annotations

import time

from ..registry import HookContext

__all__ = ["Stopwatch", "call_key"]


def call_key(ctx: HookContext, kind: str) -> tuple[str, str, str]:
    """What identifies one model request or tool call across its before/after/error points.

    Model requests of one run are sequential, so the run id suffices; tool calls of one reply
    run concurrently, so their call id is part of the key.
    """
    return (ctx.run_id or "", kind, str(ctx.metadata.get("tool_call_id", "")))


class Stopwatch:
    """Start times by key; `stop` returns the seconds since `start` (0 if never started)."""

    __slots__ = ("_started",)

    def __init__(self) -> None:
        self._started: dict[tuple[str, str, str], float] = {}

    def start(self, key: tuple[str, str, str]) -> None:
        self._started[key] = time.perf_counter()

    def stop(self, key: tuple[str, str, str]) -> float:
        started = self._started.pop(key, None)
        return 0.0 if started is None else time.perf_counter() - started
