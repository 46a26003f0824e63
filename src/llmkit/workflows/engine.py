"""`WorkflowRunner`: runs a workflow in memory — records, retries, timeouts, hooks,
fallbacks, circuit breakers and compensations."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .definition import Retry, Step, Workflow
from .errors import (
    CircuitOpen,
    ExpressionError,
    StepFailed,
    StepTimeout,
    WorkflowError,
    WorkflowFailed,
    WorkflowInputError,
)
from .executors import execute
from .expressions import evaluate
from .fanout import Executor, ExecutorError, LocalExecutor
from .policies import Circuit, register_circuits, retries, retry_wait
from .results import CompensationRecord, StepRecord, WorkflowResult
from .scope import Scope
from .validate import check_subworkflows, walk_steps

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..hooks.registry import HookRegistry
    from ..tools.registry import ToolRegistry

__all__ = ["TopLevelGate", "WorkflowRunner"]

_NO_RETRY = Retry()

TopLevelGate = Callable[[Step, Callable[[], Awaitable[Any]]], Awaitable[Any]]
"""Wraps each top-level step of a run: awaits ``proceed()`` to run the step, or returns an
output restored from elsewhere (a checkpoint) without running it. Its return value is the
step's output in ``steps``/``state``. Nested steps never reach the gate."""


class WorkflowRunner:
    """Runs workflows against registered tools, agents, scripts and sub-workflows.

    Args:
        tools: Tools ``tool`` steps call by name.
        agents: Agents ``agent`` steps run by name.
        scripts: Callables ``script`` steps call by name (sync ones run in a thread).
        workflows: Sub-workflows ``workflow`` steps run by name.
        hooks: Fired at ``workflow.start/end/error`` and ``step.start/end/error`` with
            ``metadata={"step": key, "workflow": name}``; hooks observe (a `Modify` is
            ignored), a `Cancel` fails the step.
        executor: Where map items and parallel branches run: the local asyncio
            executor (default) or a `DaskExecutor` for a Dask cluster.
        rng: The random source for retry jitter (seed one for repeatable waits).

    Circuit breakers live on the runner: ``circuits`` maps each breaker name to its
    `Circuit`, shared by every run of this runner and every step naming it.

    Raises:
        WorkflowDefinitionError: A registered workflow names an unknown sub-workflow,
            the sub-workflows call each other in a cycle, or two steps declare one
            circuit breaker with different settings.
        ExecutorError: `executor` is not an executor.
        WorkflowError: `rng` is not a `random.Random`.
    """

    def __init__(
        self,
        *,
        tools: ToolRegistry | None = None,
        agents: Mapping[str, Agent] | None = None,
        scripts: Mapping[str, Callable[..., Any]] | None = None,
        workflows: Mapping[str, Workflow] | None = None,
        hooks: HookRegistry | None = None,
        executor: Executor | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.tools = tools
        self.agents = dict(agents or {})
        self.scripts = dict(scripts or {})
        self.workflows = dict(workflows or {})
        self.hooks = hooks
        if executor is not None and not callable(getattr(executor, "run_branches", None)):
            raise ExecutorError(
                f"executor must be a LocalExecutor, a DaskExecutor or another object with "
                f"run_branches(), not {type(executor).__name__}"
            )
        self.executor: Executor = executor or LocalExecutor()
        if rng is not None and not isinstance(rng, random.Random):
            raise WorkflowError(f"rng must be a random.Random, not {type(rng).__name__}")
        self.rng = rng if rng is not None else random.Random()
        self.circuits: dict[str, Circuit] = {}
        check_subworkflows(self.workflows)
        self._register_circuits(self.workflows.values())

    async def run(
        self,
        workflow: Workflow,
        input: Any = None,
        *,
        run_id: str | None = None,
        gate: TopLevelGate | None = None,
    ) -> WorkflowResult:
        """Run `workflow` on `input`.

        `run_id` (default: a fresh one) is what hooks and tools see; `gate` wraps each
        top-level step (durable runs use it to checkpoint and to skip finished steps).

        Raises:
            WorkflowInputError: `input` does not match the workflow's input schema.
            WorkflowFailed: A step failed (and did not `continue_on_error`); ``result``
                has the records so far and the ``__cause__`` is the step's error. The
                compensations of the steps that succeeded have run by then
                (``result.compensations``, `WorkflowFailed.compensated`).
            WorkflowDefinitionError: A step declares a circuit breaker this runner
                knows with other settings.
        """
        check_subworkflows({**self.workflows, workflow.name: workflow})
        self._register_circuits([*self.workflows.values(), workflow])
        run = _Run(self, run_id=run_id or uuid.uuid4().hex, gate=gate)
        return await run.workflow(workflow, input, prefix="")

    def _register_circuits(self, workflows: Collection[Workflow]) -> None:
        for wf in workflows:
            register_circuits(self.circuits, walk_steps(wf.steps), source=f"workflow {wf.name!r}")


@dataclass(slots=True, kw_only=True)
class _Done:
    """A step that succeeded and has a compensation: what it needs to undo the step."""

    step: Step
    key: str
    scope: Scope
    output: Any


class _Run:
    """One run: the shared step records and the step wrapper the executors call back."""

    def __init__(
        self, runner: WorkflowRunner, *, run_id: str, gate: TopLevelGate | None = None
    ) -> None:
        self.runner = runner
        self.run_id = run_id
        self.gate = gate
        self.records: dict[str, StepRecord] = {}
        self.undo: list[_Done] = []  # in order of completion
        self.compensations: list[CompensationRecord] = []

    async def hook(self, point: str, value: Any, **metadata: Any) -> None:
        hooks = self.runner.hooks
        if hooks is not None and hooks.has(point):
            from ..hooks.registry import HookContext

            ctx = HookContext(point=point, value=value, run_id=self.run_id, metadata=metadata)
            await hooks.run(ctx)

    async def workflow(self, workflow: Workflow, input: Any, *, prefix: str) -> WorkflowResult:
        if workflow.input_schema is not None:
            from ..schema import Schema, ValidationFailed

            try:
                Schema(workflow.input_schema).validate(input)
            except ValidationFailed as exc:
                raise WorkflowInputError(
                    f"workflow {workflow.name!r}: input does not match its schema: {exc}"
                ) from exc
        scope = Scope(input=input, prefix=prefix)
        result = WorkflowResult(
            output=None, state=scope.state, steps=self.records, compensations=self.compensations
        )
        meta = {"workflow": workflow.name}
        try:
            await self.hook("workflow.start", input, **meta)
            # Only the run's own workflow is top level; sub-workflows have a prefix.
            steps = workflow.steps
            output = await (self.sequence(steps, scope) if prefix else self.top(steps, scope))
            if workflow.output is not None:
                output = evaluate(workflow.output, scope.context(), step_id=None)
        except Exception as exc:
            if not prefix:  # a failing sub-workflow may be recovered by its caller
                await self.compensate()
            await self.hook("workflow.error", exc, **meta)
            step_id = exc.step_id if isinstance(exc, WorkflowError) else None
            failed = [f"{c.step!r} ({c.error})" for c in self.compensations if c.status == "failed"]
            also = f"; compensation failed for {', '.join(failed)}" if failed else ""
            raise WorkflowFailed(
                f"workflow {workflow.name!r} failed: {exc}{also}", result=result, step_id=step_id
            ) from exc
        result.output = output
        await self.hook("workflow.end", output, **meta)
        return result

    async def sequence(self, steps: tuple[Step, ...], scope: Scope) -> Any:
        output: Any = None
        for step in steps:
            output = await self.step(step, scope)
        return output

    async def top(self, steps: tuple[Step, ...], scope: Scope) -> Any:
        if self.gate is None:
            return await self.sequence(steps, scope)
        output: Any = None
        for step in steps:
            output = await self.gate(step, functools.partial(self.step, step, scope))
            record = self.records.get(step.id)
            if record is None:  # restored by the gate, not run: no hooks, no attempts
                self.records[step.id] = StepRecord(status="success", output=output)
                if step.compensate:  # it finished in an earlier process; still undoable
                    self.undo.append(_Done(step=step, key=step.id, scope=scope, output=output))
            elif record.status == "success":
                record.output = output
                if self.undo and self.undo[-1].key == step.id:
                    self.undo[-1].output = output
            # The gate's value wins (e.g. the JSON round trip a checkpoint gives).
            scope.store(step.id, step.output_key, output)
        return output

    async def step(self, step: Step, scope: Scope) -> Any:
        key = scope.prefix + step.id
        record = StepRecord(status="running", started=time.time())
        self.records[key] = record
        meta = {"step": key, "workflow_step": step.id, "kind": step.kind}
        try:
            await self.hook("step.start", None, **meta)
            output = await self.guarded(step, scope, record)
        except asyncio.CancelledError:
            record.status, record.finished = "cancelled", time.time()
            raise
        except Exception as exc:
            error = exc if isinstance(exc, WorkflowError) else _failed(step.id, exc)
            record.status, record.error, record.finished = "failed", str(error), time.time()
            await self.hook("step.error", error, **meta)
            if not step.continue_on_error:
                if error is exc:
                    raise
                raise error from exc
            output = None
        else:
            record.status, record.output, record.finished = "success", output, time.time()
            if step.compensate and record.fallback is None:
                self.undo.append(_Done(step=step, key=key, scope=scope, output=output))
            await self.hook("step.end", output, **meta)
        scope.store(step.id, step.output_key, output)
        return output

    async def guarded(self, step: Step, scope: Scope, record: StepRecord) -> Any:
        """The step's attempts, then its fallback (a nested step) if they all failed."""
        fallback = step.fallback
        try:
            return await self.attempts(step, scope, record)
        except Exception as exc:
            if fallback is None:
                raise
            failed = exc if isinstance(exc, WorkflowError) else _failed(step.id, exc)
            record.error, record.fallback = str(failed), scope.prefix + fallback.id
        try:
            return await self.step(fallback, scope)
        except Exception as exc:
            raise StepFailed(
                f"step {step.id!r} failed ({record.error}) and so did its fallback: {exc}",
                step_id=step.id,
            ) from exc

    async def attempts(self, step: Step, scope: Scope, record: StepRecord) -> Any:
        policy = step.retry or _NO_RETRY
        breaker = step.circuit_breaker
        circuit = None if breaker is None else self.runner.circuits[breaker.name]
        delay = policy.delay
        for attempt in range(1, policy.attempts + 1):
            record.attempts = attempt
            try:
                return await self.attempt(step, scope, circuit)
            except (ExpressionError, CircuitOpen):
                raise  # the same expression fails the same way; an open circuit fails fast
            except Exception as exc:
                if attempt == policy.attempts or not retries(policy, exc):
                    raise
            await asyncio.sleep(retry_wait(policy, delay, self.runner.rng))
            delay *= policy.backoff
        raise AssertionError("unreachable: attempts >= 1 is validated")

    async def attempt(self, step: Step, scope: Scope, circuit: Circuit | None) -> Any:
        guard = contextlib.nullcontext() if circuit is None else circuit.guard(step.id)
        deadline = asyncio.timeout(step.timeout)
        with guard:
            try:
                async with deadline:
                    return await execute(self, step, scope)
            except TimeoutError as exc:
                if not deadline.expired():
                    raise  # the step itself raised TimeoutError
                raise StepTimeout(
                    f"step {step.id!r} timed out after {step.timeout}s", step_id=step.id
                ) from exc

    async def compensate(self) -> None:
        """Undo the steps that succeeded, newest first. Each compensation sees the state
        and its step's output as ``output``; one failing does not stop the others."""
        while self.undo:
            done = self.undo.pop()
            scope = done.scope.with_extra({"output": done.output})
            try:
                await self.sequence(done.step.compensate, scope)
            except Exception as exc:
                self.compensations.append(
                    CompensationRecord(step=done.key, status="failed", error=str(exc))
                )
            else:
                self.compensations.append(CompensationRecord(step=done.key, status="success"))


def _failed(step_id: str, exc: Exception) -> StepFailed:
    return StepFailed(f"step {step_id!r} failed: {type(exc).__name__}: {exc}", step_id=step_id)
