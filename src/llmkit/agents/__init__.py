"""Agents: the tool-calling run loop."""

from .agent import Agent
from .dispatch import RetriesExhausted
from .limits import LimitExceeded, UsageLimits
from .result import AgentEvent, RunFinished, RunResult, ToolResultEvent

__all__ = [
    "Agent",
    "AgentEvent",
    "LimitExceeded",
    "RetriesExhausted",
    "RunFinished",
    "RunResult",
    "ToolResultEvent",
    "UsageLimits",
]
