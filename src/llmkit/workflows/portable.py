"""Branches as bytes: what a worker process needs to run a map item or a parallel branch,
and what it sends back.

The host packs the registry entries the branch's steps use (tools, agents, scripts,
sub-workflows) with cloudpickle, one entry at a time so a failure names the entry and the
step that uses it. The worker rebuilds a `WorkflowRunner` from them, runs the steps on its
own event loop with the local executor, and returns the output, the step records, the
scope writes and the error (if any) as one blob. Errors travel as their class, arguments
and attributes, so the host raises the same typed `StepFailed` the local executor would.

Module-level functions and classes travel by reference (the worker imports their module);
lambdas, closures and objects from ``__main__`` travel by value. Anything holding a lock,
a socket, an open file or a running event loop cannot travel.
"""

from __future__ import annotations

import asyncio
import pickle
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .definition import AgentStep, ScriptStep, Step, ToolStep, WorkflowStep
from .errors import StepFailed, WorkflowError
from .fanout import Branch, ExecutorError
from .policies import register_circuits
from .results import StepRecord
from .scope import Scope
from .validate import walk_steps

if TYPE_CHECKING:
    from .engine import WorkflowRunner, _Run

__all__ = ["Outcome", "pack_branch", "pack_runner", "run_packed_branch", "unpack_outcome"]

_MAX_CAUSES = 4  # how deep an exception's __cause__ chain travels


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    """One registry entry, pickled on its own: `kind` is tool/agent/script/workflow."""

    kind: str
    name: str
    used_by: str
    blob: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class _FrozenError:
    """An exception as data: rebuilt on the host without calling its ``__init__``."""

    cls: type[BaseException]
    args: tuple[Any, ...]
    attributes: dict[str, Any]
    cause: _FrozenError | None


@dataclass(slots=True, kw_only=True)
class Outcome:
    """What a worker sends back for one branch. `undo` holds the steps that succeeded
    and have a compensation, so the host can undo them if the run fails later."""

    output: Any = None
    records: dict[str, StepRecord] = field(default_factory=dict)
    steps: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    undo: list[Any] = field(default_factory=list)
    error: _FrozenError | None = None
    worker: str | None = None

    def apply(self, run: _Run, scope: Scope) -> Any:
        """Merge the records, compensations and scope writes into the host's run; raise
        the error, or return the output."""
        run.records.update(self.records)
        run.undo.extend(self.undo)
        scope.steps.update(self.steps)
        scope.state.update(self.state)
        if self.error is not None:
            error = _thaw(self.error)
            if self.worker is not None:
                error.add_note(f"raised on worker {self.worker}")
            raise error
        return self.output


def pack_runner(runner: WorkflowRunner, steps: list[tuple[Step, ...]], *, run_id: str) -> bytes:
    """The registry entries `steps` use (through sub-workflows too), each pickled alone.

    Raises:
        ExecutorError: An entry cannot be pickled; names the entry and the step using it.
    """
    import cloudpickle

    entries: list[_Entry] = []
    for (kind, name), (used_by, value) in _references(runner, steps).items():
        try:
            blob = cloudpickle.dumps(value)
        except Exception as exc:
            raise ExecutorError(
                f"step {used_by!r}: {kind} {name!r} ({_short(value)}) cannot be sent to the "
                f"workers: {type(exc).__name__}: {exc}. Register module-level functions and "
                "objects that pickle (no locks, sockets, open files or event loops).",
                step_id=used_by,
            ) from exc
        entries.append(_Entry(kind=kind, name=name, used_by=used_by, blob=blob))
    return pickle.dumps((run_id, entries))


def pack_branch(branch: Branch, *, step_id: str) -> bytes:
    """The steps and scope of `branch`.

    Raises:
        ExecutorError: A value in the branch's scope (its item, the input, an earlier
            step's output) cannot be pickled.
    """
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps((branch.steps, branch.scope)))
    except Exception as exc:
        raise ExecutorError(
            f"step {step_id!r}: the data of {branch.label} (its item, the workflow input or "
            f"an earlier output) cannot be sent to the workers: {type(exc).__name__}: {exc}",
            step_id=step_id,
        ) from exc


def unpack_outcome(blob: bytes, *, label: str, step_id: str) -> Outcome:
    """Rebuild a worker's `Outcome` on the host.

    Raises:
        ExecutorError: The outcome refers to something the host cannot import.
    """
    import cloudpickle

    try:
        outcome: Outcome = cloudpickle.loads(blob)
    except Exception as exc:
        raise ExecutorError(
            f"step {step_id!r}: the result of {label} cannot be loaded here: "
            f"{type(exc).__name__}: {exc}",
            step_id=step_id,
        ) from exc
    return outcome


def run_packed_branch(runner_blob: bytes, branch_blob: bytes, label: str) -> bytes:
    """Worker side: run one packed branch on a fresh event loop; return a packed `Outcome`.

    Never raises: every failure travels back inside the outcome.
    """
    return asyncio.run(_run_branch(runner_blob, branch_blob, label))


async def _run_branch(runner_blob: bytes, branch_blob: bytes, label: str) -> bytes:
    from .engine import _Run

    outcome = Outcome(worker=_worker_address())
    try:
        runner, run_id = _unpack_runner(runner_blob)
        steps, scope = _load(branch_blob, f"the data of {label}", used_by=None)
    except ExecutorError as exc:
        outcome.error = _freeze(exc)
        return _dump_outcome(outcome, label)
    # Breaker state stays on the host: a worker counts failures within its own branch.
    register_circuits(runner.circuits, walk_steps(steps), source=label)
    run = _Run(runner, run_id=run_id)
    steps_before, state_before = dict(scope.steps), dict(scope.state)
    try:
        outcome.output = await run.sequence(steps, scope)
    except Exception as exc:
        outcome.error = _freeze(exc)
    outcome.records = run.records
    outcome.undo = run.undo
    outcome.steps = _written(steps_before, scope.steps)
    outcome.state = _written(state_before, scope.state)
    return _dump_outcome(outcome, label)


def _dump_outcome(outcome: Outcome, label: str) -> bytes:
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps(outcome))
    except Exception as exc:
        step_id = outcome.error.attributes.get("step_id") if outcome.error else None
        failed = ExecutorError(
            f"the result of {label} cannot be sent back from the worker: "
            f"{type(exc).__name__}: {exc}",
            step_id=step_id,
        )
        return bytes(cloudpickle.dumps(Outcome(error=_freeze(failed), worker=outcome.worker)))


def _unpack_runner(blob: bytes) -> tuple[WorkflowRunner, str]:
    from ..tools.registry import ToolRegistry
    from .engine import WorkflowRunner

    run_id, entries = pickle.loads(blob)
    found: dict[str, dict[str, Any]] = {"tool": {}, "agent": {}, "script": {}, "workflow": {}}
    for entry in entries:
        where = f"{entry.kind} {entry.name!r}"
        found[entry.kind][entry.name] = _load(entry.blob, where, used_by=entry.used_by)
    tools = ToolRegistry(found["tool"].values()) if found["tool"] else None
    runner = WorkflowRunner(
        tools=tools, agents=found["agent"], scripts=found["script"], workflows=found["workflow"]
    )
    return runner, run_id


def _load(blob: bytes, what: str, *, used_by: str | None) -> Any:
    import cloudpickle

    try:
        return cloudpickle.loads(blob)
    except Exception as exc:
        step = f"step {used_by!r}: " if used_by else ""
        raise ExecutorError(
            f"{step}{what} cannot be loaded on the worker: {type(exc).__name__}: {exc} "
            "(the worker must be able to import its module: check its PYTHONPATH)",
            step_id=used_by,
        ) from exc


def _references(
    runner: WorkflowRunner, step_lists: list[tuple[Step, ...]]
) -> dict[tuple[str, str], tuple[str, Any]]:
    """``(kind, name) -> (first step using it, the registered object)`` for names that
    are registered; an unregistered name fails on the worker as it would locally."""
    found: dict[tuple[str, str], tuple[str, Any]] = {}
    pending = deque(step for steps in step_lists for step in walk_steps(steps))
    while pending:
        step = pending.popleft()
        ref = _reference(runner, step)
        if ref is not None and ref[0] not in found:
            found[ref[0]] = (step.id, ref[1])
            if isinstance(step, WorkflowStep):
                pending.extend(walk_steps(ref[1].steps))
    return found


def _reference(runner: WorkflowRunner, step: Step) -> tuple[tuple[str, str], Any] | None:
    match step:
        case ToolStep() if runner.tools is not None and step.tool in runner.tools:
            return ("tool", step.tool), runner.tools.get(step.tool)
        case AgentStep() if step.agent in runner.agents:
            return ("agent", step.agent), runner.agents[step.agent]
        case ScriptStep() if step.script in runner.scripts:
            return ("script", step.script), runner.scripts[step.script]
        case WorkflowStep() if step.workflow in runner.workflows:
            return ("workflow", step.workflow), runner.workflows[step.workflow]
    return None


def _written(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The keys a branch wrote: new ones, and ones now holding another object."""
    missing = object()
    return {k: v for k, v in after.items() if before.get(k, missing) is not v}


def _freeze(exc: BaseException, depth: int = 0) -> _FrozenError:
    import cloudpickle

    cause = exc.__cause__ if depth < _MAX_CAUSES else None
    attributes = dict(getattr(exc, "__dict__", {}))
    if not isinstance(exc, WorkflowError) and exc.__traceback__ is not None:
        # The user's own error: its frames on the worker are what a reader needs.
        where = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
        attributes["__notes__"] = [*attributes.get("__notes__", []), f"on the worker:\n{where}"]
    frozen = _FrozenError(
        cls=type(exc),
        args=exc.args,
        attributes=attributes,
        cause=_freeze(cause, depth + 1) if cause is not None else None,
    )
    try:
        cloudpickle.dumps(frozen)
    except Exception:
        # Keep the message and the step; the original type or a value in it stays behind.
        return _FrozenError(
            cls=StepFailed,
            args=(f"{type(exc).__name__}: {exc}",),
            attributes={"step_id": getattr(exc, "step_id", None)},
            cause=None,
        )
    return frozen


def _thaw(frozen: _FrozenError) -> BaseException:
    error = frozen.cls.__new__(frozen.cls, *frozen.args)
    error.args = frozen.args
    error.__dict__.update(frozen.attributes)
    if frozen.cause is not None:
        error.__cause__ = _thaw(frozen.cause)
    return error


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
