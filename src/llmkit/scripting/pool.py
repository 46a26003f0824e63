"""`EnginePool`: ready engine instances, reset between runs.

Building a sandboxed engine costs a millisecond or so; a pool keeps a few per engine
name. Every instance is reset on release (fresh environment next time, garbage
collected), so nothing one run leaves is visible to the next.
"""

from __future__ import annotations

import threading

from .engines import engine_class
from .engines.base import ScriptEngine

__all__ = ["EnginePool", "pool_for"]


class EnginePool:
    """Up to `size` idle engines called `engine`, handed out one run at a time."""

    def __init__(self, engine: str, *, size: int = 4) -> None:
        self.engine = engine
        self.size = size
        self._cls = engine_class(engine)
        self._idle: list[ScriptEngine] = []
        self._lock = threading.Lock()

    @property
    def idle(self) -> int:
        """How many engines wait for a run."""
        return len(self._idle)

    def acquire(self) -> ScriptEngine:
        """An idle engine, or a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._cls()

    def release(self, engine: ScriptEngine) -> None:
        """Reset `engine` and keep it for the next run (or close it when the pool is full)."""
        try:
            engine.on_thread(engine.reset)
        except Exception:
            engine.close()
            raise
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(engine)
                return
        engine.close()

    def close(self) -> None:
        """Close every idle engine."""
        with self._lock:
            idle, self._idle = self._idle, []
        for engine in idle:
            engine.close()


_pools: dict[str, EnginePool] = {}
_pools_lock = threading.Lock()


def pool_for(engine: str) -> EnginePool:
    """The process-wide pool of engines called `engine`."""
    with _pools_lock:
        pool = _pools.get(engine)
        if pool is None:
            pool = _pools[engine] = EnginePool(engine)
        return pool
