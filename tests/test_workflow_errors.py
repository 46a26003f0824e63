"""Failures while running: input, expressions, raising and hanging steps, retries."""

from __future__ import annotations

import asyncio

import pytest

from llmkit.workflows import (
    ExpressionError,
    Retry,
    StepTimeout,
    WorkflowBuilder,
    WorkflowFailed,
    WorkflowInputError,
    WorkflowRunner,
    load_workflow,
)


async def test_input_must_match_schema() -> None:
    wf = load_workflow(
        "name: w\ninput_schema: {type: object, required: [topic]}\n"
        "steps: [{id: a, kind: transform, value: 1}]"
    )
    with pytest.raises(WorkflowInputError, match="topic"):
        await WorkflowRunner().run(wf, {})


async def test_expression_error_names_step_and_expression() -> None:
    wf = load_workflow(
        "name: w\nsteps:\n  - {id: ok, kind: transform, value: 1}\n"
        "  - {id: bad, kind: transform, value: '${ sum(input) }', retry: {attempts: 3}}"
    )
    with pytest.raises(WorkflowFailed) as info:
        await WorkflowRunner().run(wf, "text")
    cause = info.value.__cause__
    assert isinstance(cause, ExpressionError)
    assert cause.step_id == "bad" and cause.expression == "${ sum(input) }"
    assert "step 'bad'" in str(info.value)
    # Expression errors are not retried: the same expression fails the same way.
    assert info.value.result.steps["bad"].attempts == 1


async def test_template_undefined_is_an_error() -> None:
    wf = load_workflow("name: w\nsteps: [{id: t, kind: transform, value: '{{ input.nope }}'}]")
    with pytest.raises(WorkflowFailed, match=r"step 't'.*input.nope"):
        await WorkflowRunner().run(wf, {})


async def test_sandbox_blocks_internals() -> None:
    wf = load_workflow(
        "name: w\nsteps: [{id: t, kind: transform, value: '{{ input.__class__.__mro__ }}'}]"
    )
    with pytest.raises(WorkflowFailed, match="step 't'"):
        await WorkflowRunner().run(wf, {})


def _raises() -> None:
    raise RuntimeError("disk on fire")


async def test_step_that_raises() -> None:
    wf = WorkflowBuilder("w").script("burn", "burn").transform("after", 1).build()
    with pytest.raises(WorkflowFailed, match="disk on fire") as info:
        await WorkflowRunner(scripts={"burn": _raises}).run(wf)
    assert info.value.step_id == "burn"
    record = info.value.result.steps["burn"]
    assert record.status == "failed" and "disk on fire" in (record.error or "")
    assert "after" not in info.value.result.steps


async def test_continue_on_error_records_and_goes_on() -> None:
    wf = (
        WorkflowBuilder("w")
        .script("burn", "burn", continue_on_error=True)
        .transform("after", "${ steps.burn }")
        .build()
    )
    result = await WorkflowRunner(scripts={"burn": _raises}).run(wf)
    assert result.steps["burn"].status == "failed"
    assert result.steps["after"].status == "success" and result.output is None


async def test_step_that_hangs_times_out() -> None:
    async def hang() -> None:
        await asyncio.sleep(10)

    wf = WorkflowBuilder("w").script("hang", "hang", timeout=0.05).build()
    with pytest.raises(WorkflowFailed, match=r"timed out after 0.05s") as info:
        await WorkflowRunner(scripts={"hang": hang}).run(wf)
    assert isinstance(info.value.__cause__, StepTimeout)


async def test_retry_then_success() -> None:
    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("try again")
        return "ok"

    wf = (
        WorkflowBuilder("w")
        .script("flaky", "flaky", retry=Retry(attempts=3, delay=0.001, backoff=2))
        .build()
    )
    result = await WorkflowRunner(scripts={"flaky": flaky}).run(wf)
    assert result.output == "ok"
    assert result.steps["flaky"].attempts == 3 and calls == 3


async def test_retries_exhausted() -> None:
    wf = WorkflowBuilder("w").script("burn", "burn", retry=Retry(attempts=2)).build()
    with pytest.raises(WorkflowFailed) as info:
        await WorkflowRunner(scripts={"burn": _raises}).run(wf)
    assert info.value.result.steps["burn"].attempts == 2


async def test_unknown_script_or_tool() -> None:
    wf = WorkflowBuilder("w").tool("t", "nope").build()
    with pytest.raises(WorkflowFailed, match="no tool 'nope'"):
        await WorkflowRunner().run(wf)
