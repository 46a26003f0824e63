"""Agents: the tool-calling run loop, structured output, delegation and approvals."""

from .agent import Agent
from .approval import Approve, Decision, EditArguments, PausedRun, Reject, ResumeError
from .dispatch import RetriesExhausted
from .limits import LimitExceeded, UsageLimits
from .output import OutputStrategy
from .result import AgentEvent, RunFinished, RunResult, ToolResultEvent

__all__ = [
    "Agent",
    "AgentEvent",
    "Approve",
    "Decision",
    "EditArguments",
    "LimitExceeded",
    "OutputStrategy",
    "PausedRun",
    "Reject",
    "ResumeError",
    "RetriesExhausted",
    "RunFinished",
    "RunResult",
    "ToolResultEvent",
    "UsageLimits",
]
