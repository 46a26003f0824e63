"""`WorkflowRunner`: runs a workflow in memory — records, retries, timeouts, hooks."""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .definition import Retry, Step, Workflow
from .errors import (
    ExpressionError,
    StepFailed,
    StepTimeout,
    WorkflowError,
    WorkflowFailed,
    WorkflowInputError,
)
from .executors import execute
from .expressions import evaluate
from .results import StepRecord, WorkflowResult
from .scope import Scope
from .validate import check_subworkflows

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

    Raises:
        WorkflowDefinitionError: A registered workflow names an unknown sub-workflow or
            the sub-workflows call each other in a cycle.
    """

    def __init__(
        self,
        *,
        tools: ToolRegistry | None = None,
        agents: Mapping[str, Agent] | None = None,
        scripts: Mapping[str, Callable[..., Any]] | None = None,
        workflows: Mapping[str, Workflow] | None = None,
        hooks: HookRegistry | None = None,
    ) -> None:
        self.tools = tools
        self.agents = dict(agents or {})
        self.scripts = dict(scripts or {})
        self.workflows = dict(workflows or {})
        self.hooks = hooks
        check_subworkflows(self.workflows)

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
                has the records so far and the ``__cause__`` is the step's error.
        """
        check_subworkflows({**self.workflows, workflow.name: workflow})
        run = _Run(self, run_id=run_id or uuid.uuid4().hex, gate=gate)
        return await run.workflow(workflow, input, prefix="")


class _Run:
    """One run: the shared step records and the step wrapper the executors call back."""

    def __init__(
        self, runner: WorkflowRunner, *, run_id: str, gate: TopLevelGate | None = None
    ) -> None:
        self.runner = runner
        self.run_id = run_id
        self.gate = gate
        self.records: dict[str, StepRecord] = {}

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
        result = WorkflowResult(output=None, state=scope.state, steps=self.records)
        meta = {"workflow": workflow.name}
        try:
            await self.hook("workflow.start", input, **meta)
            # Only the run's own workflow is top level; sub-workflows have a prefix.
            steps = workflow.steps
            output = await (self.sequence(steps, scope) if prefix else self.top(steps, scope))
            if workflow.output is not None:
                output = evaluate(workflow.output, scope.context(), step_id=None)
        except Exception as exc:
            await self.hook("workflow.error", exc, **meta)
            step_id = exc.step_id if isinstance(exc, WorkflowError) else None
            raise WorkflowFailed(
                f"workflow {workflow.name!r} failed: {exc}", result=result, step_id=step_id
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
            elif record.status == "success":
                record.output = output
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
            output = await self.attempts(step, scope, record)
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
            await self.hook("step.end", output, **meta)
        scope.store(step.id, step.output_key, output)
        return output

    async def attempts(self, step: Step, scope: Scope, record: StepRecord) -> Any:
        policy = step.retry or _NO_RETRY
        delay = policy.delay
        for attempt in range(1, policy.attempts + 1):
            record.attempts = attempt
            try:
                async with asyncio.timeout(step.timeout):
                    return await execute(self, step, scope)
            except ExpressionError:
                raise  # the same expression fails the same way again
            except TimeoutError as exc:
                error: Exception = StepTimeout(
                    f"step {step.id!r} timed out after {step.timeout}s", step_id=step.id
                )
                error.__cause__ = exc
            except Exception as exc:
                error = exc
            if attempt == policy.attempts:
                raise error
            await asyncio.sleep(delay)
            delay *= policy.backoff
        raise AssertionError("unreachable: attempts >= 1 is validated")


def _failed(step_id: str, exc: Exception) -> StepFailed:
    return StepFailed(f"step {step_id!r} failed: {type(exc).__name__}: {exc}", step_id=step_id)
