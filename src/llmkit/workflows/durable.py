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
  marked ``idempotent: true`` in the definition, or named in `idempotent` when the run
  started or when resuming. Otherwise nothing runs, the run is marked ``interrupted`` and
  `StepInterrupted` says which step and why.

An ``approval`` step pauses the run: it is stored ``paused`` with the pending approval and
`run_durable` (or `resume`) returns a result whose ``paused`` is set; ``resume(...,
decision=...)`` continues (see `llmkit.workflows.approval`). The run stores its definition,
so `resume` can rebuild the workflow itself. `CheckpointStore.cancel` marks a run
cancelled; a process running it stops with `RunCancelled` before its next top-level step.

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

from .approval import (
    ApprovalDecision,
    ApprovalError,
    PauseForApproval,
    approval_slot,
    check_decision,
)
from .checkpoint_storage import CheckpointStorage
from .checkpoints import (
    CheckpointError,
    RunCancelled,
    RunInfo,
    StepCheckpoint,
    encode,
)
from .definition import ApprovalStep, Step, Workflow, child_steps, handler_steps
from .engine import WorkflowRunner
from .errors import WorkflowDefinitionError, WorkflowError, WorkflowFailed, WorkflowInputError
from .parse import parse_workflow
from .results import WorkflowResult
from .serialize import workflow_to_dict
from .validate import validate_workflow

__all__ = ["RunCancelled", "StepInterrupted", "resume", "run_durable", "stored_workflow"]


class StepInterrupted(WorkflowError):
    """A resume found a non-idempotent step that started but never finished."""

    def __init__(self, message: str, *, run_id: str, step_id: str) -> None:
        super().__init__(message, step_id=step_id)
        self.run_id = run_id


async def run_durable(
    runner: WorkflowRunner,
    workflow: Workflow,
    input: Any,
    store: CheckpointStorage,
    run_id: str | None = None,
    *,
    idempotent: Collection[str] = (),
    source: str | None = None,
) -> WorkflowResult:
    """Run `workflow` like `WorkflowRunner.run`, checkpointing each top-level step.

    Args:
        runner: The runner with the tools, agents, scripts and sub-workflows.
        workflow: The workflow; stored with the run so `resume` can rebuild it.
        input: The workflow input (must be JSON).
        store: Where the run and its checkpoints go.
        run_id: The run's id (default: a fresh one); hooks and tools see it too.
        idempotent: Ids of top-level steps safe to run twice, in addition to the steps
            marked ``idempotent``; recorded with the steps.
        source: The file the workflow came from, stored for `list_runs`/status displays.

    Returns:
        The result; if an approval step paused the run, ``result.paused`` says which.

    Raises:
        CheckpointError: The store failed or `run_id` exists already. A store failure
            mid-run comes as `WorkflowFailed` whose ``__cause__`` is the `CheckpointError`.
        WorkflowFailed: A step failed; the run is marked ``failed``.
        RunCancelled: The run was cancelled from elsewhere while it ran.
    """
    _check_ids(workflow, idempotent)
    run_id = run_id or uuid.uuid4().hex
    definition = workflow_to_dict(workflow)
    await store.create_run(run_id, workflow.name, input, definition=definition, source=source)
    flagged = _idempotent(workflow, idempotent)
    return await _execute(runner, workflow, input, store, run_id, {}, flagged, {})


async def resume(
    runner: WorkflowRunner,
    workflow: Workflow | None,
    store: CheckpointStorage,
    run_id: str,
    *,
    idempotent: Collection[str] = (),
    decision: ApprovalDecision | None = None,
) -> WorkflowResult:
    """Continue run `run_id` from its checkpoints (a completed run just runs no steps).

    Args:
        runner: The runner with the tools, agents, scripts and sub-workflows.
        workflow: The run's workflow, or None to use the definition stored with the run.
        store: The store the run is in.
        run_id: The run to continue.
        idempotent: Adds to the steps declared idempotent when the run started.
        decision: For a run paused at an approval step: `ApprovalDecision.approve` or
            `ApprovalDecision.reject`. Required for a paused run, refused for others.

    Raises:
        StepInterrupted: A step started but did not finish and is not idempotent; the run
            is marked ``interrupted`` and nothing ran.
        ApprovalError: The run is paused and `decision` is missing or does not fit the
            step's options/schema, or a decision was given for a run that is not paused.
        RunCancelled: The run was cancelled.
        CheckpointError: The run is unknown, is of another workflow, its checkpoints do not
            match the definition's steps, or the store failed.
        WorkflowFailed: A step failed; the run is marked ``failed``.
    """
    info = await store.get_run(run_id)
    if workflow is None:
        workflow = stored_workflow(info, store)
    _check_ids(workflow, idempotent)
    if info.workflow != workflow.name:
        raise CheckpointError(
            f"run {run_id!r} is of workflow {info.workflow!r}, not {workflow.name!r}",
            run_id=run_id,
        )
    if info.status == "cancelled":
        raise RunCancelled(f"run {run_id!r} was cancelled; it cannot be resumed", run_id=run_id)
    decisions = _decisions(info, decision)
    flagged = _idempotent(workflow, idempotent)
    checkpoints = await store.load_steps(run_id)
    try:
        done = _restorable(workflow, run_id, checkpoints, flagged)
    except StepInterrupted as exc:
        await store.set_status(run_id, "interrupted", str(exc))
        raise
    await store.set_status(run_id, "running")
    return await _execute(runner, workflow, info.input, store, run_id, done, flagged, decisions)


def stored_workflow(info: RunInfo, store: CheckpointStorage) -> Workflow:
    """The workflow stored with a run, parsed and validated again.

    Raises:
        CheckpointError: The run has no stored definition (it predates them).
        WorkflowDefinitionError: The stored definition is not a valid workflow.
    """
    if info.definition is None:
        raise CheckpointError(
            f"run {info.run_id!r} in {store.where} has no stored definition (it was started "
            "by an older llmkit); pass the workflow to resume it",
            run_id=info.run_id,
        )
    source = f"{store.where} (run {info.run_id})"
    return validate_workflow(parse_workflow(info.definition, source=source), source=source)


def _decisions(info: RunInfo, decision: ApprovalDecision | None) -> dict[str, ApprovalDecision]:
    pending = info.pending if info.status == "paused" else None
    if pending is None:
        if decision is not None:
            raise ApprovalError(
                f"run {info.run_id!r} is {info.status}, not paused at an approval; "
                "it takes no decision"
            )
        return {}
    if decision is None:
        raise ApprovalError(
            f"run {info.run_id!r} is paused at approval step {pending.step_id!r}: resume it "
            "with decision=ApprovalDecision.approve(...) or ApprovalDecision.reject(...)"
        )
    check_decision(pending, decision)
    return {pending.step_id: decision}


async def _execute(
    runner: WorkflowRunner,
    workflow: Workflow,
    input: Any,
    store: CheckpointStorage,
    run_id: str,
    done: dict[str, Any],
    idempotent: frozenset[str],
    decisions: dict[str, ApprovalDecision],
) -> WorkflowResult:
    positions = {step.id: i for i, step in enumerate(workflow.steps)}
    pure_steps = {step.id for step in workflow.steps if is_pure(step)}

    async def gate(step: Step, proceed: Callable[[], Awaitable[Any]]) -> Any:
        if step.id in done:
            return done[step.id]
        decision = decisions.get(step.id)
        # A pure step has no effects: it needs no in-flight marker (running it again is
        # safe), and its output need not wait for the disk (a resume can recompute it).
        pure = step.id in pure_steps
        # An approval without a decision only pauses: nothing to checkpoint yet.
        waiting = isinstance(step, ApprovalStep) and decision is None
        if not (waiting or pure):
            # Also refuses, in the same transaction, to start a step of a cancelled run.
            await store.step_started(
                run_id, step.id, position=positions[step.id], idempotent=step.id in idempotent
            )
        try:
            with approval_slot(step.id, decision):
                output = await proceed()
            encoded = encode(output, run_id=run_id, step_id=step.id, what=f"step {step.id!r}")
        except Exception as exc:
            if not (waiting or pure):
                await _quietly(store.step_failed(run_id, step.id, str(exc)))
            raise
        if pure:
            await store.step_finished(
                run_id, step.id, encoded, position=positions[step.id], flush=False
            )
        else:
            await store.step_finished(run_id, step.id, encoded)
        # The stored form, so later steps see what a resumed run would see.
        return json.loads(encoded)

    try:
        result = await runner.run(workflow, input, run_id=run_id, gate=gate)
    except PauseForApproval as pause:
        await store.pause(run_id, pause.pending)
        return WorkflowResult(
            output=None, state=pause.state, steps=pause.steps, paused=pause.pending
        )
    except (WorkflowFailed, WorkflowInputError) as exc:
        if isinstance(exc.__cause__, RunCancelled):
            raise RunCancelled(str(exc.__cause__), run_id=run_id) from exc
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


def _idempotent(workflow: Workflow, named: Collection[str]) -> frozenset[str]:
    """Named ids plus steps marked idempotent; approvals have no effects to repeat."""
    marked = {s.id for s in workflow.steps if s.idempotent or isinstance(s, ApprovalStep)}
    return frozenset(named) | marked


_PURE_KINDS = frozenset({"transform", "delay"})
_COMPOUND_KINDS = frozenset({"sequential", "parallel", "conditional", "loop", "map"})


def is_pure(step: Step) -> bool:
    """Whether running `step` can have no effect outside the run: a transform or delay,
    or a compound step made only of such steps (fallbacks and compensations included)."""
    if step.kind not in _PURE_KINDS and step.kind not in _COMPOUND_KINDS:
        return False
    nested = [*child_steps(step), *handler_steps(step)]
    return all(is_pure(child) for _, children in nested for child in children)


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
