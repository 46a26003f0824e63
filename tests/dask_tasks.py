"""Scripts and tools the Dask workflow tests send to workers.

Module-level, so cloudpickle sends them by reference and each worker imports this module
(the test cluster's workers have the repo root on their PYTHONPATH).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from llmkit.tools import tool


def where(n: int, pause: float = 0.0) -> dict[str, Any]:
    """Which worker ran item `n`; `pause` keeps a worker busy so the next item goes elsewhere."""
    from distributed import get_worker

    time.sleep(pause)
    return {"n": n, "double": n * 2, "worker": get_worker().address, "pid": os.getpid()}


def double(n: int) -> int:
    return n * 2


def fail_on(n: int, bad: int, pause: float = 0.0) -> int:
    """Raise for the item `bad` at once; any other item sleeps `pause` and returns."""
    if n == bad:
        raise ValueError(f"item {n} is bad")
    time.sleep(pause)
    return n


def interval(n: int, pause: float) -> list[float]:
    """When this call started and ended, to check that items did not overlap."""
    start = time.time()
    time.sleep(pause)
    return [start, time.time()]


async def add_async(a: int, b: int) -> int:
    return a + b


@tool
def shout(text: str) -> str:
    """Upper-case `text`."""
    return text.upper()


class LockedCounter:
    """A script object holding a lock: it cannot be pickled, so it cannot go to a worker."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def __call__(self, n: int) -> int:
        with self.lock:
            self.count += 1
        return n

    def __repr__(self) -> str:
        return "LockedCounter()"
