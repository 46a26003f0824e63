"""`ScriptEngine`: one interpreter instance living on its own thread.

Every call into the interpreter happens on that thread; a call already on it (a script
calling the host calling the script back) runs directly instead of queueing behind itself.
Host coroutines a bridge needs are awaited on the host loop, so the loop stays free while
a script runs.
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from ..callbacks import ScriptFunction
    from ..host import HostSession

__all__ = ["ScriptEngine"]

T = TypeVar("T")


class ScriptEngine(ABC):
    """An interpreter with the sandbox, the limits and the bridges installed.

    Subclasses implement the four abstract methods; the threading is done here.
    """

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]

    def __init__(self) -> None:
        self._thread_id: int | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"llmkit-{self.name}", initializer=self._mark
        )
        self.closed = False

    def _mark(self) -> None:
        self._thread_id = threading.get_ident()

    def on_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the engine's thread and return its result."""
        if threading.get_ident() == self._thread_id:
            return function(*args)
        return self._executor.submit(function, *args).result()

    async def on_thread_async(self, function: Callable[..., T], *args: Any) -> T:
        """`on_thread`, awaited without blocking the event loop."""
        if threading.get_ident() == self._thread_id:
            return function(*args)
        return await asyncio.wrap_future(self._executor.submit(function, *args))

    @abstractmethod
    def execute(
        self, source: str, *, chunk_name: str, folder: Path | None, session: HostSession
    ) -> Any:
        """Run a whole script in a fresh environment; returns its result (on the engine
        thread). Raises a `ScriptError` subclass when the script fails."""

    @abstractmethod
    def call_function(self, function: ScriptFunction, args: tuple[Any, ...]) -> Any:
        """Call a script function with Python arguments (on the engine thread)."""

    @abstractmethod
    def call_global(self, name: str, args: tuple[Any, ...]) -> Any:
        """Call the function the last script left in global `name` (on the engine thread)."""

    @abstractmethod
    def reset(self) -> None:
        """Forget everything the last run left, so the instance can serve another."""

    def close(self) -> None:
        """Stop the engine's thread; the instance cannot run anything afterwards."""
        self.closed = True
        self._executor.shutdown(wait=False)
