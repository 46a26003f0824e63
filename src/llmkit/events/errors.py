"""The errors `llmkit.events` raises on purpose."""

from __future__ import annotations

from ..errors import LLMKitError

__all__ = ["EventError", "EventNameError", "FilterError", "RecordingError"]


class EventError(LLMKitError):
    """Base class of the event system's errors."""


class EventNameError(EventError, ValueError):
    """An event name or subscription pattern is malformed; the message says where."""


class FilterError(EventError, ValueError):
    """A filter (built in code or declared as data) cannot work."""


class RecordingError(EventError):
    """A recorder cannot write or read its file (closed, corrupted, unreadable)."""
