"""Fan-out: how map items and parallel branches run. The local asyncio executor is the
default; `DaskExecutor` (in `llmkit.workflows.dask_executor`) runs them on a cluster.

Both go through `gather_limited`, so concurrency limits and fail-fast behave the same
wherever the branches run.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .errors import StepFailed, WorkflowError
from .scope import Scope

if TYPE_CHECKING:
    from .definition import Step
    from .engine import _Run

__all__ = ["Branch", "Executor", "ExecutorError", "LocalExecutor", "gather_limited"]


class ExecutorError(WorkflowError):
    """An executor could not run a branch: a registry entry or a value cannot be sent to
    the workers, the result cannot come back, or the cluster is unreachable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Branch:
    """One unit of fan-out: `steps` run in order in their own `scope` (a map item's steps,
    or a parallel branch as a one-step tuple). `label` names it in errors (``each[3]``)."""

    steps: tuple[Step, ...]
    scope: Scope
    label: str


class Executor(Protocol):
    """Runs the branches of one map or parallel step and returns their outputs in order.

    An executor must record every nested step in ``run.records`` under the keys the
    branch scopes' prefixes give, write each branch's outputs into its scope, and raise
    the nested steps' own errors (`StepFailed` naming the step).
    """

    async def run_branches(
        self,
        run: _Run,
        branches: Sequence[Branch],
        *,
        limit: int | None,
        fail_fast: bool,
        step_id: str,
    ) -> list[Any]:
        """Run `branches` at most `limit` at a time; see `gather_limited` for `fail_fast`."""
        ...


class LocalExecutor:
    """The default: branches are asyncio tasks on the running event loop."""

    async def run_branches(
        self,
        run: _Run,
        branches: Sequence[Branch],
        *,
        limit: int | None,
        fail_fast: bool,
        step_id: str,
    ) -> list[Any]:
        """Run `branches` as tasks at most `limit` at a time (see `gather_limited`)."""
        jobs = [run.sequence(branch.steps, branch.scope) for branch in branches]
        return await gather_limited(jobs, limit, fail_fast=fail_fast, step_id=step_id)


async def gather_limited(
    jobs: Sequence[Awaitable[Any]], limit: int | None, *, fail_fast: bool, step_id: str
) -> list[Any]:
    """Run `jobs` at most `limit` at a time, in order of results.

    Fail-fast cancels the rest at the first error and raises it; otherwise every job
    finishes and the errors are raised together as one `StepFailed` naming `step_id`.
    """
    gate = asyncio.Semaphore(limit or max(len(jobs), 1))

    async def gated(job: Awaitable[Any]) -> Any:
        started = False
        try:
            async with gate:
                started = True
                return await job
        finally:
            if not started and inspect.iscoroutine(job):
                job.close()  # cancelled while queued: never awaited, and no warning

    tasks = [asyncio.ensure_future(gated(job)) for job in jobs]
    if not tasks:
        return []
    if fail_fast:
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        listed = "; ".join(str(e) for e in errors)
        raise StepFailed(
            f"step {step_id!r}: {len(errors)} branch(es) failed: {listed}", step_id=step_id
        ) from errors[0]
    return list(results)
