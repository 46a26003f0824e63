"""Workflow and step events on the bus, through `EventHooks` on the runner's hooks."""

from __future__ import annotations

import pytest

from llmkit.events import Event, EventBus
from llmkit.hooks import HookRegistry
from llmkit.hooks.builtin import EventHooks
from llmkit.workflows import WorkflowFailed, WorkflowRunner, load_workflow

WORKFLOW = load_workflow("""
name: numbers
steps:
  - {id: double, kind: script, script: double, input: {n: "${ input.n }"}}
  - {id: show, kind: transform, value: "n={{ steps.double }}"}
""")


def runner_with_events() -> tuple[WorkflowRunner, list[Event]]:
    bus, seen = EventBus(), []
    bus.subscribe("workflow.**", seen.append)
    bus.subscribe("step.**", seen.append)
    hooks = HookRegistry()
    EventHooks(bus).install(hooks)

    def double(n: int) -> int:
        if n < 0:
            raise ValueError("negative")
        return 2 * n

    return WorkflowRunner(scripts={"double": double}, hooks=hooks), seen


async def test_a_run_publishes_its_workflow_and_step_events() -> None:
    runner, seen = runner_with_events()
    result = await runner.run(WORKFLOW, {"n": 21}, run_id="run-7")
    assert result.output == "n=42"
    assert [(e.name, e.payload.get("step")) for e in seen] == [
        ("workflow.run.started", None),
        ("step.started", "double"),
        ("step.completed", "double"),
        ("step.started", "show"),
        ("step.completed", "show"),
        ("workflow.run.completed", None),
    ]
    assert {e.run_id for e in seen} == {"run-7"}
    assert [e.payload["workflow"] for e in seen if e.name.startswith("workflow.")] == [
        "numbers"
    ] * 2
    assert seen[2].payload["output"] == "42" and seen[2].payload["kind"] == "script"


async def test_a_failing_step_publishes_failures() -> None:
    runner, seen = runner_with_events()
    with pytest.raises(WorkflowFailed):
        await runner.run(WORKFLOW, {"n": -1})
    failed = [e for e in seen if e.name.endswith("failed")]
    assert [(e.name, e.severity) for e in failed] == [
        ("step.failed", "error"),
        ("workflow.run.failed", "error"),
    ]
    assert "negative" in failed[0].payload["message"]
