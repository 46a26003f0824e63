"""The agent run loop against ScriptedModel and FunctionModel: tools, failures and limits."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import BaseModel

from llmkit import Message, ToolCallPart
from llmkit.agents import (
    Agent,
    LimitExceeded,
    RunFinished,
    TextDeltaEvent,
    ToolResultEvent,
    UsageLimits,
)
from llmkit.errors import ConfigError
from llmkit.testing import FunctionModel, RecordedRequest, Reply, ScriptedModel, ToolCall
from llmkit.tools import ModelRetry, RunContext, tool


@tool
def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


async def test_tool_call_then_answer() -> None:
    model = ScriptedModel([ToolCall(name="add", args={"a": 2, "b": 3}), "The sum is 5."])
    agent = Agent(model, instructions="Use tools.", tools=[add])
    result = await agent.run("What is 2 + 3?")
    assert result.output == "The sum is 5."
    assert [m.role for m in result.messages] == ["system", "user", "assistant", "tool", "assistant"]
    tool_result = result.messages[3].parts[0]
    assert tool_result.content == "5" and not tool_result.is_error  # type: ignore[union-attr]
    # The second request carried the tool result back to the model, and the tool schema.
    assert model.requests[1].messages[-1].parts[0].content == "5"  # type: ignore[union-attr]
    assert model.requests[0].tools[0].name == "add"
    assert result.usage.requests == 2
    assert len(result.run_id) == 32


async def test_parallel_tool_calls_run_concurrently() -> None:
    @tool
    async def slow(n: int) -> int:
        """Wait, then echo."""
        await asyncio.sleep(0.3)
        return n

    model = ScriptedModel([[ToolCall(name="slow", args={"n": i}) for i in range(3)], "done"])
    start = time.monotonic()
    result = await Agent(model, tools=[slow]).run("go")
    assert time.monotonic() - start < 0.6
    assert [p.content for p in result.messages[-2].parts] == ["0", "1", "2"]  # type: ignore[union-attr]


def reply_after_error(first: Reply) -> FunctionModel:
    """A model that makes one bad call, then answers with what the tool said."""

    def decide(request: RecordedRequest) -> Reply:
        last = request.messages[-1]
        if last.role == "tool":
            part = last.parts[0]
            return f"saw: {part.content}"  # type: ignore[union-attr]
        return first

    return FunctionModel(decide)


async def test_unknown_tool_goes_back_as_an_error() -> None:
    agent = Agent(reply_after_error(ToolCall(name="multiply", args={})), tools=[add])
    result = await agent.run("x")
    assert result.output == "saw: unknown tool 'multiply'; available tools: add"
    assert result.messages[-2].parts[0].is_error  # type: ignore[union-attr]


async def test_invalid_arguments_go_back_as_errors() -> None:
    bad_json = Message.assistant(
        [ToolCallPart.from_raw(id="c1", name="add", raw_arguments='{"a": 1, "b":')]
    )
    result = await Agent(reply_after_error(bad_json), tools=[add]).run("x")
    assert result.output.startswith("saw: invalid arguments: arguments are not valid JSON")
    wrong_type = ToolCall(name="add", args={"a": "one", "b": 2})
    result = await Agent(reply_after_error(wrong_type), tools=[add]).run("x")
    assert "a" in result.output and result.messages[-2].parts[0].is_error  # type: ignore[union-attr]


async def test_model_retry_and_exceptions_are_reported_to_the_model() -> None:
    @tool
    def picky(word: str) -> str:
        """Only likes 'please'."""
        if word != "please":
            raise ModelRetry("say please")
        return "thanks"

    result = await Agent(
        reply_after_error(ToolCall(name="picky", args={"word": "now"})), tools=[picky]
    ).run("x")
    assert result.output == "saw: say please"

    @tool
    def broken() -> str:
        """Always fails."""
        raise ValueError("disk on fire")

    result = await Agent(reply_after_error(ToolCall(name="broken")), tools=[broken]).run("x")
    assert result.output == "saw: ValueError: disk on fire"


async def test_retry_budget_stops_the_run_with_everything_so_far() -> None:
    @tool(max_retries=2)
    def broken() -> str:
        """Always fails."""
        raise ValueError("nope")

    model = FunctionModel(lambda request: ToolCall(name="broken"))
    with pytest.raises(LimitExceeded) as info:
        await Agent(model, tools=[broken]).run("x")
    assert info.value.limit == "tool_retries:broken"
    assert [m.role for m in info.value.messages].count("tool") == 2
    assert info.value.usage.requests == 3


async def test_a_hanging_tool_times_out() -> None:
    @tool(timeout=0.2)
    async def hang() -> str:
        """Never returns."""
        await asyncio.sleep(60)
        return "never"

    start = time.monotonic()
    result = await Agent(reply_after_error(ToolCall(name="hang")), tools=[hang]).run("x")
    assert time.monotonic() - start < 2
    assert "timed out" in result.output


async def test_a_model_that_calls_tools_forever_is_stopped() -> None:
    model = FunctionModel(lambda request: ToolCall(name="add", args={"a": 1, "b": 1}))
    agent = Agent(model, tools=[add], limits=UsageLimits(max_steps=5))
    with pytest.raises(LimitExceeded) as info:
        await agent.run("loop")
    assert info.value.limit == "max_steps"
    assert len(model.requests) == 5
    assert [m.role for m in info.value.messages].count("tool") == 5


async def test_tool_call_budget_is_enforced_in_the_dispatcher() -> None:
    calls = 0

    @tool
    def count() -> int:
        """Count calls."""
        nonlocal calls
        calls += 1
        return calls

    script: list[Reply] = [ToolCall(name="count")] * 1000
    agent = Agent(
        ScriptedModel(script), tools=[count], limits=UsageLimits(max_steps=None, max_tool_calls=100)
    )
    with pytest.raises(LimitExceeded) as info:
        await agent.run("go")
    assert info.value.limit == "max_tool_calls"
    assert calls == 100
    # One reply asking for 1,000 calls at once runs none of them.
    calls = 0
    agent = Agent(
        ScriptedModel([[ToolCall(name="count")] * 1000]),
        tools=[count],
        limits=UsageLimits(max_tool_calls=100),
    )
    with pytest.raises(LimitExceeded):
        await agent.run("go")
    assert calls == 0


async def test_token_and_time_limits() -> None:
    model = ScriptedModel([ToolCall(name="add", args={"a": 1, "b": 2}), "answer"])
    agent = Agent(model, tools=[add], limits=UsageLimits(max_input_tokens=1))
    with pytest.raises(LimitExceeded) as info:
        await agent.run("a prompt of several words")
    assert info.value.limit == "max_input_tokens"

    @tool
    async def slow() -> str:
        """Slow."""
        await asyncio.sleep(5)
        return "late"

    agent = Agent(
        ScriptedModel([ToolCall(name="slow")]), tools=[slow], limits=UsageLimits(max_seconds=0.2)
    )
    start = time.monotonic()
    with pytest.raises(LimitExceeded) as info:
        await agent.run("x")
    assert info.value.limit == "max_seconds" and time.monotonic() - start < 2


async def test_run_context_carries_deps_and_usage() -> None:
    seen: list[object] = []

    @tool
    def whoami(ctx: RunContext[dict[str, str]]) -> str:
        """Who is asking."""
        seen.append(ctx.usage.requests)
        return ctx.deps["user"]

    model = ScriptedModel([ToolCall(name="whoami"), "ok"])
    result = await Agent(model, tools=[whoami]).run("x", deps={"user": "ada"})
    assert result.messages[-2].parts[0].content == "ada"  # type: ignore[union-attr]
    assert seen == [1]
    assert "ctx" not in str(model.requests[0].tools[0].parameters)


async def test_run_stream_yields_deltas_tool_results_and_the_end() -> None:
    model = ScriptedModel([ToolCall(name="add", args={"a": 4, "b": 5}), "It is nine."])
    events = [e async for e in Agent(model, tools=[add]).run_stream("4+5?")]
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    assert [r.result.content for r in results] == ["9"]
    text = "".join(e.text for e in events if isinstance(e, TextDeltaEvent))
    assert text == "It is nine."
    assert isinstance(events[-1], RunFinished) and events[-1].result.output == "It is nine."


async def test_run_sync_inside_a_running_loop() -> None:
    agent = Agent(ScriptedModel(["from a nested loop"]))
    assert agent.run_sync("x").output == "from a nested loop"


def test_run_sync_without_a_loop() -> None:
    assert Agent(ScriptedModel(["plain"])).run_sync("x").output == "plain"


async def test_history_continues_a_conversation() -> None:
    agent = Agent(ScriptedModel(["first answer", "second answer"]), instructions="Be brief.")
    first = await agent.run("one")
    second = await agent.run("two", history=first.messages)
    assert [m.role for m in second.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert [m.text for m in second.new_messages()] == ["two", "second answer"]


def test_duplicate_tool_names_are_rejected() -> None:
    from llmkit import ConfigError

    with pytest.raises(ConfigError, match="add"):
        Agent(ScriptedModel([]), tools=[add, add])


def _tool_hungry(request: RecordedRequest) -> Reply:
    """A model that calls `add` whenever tools are on offer (like a weak local model)."""
    settings = request.settings
    if settings is not None and settings.tool_choice == "none":
        return "Done adding."
    if settings is not None and settings.tool_choice == "final_result":
        return ToolCall(name="final_result", args={"total": 7})
    return ToolCall(name="add", args={"a": 1, "b": 2})


async def test_max_tool_rounds_asks_for_the_answer_with_tools_off() -> None:
    model = FunctionModel(_tool_hungry)
    result = await Agent(model, tools=[add], max_tool_rounds=2).run("add forever")
    assert result.output == "Done adding."
    choices = [r.settings.tool_choice if r.settings else None for r in model.requests]
    assert choices == [None, None, "none"]
    with pytest.raises(LimitExceeded, match="max_steps"):  # without it, the model never stops
        await Agent(FunctionModel(_tool_hungry), tools=[add], limits=UsageLimits(max_steps=5)).run(
            "add forever"
        )


async def test_max_tool_rounds_with_structured_output_offers_only_the_output_tool() -> None:
    class Total(BaseModel):
        total: int

    model = FunctionModel(_tool_hungry)
    agent = Agent(model, tools=[add], output_type=Total, max_tool_rounds=1)
    assert (await agent.run("sum")).output == Total(total=7)
    assert [r.settings.tool_choice for r in model.requests if r.settings] == [
        "required",
        "final_result",
    ]


def test_max_tool_rounds_must_not_be_negative() -> None:
    with pytest.raises(ConfigError, match="max_tool_rounds"):
        Agent(ScriptedModel([]), max_tool_rounds=-1)
