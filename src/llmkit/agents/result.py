"""What a run returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ..messages import Message, Usage

if TYPE_CHECKING:
    from .approval import PausedRun

__all__ = ["RunResult"]

OutputT = TypeVar("OutputT")


@dataclass(slots=True, kw_only=True)
class RunResult(Generic[OutputT]):
    """A finished run: its output, every message, the usage and the run id.

    A run that stopped for approvals has `paused` set (and no output yet): decide on
    ``paused.pending`` and call `Agent.resume`.
    """

    output: OutputT
    messages: list[Message]
    usage: Usage
    run_id: str
    new_message_index: int = 0
    paused: PausedRun | None = None

    def new_messages(self) -> list[Message]:
        """The messages this run added (not the history it started from)."""
        return self.messages[self.new_message_index :]
