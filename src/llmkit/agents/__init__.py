"""Agents: the tool-calling run loop, structured output, delegation and approvals."""

from .agent import Agent
from .approval import Approve, Decision, EditArguments, PausedRun, Reject, ResumeError
from .dispatch import RetriesExhausted
from .events import (
    AgentEvent,
    ModelResponseEvent,
    RunFinished,
    RunStarted,
    TextDeltaEvent,
    ToolArgumentsEvent,
    ToolCallEvent,
    ToolCallStartedEvent,
    ToolResultEvent,
    UsageUpdateEvent,
)
from .limits import LimitExceeded, UsageLimits
from .output import OutputStrategy
from .result import RunResult

__all__ = [
    "Agent",
    "AgentEvent",
    "Approve",
    "Decision",
    "EditArguments",
    "LimitExceeded",
    "ModelResponseEvent",
    "OutputStrategy",
    "PausedRun",
    "Reject",
    "ResumeError",
    "RetriesExhausted",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "TextDeltaEvent",
    "ToolArgumentsEvent",
    "ToolCallEvent",
    "ToolCallStartedEvent",
    "ToolResultEvent",
    "UsageUpdateEvent",
    "UsageLimits",
]
