"""Events: what happened in agents, models, tools and workflows, on a fast bus.

    bus = EventBus()
    bus.subscribe("tool.**", print, filter=Field("payload.tool") == "add")
    bus.emit(Event(name=TOOL_CALL_STARTED, payload={"tool": "add"}))

Recorders write a bus's events to JSONL or SQLite; `replay` plays a recording back.
Nothing here imports pydantic or anything heavy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .bus import BusStats, EventBus, Handler, Subscription
from .errors import EventError, EventNameError, FilterError, RecordingError
from .event import SEVERITIES, SEVERITY_RANK, Event, Severity, check_name, new_event_id
from .filters import Field, Filter, and_, from_dict, not_, or_
from .names import *  # noqa: F403 - the catalogue is meant to be used whole.
from .names import __all__ as _names
from .patterns import compile_pattern, matches

if TYPE_CHECKING:
    from .recorder import Recorder
    from .recording import JsonlRecorder, SqliteRecorder, load_events, query_jsonl
    from .replay import replay, replay_file, tail, tail_file
    from .sqlite_recorder import query_sqlite

__all__ = [
    "SEVERITIES",
    "SEVERITY_RANK",
    "BusStats",
    "Event",
    "EventBus",
    "EventError",
    "EventNameError",
    "Field",
    "Filter",
    "FilterError",
    "Handler",
    "JsonlRecorder",
    "Recorder",
    "RecordingError",
    "Severity",
    "SqliteRecorder",
    "Subscription",
    "and_",
    "check_name",
    "compile_pattern",
    "default_bus",
    "from_dict",
    "load_events",
    "matches",
    "new_event_id",
    "not_",
    "or_",
    "query_jsonl",
    "query_sqlite",
    "replay",
    "replay_file",
    "tail",
    "tail_file",
    *_names,
]

_default: EventBus | None = None


def default_bus() -> EventBus:
    """The process-wide bus llmkit's own layers emit on (created on first use)."""
    global _default
    if _default is None:
        _default = EventBus()
    return _default


# Recording and replay load on first use: they bring sqlite3, json and asyncio along.
_LAZY = {
    "Recorder": "recorder",
    "JsonlRecorder": "recording",
    "SqliteRecorder": "recording",
    "load_events": "recording",
    "query_jsonl": "recording",
    "query_sqlite": "sqlite_recorder",
    "replay": "replay",
    "replay_file": "replay",
    "tail": "replay",
    "tail_file": "replay",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
