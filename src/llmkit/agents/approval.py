"""Approvals: a run pauses before a tool that needs a human's yes, and resumes later.

The paused run is plain data (`PausedRun.to_json`), so it survives a process restart: store
it anywhere, load it, decide, and call `Agent.resume`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import LLMKitError
from ..messages import Message, ToolCallPart, Usage, messages_from_json, messages_to_json

__all__ = ["Approve", "Decision", "EditArguments", "PausedRun", "Reject", "ResumeError"]


class ResumeError(LLMKitError):
    """A paused run cannot be resumed as asked (bad JSON, missing or unknown decisions)."""


@dataclass(slots=True, kw_only=True, frozen=True)
class Approve:
    """Run the call as the model asked."""

    kind: Literal["approve"] = "approve"


@dataclass(slots=True, kw_only=True, frozen=True)
class EditArguments:
    """Run the call with these arguments instead."""

    arguments: dict[str, Any]
    kind: Literal["edit"] = "edit"


@dataclass(slots=True, kw_only=True, frozen=True)
class Reject:
    """Do not run the call; the model is told why."""

    reason: str = "rejected by the user"
    kind: Literal["reject"] = "reject"


Decision = Approve | EditArguments | Reject


@dataclass(slots=True, kw_only=True)
class PausedRun:
    """A run waiting for decisions on `pending` tool calls."""

    run_id: str
    agent: str
    messages: list[Message]
    usage: Usage
    pending: list[ToolCallPart]
    steps: int = 0
    tool_calls_made: int = 0
    start_index: int = 0
    kind: Literal["paused_run"] = field(default="paused_run")

    def to_json(self) -> str:
        """The paused run as JSON text."""
        return json.dumps(
            {
                "kind": self.kind,
                "run_id": self.run_id,
                "agent": self.agent,
                "messages": json.loads(messages_to_json(self.messages)),
                "usage": {
                    "input_tokens": self.usage.input_tokens,
                    "output_tokens": self.usage.output_tokens,
                    "cache_read_tokens": self.usage.cache_read_tokens,
                    "requests": self.usage.requests,
                },
                "pending": [call.id for call in self.pending],
                "steps": self.steps,
                "tool_calls_made": self.tool_calls_made,
                "start_index": self.start_index,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> PausedRun:
        """Load a paused run; `ResumeError` names what is wrong with the text."""
        try:
            data = json.loads(text)
            messages = messages_from_json(json.dumps(data["messages"]))
            usage = Usage(**data["usage"])
            pending_ids = list(data["pending"])
            calls = {c.id: c for c in messages[-1].tool_calls} if messages else {}
            pending = [calls[i] for i in pending_ids]
            return cls(
                run_id=str(data["run_id"]),
                agent=str(data["agent"]),
                messages=messages,
                usage=usage,
                pending=pending,
                steps=int(data["steps"]),
                tool_calls_made=int(data["tool_calls_made"]),
                start_index=int(data["start_index"]),
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ResumeError(f"not a paused run: {type(exc).__name__}: {exc}") from None
