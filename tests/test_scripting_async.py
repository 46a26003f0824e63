"""Several bridge calls at once: ``Async.all`` in Lua (coroutines) and JavaScript
(promises), ``Promise.all`` over bridge calls, and ``Async.call_all``."""

from __future__ import annotations

import asyncio
import time

import pytest

from llmkit.scripting import Limits, ScriptRuntimeError, ScriptTimeout, run
from llmkit.tools import tool

DELAY = 0.4


@tool
async def slow(n: int) -> int:
    """Wait a while, then give `n` back."""
    await asyncio.sleep(DELAY)
    return n


def _timed(code: str, engine: str = "lua", **options: object) -> tuple[object, float]:
    started = time.perf_counter()
    value = run(code, engine=engine, tools=[slow], **options).value  # type: ignore[arg-type]
    return value, time.perf_counter() - started


def test_lua_async_all_runs_slow_bridge_calls_at_once_and_keeps_their_order() -> None:
    value, seconds = _timed("""
    return Async.all({
      function() return Tool.call("slow", {n = 1}) end,
      function() return Tool.call("slow", {n = 2}) + Tool.call("slow", {n = 20}) end,
      function() return Tool.call("slow", {n = 3}) end,
      function() return "no call" end,
    })
    """)
    assert value == [1, 22, 3, "no call"]
    # Four slow calls, two rounds: one call's time per round, not one per call.
    assert seconds < 3.5 * DELAY


def test_lua_async_all_takes_functions_as_arguments_too() -> None:
    value, seconds = _timed("""
    local f = function(n) return function() return Tool.call("slow", {n = n}) end end
    return Async.all(f(1), f(2), f(3))
    """)
    assert value == [1, 2, 3]
    assert seconds < 2 * DELAY


@pytest.mark.parametrize("engine", ["lua", "javascript"])
def test_two_agent_runs_in_async_all_run_at_once(engine: str) -> None:
    code = {
        "lua": """
        local function agent(n)
          local model = Test.mock_model({{tool = "slow", args = {n = n}}, "done " .. n})
          return Agent.create{model = model, tools = {"slow"}}
        end
        local a, b = agent(1), agent(2)
        return Async.all(function() return a:run("go") end, function() return b:run("go") end)
        """,
        "javascript": """
        async function agent(n) {
          const model = await Test.mockModel([{tool: "slow", args: {n}}, "done " + n]);
          return Agent.create({model, tools: ["slow"]});
        }
        const [a, b] = [await agent(1), await agent(2)];
        return await Async.all(() => a.run("go"), () => b.run("go"));
        """,
    }[engine]
    value, seconds = _timed(code, engine)
    assert value == ["done 1", "done 2"]
    assert seconds < 1.8 * DELAY


def test_javascript_promise_all_over_bridge_calls_runs_them_at_once() -> None:
    value, seconds = _timed(
        """
        const one = n => Tool.call("slow", {n});
        const chained = async () => (await one(2)) + (await one(20));
        return await Promise.all([one(1), chained(), one(3)]);
        """,
        "javascript",
    )
    assert value == [1, 22, 3]
    assert seconds < 3.5 * DELAY


@pytest.mark.parametrize(
    ("engine", "code"),
    [
        (
            "lua",
            """
            local ok, err = pcall(Async.all,
              function() Tool.call("slow", {n = 1}); error("first") end,
              function() error("second") end,
              function() State.set("finished", Tool.call("slow", {n = 3})) end)
            return {ok, err, State.get("finished")}
            """,
        ),
        (
            "javascript",
            """
            let err;
            try {
              await Async.all(
                async () => { await Tool.call("slow", {n: 1}); throw new Error("first"); },
                async () => { throw new Error("second"); },
                async () => State.set("finished", await Tool.call("slow", {n: 3})));
            } catch (e) { err = e.message; }
            return [false, err, await State.get("finished")];
            """,
        ),
    ],
)
def test_async_all_lets_every_function_finish_then_raises_the_first_error(
    engine: str, code: str
) -> None:
    ok, error, finished = run(code, engine=engine, tools=[slow]).value
    assert ok is False
    assert error.endswith("first")
    assert finished == 3


def test_a_failed_bridge_call_raises_inside_its_own_coroutine() -> None:
    value = run("""
    return Async.all(
      function()
        local ok, err = pcall(JSON.decode, "not json")
        return ok or err:match("^%w+")
      end,
      function() return JSON.decode("[1]")[1] end)
    """).value
    assert value == ["ScriptValueError", 1]


def test_limits_hold_inside_async_all_coroutines() -> None:
    with pytest.raises(ScriptTimeout):
        run(
            """
            Async.all(function() Tool.call("slow", {n = 1}) end,
                      function() pcall(function() while true do end end) end)
            """,
            tools=[slow],
            limits=Limits(timeout=0.3),
        )


def test_script_callbacks_run_while_concurrent_calls_wait() -> None:
    value = run(
        """
    local seen = {}
    local function agent(n)
      local model = Test.mock_model({{tool = "double", args = {n = n}}, "ok " .. n})
      return Agent.create{model = model, tools = {
        {name = "double", description = "Double n", params = {type = "object"},
         fn = function(args) seen[#seen + 1] = args.n * 2; return Tool.call("slow", args) end}}}
    end
    local a, b = agent(1), agent(2)
    local answers = Async.all(function() return a:run("x") end, function() return b:run("y") end)
    table.sort(seen)
    return {answers, seen}
    """,
        tools=[slow],
    ).value
    assert value == [["ok 1", "ok 2"], [2, 4]]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("Async.all(function() end, 42)", "Async.all: item 2 is a number, not a function"),
        ("Async.call_all({{'Nope.nothing', {}}})", "call 1 names no bridge method: 'Nope.nothing'"),
        ("Async.call_all({'JSON.encode'})", "call 1 must be {method, args}"),
    ],
)
def test_bad_async_input_is_refused_with_a_message(code: str, message: str) -> None:
    with pytest.raises(ScriptRuntimeError, match=message.replace("{", r"\{").replace("(", r"\(")):
        run(code)


def test_call_all_fills_nil_arguments_by_position() -> None:
    value = run("""
    local out = Async.call_all({{"Schema.coerce", table.pack("7", {type = "integer"})},
                                {"Tool.list", table.pack(nil)}})
    return {out[1].value, out[2].ok}
    """).value
    assert value == [7, True]
