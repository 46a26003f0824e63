"""A workflow progress bar on a terminal, fed by the runner's step hooks; silent otherwise.

The bar counts the workflow's top-level steps; while a ``map`` step runs it also counts the
map's finished iterations (the number of items is only known inside the run).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, TextIO

from ..workflows.definition import MapStep
from .spinner import Spinner

if TYPE_CHECKING:
    from ..hooks.registry import HookContext, HookRegistry
    from ..workflows.definition import Workflow

__all__ = ["WorkflowProgress"]

_WIDTH = 24
_ITERATION = re.compile(r"^(?P<map>[A-Za-z0-9_]+)\[\d+\]\.(?P<step>[A-Za-z0-9_]+)$")


class WorkflowProgress(Spinner):
    """``async with WorkflowProgress(stream, workflow, hooks): ...`` draws while it runs.

    Hooks are registered only when `stream` is a terminal, so a pipe or a log file gets
    nothing and the run pays nothing. Leaving the block erases the bar, as the spinner does.
    """

    def __init__(self, stream: TextIO, workflow: Workflow, hooks: HookRegistry) -> None:
        super().__init__(stream, label=workflow.name)
        self.total = len(workflow.steps)
        self.top = {step.id for step in workflow.steps}
        # The last step of each top-level map's body ends an iteration.
        self.map_last = {
            step.id: step.steps[-1].id
            for step in workflow.steps
            if isinstance(step, MapStep) and step.steps
        }
        self.done = 0
        self.current = ""
        self.iterations = 0
        self.started = time.monotonic()
        if self.enabled:
            hooks.register("step.start", self._on_start)
            hooks.register("step.end", self._on_end)
            hooks.register("step.error", self._on_end)

    def line(self) -> str:
        """The bar as text: ``[#####-----] 2/4 sizes (12 items) 3.1s``."""
        filled = _WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        text = f"[{bar}] {self.done}/{self.total}"
        if self.current:
            text += f" {self.current}"
            if self.current in self.map_last:
                text += f" ({self.iterations} items)"
        return f"{text} {time.monotonic() - self.started:.1f}s"

    def _draw(self) -> None:
        self.stream.write(f"\r\033[K{self.line()}")
        self.stream.flush()

    async def _on_start(self, ctx: HookContext) -> None:
        key = ctx.metadata.get("step")
        if key in self.top:
            self.current, self.iterations = str(key), 0
            self._draw()

    async def _on_end(self, ctx: HookContext) -> None:
        key = str(ctx.metadata.get("step"))
        if key in self.top:
            self.done += 1
            self._draw()
            return
        match = _ITERATION.match(key)
        if match and self.map_last.get(match["map"]) == match["step"]:
            self.iterations += 1
            self._draw()

    async def _spin(self) -> None:
        # Redraw for the clock even when no step ends for a while.
        while True:
            self._draw()
            await asyncio.sleep(0.25)
