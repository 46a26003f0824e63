"""What each step kind does. `execute` dispatches on the step's class.

Executors call back into the run (`run.step`, `run.sequence`) for nested steps so every
nested step gets records, retries, timeouts and hooks the same way.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from typing import TYPE_CHECKING, Any

from .approval import run_approval
from .definition import (
    AgentStep,
    ApprovalStep,
    ConditionalStep,
    DelayStep,
    LoopStep,
    MapStep,
    ParallelStep,
    ScriptStep,
    SequentialStep,
    Step,
    ToolStep,
    TransformStep,
    WorkflowStep,
)
from .errors import StepFailed, WorkflowError
from .expressions import evaluate, render, resolve
from .fanout import Branch
from .scope import Scope

if TYPE_CHECKING:
    from .engine import _Run

__all__ = ["execute"]


async def execute(run: _Run, step: Step, scope: Scope) -> Any:
    """Run one attempt of `step` (no records or retries: `_Run.step` does those)."""
    ctx = scope.context()
    match step:
        case ToolStep():
            return await _tool(run, step, resolve(step.input, ctx, step_id=step.id))
        case ScriptStep():
            return await _script(run, step, resolve(step.input, ctx, step_id=step.id))
        case AgentStep():
            agent = run.runner.agents.get(step.agent)
            if agent is None:
                raise StepFailed(f"step {step.id!r}: no agent {step.agent!r}", step_id=step.id)
            result = await agent.run(render(step.prompt, ctx, step_id=step.id))
            return result.output
        case TransformStep():
            return resolve(step.value, ctx, step_id=step.id)
        case DelayStep():
            await asyncio.sleep(step.seconds + random.uniform(0, step.jitter))
            return None
        case SequentialStep():
            return await run.sequence(step.steps, scope)
        case ConditionalStep():
            branch = step.then if evaluate(step.if_, ctx, step_id=step.id) else step.else_
            return await run.sequence(branch, scope)
        case LoopStep():
            return await _loop(run, step, scope)
        case MapStep():
            return await _map(run, step, scope)
        case ParallelStep():
            return await _parallel(run, step, scope)
        case WorkflowStep():
            arguments = resolve(step.input, ctx, step_id=step.id)
            return await _subworkflow(run, step, arguments, scope.prefix)
        case ApprovalStep():
            return run_approval(run, step, scope)
    raise WorkflowError(f"step {step.id!r}: unknown kind {step.kind!r}", step_id=step.id)


async def _tool(run: _Run, step: ToolStep, arguments: dict[str, Any]) -> Any:
    from ..tools.base import RunContext

    registry = run.runner.tools
    if registry is None or step.tool not in registry:
        raise StepFailed(f"step {step.id!r}: no tool {step.tool!r}", step_id=step.id)
    tool = registry.get(step.tool)
    ctx: RunContext[Any] = RunContext(deps=None, run_id=run.run_id)
    return await tool.call(ctx, arguments)


async def _script(run: _Run, step: ScriptStep, arguments: dict[str, Any]) -> Any:
    fn = run.runner.scripts.get(step.script)
    if fn is None:
        raise StepFailed(f"step {step.id!r}: no script {step.script!r}", step_id=step.id)
    if inspect.iscoroutinefunction(fn):
        return await fn(**arguments)
    # A thread keeps a blocking script from stalling the other branches; note a timeout
    # abandons the thread rather than stopping it.
    result = await asyncio.to_thread(fn, **arguments)
    if inspect.isawaitable(result):
        return await result
    return result


async def _loop(run: _Run, step: LoopStep, scope: Scope) -> list[Any]:
    outputs: list[Any] = []
    if step.while_ is not None:
        index = 0
        while evaluate(step.while_, scope.with_extra({"index": index}).context(), step_id=step.id):
            if index >= step.max_iterations:
                raise WorkflowError(
                    f"step {step.id!r}: loop exceeded max_iterations={step.max_iterations}",
                    step_id=step.id,
                )
            outputs.append(await run.sequence(step.steps, scope.with_extra({"index": index})))
            index += 1
        return outputs
    items = _iterations(step, scope)
    if len(items) > step.max_iterations:
        raise WorkflowError(
            f"step {step.id!r}: {len(items)} iterations exceed "
            f"max_iterations={step.max_iterations}",
            step_id=step.id,
        )
    for index, item in enumerate(items):
        outputs.append(
            await run.sequence(step.steps, scope.with_extra({"index": index, "item": item}))
        )
    return outputs


def _iterations(step: LoopStep, scope: Scope) -> list[Any]:
    if step.foreach is not None:
        items = evaluate(step.foreach, scope.context(), step_id=step.id)
        if not isinstance(items, list):
            raise WorkflowError(
                f"step {step.id!r}: foreach {step.foreach!r} gave {type(items).__name__}, "
                "not a list",
                step_id=step.id,
            )
        return items
    count = step.for_
    if isinstance(count, str):
        count = evaluate(count, scope.context(), step_id=step.id)
    if not isinstance(count, int) or isinstance(count, bool):
        raise WorkflowError(
            f"step {step.id!r}: for {step.for_!r} is not an integer", step_id=step.id
        )
    return list(range(count))


async def _map(run: _Run, step: MapStep, scope: Scope) -> list[Any]:
    items = evaluate(step.over, scope.context(), step_id=step.id)
    if not isinstance(items, list):
        raise WorkflowError(
            f"step {step.id!r}: over {step.over!r} gave {type(items).__name__}, not a list",
            step_id=step.id,
        )
    prefix = scope.prefix + step.id
    branches = [
        Branch(
            steps=step.steps,
            scope=scope.isolated(
                {"item": item, "index": i, step.item: item}, prefix=f"{prefix}[{i}]."
            ),
            label=f"{prefix}[{i}]",
        )
        for i, item in enumerate(items)
    ]
    return await run.runner.executor.run_branches(
        run, branches, limit=step.concurrency, fail_fast=True, step_id=step.id
    )


async def _parallel(run: _Run, step: ParallelStep, scope: Scope) -> dict[str, Any]:
    children = [scope.isolated({}, prefix=scope.prefix) for _ in step.branches]
    branches = [
        Branch(steps=(b,), scope=child, label=scope.prefix + b.id)
        for b, child in zip(step.branches, children, strict=True)
    ]
    outputs = await run.runner.executor.run_branches(
        run, branches, limit=step.max_concurrency, fail_fast=step.fail_fast, step_id=step.id
    )
    for branch, child in zip(step.branches, children, strict=True):
        # Branches own distinct ids, so merging their outputs back cannot collide.
        scope.steps.update({k: v for k, v in child.steps.items() if k not in scope.steps})
        scope.store(branch.id, branch.output_key, child.steps[branch.id])
    return {b.id: out for b, out in zip(step.branches, outputs, strict=True)}


async def _subworkflow(
    run: _Run, step: WorkflowStep, arguments: dict[str, Any], prefix: str
) -> Any:
    workflow = run.runner.workflows[step.workflow]  # names checked before the run
    result = await run.workflow(workflow, arguments, prefix=f"{prefix}{step.id}.")
    return result.output
