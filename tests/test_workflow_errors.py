"""Failures while running: input, expressions, raising and hanging steps, retries, and
compensation of the steps that succeeded once the workflow fails."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from llmkit.workflows import (
    CheckpointStore,
    ExpressionError,
    Retry,
    StepTimeout,
    WorkflowBuilder,
    WorkflowFailed,
    WorkflowInputError,
    WorkflowRunner,
    load_workflow,
    parse_workflow,
    resume,
    validate_workflow,
)

from .test_workflow_checkpoints import _crash


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


# -- compensation ---------------------------------------------------------------------


class Ledger:
    """Scripts that book and undo bookings; `log` shows what ran, in order."""

    def __init__(self, *, undo_fails_for: str = "") -> None:
        self.log: list[str] = []
        self.undo_fails_for = undo_fails_for

    async def book(self, what: str) -> dict[str, str]:
        self.log.append(f"book {what}")
        return {"booked": what}

    async def undo(self, what: str, output: dict[str, str]) -> None:
        if what == self.undo_fails_for:
            raise RuntimeError(f"cannot undo {what}")
        self.log.append(f"undo {what} {output['booked']}")

    async def decline(self) -> None:
        raise RuntimeError("payment declined")

    def runner(self, **options: Any) -> WorkflowRunner:
        scripts = {"book": self.book, "undo": self.undo, "decline": self.decline}
        return WorkflowRunner(scripts=scripts, **options)


TRIP = """
name: trip
steps:
  - id: flight
    kind: script
    script: book
    input: {what: flight}
    compensate: {id: cancel_flight, kind: script, script: undo,
                 input: {what: flight, output: "${ output }"}}
  - id: hotel
    kind: script
    script: book
    input: {what: hotel}
    compensate:
      - {id: cancel_hotel, kind: script, script: undo, input: {what: hotel, output: "${ output }"}}
      - {id: seen_state, kind: transform, value: "${ state.flight.booked }"}
  - {id: plain, kind: transform, value: 1}
  - {id: pay, kind: script, script: decline}
"""


async def test_compensations_run_newest_first_when_the_workflow_fails() -> None:
    ledger = Ledger()
    with pytest.raises(WorkflowFailed, match="payment declined") as info:
        await ledger.runner().run(load_workflow(TRIP))
    assert ledger.log == ["book flight", "book hotel", "undo hotel hotel", "undo flight flight"]
    failed = info.value
    assert failed.compensated == ["hotel", "flight"]
    assert [(c.step, c.status) for c in failed.result.compensations] == [
        ("hotel", "success"),
        ("flight", "success"),
    ]
    assert failed.result.steps["seen_state"].output == "flight"  # it saw the state
    assert failed.step_id == "pay" and "compensation failed" not in str(failed)


async def test_no_compensation_when_the_workflow_succeeds() -> None:
    ledger = Ledger()
    wf = load_workflow(TRIP)
    await ledger.runner().run(dataclasses.replace(wf, steps=wf.steps[:3]))
    assert ledger.log == ["book flight", "book hotel"]


async def test_a_failing_compensation_is_reported_and_the_others_still_run() -> None:
    ledger = Ledger(undo_fails_for="hotel")
    with pytest.raises(WorkflowFailed) as info:
        await ledger.runner().run(load_workflow(TRIP))
    assert ledger.log[-1] == "undo flight flight"
    failed = info.value
    assert failed.compensated == ["flight"]
    hotel = failed.result.compensations[0]
    assert hotel.step == "hotel" and hotel.status == "failed"
    assert "cannot undo hotel" in (hotel.error or "")
    assert "compensation failed for 'hotel'" in str(failed)
    assert failed.result.steps["cancel_hotel"].status == "failed"
    assert "seen_state" not in failed.result.steps  # the rest of that list stopped
    assert "payment declined" in str(failed.__cause__)  # still the workflow's own error


async def test_only_steps_that_succeeded_by_themselves_are_undone() -> None:
    def undo(what: str) -> dict[str, Any]:
        return {"id": f"undo_{what}", "kind": "script", "script": "undo",
                "input": {"what": what, "output": "${ output }"}}  # fmt: skip

    wf = parse_workflow(
        {
            "name": "w",
            "steps": [
                {"id": "a", "kind": "script", "script": "book", "input": {"what": "a"},
                 "compensate": [undo("a")]},
                # Failed and continued past: not done, so nothing to undo.
                {"id": "b", "kind": "script", "script": "decline", "continue_on_error": True,
                 "compensate": [undo("b")]},
                # Recovered by its fallback: the fallback's compensation undoes it.
                {"id": "c", "kind": "script", "script": "decline", "compensate": [undo("c")],
                 "fallback": {"id": "c2", "kind": "script", "script": "book",
                              "input": {"what": "c2"}, "compensate": [undo("c2")]}},
                {"id": "pay", "kind": "script", "script": "decline"},
            ],
        }
    )  # fmt: skip
    ledger = Ledger()
    with pytest.raises(WorkflowFailed) as info:
        await ledger.runner().run(validate_workflow(wf))
    assert ledger.log == ["book a", "book c2", "undo c2 c2", "undo a a"]
    assert info.value.compensated == ["c2", "a"]


async def test_map_items_and_sub_workflow_steps_are_undone_too() -> None:
    child = load_workflow("""
name: child
steps:
  - {id: car, kind: script, script: book, input: {what: car},
     compensate: {id: return_car, kind: script, script: undo,
                  input: {what: car, output: "${ output }"}}}
""")
    parent = load_workflow(
        """
name: parent
steps:
  - id: rooms
    kind: map
    over: input
    concurrency: 1
    steps:
      - {id: room, kind: script, script: book, input: {what: "${ item }"},
         compensate: {id: free, kind: script, script: undo,
                      input: {what: "${ item }", output: "${ output }"}}}
  - {id: transport, kind: workflow, workflow: child}
  - {id: pay, kind: script, script: decline}
""",
        workflows={"child": child},
    )
    ledger = Ledger()
    with pytest.raises(WorkflowFailed) as info:
        await ledger.runner(workflows={"child": child}).run(parent, ["r1", "r2"])
    assert ledger.log[-3:] == ["undo car car", "undo r2 r2", "undo r1 r1"]
    assert info.value.compensated == ["transport.car", "rooms[1].room", "rooms[0].room"]
    assert info.value.result.steps["rooms[1].free"].status == "success"


async def test_compensation_after_a_durable_resume(tmp_path: Path) -> None:
    # A real child process finishes s1 and s2 durably and is SIGKILLed; this process
    # resumes, s3 fails, and the restored steps are compensated with their stored outputs.
    db, _ = _crash(tmp_path, "after:2")
    undone: list[Any] = []

    async def undo(n: int, pair: list[int]) -> None:
        undone.append((n, pair))

    async def fail(**_: Any) -> None:
        raise ValueError("s3 broke")

    undo_step = {"id": "", "kind": "script", "script": "undo",
                 "input": {"n": "${ output.n }", "pair": "${ output.pair }"}}  # fmt: skip
    workflow = parse_workflow(
        {
            "name": "crashy",  # the same steps at the same positions as the child's
            "steps": [
                *(
                    {"id": sid, "kind": "script", "script": "fail",
                     "compensate": [{**undo_step, "id": f"undo_{sid}"}]}
                    for sid in ("s1", "s2")
                ),
                {"id": "s3", "kind": "script", "script": "fail"},
                {"id": "s4", "kind": "script", "script": "fail"},
            ],
        }
    )  # fmt: skip
    runner = WorkflowRunner(scripts={"undo": undo, "fail": fail})
    async with CheckpointStore(db) as store:
        with pytest.raises(WorkflowFailed, match="s3 broke") as info:
            await resume(runner, validate_workflow(workflow), store, "run-1")
        assert (await store.get_run("run-1")).status == "failed"
    assert undone == [(2, [2, 4]), (1, [1, 1])]  # outputs from the dead process
    assert info.value.compensated == ["s2", "s1"]
    assert info.value.result.steps["s1"].attempts == 0  # restored, not run again
