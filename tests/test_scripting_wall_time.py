"""`Limits.wall_time`: one bound on the whole run, waits on the host included."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from llmkit.errors import ConfigError
from llmkit.scripting import Limits, ScriptTimeout, run
from llmkit.testing import FunctionModel
from llmkit.tools import tool

ENGINES = ("lua", "javascript")
WALL = 0.5
LATE = 2.0  # well before any loop below would end on its own


@tool
async def nap() -> str:
    """Sleep a little, as a slow tool or store would."""
    await asyncio.sleep(0.05)
    return "rested"


@pytest.fixture
def slow_model(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``provider:model`` names resolve to a model that takes 30 s to answer; the list
    records how each call ended."""
    ends: list[str] = []

    async def reply(request: Any) -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            ends.append("cancelled")
            raise
        ends.append("answered")
        return "too late"

    import llmkit.providers.resolve as resolve

    monkeypatch.setattr(resolve, "get_model", lambda name: FunctionModel(reply))
    return ends


def timed(code: str, engine: str, **limits: Any) -> tuple[ScriptTimeout, float]:
    start = time.monotonic()
    with pytest.raises(ScriptTimeout) as caught:
        run(code, engine=engine, tools=[nap], limits=Limits(**limits))
    return caught.value, time.monotonic() - start


def test_wall_time_is_optional_and_checked() -> None:
    assert Limits().wall_time is None
    for bad in (0, -1.0, True, "1"):
        with pytest.raises(ConfigError, match="wall_time"):
            Limits(wall_time=bad)  # type: ignore[arg-type]


LOOPS = {
    "lua": "while true do Tool.call('nap', {}) end",
    "javascript": "for (;;) await Tool.call('nap', {});",
}
BATCHES = {
    "lua": "while true do Async.all({function() Tool.call('nap', {}) end, "
    "function() return Tool.exists('nap') end}) end",
    "javascript": "for (;;) await Promise.all([Tool.call('nap', {}), Tool.exists('nap')]);",
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loops", [LOOPS, BATCHES], ids=["calls", "batches"])
def test_a_loop_of_slow_bridge_calls_stops_at_wall_time(engine: str, loops: dict[str, str]) -> None:
    error, took = timed(loops[engine], engine, timeout=5, wall_time=WALL)
    assert error.limit == "timeout"
    assert error.message.startswith("wall_time:") and "0.5 s" in error.message
    assert WALL <= took < LATE


@pytest.mark.parametrize("engine", ENGINES)
def test_pcall_cannot_catch_the_wall_time(engine: str) -> None:
    code = {
        "lua": "while true do pcall(Tool.call, 'nap', {}) end",
        "javascript": "for (;;) { try { await Tool.call('nap', {}); } catch (e) {} }",
    }[engine]
    error, took = timed(code, engine, timeout=5, wall_time=WALL)
    assert error.limit == "timeout" and took < LATE


SLOW_CALLS = {
    ("lua", "provider"): "return Provider.complete('slow:model', 'hi').text",
    ("javascript", "provider"): "return (await Provider.complete('slow:model', 'hi')).text;",
    ("lua", "agent"): "return Agent.create{model = 'slow:model'}:run('hi')",
    ("javascript", "agent"): (
        "const agent = await Agent.create({model: 'slow:model'}); return await agent.run('hi');"
    ),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("through", ["provider", "agent"])
def test_a_slow_model_call_is_cancelled_at_wall_time(
    engine: str, through: str, slow_model: list[str]
) -> None:
    error, took = timed(SLOW_CALLS[engine, through], engine, timeout=5, wall_time=WALL)
    assert error.message.startswith("wall_time:")
    assert WALL <= took < LATE
    assert slow_model == ["cancelled"]  # the host task did not run on


@pytest.mark.parametrize("engine", ENGINES)
def test_a_script_callback_during_a_host_wait_stops_at_wall_time(engine: str) -> None:
    """An agent calls a script tool that never returns: its fresh `timeout` clock would
    allow 5 s, the run's wall time does not."""
    code = {
        "lua": """
            local model = Test.mock_model({{tool = "spin", args = {}}, "done"})
            local agent = Agent.create{model = model, tools = {
              {name = "spin", description = "spins", fn = function() while true do end end}}}
            return agent:run("go")
        """,
        "javascript": """
            const model = await Test.mockModel([{tool: "spin", args: {}}, "done"]);
            const agent = await Agent.create({model, tools: [
              {name: "spin", description: "spins", fn: () => { for (;;) {} }}]});
            return await agent.run("go");
        """,
    }[engine]
    error, took = timed(code, engine, timeout=5, wall_time=WALL)
    assert error.limit == "timeout"
    assert took < LATE


@pytest.mark.parametrize("engine", ENGINES)
def test_timeout_alone_still_leaves_out_host_waits(engine: str) -> None:
    code = {
        "lua": "for i = 1, 8 do Tool.call('nap', {}) end return 'ok'",
        "javascript": "for (let i = 0; i < 8; i++) await Tool.call('nap', {}); return 'ok';",
    }[engine]
    result = run(code, engine=engine, tools=[nap], limits=Limits(timeout=0.2))
    assert result.value == "ok"  # 8 x 50 ms of waiting, twice the timeout


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_within_its_wall_time_ends_normally_and_later_calls_get_their_own(
    engine: str,
) -> None:
    from llmkit.scripting import load_script

    code = {
        "lua": "function again() Tool.call('nap', {}) return 'again' end "
        "Tool.call('nap', {}) return 'ok'",
        "javascript": "globalThis.again = async () => { await Tool.call('nap', {}); "
        "return 'again'; }; await Tool.call('nap', {}); return 'ok';",
    }[engine]

    async def go() -> list[Any]:
        script = await load_script(code, engine=engine, tools=[nap], limits=Limits(wall_time=0.3))
        async with script:
            values = [script.value]
            for _ in range(3):  # 3 x 50 ms of napping after a run that took about as long
                values.append(await script.call("again"))
                await asyncio.sleep(0.1)
            return values

    assert asyncio.run(go()) == ["ok", "again", "again", "again"]


@pytest.mark.parametrize(
    ("engine", "code"),
    [
        ("lua", 'for _ = 1, 6 do Tool.call("nap", {}) end\nwhile true do end'),
        ("javascript", 'for (let i = 0; i < 6; i++) await Tool.call("nap", {});\nfor (;;) {}'),
    ],
)
def test_a_wall_stop_while_the_script_itself_runs_names_wall_time(engine: str, code: str) -> None:
    # 0.3 s of host waits, then a busy loop: the wall deadline falls inside the script's own
    # time, long before its 10 s `timeout`; the message must say which limit stopped it.
    error, took = timed(code, engine, timeout=10, wall_time=WALL)
    assert took < LATE
    assert str(error).startswith("wall_time") or "wall_time:" in str(error)
