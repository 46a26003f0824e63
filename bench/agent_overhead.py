"""CPU and memory per agent run: one `add(a, b)` tool, the model asks for it, then answers.

    python bench/agent_overhead.py [--runs 5000] [--concurrent 3000]

The model is llmkit's FunctionModel (no network), so the figures are the framework's own
cost: building requests, dispatching the tool, recording messages and usage. Peers measured on
this machine with the same workload (CPU per run, sequential): simonw/llm 0.56 ms, Haystack
1.15, openai-agents 2.43, smolagents 2.49, LangGraph 2.91, pydantic-ai 3.48, griptape 14.0.
Targets: <= 0.25 ms sequential, <= 0.35 ms with 3,000 runs in flight, <= 4 KiB per run in flight,
and five no-op hooks cost <= 5 % over none (one agent whose hooks are swapped between
adjacent blocks of 20 runs: the median of 300 block pairs, so the machine's drift falls on
both sides of each pair). The last lines check that cost stays linear: per model step for runs
of 10 to 1,000 tool-calling steps, and per run for agents with 1 to 1,000 tools.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import tracemalloc

from llmkit.agents import Agent, UsageLimits
from llmkit.hooks import HookContext, HookRegistry
from llmkit.messages import Message, ToolCallPart, Usage
from llmkit.models.base import Model
from llmkit.models.request import ModelResponse
from llmkit.testing import FunctionModel, RecordedRequest, Reply, ToolCall
from llmkit.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def decide(request: RecordedRequest) -> Reply:
    if request.messages[-1].role == "tool":
        return "The answer is 5."
    return ToolCall(name="add", args={"a": 2, "b": 3})


class ForgetfulModel(FunctionModel):
    """FunctionModel keeps every request for tests; a benchmark must not grow with runs."""

    async def request(self, messages, *, tools=(), settings=None):  # type: ignore[no-untyped-def]
        response = await super().request(messages, tools=tools, settings=settings)
        self.requests.clear()
        return response


def noop(ctx: HookContext) -> None:
    """A hook that does nothing: what the hook grid itself costs."""


def five_noop_hooks() -> HookRegistry:
    hooks = HookRegistry()
    for point in (
        "agent.run.start",
        "model.request.before",
        "model.request.after",
        "tool.call.before",
        "agent.run.end",
    ):
        hooks.register(point, noop)
    return hooks


async def sequential(runs: int) -> float:
    agent = Agent(ForgetfulModel(decide), tools=[add])
    for _ in range(100):
        await agent.run("What is 2 + 3?")
    start = time.process_time()
    for _ in range(runs):
        result = await agent.run("What is 2 + 3?")
    assert result.output == "The answer is 5."
    return (time.process_time() - start) / runs


async def hook_ratio(pairs: int = 300, block: int = 20) -> tuple[float, float]:
    """CPU per run with five no-op hooks over the same agent's CPU per run without any, and
    the extra µs per run: medians over adjacent blocks, the registry swapped between them."""
    agent = Agent(ForgetfulModel(decide), tools=[add])
    none, five = HookRegistry(), five_noop_hooks()

    async def block_cpu(hooks: HookRegistry) -> float:
        agent.hooks = hooks
        start = time.process_time()
        for _ in range(block):
            await agent.run("What is 2 + 3?")
        return time.process_time() - start

    for hooks in (none, five, none, five):  # warm both paths
        await block_cpu(hooks)
    ratios, extra = [], []
    for pair in range(pairs):
        if pair % 2:
            plain, hooked = await block_cpu(none), await block_cpu(five)
        else:
            hooked, plain = await block_cpu(five), await block_cpu(none)
        ratios.append(hooked / plain)
        extra.append((hooked - plain) / block)
    return statistics.median(ratios), statistics.median(extra)


async def concurrent(runs: int, *, trace_memory: bool) -> float:
    """CPU per run with `runs` in flight at once, or (traced) peak bytes per run in flight."""
    agent = Agent(ForgetfulModel(decide), tools=[add])
    gate = asyncio.Event()

    async def one() -> str:
        await gate.wait()
        return (await agent.run("What is 2 + 3?")).output

    gc.collect()
    if trace_memory:
        tracemalloc.start()
    tasks = [asyncio.create_task(one()) for _ in range(runs)]
    await asyncio.sleep(0)  # every task is parked at the gate: all runs start together
    start = time.process_time()
    gate.set()
    outputs = await asyncio.gather(*tasks)
    cpu = (time.process_time() - start) / runs
    assert all(o == "The answer is 5." for o in outputs)
    if not trace_memory:
        return cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / runs


class CountingModel(Model):
    """Asks for `add` until it has asked `calls` times, then answers; O(1) work per request,
    unlike the test models, which look at the whole history each time."""

    model_name, provider_name = "counting", "bench"

    def __init__(self, calls: int) -> None:
        self.calls = calls
        self.asked = 0

    async def request(self, messages, *, tools=(), settings=None):  # type: ignore[no-untyped-def]
        if self.asked == self.calls:
            self.asked = 0
            message = Message.assistant("done")
        else:
            self.asked += 1
            call = ToolCallPart(id=f"c{self.asked}", name="add", arguments={"a": 1, "b": 2})
            message = Message(role="assistant", parts=[call])
        return ModelResponse(
            message=message, usage=Usage(requests=1), model_name="counting", provider="bench"
        )

    def stream(self, messages, *, tools=(), settings=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError("the benchmark does not stream")


async def per_step(steps: int) -> float:
    """CPU per model step for a run that calls the tool `steps - 1` times, then answers."""
    agent = Agent(
        CountingModel(steps - 1),
        tools=[add],
        limits=UsageLimits(max_steps=steps, max_tool_calls=steps),
    )
    await agent.run("count")
    start = time.process_time()
    result = await agent.run("count")
    assert result.output == "done"
    return (time.process_time() - start) / steps


async def with_tools(count: int, runs: int = 2000) -> float:
    """CPU per run of the standard workload when the agent has `count` tools."""
    extra = [
        tool(lambda a, b: a - b, name=f"other_{i}", description="Another tool.")
        for i in range(count - 1)
    ]
    agent = Agent(ForgetfulModel(decide), tools=[add, *extra])
    for _ in range(50):
        await agent.run("What is 2 + 3?")
    start = time.process_time()
    for _ in range(runs):
        await agent.run("What is 2 + 3?")
    return (time.process_time() - start) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--concurrent", type=int, default=3000)
    args = parser.parse_args()
    seq = min(asyncio.run(sequential(args.runs)) for _ in range(3))
    hooks_ratio, hooks_cost = asyncio.run(hook_ratio())
    cpu = asyncio.run(concurrent(args.concurrent, trace_memory=False))
    memory = asyncio.run(concurrent(args.concurrent, trace_memory=True))
    print(f"{'figure':<44}{'llmkit':>10}{'target':>10}")
    print(f"{'CPU per run, sequential (ms)':<44}{seq * 1000:>10.3f}{0.25:>10.2f}")
    print(f"{f'CPU per run, {args.concurrent} in flight (ms)':<44}{cpu * 1000:>10.3f}{0.35:>10.2f}")
    print(f"{'memory per run in flight (KiB)':<44}{memory / 1024:>10.2f}{4.0:>10.1f}")
    print(f"{'CPU with five no-op hooks / none':<44}{hooks_ratio:>10.3f}{1.05:>10.2f}")
    print(f"{'CPU of five no-op hooks per run (µs)':<44}{hooks_cost * 1e6:>10.1f}")
    for steps in (10, 100, 1000):
        figure = min(asyncio.run(per_step(steps)) for _ in range(3))
        print(f"{f'CPU per step, {steps}-step run (ms)':<44}{figure * 1000:>10.3f}")
    for count in (1, 10, 100, 1000):
        figure = asyncio.run(with_tools(count))
        print(f"{f'CPU per run, agent with {count} tools (ms)':<44}{figure * 1000:>10.3f}")


if __name__ == "__main__":
    main()
