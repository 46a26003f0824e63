"""Events, patterns and filters."""

from __future__ import annotations

import pytest

from llmkit.errors import LLMKitError
from llmkit.events import (
    STANDARD_NAMES,
    TOOL_CALL_FAILED,
    Event,
    EventError,
    EventNameError,
    Field,
    FilterError,
    and_,
    compile_pattern,
    from_dict,
    matches,
    not_,
    or_,
)


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("agent.*", "agent.started", True),
        ("agent.*", "agent.run.started", False),
        ("agent.**", "agent.run.started", True),
        ("agent.**", "agent", True),
        ("agent.run.started", "agent.run.started", True),
        ("agent.run.started", "agent.run.failed", False),
        ("**", "anything.at.all", True),
        ("tool.**.failed", "tool.failed", True),
        ("tool.**.failed", "tool.call.failed", True),
        ("tool.**.failed", "tool.a.b.failed", True),
        ("tool.**.failed", "tool.call.completed", False),
        ("*.run.*", "agent.run.started", True),
        ("*.run.*", "workflow.run.failed", True),
        ("*.run.*", "run.started", False),
        ("**.failed", "failed", True),
        ("**.failed", "model.request.failed", True),
        ("agent.**", "agents.run", False),
        ("a.**.b.**", "a.b", True),
    ],
)
def test_patterns(pattern: str, name: str, expected: bool) -> None:
    assert matches(pattern, name) is expected


@pytest.mark.parametrize("pattern", ["", "Agent.*", "agent..run", "agent.*x", "a b"])
def test_bad_patterns_raise(pattern: str) -> None:
    with pytest.raises(EventNameError):
        compile_pattern(pattern)


def test_patterns_compile_once() -> None:
    assert compile_pattern("tool.**") is compile_pattern("tool.**")


def test_event_defaults_and_category() -> None:
    event = Event(name=TOOL_CALL_FAILED, payload={"tool": "add"})
    assert event.category == "tool"
    assert event.severity == "info"
    assert event.timestamp > 0
    assert event.id != Event(name=TOOL_CALL_FAILED).id
    assert Event(name="tool.call.failed", category="custom").category == "custom"


@pytest.mark.parametrize("name", ["", "Agent.run", "agent..run", "agent.run.", "a-b", "a.b c"])
def test_bad_names_raise_a_value_error_naming_the_problem(name: str) -> None:
    with pytest.raises(EventNameError) as info:
        Event(name=name)
    assert isinstance(info.value, ValueError) and isinstance(info.value, LLMKitError)
    assert repr(name) in str(info.value) or "non-empty" in str(info.value)


def test_bad_severity_raises() -> None:
    with pytest.raises(EventError, match="severity"):
        Event(name="a.b", severity="loud")  # type: ignore[arg-type]


def test_json_round_trip_is_lossless() -> None:
    event = Event(
        name="model.request.completed",
        severity="warning",
        run_id="r1",
        parent_run_id="r0",
        trace_id="t",
        payload={"n": 1, "f": 0.1, "s": "é ✓", "l": [1, None, True], "d": {"x": {}}},
    )
    assert Event.from_json(event.to_json()) == event
    assert Event.from_dict(event.to_dict()) == event


def test_from_json_rejects_garbage() -> None:
    for text in ["nope", "[]", '{"name": "a"}', '{"name": "A", "id": "1", "timestamp": 1}']:
        with pytest.raises(EventError):
            Event.from_json(text)


def test_catalogue() -> None:
    assert {"agent.run.started", "tool.call.completed", "memory.save"} <= STANDARD_NAMES
    for name in STANDARD_NAMES:
        Event(name=name)


EVENT = Event(
    name="tool.call.failed",
    severity="error",
    run_id="run-7",
    payload={"tool": "add", "args": {"a": 2}, "tags": ["x", "y"], "n": 5, "msg": "boom: 42"},
)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Field("payload.tool") == "add", True),
        (Field("payload.tool") != "add", False),
        (Field("payload.args.a") > 1, True),
        (Field("payload.args.a") <= 1, False),
        (Field("payload.n") >= 5, True),
        (Field("payload.n") < 5, False),
        (Field("payload.tags").contains("y"), True),
        (Field("payload.tags.0") == "x", True),
        (Field("name").in_(["tool.call.failed", "x.y"]), True),
        (Field("run_id").in_(["other"]), False),
        (Field("payload.msg").regex(r"boom: \d+$"), True),
        (Field("payload.n").regex("5"), False),  # Not a string.
        (Field("severity") >= "warning", True),
        (Field("severity") < "error", False),
        (Field("payload.missing") == 1, False),
        (Field("payload.missing.deeper") != 1, False),
        (Field("payload.tool").exists(), True),
        (Field("payload.n") > "text", False),  # Incomparable values do not match.
        ((Field("payload.tool") == "add") & (Field("payload.n") > 9), False),
        ((Field("payload.tool") == "add") | (Field("payload.n") > 9), True),
        (~(Field("payload.tool") == "add"), False),
        (and_(Field("category") == "tool", not_(Field("payload.missing").exists())), True),
        (or_(Field("category") == "agent", Field("severity") == "debug"), False),
    ],
)
def test_filters(flt: object, expected: bool) -> None:
    from llmkit.events import Filter

    assert isinstance(flt, Filter)
    assert flt(EVENT) is expected
    assert from_dict(flt.to_dict())(EVENT) is expected


def test_filters_from_data() -> None:
    flt = from_dict(
        {
            "and": [
                {"field": "payload.tool", "op": "eq", "value": "add"},
                {"or": [{"field": "severity", "op": "ge", "value": "error"}]},
                {"not": {"field": "payload.msg", "op": "regex", "value": "^ok"}},
            ]
        }
    )
    assert flt(EVENT)


@pytest.mark.parametrize(
    "data",
    [
        {"field": "payload.x", "op": "like", "value": 1},
        {"field": "nowhere", "op": "eq", "value": 1},
        {"field": "payload.x", "op": "regex", "value": "("},
        {"field": "severity", "op": "gt", "value": "loud"},
        {"and": "x"},
        {"op": "eq"},
    ],
)
def test_bad_filters_raise(data: dict[str, object]) -> None:
    with pytest.raises(FilterError):
        from_dict(data)


def test_regex_sees_bounded_input() -> None:
    event = Event(name="a.b", payload={"text": "a" * 50_000 + "needle"})
    assert not Field("payload.text").regex("needle")(event)
