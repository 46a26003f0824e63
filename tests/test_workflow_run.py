"""Running workflows: every step kind, concurrency limits, parallel modes, hooks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llmkit.agents import Agent
from llmkit.hooks import HookContext, HookRegistry
from llmkit.testing import ScriptedModel
from llmkit.tools import ToolRegistry, tool
from llmkit.workflows import (
    WorkflowFailed,
    WorkflowRunner,
    load_workflow,
    to_mermaid,
)

PIPELINE = """
name: pipeline
input_schema:
  type: object
  required: [topic, words]
  properties:
    topic: {type: string}
    words: {type: array, items: {type: string}}
output: "${ {summary: steps.summarize, shout: steps.shout, count: state.counter} }"
steps:
  - id: search
    kind: tool
    tool: search
    input: {query: "${ input.topic }"}
  - id: shout
    kind: script
    script: upper
    input: {text: "Topic {{ input.topic }}"}
  - id: pick
    kind: conditional
    if: "length(steps.search) > `1`"
    then:
      - {id: many, kind: transform, value: many}
    else:
      - {id: few, kind: transform, value: few}
  - id: count_up
    kind: loop
    while: "(state.counter || `0`) < `3`"
    steps:
      - id: bump
        kind: transform
        output: counter
        value: "${ sum([state.counter || `0`, `1`]) }"
  - id: lengths
    kind: loop
    foreach: "${ input.words }"
    steps:
      - {id: word_len, kind: transform, value: "${ length(item) }"}
  - id: summarize
    kind: agent
    agent: writer
    prompt: "Summarize {{ input.topic }} from {{ steps.search | length }} results"
"""


@tool
def search(query: str) -> list[str]:
    """Find pages."""
    return [f"{query} 1", f"{query} 2"]


def upper(text: str) -> str:
    return text.upper()


async def test_pipeline_runs_every_simple_kind() -> None:
    model = ScriptedModel(["summary"])
    runner = WorkflowRunner(
        tools=ToolRegistry([search]),
        agents={"writer": Agent(model)},
        scripts={"upper": upper},
    )
    result = await runner.run(load_workflow(PIPELINE), {"topic": "cats", "words": ["a", "bb"]})
    assert result.output == {"summary": "summary", "shout": "TOPIC CATS", "count": 3}
    assert result.state["pick"] == "many"
    assert result.state["lengths"] == [1, 2]
    assert result.state["count_up"] == [1, 2, 3]
    assert "few" not in result.steps
    assert result.steps["search"].status == "success"
    assert result.steps["search"].attempts == 1
    assert "Summarize cats from 2 results" in str(model.requests[0].messages)


async def test_loop_max_iterations_is_enforced() -> None:
    wf = load_workflow(
        """
name: forever
steps:
  - id: spin
    kind: loop
    while: "`true`"
    max_iterations: 5
    steps: [{id: tick, kind: transform, value: 1}]
"""
    )
    with pytest.raises(WorkflowFailed, match="max_iterations=5") as info:
        await WorkflowRunner().run(wf)
    assert info.value.step_id == "spin"


async def test_for_range_loop() -> None:
    wf = load_workflow(
        """
name: count
steps:
  - id: squares
    kind: loop
    for: 4
    steps: [{id: sq, kind: transform, value: "${ index }"}]
"""
    )
    assert (await WorkflowRunner().run(wf)).output == [0, 1, 2, 3]


async def test_map_respects_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def work(n: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return n * 10

    wf = load_workflow(
        """
name: mapped
steps:
  - id: each
    kind: map
    over: input
    item: n
    concurrency: 2
    steps:
      - {id: work, kind: script, script: work, input: {n: "${ n }"}}
"""
    )
    result = await WorkflowRunner(scripts={"work": work}).run(wf, [1, 2, 3, 4, 5])
    assert result.output == [10, 20, 30, 40, 50]
    assert peak == 2
    assert result.steps["each[4].work"].output == 50


PARALLEL = """
name: fan
steps:
  - id: both
    kind: parallel
    fail_fast: {fail_fast}
    branches:
      - {{id: boom, kind: script, script: boom}}
      - {{id: slow, kind: script, script: slow}}
"""


async def _boom() -> None:
    await asyncio.sleep(0.01)
    raise ValueError("kaput")


async def _slow() -> str:
    await asyncio.sleep(0.1)
    return "done"


async def test_parallel_fail_fast_cancels_siblings() -> None:
    runner = WorkflowRunner(scripts={"boom": _boom, "slow": _slow})
    with pytest.raises(WorkflowFailed, match="kaput") as info:
        await runner.run(load_workflow(PARALLEL.format(fail_fast="true")))
    steps = info.value.result.steps
    assert steps["boom"].status == "failed"
    assert steps["slow"].status == "cancelled"
    assert steps["both"].status == "failed"


async def test_parallel_collect_lets_siblings_finish() -> None:
    runner = WorkflowRunner(scripts={"boom": _boom, "slow": _slow})
    with pytest.raises(WorkflowFailed, match=r"1 branch\(es\) failed") as info:
        await runner.run(load_workflow(PARALLEL.format(fail_fast="false")))
    assert info.value.result.steps["slow"].status == "success"
    assert info.value.result.steps["slow"].output == "done"


async def test_parallel_output_maps_branch_ids() -> None:
    wf = load_workflow(
        """
name: fan
steps:
  - id: both
    kind: parallel
    max_concurrency: 1
    branches:
      - {id: a, kind: transform, value: 1}
      - {id: b, kind: transform, value: 2}
  - {id: after, kind: transform, value: "${ sum([steps.a, steps.b]) }"}
"""
    )
    result = await WorkflowRunner().run(wf)
    assert result.state["both"] == {"a": 1, "b": 2}
    assert result.output == 3


async def test_sub_workflow_runs_with_its_input() -> None:
    child = load_workflow(
        """
name: greet
input_schema: {type: object, required: [who]}
output: steps.hello
steps:
  - {id: hello, kind: transform, value: "Hello {{ input.who }}"}
"""
    )
    parent = load_workflow(
        """
name: parent
steps:
  - {id: call, kind: workflow, workflow: greet, input: {who: "${ input }"}}
""",
        workflows={"greet": child},
    )
    result = await WorkflowRunner(workflows={"greet": child}).run(parent, "Ada")
    assert result.output == "Hello Ada"
    assert result.steps["call.hello"].status == "success"


async def test_hooks_fire_for_workflow_and_steps() -> None:
    hooks = HookRegistry()
    seen: list[str] = []
    hooks.register("workflow.start", lambda c: seen.append("wf.start"))
    hooks.register("workflow.end", lambda c: seen.append(f"wf.end={c.value}"))
    hooks.register("step.start", lambda c: seen.append(f"start {c.metadata['step']}"))
    hooks.register("step.end", lambda c: seen.append(f"end {c.metadata['step']}"))
    wf = load_workflow(
        """
name: hooked
steps:
  - {id: one, kind: transform, value: 1}
  - id: group
    kind: sequential
    steps: [{id: two, kind: transform, value: 2}]
"""
    )
    await WorkflowRunner(hooks=hooks).run(wf)
    assert seen == [
        "wf.start",
        "start one",
        "end one",
        "start group",
        "start two",
        "end two",
        "end group",
        "wf.end=2",
    ]


async def test_error_hooks_fire() -> None:
    hooks = HookRegistry()
    errors: list[Any] = []

    def record(ctx: HookContext) -> None:
        errors.append((ctx.point, ctx.metadata.get("step")))

    hooks.register("step.error", record)
    hooks.register("workflow.error", record)
    runner = WorkflowRunner(scripts={"boom": _boom}, hooks=hooks)
    wf = load_workflow("name: w\nsteps: [{id: b, kind: script, script: boom}]")
    with pytest.raises(WorkflowFailed):
        await runner.run(wf)
    assert errors == [("step.error", "b"), ("workflow.error", None)]


def test_mermaid_names_every_step() -> None:
    text = to_mermaid(load_workflow(PIPELINE))
    assert text.startswith("flowchart TD")
    for step_id in ("search", "shout", "pick", "many", "few", "count_up", "bump", "summarize"):
        assert f"{step_id}[" in text
    assert "-->|then| many" in text
