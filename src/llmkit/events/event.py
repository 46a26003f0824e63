"""`Event`: one thing that happened, with a dotted name, a severity and correlation ids.

Events are keyword-only slotted dataclasses, cheap to build on the hot path. Their JSON
form is plain `json` (no pydantic), so recording and replaying need nothing heavy.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from .errors import EventError, EventNameError

__all__ = ["SEVERITIES", "SEVERITY_RANK", "Event", "Severity", "check_name", "new_event_id"]

Severity = Literal["debug", "info", "warning", "error", "critical"]

SEVERITIES: tuple[Severity, ...] = ("debug", "info", "warning", "error", "critical")
SEVERITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}
"""Severities in increasing order, so filters can ask for ``severity >= "warning"``."""

_SEGMENT = re.compile(r"[a-z0-9_]+")
_NAME_CACHE_LIMIT = 10_000
# Names already checked, with their first segment: programs emit a few names many times.
_checked: dict[str, str] = {}


def check_name(name: str) -> str:
    """Validate an event name and return its first segment (the default category).

    Raises `EventNameError` saying which segment is wrong.
    """
    category = _checked.get(name)
    if category is not None:
        return category
    if not isinstance(name, str) or not name:
        raise EventNameError(f"an event name must be a non-empty string, got {name!r}")
    segments = name.split(".")
    for index, segment in enumerate(segments):
        if not _SEGMENT.fullmatch(segment):
            what = "is empty" if not segment else "may hold only a-z, 0-9 and _"
            raise EventNameError(f"event name {name!r}: segment {index + 1} ({segment!r}) {what}")
    if len(_checked) < _NAME_CACHE_LIMIT:
        _checked[name] = segments[0]
    return segments[0]


# Ids are a random per-process prefix plus a counter: ten times cheaper than uuid4 (0.2 µs
# against 2 µs here), unique across processes, and sortable by creation within one.
_prefix = os.urandom(8).hex()
_counter = itertools.count()


def _reseed() -> None:
    # A forked child must not repeat its parent's ids.
    global _prefix, _counter
    _prefix = os.urandom(8).hex()
    _counter = itertools.count()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)


def new_event_id() -> str:
    """A fresh 28-hex-digit event id."""
    return f"{_prefix}{next(_counter):012x}"


@dataclass(slots=True, kw_only=True)
class Event:
    """One thing that happened.

    `name` is dotted lowercase segments (``tool.call.completed``); `category` defaults to
    its first segment. `timestamp` is epoch seconds. `run_id`, `parent_run_id` and
    `trace_id` tie events of one run, its parent and its whole trace together.
    """

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "info"
    category: str = ""
    run_id: str | None = None
    parent_run_id: str | None = None
    trace_id: str | None = None
    timestamp: float = field(default_factory=time.time)
    id: str = field(default_factory=new_event_id)

    def __post_init__(self) -> None:
        first = check_name(self.name)
        if not self.category:
            self.category = first
        if self.severity not in SEVERITY_RANK:
            raise EventError(
                f"event {self.name!r}: severity must be one of {', '.join(SEVERITIES)}, "
                f"got {self.severity!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (the payload is shared, not copied)."""
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "severity": self.severity,
            "timestamp": self.timestamp,
            "run_id": self.run_id,
            "parent_run_id": self.parent_run_id,
            "trace_id": self.trace_id,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """Rebuild an event from `to_dict` output; raises `EventError` if it is not one."""
        try:
            payload = data.get("payload") or {}
            if not isinstance(payload, dict):
                raise TypeError(f"payload must be an object, got {type(payload).__name__}")
            timestamp = data["timestamp"]
            if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
                raise TypeError(f"timestamp must be a number, got {timestamp!r}")
            return cls(
                id=str(data["id"]),
                name=data["name"],
                category=data.get("category") or "",
                severity=cast(Severity, data.get("severity", "info")),
                timestamp=float(timestamp),
                run_id=data.get("run_id"),
                parent_run_id=data.get("parent_run_id"),
                trace_id=data.get("trace_id"),
                payload=payload,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise EventError(f"not an event: {exc!r}") from exc

    def to_json(self) -> str:
        """One line of JSON; a value JSON cannot hold is written as its ``repr``."""
        return _encode(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """Rebuild an event from `to_json` output; raises `EventError` if it is not one."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise EventError(f"event JSON is invalid: {exc}") from exc
        if not isinstance(data, dict):
            raise EventError(f"event JSON must be an object, got {type(data).__name__}")
        return cls.from_dict(data)


# Recording must never fail on an odd payload value, so those degrade to their repr.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=repr).encode
