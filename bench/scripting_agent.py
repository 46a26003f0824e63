"""CPU of an agent run driven from a script against the same run from Python.

    python bench/scripting.py --engine agent [--runs 300] [--repeat 5]

The same agent each time: a `ScriptedModel` that asks for the host tool `add`, then
answers; Python builds it once (`Agent`, with replies for every run) and runs it `--runs`
times with `Agent.run`, a Lua or JavaScript script the same with `Agent.create` and
`agent:run` (one script runs all of them, so the script's own start is shared). Both sides
do the same work: one build, then the runs. Target: a script-driven run costs <= 1.5x the
CPU of the Python one.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from llmkit.agents import Agent
from llmkit.scripting import HostSession, Limits, run_async
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool

LIMITS = Limits(timeout=600, bridge_calls=10**9)
ANSWER = "It is 5."

LUA = """
local replies = {}
for i = 1, ARGS[1] do
  replies[#replies + 1] = {tool = "add", args = {a = 2, b = 3}}
  replies[#replies + 1] = "It is 5."
end
local agent = Agent.create{model = Test.mock_model(replies), tools = {"add"}}
for i = 1, ARGS[1] do
  assert(agent:run("What is 2 + 3?") == "It is 5.")
end
"""

JAVASCRIPT = """
const replies = [];
for (let i = 0; i < ARGS[0]; i++) replies.push({tool: "add", args: {a: 2, b: 3}}, "It is 5.");
const agent = await Agent.create({model: await Test.mockModel(replies), tools: ["add"]});
for (let i = 0; i < ARGS[0]; i++) assert((await agent.run("What is 2 + 3?")) === "It is 5.");
"""


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def from_python(runs: int) -> float:
    """CPU seconds per agent run built and run from Python."""
    start = time.process_time()
    model = ScriptedModel([ToolCall(name="add", args={"a": 2, "b": 3}), ANSWER] * runs)
    agent = Agent(model, tools=[add])
    for _ in range(runs):
        result = await agent.run("What is 2 + 3?")
        assert result.output == ANSWER
    return (time.process_time() - start) / runs


async def from_script(engine: str, runs: int) -> float:
    """CPU seconds per agent run driven from a script in `engine`."""
    code = LUA if engine == "lua" else JAVASCRIPT
    start = time.process_time()
    await run_async(code, engine=engine, args=[runs], tools=[add], limits=LIMITS)
    return (time.process_time() - start) / runs


async def crossing(count: int) -> float:
    """CPU seconds of one script-to-host crossing with nothing to do: an engine-like thread
    hands an empty coroutine to the host loop and waits for it (`HostSession.await_host`),
    what `agent:run` pays on top of the run itself."""

    async def nothing() -> None:
        return None

    session = HostSession(engine="lua", limits=LIMITS, loop=asyncio.get_running_loop())
    with ThreadPoolExecutor(1) as thread:

        def cross(n: int) -> None:
            for _ in range(n):
                session.await_host(nothing())

        await asyncio.wrap_future(thread.submit(cross, 100))
        start = time.process_time()
        await asyncio.wrap_future(thread.submit(cross, count))
        return (time.process_time() - start) / count


def bench_agent(args: argparse.Namespace) -> None:
    """Print the CPU per agent run from Python, Lua and JavaScript (best of `repeat`)."""

    async def measure() -> None:
        await from_script("lua", 10)  # warm the engines and imports
        await from_script("javascript", 10)
        python = min([await from_python(args.runs) for _ in range(args.repeat)])
        print(f"agent run from Python            {python * 1e6:8.1f} µs CPU")
        hop = min([await crossing(args.runs * 4) for _ in range(args.repeat)])
        print(
            f"one crossing to the host and back {hop * 1e6:7.1f} µs CPU = "
            f"{hop / python:4.2f}x the Python run"
        )
        for engine in ("lua", "javascript"):
            script = min([await from_script(engine, args.runs) for _ in range(args.repeat)])
            print(
                f"agent run from {engine:<17} {script * 1e6:8.1f} µs CPU = "
                f"{script / python:4.2f}x Python (target <= 1.5)"
            )

    asyncio.run(measure())
