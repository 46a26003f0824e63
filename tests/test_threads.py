"""`run_in_thread`: results, errors, context variables and cancellation, with real threads."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from llmkit.threads import MAX_WORKERS, run_in_thread

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


async def test_runs_off_the_loop_thread_and_returns_the_result() -> None:
    loop_thread = threading.get_ident()
    value, thread = await run_in_thread(lambda a, b: (a + b, threading.get_ident()), 2, b=3)
    assert value == 5 and thread != loop_thread


async def test_an_exception_reaches_the_caller() -> None:
    def fail() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        await run_in_thread(fail)


async def test_context_variables_go_with_the_call() -> None:
    request_id.set("abc")
    assert await run_in_thread(request_id.get) == "abc"


async def test_an_awaitable_result_is_awaited_on_the_loop() -> None:
    async def later() -> str:
        await asyncio.sleep(0)
        return "awaited"

    assert await run_in_thread(lambda: later()) == "awaited"


async def test_the_loop_stays_free_while_calls_block() -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    await asyncio.gather(*(run_in_thread(time.sleep, 0.1) for _ in range(MAX_WORKERS)))
    elapsed = time.monotonic() - started
    ticker.cancel()
    assert elapsed < 0.1 * MAX_WORKERS / 2  # the sleeps overlapped
    assert ticks >= 5  # and the loop kept running meanwhile


async def test_a_cancelled_call_that_has_not_started_never_runs() -> None:
    release = threading.Event()
    ran: list[int] = []
    busy = [run_in_thread(release.wait) for _ in range(MAX_WORKERS)]
    await asyncio.sleep(0.05)  # every worker is now blocked
    queued = run_in_thread(ran.append, 1)
    queued.cancel()
    release.set()
    await asyncio.gather(*busy)
    await asyncio.sleep(0.05)
    assert ran == []
