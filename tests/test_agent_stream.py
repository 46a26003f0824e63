"""`Agent.run_stream`: typed events that are bus events — recorded, replayed, stopped early."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from llmkit.agents import (
    Agent,
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
from llmkit.errors import ProviderError
from llmkit.events import Event, EventBus, JsonlRecorder, load_events, replay
from llmkit.memory import Conversation, ConversationStore
from llmkit.testing import FunctionModel, RecordedRequest, Reply, ScriptedModel, ToolCall
from llmkit.tools import tool

ran: list[tuple[int, int]] = []


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    ran.append((a, b))
    return a + b


@pytest.fixture(autouse=True)
def _forget_calls() -> None:
    ran.clear()


def tool_then_answer() -> ScriptedModel:
    return ScriptedModel([ToolCall(name="add", args={"a": 4, "b": 5}), "It is nine."])


async def test_a_streamed_run_reports_each_stage_in_order() -> None:
    events = [e async for e in Agent(tool_then_answer(), tools=[add]).run_stream("4+5?")]
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    # The model writes the call, the reply ends, the tool runs, then the answer streams.
    first_reply = kinds.index(ModelResponseEvent)
    assert kinds.index(ToolCallStartedEvent) < kinds.index(ToolArgumentsEvent)
    assert kinds.index(ToolArgumentsEvent) < kinds.index(ToolCallEvent) < first_reply
    assert first_reply < kinds.index(ToolResultEvent) < kinds.index(TextDeltaEvent)
    assert kinds.count(ModelResponseEvent) == 2 and UsageUpdateEvent in kinds
    arguments = "".join(e.delta for e in events if isinstance(e, ToolArgumentsEvent))
    assert arguments == '{"a":4,"b":5}' or arguments.replace(" ", "") == '{"a":4,"b":5}'
    call = next(e for e in events if isinstance(e, ToolCallEvent))
    assert call.call.arguments == {"a": 4, "b": 5}
    result = next(e for e in events if isinstance(e, ToolResultEvent))
    assert (result.name, result.result.content, result.payload["tool"]) == (
        "tool.call.completed",
        "9",
        "add",
    )
    assert "".join(e.text for e in events if isinstance(e, TextDeltaEvent)) == "It is nine."
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.result.output == "It is nine."
    assert finished.payload["output"] == "It is nine."


async def test_every_streamed_event_is_a_bus_event_of_the_run() -> None:
    events = [e async for e in Agent(tool_then_answer(), tools=[add]).run_stream("4+5?")]
    run_id = events[-1].result.run_id  # type: ignore[attr-defined]
    for event in events:
        assert isinstance(event, Event)
        assert event.run_id == run_id
        again = Event.from_json(event.to_json())
        assert (again.name, again.payload, again.run_id) == (event.name, event.payload, run_id)
    assert [e.name for e in events][:2] == ["agent.run.started", "model.tool_call.started"]


async def test_a_failed_tool_result_is_a_failed_event() -> None:
    @tool
    def boom() -> str:
        """Fail."""
        raise ValueError("no")

    model = ScriptedModel([ToolCall(name="boom", args={}), "sorry"])
    events = [e async for e in Agent(model, tools=[boom]).run_stream("x")]
    failed = next(e for e in events if isinstance(e, ToolResultEvent))
    assert (failed.name, failed.severity, failed.payload["is_error"]) == (
        "tool.call.failed",
        "warning",
        True,
    )


async def test_streamed_events_record_and_replay_unchanged(tmp_path: Path) -> None:
    bus = EventBus()
    recorder = JsonlRecorder(tmp_path / "run.jsonl")
    recorder.attach(bus)
    streamed = []
    async for event in Agent(tool_then_answer(), tools=[add]).run_stream("4+5?"):
        bus.emit(event)
        streamed.append(event)
    await recorder.aclose()

    replayed: list[Event] = []
    target = EventBus()
    target.subscribe("**", replayed.append)
    count = await replay(load_events(tmp_path / "run.jsonl"), target, speed=0)
    assert count == len(streamed)
    assert [(e.id, e.name, e.payload) for e in replayed] == [
        (e.id, e.name, e.payload) for e in streamed
    ]


async def test_stopping_the_stream_early_stops_the_run() -> None:
    agent = Agent(tool_then_answer(), tools=[add])
    stream = agent.run_stream("4+5?")
    async for event in stream:
        if isinstance(event, ToolCallEvent):
            break
    await stream.aclose()  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)
    assert ran == []  # the tool the model asked for never ran
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []


async def test_a_model_error_reaches_the_consumer_after_the_events_so_far() -> None:
    def fail(request: RecordedRequest) -> Reply:
        raise ProviderError("the provider is down")

    seen: list[str] = []

    async def consume() -> None:
        async for event in Agent(FunctionModel(fail)).run_stream("x"):
            seen.append(event.name)

    with pytest.raises(ProviderError, match="the provider is down"):
        await consume()
    assert seen == ["agent.run.started"]


async def test_a_streamed_run_saves_to_its_conversation(tmp_path: Path) -> None:
    async with ConversationStore(tmp_path / "chat.db") as store:
        conversation = Conversation(store, "c1")
        agent = Agent(ScriptedModel(["first", "second"]))
        _ = [e async for e in agent.run_stream("one", conversation=conversation)]
        events = [e async for e in agent.run_stream("two", conversation=conversation)]
        finished = events[-1]
        assert isinstance(finished, RunFinished)
        assert [m.text for m in finished.result.messages] == ["one", "first", "two", "second"]
        assert [m.text for m in await conversation.history()] == [
            "one",
            "first",
            "two",
            "second",
        ]
