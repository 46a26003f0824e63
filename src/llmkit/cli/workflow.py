"""``llmkit workflow``: run, validate, visualize, schema, list, status, resume and cancel.

Exit codes: 0 done, 1 the workflow failed or was cancelled, 2 bad input (a definition, an
input, a run id, a checkpoint file), 5 paused at an approval step.

The CLI resolves what a workflow names: ``tool`` steps get the built-in tools (with no
filesystem, network or process grants), ``agent`` steps the agent files passed as
``--agent NAME=FILE``. ``script`` and ``workflow`` steps need Python callables and
registered sub-workflows, which only the Python API can supply: such files are refused
before anything runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..storage import open_checkpoint_store
from ..workflows.approval import ApprovalDecision, ApprovalError, PendingApproval
from ..workflows.checkpoints import CheckpointError, RunCancelled
from ..workflows.definition import AgentStep, ApprovalStep, ScriptStep, ToolStep, Workflow
from ..workflows.durable import StepInterrupted, resume, run_durable, stored_workflow
from ..workflows.errors import WorkflowDefinitionError, WorkflowFailed, WorkflowInputError
from ..workflows.loader import load_workflow
from ..workflows.validate import walk_steps

if TYPE_CHECKING:
    from ..agents.agent import Agent
    from ..hooks.registry import HookRegistry
    from ..workflows.engine import WorkflowRunner
    from ..workflows.results import WorkflowResult

__all__ = ["EXIT_FAILED", "EXIT_PAUSED", "EXIT_USAGE", "default_checkpoint_db", "run_workflow"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PAUSED = 5

# Errors that mean the request was wrong, not that the workflow failed.
_USAGE_ERRORS = (
    WorkflowDefinitionError,
    WorkflowInputError,
    CheckpointError,
    ApprovalError,
    ConfigError,
)
_FAILED_ERRORS = (WorkflowFailed, StepInterrupted, RunCancelled)


class _Usage(Exception):
    """A bad argument, reported with exit code 2."""


async def run_workflow(args: argparse.Namespace) -> int:
    """Run one ``llmkit workflow`` action and return its exit code."""
    action = _ACTIONS[args.workflow_command]
    try:
        return await action(args)
    except (_Usage, *_USAGE_ERRORS) as exc:
        _error(exc)
        return EXIT_USAGE
    except _FAILED_ERRORS as exc:
        _error(exc)
        return EXIT_FAILED


def default_checkpoint_db() -> Path:
    """``$LLMKIT_CHECKPOINT_DB``, else ``[workflows] checkpoint_db`` in llmkit.toml, else
    ``$XDG_DATA_HOME/llmkit/checkpoints.db`` (``~/.local/share/llmkit/checkpoints.db``)."""
    from ..config import load_config

    explicit = os.environ.get("LLMKIT_CHECKPOINT_DB", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    configured = load_config().checkpoint_db
    if configured:
        return Path(configured)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "llmkit" / "checkpoints.db"


async def _run(args: argparse.Namespace) -> int:
    workflow = load_workflow(Path(args.file))
    value = _input(args.input)
    has_approval = any(isinstance(s, ApprovalStep) for s in workflow.steps)
    durable = args.durable or args.db or args.run_id or has_approval
    if not durable:
        return await _drive(args, workflow, lambda runner: runner.run(workflow, value))
    path = _db_path(args, must_exist=False)
    run_id = args.run_id or uuid.uuid4().hex
    async with open_checkpoint_store(path) as store:
        source = _absolute(args.file)
        try:
            return await _drive(
                args,
                workflow,
                lambda runner: run_durable(runner, workflow, value, store, run_id, source=source),
                db=path,
            )
        except _FAILED_ERRORS:
            hint = f"run {run_id} did not finish; `llmkit workflow status {run_id}` shows it"
            print(f"llmkit workflow: {hint}", file=sys.stderr)
            raise


async def _resume(args: argparse.Namespace) -> int:
    decision = None
    if "approve" in args:
        decision = ApprovalDecision.approve(_approved_value(args.approve))
    elif args.reject is not None:
        decision = ApprovalDecision.reject(args.reject)
    path = _db_path(args, must_exist=True)
    async with open_checkpoint_store(path) as store:
        workflow = stored_workflow(await store.get_run(args.run_id), store)
        return await _drive(
            args,
            workflow,
            lambda runner: resume(
                runner,
                workflow,
                store,
                args.run_id,
                idempotent=args.idempotent,
                decision=decision,
            ),
            db=path,
        )


async def _drive(
    args: argparse.Namespace,
    workflow: Workflow,
    start: Callable[[WorkflowRunner], Awaitable[WorkflowResult]],
    db: Path | str | None = None,
) -> int:
    """Build the runner, run with a progress bar, print the outcome."""
    from ..hooks.registry import HookRegistry
    from .progress import WorkflowProgress

    _check_resolvable(workflow, args.agent)
    agents = _agents(args.agent)
    hooks = HookRegistry()
    try:
        runner = _runner(agents, hooks)
        async with WorkflowProgress(sys.stderr, workflow, hooks):
            result = await start(runner)
    finally:
        for agent in agents.values():
            await agent.model.aclose()
    if result.paused is not None:
        _print_paused(result.paused, args, db)
        return EXIT_PAUSED
    if args.json:
        print(json.dumps({"output": result.output}, default=str))
    else:
        print(json.dumps(result.output, default=str, ensure_ascii=False))
    return 0


def _runner(agents: dict[str, Agent], hooks: HookRegistry) -> WorkflowRunner:
    from ..agents.definition import builtin_tools
    from ..tools.registry import ToolRegistry
    from ..workflows.engine import WorkflowRunner

    return WorkflowRunner(tools=ToolRegistry(builtin_tools().values()), agents=agents, hooks=hooks)


def _check_resolvable(workflow: Workflow, agent_specs: list[str]) -> None:
    from ..agents.definition import builtin_tools

    tools = builtin_tools()
    agents = {spec.partition("=")[0] for spec in agent_specs}
    for step in walk_steps(workflow.steps):
        problem = None
        if isinstance(step, ToolStep) and step.tool not in tools:
            problem = f"uses tool {step.tool!r}, which is not a built-in tool"
        elif isinstance(step, AgentStep) and step.agent not in agents:
            problem = f"uses agent {step.agent!r}; pass --agent {step.agent}=FILE"
        elif isinstance(step, ScriptStep):
            problem = f"calls script {step.script!r}; scripts need the Python API"
        elif step.kind == "workflow":
            problem = "runs a sub-workflow; sub-workflows need the Python API"
        if problem:
            raise _Usage(f"workflow {workflow.name!r}: step {step.id!r} {problem}")


def _agents(specs: list[str]) -> dict[str, Agent]:
    from ..agents.definition import agent_from_file

    agents: dict[str, Agent] = {}
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep or not name or not file:
            raise _Usage(f"--agent takes NAME=FILE, got {spec!r}")
        agents[name] = agent_from_file(file)
    return agents


def _input(text: str) -> Any:
    raw = sys.stdin.read() if text == "-" else text
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _Usage(f"--input is not JSON: {exc}") from None


def _approved_value(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # `--approve yes` means the string "yes"


def _absolute(file: str) -> str:
    return str(Path(file).resolve())


def _db_path(args: argparse.Namespace, *, must_exist: bool) -> Path | str:
    target = args.db or os.environ.get("LLMKIT_CHECKPOINT_DB", "").strip()
    if target.startswith(("postgresql://", "postgres://")):
        return target  # checkpoints in PostgreSQL: the server says whether the run exists
    path = Path(args.db) if args.db else default_checkpoint_db()
    if must_exist and not path.is_file():
        raise _Usage(f"no checkpoint database at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _print_paused(
    pending: PendingApproval, args: argparse.Namespace, db: Path | str | None
) -> None:
    if args.json:
        print(json.dumps({"paused": pending.to_dict()}))
        return
    where = f" --db {db}" if args.db else ""
    print(f"Run {pending.run_id} is paused at approval step {pending.step_id!r}:")
    print(f"  {pending.prompt}")
    if pending.options is not None:
        print(f"Options: {', '.join(json.dumps(o) for o in pending.options)}")
    if pending.schema is not None:
        print(f"The value must match: {json.dumps(pending.schema)}")
    print(
        f"Resume with: llmkit workflow resume {pending.run_id}{where} "
        "--approve [VALUE] | --reject REASON"
    )


async def _validate(args: argparse.Namespace) -> int:
    workflow = load_workflow(Path(args.file))
    count = sum(1 for _ in walk_steps(workflow.steps))
    print(f"{args.file}: workflow {workflow.name!r} is valid ({count} steps)")
    return 0


async def _schema(args: argparse.Namespace) -> int:
    from ..workflows.json_schema import workflow_json_schema

    print(json.dumps(workflow_json_schema(), indent=2))
    return 0


async def _visualize(args: argparse.Namespace) -> int:
    from ..workflows.mermaid import to_mermaid

    print(to_mermaid(load_workflow(Path(args.file))))
    return 0


async def _list(args: argparse.Namespace) -> int:
    async with open_checkpoint_store(_db_path(args, must_exist=True)) as store:
        runs = await store.list_runs(status=args.status, workflow=args.workflow, limit=args.limit)
    if args.json:
        print(json.dumps([_summary(run) for run in runs], indent=2))
        return 0
    for run in runs:
        waiting = f"  waiting on {run.waiting_on}" if run.waiting_on else ""
        print(f"{run.run_id}  {run.status:<11}  {run.workflow}  {_when(run.updated)}{waiting}")
    return 0


async def _status(args: argparse.Namespace) -> int:
    async with open_checkpoint_store(_db_path(args, must_exist=True)) as store:
        info = await store.get_run(args.run_id)
        steps = await store.load_steps(args.run_id)
    planned = [s["id"] for s in (info.definition or {}).get("steps", [])]
    rows = {s.step_id: s for s in steps}
    if args.json:
        print(
            json.dumps(
                {
                    "run_id": info.run_id,
                    "workflow": info.workflow,
                    "status": info.status,
                    "error": info.error,
                    "source": info.source,
                    "created": info.created,
                    "updated": info.updated,
                    "pending": info.pending.to_dict() if info.pending else None,
                    "steps": [
                        {"id": s.step_id, "status": s.status, "error": s.error} for s in steps
                    ],
                },
                default=str,
            )
        )
        return 0
    print(f"run {info.run_id}: {info.status} (workflow {info.workflow!r})")
    if info.source:
        print(f"source: {info.source}")
    print(f"started {_when(info.created)}, updated {_when(info.updated)}")
    if info.error:
        print(f"error: {info.error}")
    if info.pending is not None:
        print(f"waiting for approval at {info.pending.step_id!r}: {info.pending.prompt}")
    for step_id in planned or list(rows):
        ckpt = rows.get(step_id)
        waiting = info.pending is not None and info.pending.step_id == step_id
        state = ckpt.status if ckpt else "waiting for approval" if waiting else "not started"
        error = f"  {ckpt.error}" if ckpt and ckpt.error else ""
        print(f"  {step_id:<20} {state}{error}")
    return 0


async def _cancel(args: argparse.Namespace) -> int:
    async with open_checkpoint_store(_db_path(args, must_exist=True)) as store:
        previous = await store.cancel(args.run_id)
    print(f"run {args.run_id} cancelled (it was {previous})")
    return 0


def _summary(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "workflow": run.workflow,
        "status": run.status,
        "error": run.error,
        "created": run.created,
        "updated": run.updated,
        "waiting_on": run.waiting_on,
    }


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def _error(exc: BaseException) -> None:
    label = "error" if isinstance(exc, _Usage) else type(exc).__name__
    print(f"llmkit workflow: {label}: {exc}", file=sys.stderr)


_ACTIONS: dict[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
    "run": _run,
    "resume": _resume,
    "validate": _validate,
    "visualize": _visualize,
    "schema": _schema,
    "list": _list,
    "status": _status,
    "cancel": _cancel,
}
