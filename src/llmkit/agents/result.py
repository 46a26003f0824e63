"""What a run returns, and the events a streamed run adds to the model's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ..messages import Message, ToolCallPart, ToolResultPart, Usage
from ..models.stream import StreamEvent

if TYPE_CHECKING:
    from .approval import PausedRun

__all__ = ["AgentEvent", "RunFinished", "RunResult", "ToolResultEvent"]

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


@dataclass(slots=True, kw_only=True)
class ToolResultEvent:
    """A tool call finished (or failed; `result.is_error` says which)."""

    call: ToolCallPart
    result: ToolResultPart
    kind: Literal["tool_result"] = "tool_result"


@dataclass(slots=True, kw_only=True)
class RunFinished:
    """The run is over; `result` is what `Agent.run` would have returned."""

    result: RunResult[Any]
    kind: Literal["run_finished"] = "run_finished"


AgentEvent = StreamEvent | ToolResultEvent | RunFinished
"""What `Agent.run_stream` yields: the model's stream events, tool results, and the end."""
