"""`ScriptFunction`: a function a script handed to the host, callable from Python."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engines.base import ScriptEngine
    from .host import HostSession

__all__ = ["ScriptFunction"]


class ScriptFunction:
    """A script function the host may call back (a tool body, a handler, a callback).

    Calls run on the engine's own thread under the run's permissions, with a fresh wall
    clock of `Limits.timeout` unless they happen inside a call the script is making.
    """

    __slots__ = ("engine", "handle", "name", "session")

    def __init__(
        self, engine: ScriptEngine, handle: Any, session: HostSession, name: str = "function"
    ) -> None:
        self.engine = engine
        self.handle = handle
        self.session = session
        self.name = name

    def __call__(self, *args: Any) -> Any:
        """Call the function with Python values; returns its (first) result as Python.

        Raises:
            ScriptError: The function failed or hit a limit.
        """
        queued = self.session.submit_callback(self._call_on_engine, args)
        if queued is not None:
            return queued.result()
        return self.engine.on_thread(self.engine.call_function, self, args)

    async def call_async(self, *args: Any) -> Any:
        """`__call__` without blocking the event loop."""
        queued = self.session.submit_callback(self._call_on_engine, args)
        if queued is not None:
            return await asyncio.wrap_future(queued)
        return await self.engine.on_thread_async(self.engine.call_function, self, args)

    def _call_on_engine(self, args: tuple[Any, ...]) -> Any:
        return self.engine.call_function(self, args)

    def __repr__(self) -> str:
        return f"ScriptFunction({self.name!r}, engine={self.engine.name!r})"
