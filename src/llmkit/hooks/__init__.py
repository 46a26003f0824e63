"""Hooks: functions called at every stage (agent runs, model requests, tool calls, …) that
can watch, change, short-circuit, cancel or retry what flows through."""

from .registry import POINTS, HookContext, HookHandle, HookRegistry
from .results import Cancel, HookCancelled, HookError, HookResult, Modify, Retry, Skip

__all__ = [
    "POINTS",
    "Cancel",
    "HookCancelled",
    "HookContext",
    "HookError",
    "HookHandle",
    "HookRegistry",
    "HookResult",
    "Modify",
    "Retry",
    "Skip",
]
