"""``Workflow``: workflows defined in the script (the YAML shape, with script functions
as steps, conditions and transforms), run, loaded, checked on and resumed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..callbacks import ScriptFunction
from ..errors import BridgeArgumentError
from ..registry import Bridge, bridge_method
from .conversions import handle_id, json_safe
from .hook import session_hooks
from .paths import granted_path

if TYPE_CHECKING:
    from ...workflows import Workflow, WorkflowResult, WorkflowRunner
    from ..host import HostSession

__all__ = ["WorkflowBridge", "translate_steps"]

_NESTED = ("steps", "then", "else", "branches", "compensate")
_WHOLE_CONTEXT = {"ctx": "${ @ }"}


def _script_step(step_id: str, fn: ScriptFunction, scripts: dict[str, Any], **extra: Any) -> Any:
    name = f"{step_id}__fn"

    async def call(ctx: Any) -> Any:
        return await fn.call_async(json_safe(ctx))

    scripts[name] = call
    return {"kind": "script", "id": step_id, "script": name, "input": _WHOLE_CONTEXT, **extra}


def translate_steps(steps: Any, scripts: dict[str, Any]) -> list[Any]:
    """Steps as the workflow parser reads them: script functions become ``script``
    steps (registered in `scripts`) that get the whole context ``{input, steps, state,
    item, index}``; a function ``if`` or ``while`` is computed by such a step into the
    state before the condition reads it."""
    if not isinstance(steps, list):
        raise BridgeArgumentError("Workflow.create: steps must be a list of step tables")
    return [_translate(step, scripts) for step in steps]


def _translate(step: Any, scripts: dict[str, Any]) -> Any:
    if not isinstance(step, dict):
        return step
    step = dict(step)
    step_id = str(step.get("id"))
    for key in _NESTED:
        if isinstance(step.get(key), list):
            step[key] = translate_steps(step[key], scripts)
    if isinstance(step.get("fallback"), dict):
        step["fallback"] = _translate(step["fallback"], scripts)
    fn = step.pop("fn", None)
    if isinstance(fn, ScriptFunction):
        return _script_step(step_id, fn, scripts, **{k: v for k, v in step.items() if k != "kind"})
    if step.get("kind") == "transform" and isinstance(step.get("value"), ScriptFunction):
        value = step.pop("value")
        step.pop("kind")
        return _script_step(step_id, value, scripts, **{k: v for k, v in step.items()})
    if isinstance(step.get("if"), ScriptFunction):
        return _computed_condition(step, "if", scripts)
    if isinstance(step.get("while"), ScriptFunction):
        return _computed_condition(step, "while", scripts)
    return step


def _computed_condition(step: dict[str, Any], key: str, scripts: dict[str, Any]) -> Any:
    step_id = str(step["id"])
    flag = f"{step_id}__{key}"
    condition = step.pop(key)
    outer = {"kind": "sequential", "id": step_id, "output": step.pop("output", None) or step_id}
    first = _script_step(f"{flag}_0", condition, scripts, output=flag)
    inner = {**step, "id": f"{step_id}__body", key: f'state."{flag}"'}
    if key == "while":
        body = list(step.get("steps") or [])
        last = body[-1]["id"] if body and isinstance(body[-1], dict) else None
        body.append(_script_step(f"{flag}_next", condition, scripts, output=flag))
        if last is not None:  # each iteration's output stays the body's, not the flag's
            body.append({"kind": "transform", "id": f"{flag}_out", "value": f"${{ steps.{last} }}"})
        inner["steps"] = body
    outer["steps"] = [first, inner]
    return outer


def _result(result: WorkflowResult, run_id: str | None) -> dict[str, Any]:
    paused = result.paused
    return {
        "output": result.output,
        "state": {k: v for k, v in result.state.items() if "__" not in k},
        "run_id": run_id,
        "status": "paused" if paused is not None else "completed",
    }


class WorkflowBridge(Bridge):
    """Workflows of this run, as handles (``workflow:run(input)``)."""

    name = "Workflow"
    summary = "Build workflows whose steps and conditions may be script functions; run them."

    def __init__(self, session: HostSession) -> None:
        super().__init__(session)
        self._workflows: dict[str, tuple[Workflow, dict[str, Callable[..., Any]]]] = {}

    def _keep(self, workflow: Workflow, scripts: dict[str, Any]) -> dict[str, Any]:
        key = f"workflow:{len(self._workflows) + 1}"
        self._workflows[key] = (workflow, scripts)
        return {"id": key, "name": workflow.name, "steps": [s.id for s in workflow.steps]}

    def _get(self, handle: Any) -> tuple[Workflow, dict[str, Any]]:
        key = handle_id(handle, "a workflow")
        found = self._workflows.get(key)
        if found is None:
            raise BridgeArgumentError(f"no workflow {key!r} in this run (see Workflow.create)")
        return found

    def _runner(self, scripts: dict[str, Any]) -> WorkflowRunner:
        from ...workflows import WorkflowRunner
        from .agent import AgentBridge

        agents = self.session.bridge("Agent")
        assert isinstance(agents, AgentBridge)
        return WorkflowRunner(
            tools=self.session.tools,
            agents=agents.by_name(),
            scripts=scripts,
            hooks=session_hooks(self.session),
        )

    @bridge_method(returns="table")
    def create(self, definition: dict[str, Any]) -> dict[str, Any]:
        """A workflow from a table of the YAML shape (``name``, ``steps``,
        ``input_schema``, ``output``). Beyond it, a step may be ``{id, fn = function(ctx)
        ... end}``; a ``transform``'s ``value``, a ``conditional``'s ``if`` and a
        ``loop``'s ``while`` may be functions. A function gets ``ctx`` with ``input``,
        ``steps``, ``state``, and ``item``/``index`` in loops.

        Args:
            definition: The workflow.

        Example (lua):
            local flow = Workflow.create{name = "double", steps = {
              {id = "twice", fn = function(ctx) return ctx.input.n * 2 end},
            }}
            assert(flow:run({n = 21}).output == 42)
        """
        from ...workflows import parse_workflow, validate_workflow

        data = dict(definition)
        scripts: dict[str, Any] = {}
        data["steps"] = translate_steps(data.get("steps"), scripts)
        data.setdefault("name", "script-workflow")
        workflow = parse_workflow(data, source="<script>")
        return self._keep(validate_workflow(workflow, source="<script>"), scripts)

    @bridge_method(returns="table")
    def load(self, path: str) -> dict[str, Any]:
        """A workflow from a YAML or JSON file (see docs/workflows.md).

        Args:
            path: The file (under a folder granted with ``--allow-read``).

        Example (lua):
            -- llmkit run --allow-read=. script.lua; without the grant it is refused:
            local ok, err = pcall(Workflow.load, "flow.yaml")
            assert(not ok and err:find("PermissionDenied"))
        """
        from ...workflows import load_workflow

        return self._keep(load_workflow(granted_path(self.session, path, "read")), {})

    @bridge_method(returns="table")
    def run(self, workflow: Any, input: Any = None, opts: dict[str, Any] | None = None) -> Any:
        """Run a workflow; returns ``{output, state, run_id, status}``. With
        ``opts.store`` (an SQLite file, needs ``--allow-write``) the run is durable: each
        finished step is checkpointed and ``Workflow.resume`` can continue it.

        Args:
            workflow: The workflow or its id.
            input: The workflow's input.
            opts: ``store`` (checkpoint file), ``run_id``.

        Example (lua):
            local flow = Workflow.create{name = "count", steps = {
              {id = "n", kind = "transform", value = 1},
              {id = "more", kind = "loop", max_iterations = 10,
               ["while"] = function(ctx) return ctx.state.n < 4 end,
               steps = {{id = "inc", fn = function(ctx) return ctx.state.n + 1 end, output = "n"}}},
            }}
            assert(flow:run().state.n == 4)
        """
        flow, scripts = self._get(workflow)
        options = opts or {}
        runner = self._runner(scripts)
        store_path = options.get("store")
        run_id = options.get("run_id")
        if store_path is None:
            return _result(self.session.await_host(runner.run(flow, input, run_id=run_id)), run_id)
        from ...workflows import CheckpointStore, run_durable

        path = granted_path(self.session, str(store_path), "write")

        async def durable() -> dict[str, Any]:
            import uuid

            key = run_id or uuid.uuid4().hex
            store = CheckpointStore(path)
            try:
                return _result(await run_durable(runner, flow, input, store, key), key)
            finally:
                await store.close()

        return self.session.await_host(durable())

    @bridge_method(returns="table")
    def status(self, store: str, run_id: str) -> dict[str, Any]:
        """A durable run's ``{run_id, workflow, status, error}`` (status: running,
        completed, failed, paused, interrupted, cancelled).

        Args:
            store: The checkpoint file the run is in.
            run_id: The run.

        Example (lua):
            local ok, err = pcall(Workflow.status, "runs.db", "run-1")
            assert(not ok and err:find("PermissionDenied"))
        """
        from ...workflows import CheckpointStore

        path = granted_path(self.session, store, "read")

        async def get() -> dict[str, Any]:
            checkpoints = CheckpointStore(path)
            try:
                info = await checkpoints.get_run(run_id)
            finally:
                await checkpoints.close()
            return {
                "run_id": info.run_id,
                "workflow": info.workflow,
                "status": info.status,
                "error": info.error,
            }

        return self.session.await_host(get())

    @bridge_method(permission="write", returns="table")
    def resume(self, workflow: Any, store: str, run_id: str) -> dict[str, Any]:
        """Continue a durable run from its checkpoints (finished steps are not redone);
        returns what ``Workflow.run`` returns.

        Args:
            workflow: The workflow the run was started with (its script functions are
                needed again), or nil for a file-defined one stored with the run.
            store: The checkpoint file.
            run_id: The run.

        Example (lua):
            local ok, err = pcall(Workflow.resume, nil, "runs.db", "run-1")
            assert(not ok and err:find("PermissionDenied"))
        """
        from ...workflows import CheckpointStore, resume

        flow, scripts = self._get(workflow) if workflow is not None else (None, {})
        path = granted_path(self.session, store, "write")
        runner = self._runner(scripts)

        async def go() -> dict[str, Any]:
            checkpoints = CheckpointStore(path)
            try:
                return _result(await resume(runner, flow, checkpoints, run_id), run_id)
            finally:
                await checkpoints.close()

        return self.session.await_host(go())
