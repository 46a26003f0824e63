"""Approval steps: pause a durable run, decide later (even from another process), resume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmkit.storage import open_checkpoint_store
from llmkit.workflows import (
    ApprovalDecision,
    ApprovalError,
    ApprovalRejected,
    ApprovalStep,
    CheckpointStore,
    RunCancelled,
    WorkflowBuilder,
    WorkflowDefinitionError,
    WorkflowFailed,
    WorkflowRunner,
    load_workflow,
    parse_workflow,
    resume,
    run_durable,
    to_mermaid,
    workflow_to_dict,
)

from .conftest import StoreTarget

REVIEW = """
name: review
steps:
  - {id: draft, kind: script, script: write, input: {topic: "${ input.topic }"}}
  - id: ok
    kind: approval
    prompt: "Publish '{{ steps.draft }}'?"
    options: [publish, hold]
  - {id: final, kind: transform, value: {choice: "${ steps.ok.value }", text: "${ steps.draft }"}}
"""


def _runner(calls: list[str]) -> WorkflowRunner:
    def write(topic: str) -> str:
        calls.append(topic)
        return f"notes on {topic}"

    return WorkflowRunner(scripts={"write": write})


async def test_pause_then_approve_continues_with_the_value(store_target: StoreTarget) -> None:
    calls: list[str] = []
    runner, workflow = _runner(calls), load_workflow(REVIEW)
    async with open_checkpoint_store(store_target("a")) as store:
        paused = await run_durable(runner, workflow, {"topic": "llamas"}, store, "r")
        assert paused.paused is not None and paused.output is None
        assert paused.paused.step_id == "ok"
        assert paused.paused.prompt == "Publish 'notes on llamas'?"
        assert paused.paused.options == ["publish", "hold"]
        assert paused.state["draft"] == "notes on llamas"
        info = await store.get_run("r")
        assert info.status == "paused" and info.pending == paused.paused
        [summary] = await store.list_runs(status="paused")
        assert summary.waiting_on == "ok"

        done = await resume(runner, None, store, "r", decision=ApprovalDecision.approve("publish"))
        assert done.paused is None
        assert done.output == {"choice": "publish", "text": "notes on llamas"}
        assert done.state["ok"] == {"approved": True, "value": "publish"}
        info = await store.get_run("r")
        assert info.status == "completed" and info.pending is None
    assert calls == ["llamas"]  # the finished step before the pause did not run again


async def test_reject_fails_the_step_with_a_typed_error(store_target: StoreTarget) -> None:
    runner, workflow = _runner([]), load_workflow(REVIEW)
    async with open_checkpoint_store(store_target("r")) as store:
        await run_durable(runner, workflow, {"topic": "x"}, store, "r")
        with pytest.raises(WorkflowFailed) as info:
            await resume(
                runner, workflow, store, "r", decision=ApprovalDecision.reject("too short")
            )
        cause = info.value.__cause__
        assert isinstance(cause, ApprovalRejected)
        assert (cause.step_id, cause.reason) == ("ok", "too short")
        assert info.value.result.steps["ok"].status == "failed"
        run = await store.get_run("r")
        assert run.status == "failed" and run.error and "too short" in run.error
        # Approvals have no effects, so a failed run resumed asks again.
        again = await resume(runner, workflow, store, "r")
        assert again.paused is not None and again.paused.step_id == "ok"


async def test_rejection_with_continue_on_error_carries_on(store_target: StoreTarget) -> None:
    workflow = (
        WorkflowBuilder("gate")
        .approval("ok", "Go?", continue_on_error=True)
        .transform("after", "${ steps.ok }")
        .build()
    )
    runner = WorkflowRunner()
    async with open_checkpoint_store(store_target("c")) as store:
        await run_durable(runner, workflow, None, store, "r")
        done = await resume(runner, workflow, store, "r", decision=ApprovalDecision.reject())
    assert done.output is None and done.steps["ok"].status == "failed"


async def test_bad_or_missing_decisions_leave_the_run_paused(store_target: StoreTarget) -> None:
    workflow = (
        WorkflowBuilder("budget")
        .approval("amount", "How much?", schema={"type": "integer", "minimum": 1})
        .build()
    )
    runner = WorkflowRunner()
    async with open_checkpoint_store(store_target("b")) as store:
        await run_durable(runner, workflow, None, store, "r")
        with pytest.raises(ApprovalError, match="paused at approval step 'amount'"):
            await resume(runner, workflow, store, "r")
        with pytest.raises(ApprovalError, match="does not match"):
            await resume(runner, workflow, store, "r", decision=ApprovalDecision.approve(0))
        with pytest.raises(ApprovalError, match="not JSON"):
            await resume(runner, workflow, store, "r", decision=ApprovalDecision.approve({1, 2}))
        assert (await store.get_run("r")).status == "paused"
        done = await resume(runner, workflow, store, "r", decision=ApprovalDecision.approve(5))
        assert done.output == {"approved": True, "value": 5}
        with pytest.raises(ApprovalError, match="is completed, not paused"):
            await resume(runner, workflow, store, "r", decision=ApprovalDecision.approve(5))


async def test_cancelled_paused_run_cannot_be_resumed(store_target: StoreTarget) -> None:
    workflow = load_workflow(REVIEW)
    runner = _runner([])
    async with open_checkpoint_store(store_target("x")) as store:
        await run_durable(runner, workflow, {"topic": "t"}, store, "r")
        assert await store.cancel("r") == "paused"
        with pytest.raises(RunCancelled, match="cannot be resumed"):
            await resume(runner, workflow, store, "r", decision=ApprovalDecision.approve("hold"))
        assert (await store.get_run("r")).pending is None


async def test_plain_run_refuses_an_approval_step() -> None:
    workflow = WorkflowBuilder("w").approval("ok", "Go?").build()
    with pytest.raises(WorkflowFailed) as info:
        await WorkflowRunner().run(workflow)
    assert isinstance(info.value.__cause__, ApprovalError)
    assert "needs a durable run" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "steps: [{id: l, kind: loop, for: 2, steps: [{id: a, kind: approval, prompt: p}]}]",
            "step 'a', field 'kind': approval steps must be top-level",
        ),
        (
            "steps: [{id: a, kind: approval, prompt: p, retry: {attempts: 2}}]",
            "retry does not apply",
        ),
        ("steps: [{id: a, kind: approval, prompt: p, options: []}]", "at least one option"),
        (
            "steps: [{id: a, kind: approval, prompt: p, options: [x], schema: {type: string}}]",
            "options or schema, not both",
        ),
        ("steps: [{id: a, kind: approval, prompt: '{{ steps.b }}'}]", "refers to step 'b'"),
        ("steps: [{id: a, kind: approval, prompt: p, options: x}]", "expected a list"),
        ("steps: [{id: a, kind: approval}]", "field 'prompt': missing required field"),
    ],
)
def test_invalid_approval_definitions(text: str, message: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=message):
        load_workflow(f"name: w\n{text}")


def test_definition_round_trips_and_draws_as_a_hexagon() -> None:
    workflow = load_workflow(REVIEW)
    step = workflow.steps[1]
    assert isinstance(step, ApprovalStep) and step.options == ["publish", "hold"]
    assert parse_workflow(workflow_to_dict(workflow)) == workflow
    assert 'ok{{"ok<br/>approval"}}' in to_mermaid(workflow)


CHILD = """
import asyncio, sys
from llmkit.workflows import CheckpointStore, WorkflowRunner, load_workflow, run_durable

async def main():
    async with CheckpointStore(sys.argv[1]) as store:
        result = await run_durable(
            WorkflowRunner(scripts={"write": lambda topic: "notes on " + topic}),
            load_workflow(sys.argv[2]), {"topic": "otters"}, store, "r",
        )
    print(result.paused.step_id)

asyncio.run(main())
"""


def _pause_in_child(db: Path, source: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (child.returncode, child.stdout) == (0, "ok\n"), child.stderr


async def test_pause_survives_the_process(tmp_path: Path) -> None:
    source = tmp_path / "review.yaml"
    source.write_text(REVIEW)
    _pause_in_child(tmp_path / "p.db", source)
    calls: list[Any] = []
    async with CheckpointStore(tmp_path / "p.db") as store:
        decision = ApprovalDecision.approve("hold")
        done = await resume(_runner(calls), None, store, "r", decision=decision)
    assert done.output == {"choice": "hold", "text": "notes on otters"}
    assert calls == []  # the draft came from the dead process's checkpoint
