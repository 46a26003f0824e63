"""A terminal spinner shown while waiting for the first token; silent when not a terminal."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TextIO

__all__ = ["Spinner"]

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Spinner:
    """``async with Spinner(stream): ...`` spins until the block ends or `stop()` is called."""

    def __init__(self, stream: TextIO, label: str = "thinking") -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Spinner:
        if self.enabled:
            self._task = asyncio.create_task(self._spin())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop spinning and erase the spinner line."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self.stream.write("\r\033[K")
        self.stream.flush()

    async def _spin(self) -> None:
        index = 0
        while True:
            self.stream.write(f"\r{_FRAMES[index % len(_FRAMES)]} {self.label}…")
            self.stream.flush()
            index += 1
            await asyncio.sleep(0.1)
