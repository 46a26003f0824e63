"""`run_in_thread`: run a blocking function in a worker thread and await its result.

It does what ``asyncio.to_thread`` does (the caller's context variables go with the call)
for a tenth of the memory per waiting call: a job is one tuple and one asyncio future,
where ``to_thread`` also builds a `concurrent.futures.Future` with its condition variable,
a partial and a wrapping future. That matters when thousands of agent runs wait on sync
tools at once. Workers are daemon threads, started on demand up to the same bound as the
default executor's, so a tool still running at exit does not hold the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["run_in_thread"]

T = TypeVar("T")

MAX_WORKERS = min(32, (os.cpu_count() or 1) + 4)

_Job = tuple[
    asyncio.AbstractEventLoop,
    "asyncio.Future[Any]",
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
    dict[str, Any],
]


class _Pool:
    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.idle = threading.Semaphore(0)
        self.workers = 0
        self.lock = threading.Lock()

    def submit(self, job: _Job) -> None:
        self.jobs.put(job)
        if self.idle.acquire(blocking=False):
            return  # an idle worker will take it
        with self.lock:
            if self.workers < MAX_WORKERS:
                self.workers += 1
                threading.Thread(target=self.work, name="llmkit-worker", daemon=True).start()

    def work(self) -> None:
        jobs, idle = self.jobs, self.idle
        while True:
            loop, future, context, fn, args, kwargs = jobs.get()
            if not future.cancelled():  # a timed-out caller's job need not run at all
                try:
                    outcome: tuple[bool, Any] = (True, context.run(fn, *args, **kwargs))
                except BaseException as exc:  # handed to the awaiting caller
                    outcome = (False, exc)
                # A closed loop raises RuntimeError: nobody waits for this result any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, future, outcome)
                del outcome
            del loop, future, context, fn, args, kwargs
            idle.release()


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.cancelled():
        return
    ok, value = outcome
    if not ok:
        future.set_exception(value)
    elif inspect.isawaitable(value):  # a sync wrapper around a coroutine function
        _await_into(value, future)
    else:
        future.set_result(value)


def _await_into(awaitable: Awaitable[Any], future: asyncio.Future[Any]) -> None:
    inner = asyncio.ensure_future(awaitable)

    def done(inner: asyncio.Future[Any]) -> None:
        if future.cancelled():
            return
        if inner.cancelled():
            future.cancel()
        elif (error := inner.exception()) is not None:
            future.set_exception(error)
        else:
            future.set_result(inner.result())

    inner.add_done_callback(done)
    future.add_done_callback(lambda outer: inner.cancel() if outer.cancelled() else None)


_pool = _Pool()


def _reset_after_fork() -> None:
    # A forked child has none of its parent's worker threads.
    global _pool
    _pool = _Pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def run_in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> asyncio.Future[T]:
    """Start ``fn(*args, **kwargs)`` in a worker thread; await the returned future.

    If `fn` returns an awaitable (a sync wrapper around a coroutine function), the future
    gives what that awaitable gives, awaited on the loop.

    Cancelling the future (a timeout) does not stop a call already running: threads
    cannot be stopped. A call not yet started is skipped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    _pool.submit((loop, future, contextvars.copy_context(), fn, args, kwargs))
    return future
