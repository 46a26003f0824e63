"""Durable runs: checkpoint each top-level step so a run survives its process dying.

The unit of checkpointing is a **top-level** step of the workflow. Steps nested inside it
(a loop's body, parallel branches, a sub-workflow's steps) run inside their top-level step
and are not checkpointed on their own: if the process dies halfway through a loop, the
whole loop step is unfinished.

Before a top-level step runs, ``started`` is recorded; once it returns, its output (which
must be JSON) is recorded with ``finished`` in one transaction. On `resume`:

- ``finished`` steps do not run again; their stored outputs go back into ``steps`` and
  ``state``, so later expressions see them (their `StepRecord` has ``attempts == 0``);
- a step ``started`` but never finished (in flight when the process died) or ``failed``
  may have had some of its effects already. It runs again only if it is idempotent:
  named in `idempotent` when the run started or when resuming. Otherwise nothing runs,
  the run is marked ``interrupted`` and `StepInterrupted` says which step and why.

Outputs go through JSON on every durable run (tuples become lists, ...) so a resumed run
and an uninterrupted one see the same values. A run whose process died stays
``running`` in the store; resume it with `resume`. Two processes must not resume the same
run at once.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from .checkpoints import CheckpointError, CheckpointStore, StepCheckpoint, encode
from .definition import Step, Workflow
from .engine import WorkflowRunner
from .errors import WorkflowDefinitionError, WorkflowError, WorkflowFailed
from .results import WorkflowResult

__all__ = ["StepInterrupted", "resume", "run_durable"]


class StepInterrupted(WorkflowError):
    """A resume found a non-idempotent step that started but never finished."""

    def __init__(self, message: str, *, run_id: str, step_id: str) -> None:
        super().__init__(message, step_id=step_id)
        self.run_id = run_id


async def run_durable(
    runner: WorkflowRunner,
    workflow: Workflow,
    input: Any,
    store: CheckpointStore,
    run_id: str | None = None,
    *,
    idempotent: Collection[str] = (),
) -> WorkflowResult:
    """Run `workflow` like `WorkflowRunner.run`, checkpointing each top-level step.

    Args:
        runner: The runner with the tools, agents, scripts and sub-workflows.
        workflow: The workflow; `resume` needs the same definition.
        input: The workflow input (must be JSON).
        store: Where the run and its checkpoints go.
        run_id: The run's id (default: a fresh one); hooks and tools see it too.
        idempotent: Ids of top-level steps safe to run twice; recorded with the steps.

    Raises:
        CheckpointError: The store failed or `run_id` exists already. A store failure
            mid-run comes as `WorkflowFailed` whose ``__cause__`` is the `CheckpointError`.
        WorkflowFailed: A step failed; the run is marked ``failed``.
    """
    _check_ids(workflow, idempotent)
    run_id = run_id or uuid.uuid4().hex
    await store.create_run(run_id, workflow.name, input)
    return await _execute(runner, workflow, input, store, run_id, {}, frozenset(idempotent))


async def resume(
    runner: WorkflowRunner,
    workflow: Workflow,
    store: CheckpointStore,
    run_id: str,
    *,
    idempotent: Collection[str] = (),
) -> WorkflowResult:
    """Continue run `run_id` from its checkpoints (a completed run just runs no steps).

    `idempotent` adds to the steps declared idempotent when the run started.

    Raises:
        StepInterrupted: A step started but did not finish and is not idempotent; the run
            is marked ``interrupted`` and nothing ran.
        CheckpointError: The run is unknown, is of another workflow, its checkpoints do not
            match the definition's steps, or the store failed.
        WorkflowFailed: A step failed; the run is marked ``failed``.
    """
    _check_ids(workflow, idempotent)
    info = await store.get_run(run_id)
    if info.workflow != workflow.name:
        raise CheckpointError(
            f"run {run_id!r} is of workflow {info.workflow!r}, not {workflow.name!r}",
            run_id=run_id,
        )
    checkpoints = await store.load_steps(run_id)
    try:
        done = _restorable(workflow, run_id, checkpoints, frozenset(idempotent))
    except StepInterrupted as exc:
        await store.set_status(run_id, "interrupted", str(exc))
        raise
    await store.set_status(run_id, "running")
    return await _execute(runner, workflow, info.input, store, run_id, done, frozenset(idempotent))


async def _execute(
    runner: WorkflowRunner,
    workflow: Workflow,
    input: Any,
    store: CheckpointStore,
    run_id: str,
    done: dict[str, Any],
    idempotent: frozenset[str],
) -> WorkflowResult:
    positions = {step.id: i for i, step in enumerate(workflow.steps)}

    async def gate(step: Step, proceed: Callable[[], Awaitable[Any]]) -> Any:
        if step.id in done:
            return done[step.id]
        await store.step_started(
            run_id, step.id, position=positions[step.id], idempotent=step.id in idempotent
        )
        try:
            output = await proceed()
            encoded = encode(output, run_id=run_id, step_id=step.id, what=f"step {step.id!r}")
        except Exception as exc:
            await _quietly(store.step_failed(run_id, step.id, str(exc)))
            raise
        await store.step_finished(run_id, step.id, encoded)
        # The stored form, so later steps see what a resumed run would see.
        return json.loads(encoded)

    try:
        result = await runner.run(workflow, input, run_id=run_id, gate=gate)
    except WorkflowFailed as exc:
        await _quietly(store.set_status(run_id, "failed", str(exc)))
        raise
    await store.set_status(run_id, "completed")
    return result


def _restorable(
    workflow: Workflow,
    run_id: str,
    checkpoints: list[StepCheckpoint],
    idempotent: frozenset[str],
) -> dict[str, Any]:
    """The outputs of the finished steps; raises if an unfinished one may not re-run."""
    ids = [step.id for step in workflow.steps]
    done: dict[str, Any] = {}
    for ckpt in checkpoints:
        if ckpt.position >= len(ids) or ids[ckpt.position] != ckpt.step_id:
            raise CheckpointError(
                f"run {run_id!r} checkpointed step {ckpt.step_id!r} at position "
                f"{ckpt.position}, which workflow {workflow.name!r} does not have there: "
                "the definition changed since the run started",
                run_id=run_id,
                step_id=ckpt.step_id,
            )
        if ckpt.status == "finished":
            done[ckpt.step_id] = ckpt.output
        elif not (ckpt.idempotent or ckpt.step_id in idempotent):
            how = "failed" if ckpt.status == "failed" else "was running when the run stopped"
            raise StepInterrupted(
                f"run {run_id!r}: step {ckpt.step_id!r} started but never finished (it "
                f"{how}), so it may have had effects already; it is not idempotent, so it "
                "is not run again. Pass it in `idempotent` to re-run it.",
                run_id=run_id,
                step_id=ckpt.step_id,
            )
    return done


def _check_ids(workflow: Workflow, idempotent: Collection[str]) -> None:
    unknown = sorted(set(idempotent) - {step.id for step in workflow.steps})
    if unknown:
        raise WorkflowDefinitionError(
            f"idempotent names steps that are not top-level steps: {unknown}",
            source=f"workflow {workflow.name!r}",
            field="idempotent",
        )


async def _quietly(write: Awaitable[None]) -> None:
    # Recording a failure must not hide the failure itself (the store may be the cause).
    with contextlib.suppress(CheckpointError):
        await write
