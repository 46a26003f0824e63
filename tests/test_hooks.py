"""Hooks fire at every agent stage and change what happens: tested by their effects."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest

from llmkit import Message, ServerError
from llmkit.agents import Agent
from llmkit.hooks import (
    Cancel,
    HookCancelled,
    HookContext,
    HookError,
    HookRegistry,
    Modify,
    Retry,
    Skip,
)
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool

calls: list[tuple[int, int]] = []


@tool
def add(a: int, b: int) -> int:
    """Add."""
    calls.append((a, b))
    return a + b


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


def tool_then_answer() -> ScriptedModel:
    return ScriptedModel([ToolCall(name="add", args={"a": 2, "b": 3}), "five"])


async def test_every_agent_point_fires_in_order() -> None:
    hooks = HookRegistry()
    seen: list[str] = []
    for point in [
        "agent.run.start",
        "model.request.before",
        "model.request.after",
        "tool.call.before",
        "tool.call.after",
        "agent.run.end",
    ]:
        hooks.register(point, lambda ctx: seen.append(ctx.point))
    await Agent(tool_then_answer(), tools=[add], hooks=hooks, name="a").run("2+3?")
    assert seen == [
        "agent.run.start",
        "model.request.before",
        "model.request.after",
        "tool.call.before",
        "tool.call.after",
        "model.request.before",
        "model.request.after",
        "agent.run.end",
    ]


async def test_modify_changes_what_the_model_receives() -> None:
    hooks = HookRegistry()

    @hooks.on("model.request.before")
    def redact(ctx: HookContext) -> Modify:
        return Modify([*ctx.value[:-1], Message.user("[redacted]")])

    model = ScriptedModel(["ok"])
    result = await Agent(model, hooks=hooks).run("my password is hunter2")
    assert model.requests[0].messages[-1].text == "[redacted]"
    assert result.messages[0].text == "my password is hunter2"  # history keeps the original


async def test_skip_returns_a_value_without_calling_the_model() -> None:
    hooks = HookRegistry()
    hooks.register("model.request.before", lambda ctx: Skip("from the cache"))
    model = ScriptedModel([])
    result = await Agent(model, hooks=hooks).run("x")
    assert result.output == "from the cache"
    assert model.requests == []


async def test_retry_on_model_errors() -> None:
    hooks = HookRegistry()
    attempts: list[int] = []

    @hooks.on("model.request.error")
    def again(ctx: HookContext) -> Retry:
        attempts.append(ctx.attempt)
        return Retry(delay=0, attempts=2)

    model = ScriptedModel([ServerError("busy"), ServerError("busy"), "finally"])
    result = await Agent(model, hooks=hooks).run("x")
    assert result.output == "finally" and attempts == [0, 1]
    failing = ScriptedModel([ServerError("busy")] * 5)
    with pytest.raises(ServerError):
        await Agent(failing, hooks=hooks).run("x")
    assert len(failing.requests) == 3  # the first try and two retries


async def test_tool_hooks_modify_skip_and_cancel() -> None:
    hooks = HookRegistry()
    hooks.register("tool.call.before", lambda ctx: Modify({**ctx.value, "b": 40}), tool="add")
    hooks.register("tool.call.after", lambda ctx: Modify(ctx.value * 10))
    model = tool_then_answer()
    await Agent(model, tools=[add], hooks=hooks).run("x")
    assert calls == [(2, 40)]
    assert model.requests[1].messages[-1].parts[0].content == "420"  # type: ignore[union-attr]

    skipping = HookRegistry()
    skipping.register("tool.call.before", lambda ctx: Skip(99))
    model = tool_then_answer()
    await Agent(model, tools=[add], hooks=skipping).run("x")
    assert calls == [(2, 40)]  # not called again
    assert model.requests[1].messages[-1].parts[0].content == "99"  # type: ignore[union-attr]

    cancelling = HookRegistry()
    cancelling.register("tool.call.before", lambda ctx: Cancel("not today"))
    with pytest.raises(HookCancelled, match="not today"):
        await Agent(tool_then_answer(), tools=[add], hooks=cancelling).run("x")


async def test_tool_error_retry_and_skip() -> None:
    flaky_calls = 0

    @tool
    def flaky() -> str:
        """Fails twice."""
        nonlocal flaky_calls
        flaky_calls += 1
        if flaky_calls < 3:
            raise RuntimeError("glitch")
        return "worked"

    hooks = HookRegistry()
    hooks.register("tool.call.error", lambda ctx: Retry(attempts=5))
    model = ScriptedModel([ToolCall(name="flaky"), "done"])
    await Agent(model, tools=[flaky], hooks=hooks).run("x")
    assert flaky_calls == 3
    assert model.requests[1].messages[-1].parts[0].content == "worked"  # type: ignore[union-attr]


async def test_filters_priorities_and_async_hooks() -> None:
    hooks = HookRegistry()
    order: list[str] = []

    async def low(ctx: HookContext) -> None:
        order.append("low")

    hooks.register("tool.call.before", low, priority=-5)
    hooks.register("tool.call.before", lambda ctx: order.append("high"), priority=10)
    hooks.register("tool.call.before", lambda ctx: order.append("other tool"), tool="sub")
    hooks.register("tool.call.before", lambda ctx: order.append("agent b"), agent="b")
    hooks.register(
        "tool.call.before",
        lambda ctx: order.append("when"),
        when=lambda ctx: ctx.value.get("a") == 2,
    )
    await Agent(tool_then_answer(), tools=[add], hooks=hooks, name="a").run("x")
    assert order == ["high", "when", "low"]


async def test_run_end_can_change_the_output_and_errors_are_observed() -> None:
    hooks = HookRegistry()
    hooks.register(
        "agent.run.end",
        lambda ctx: Modify(
            type(ctx.value)(
                **{
                    **{f: getattr(ctx.value, f) for f in ctx.value.__dataclass_fields__},
                    "output": ctx.value.output.upper(),
                }
            )
        ),
    )
    errors: list[str] = []
    hooks.register("agent.run.error", lambda ctx: errors.append(type(ctx.value).__name__))
    assert (await Agent(ScriptedModel(["quiet"]), hooks=hooks).run("x")).output == "QUIET"
    with pytest.raises(ServerError):
        await Agent(ScriptedModel([ServerError("down")]), hooks=hooks).run("x")
    assert errors == ["ServerError"]


async def test_a_failing_hook_is_isolated_then_disabled(caplog: pytest.LogCaptureFixture) -> None:
    hooks = HookRegistry(breaker_threshold=2)
    broken_calls = 0

    def broken(ctx: HookContext) -> None:
        nonlocal broken_calls
        broken_calls += 1
        raise ValueError("hook bug")

    handle = hooks.register("model.request.before", broken)
    with caplog.at_level(logging.WARNING, logger="llmkit.hooks"):
        for _ in range(3):
            assert (await Agent(ScriptedModel(["fine"]), hooks=hooks).run("x")).output == "fine"
    assert broken_calls == 2 and handle.disabled
    assert "disabled after 2 failures" in caplog.text


async def test_a_critical_hook_stops_the_run() -> None:
    hooks = HookRegistry()

    def guard(ctx: HookContext) -> None:
        raise PermissionError("audit log unavailable")

    hooks.register("tool.call.before", guard, critical=True)
    with pytest.raises(HookError, match="audit log unavailable"):
        await Agent(tool_then_answer(), tools=[add], hooks=hooks).run("x")
    assert calls == []


def test_bad_registrations() -> None:
    from llmkit import ConfigError

    hooks = HookRegistry()
    with pytest.raises(ConfigError, match="dotted"):
        hooks.register("Not A Point", lambda ctx: None)
    with pytest.raises(ConfigError, match="not callable"):
        hooks.register("tool.call.before", "nope")  # type: ignore[arg-type]
    handle = hooks.register("custom.point", lambda ctx: None)
    assert hooks.list("custom.point") == [handle]
    hooks.unregister(handle)
    assert not hooks.has("custom.point")


async def test_memory_hooks_see_and_change_what_is_loaded_and_saved(tmp_path: object) -> None:
    from pathlib import Path

    from llmkit.memory import Conversation, ConversationStore

    hooks = HookRegistry()
    hooks.register("memory.save", lambda ctx: Modify([m for m in ctx.value if m.role != "user"]))
    loaded: list[int] = []
    hooks.register("memory.load", lambda ctx: loaded.append(len(ctx.value)))
    async with ConversationStore(Path(str(tmp_path)) / "m.db") as store:
        chat = Conversation(store, "c")
        agent = Agent(ScriptedModel(["one", "two"]), hooks=hooks)
        await agent.run("secret question", conversation=chat)
        await agent.run("again", conversation=chat)
        assert [m.text for m in await chat.messages()] == ["one", "two"]  # questions not saved
    assert loaded == [0, 1]


async def test_run_sync_needs_no_await_until_a_hook_is_async() -> None:
    hooks = HookRegistry()
    seen: list[str] = []

    def double(ctx: HookContext) -> Modify:
        seen.append("double")
        return Modify(ctx.value * 2)

    async def add_one(ctx: HookContext) -> Modify:
        seen.append("add_one")
        return Modify(ctx.value + 1)

    def wrapped(ctx: HookContext) -> Any:  # a sync function handing back a coroutine
        seen.append("wrapped")
        return add_one(ctx)

    hooks.register("custom.point", double, priority=3)
    ctx = HookContext(point="custom.point", value=5)
    assert hooks.run_sync(ctx) is None and ctx.value == 10  # all sync: decided at once

    hooks.register("custom.point", add_one, priority=2)
    hooks.register("custom.point", wrapped, priority=1)
    hooks.register("custom.point", lambda ctx: Skip(ctx.value), priority=0)
    ctx = HookContext(point="custom.point", value=5)
    pending = hooks.run_sync(ctx)
    assert inspect.iscoroutine(pending)  # an async hook: the rest is awaited, in order
    decided = await pending
    assert isinstance(decided, Skip) and decided.value == 12 and ctx.value == 12
    assert seen == ["double", "double", "add_one", "wrapped", "add_one"]
    assert await hooks.run(HookContext(point="custom.point", value=1)) == Skip(4)


@pytest.mark.parametrize("alone", [True, False])
async def test_a_lone_hook_decides_as_one_among_others(alone: bool) -> None:
    """A point with a single hook takes a shorter path; it must mean the same."""

    async def later(ctx: HookContext) -> Modify:
        return Modify([*ctx.value, "async"])

    cases: list[tuple[Any, Any, Any]] = [
        (lambda ctx: Modify([*ctx.value, "sync"]), None, ["start", "sync"]),
        (lambda ctx: Skip("cached"), Skip("cached"), ["start"]),
        (later, None, ["start", "async"]),
        (lambda ctx: later(ctx), None, ["start", "async"]),  # sync, returns an awaitable
        (lambda ctx: 42, None, ["start"]),  # not a hook result: logged, ignored
    ]
    for fn, decided, value in cases:
        hooks = HookRegistry()
        hooks.register("custom.point", fn, priority=1)
        if not alone:
            hooks.register("custom.point", lambda ctx: None)
        ctx = HookContext(point="custom.point", value=["start"])
        assert await hooks.run(ctx) == decided
        assert ctx.value == value
    filtered = HookRegistry()
    filtered.register("custom.point", lambda ctx: Skip("no"), tool="other")
    assert await filtered.run(HookContext(point="custom.point", tool="add")) is None
