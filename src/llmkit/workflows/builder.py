"""`WorkflowBuilder`: the Python way to write the same definition a YAML file gives."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Self

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
    Workflow,
    WorkflowStep,
)
from .validate import validate_workflow

__all__ = ["Steps", "WorkflowBuilder"]


def _steps(body: Steps | Sequence[Step]) -> tuple[Step, ...]:
    return tuple(body.steps if isinstance(body, Steps) else body)


def _input(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


def _with_tuples(step: Step) -> Step:
    # `compensate` may come as one step, a list or a `Steps`; a definition holds a tuple.
    undo: Any = step.compensate
    if isinstance(undo, tuple):
        return step
    body = undo if isinstance(undo, Steps | Sequence) else [undo]
    return dataclasses.replace(step, compensate=_steps(body))


class Steps:
    """A list of steps built by chained calls; pass one as the body of a compound step.

    Every method takes the common step options as keywords: ``output``, ``timeout``,
    ``retry`` (a `Retry`), ``continue_on_error``, ``idempotent``, ``fallback`` (a step),
    ``compensate`` (a step, a list or a `Steps`) and ``circuit_breaker`` (a
    `CircuitBreaker`).
    """

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(self, step: Step) -> Self:
        """Append a step made by hand."""
        self.steps.append(_with_tuples(step))
        return self

    def tool(self, id: str, tool: str, input: Mapping[str, Any] | None = None, **opts: Any) -> Self:
        """A `ToolStep`."""
        return self.add(ToolStep(id=id, tool=tool, input=_input(input), **opts))

    def agent(self, id: str, agent: str, prompt: str, **opts: Any) -> Self:
        """An `AgentStep`."""
        return self.add(AgentStep(id=id, agent=agent, prompt=prompt, **opts))

    def script(
        self, id: str, script: str, input: Mapping[str, Any] | None = None, **opts: Any
    ) -> Self:
        """A `ScriptStep`."""
        return self.add(ScriptStep(id=id, script=script, input=_input(input), **opts))

    def approval(
        self,
        id: str,
        prompt: str,
        *,
        options: Sequence[Any] | None = None,
        schema: Mapping[str, Any] | None = None,
        **opts: Any,
    ) -> Self:
        """An `ApprovalStep`: pause a durable run until a human decides."""
        return self.add(
            ApprovalStep(
                id=id,
                prompt=prompt,
                options=list(options) if options is not None else None,
                schema=dict(schema) if schema is not None else None,
                **opts,
            )
        )

    def transform(self, id: str, value: Any, **opts: Any) -> Self:
        """A `TransformStep`."""
        return self.add(TransformStep(id=id, value=value, **opts))

    def delay(self, id: str, seconds: float, jitter: float = 0.0, **opts: Any) -> Self:
        """A `DelayStep`."""
        return self.add(DelayStep(id=id, seconds=seconds, jitter=jitter, **opts))

    def workflow(
        self, id: str, workflow: str, input: Mapping[str, Any] | None = None, **opts: Any
    ) -> Self:
        """A `WorkflowStep` (a registered sub-workflow)."""
        return self.add(WorkflowStep(id=id, workflow=workflow, input=_input(input), **opts))

    def sequential(self, id: str, steps: Steps | Sequence[Step], **opts: Any) -> Self:
        """A `SequentialStep`."""
        return self.add(SequentialStep(id=id, steps=_steps(steps), **opts))

    def parallel(self, id: str, branches: Steps | Sequence[Step], **opts: Any) -> Self:
        """A `ParallelStep` (``max_concurrency``, ``fail_fast`` as keywords)."""
        return self.add(ParallelStep(id=id, branches=_steps(branches), **opts))

    def conditional(
        self,
        id: str,
        if_: str,
        then: Steps | Sequence[Step],
        else_: Steps | Sequence[Step] = (),
        **opts: Any,
    ) -> Self:
        """A `ConditionalStep`."""
        return self.add(
            ConditionalStep(id=id, if_=if_, then=_steps(then), else_=_steps(else_), **opts)
        )

    def loop(self, id: str, steps: Steps | Sequence[Step], **opts: Any) -> Self:
        """A `LoopStep` (``while_``, ``for_`` or ``foreach``, ``max_iterations``)."""
        return self.add(LoopStep(id=id, steps=_steps(steps), **opts))

    def map(self, id: str, over: str, steps: Steps | Sequence[Step], **opts: Any) -> Self:
        """A `MapStep` (``item``, ``concurrency`` as keywords)."""
        return self.add(MapStep(id=id, over=over, steps=_steps(steps), **opts))


class WorkflowBuilder(Steps):
    """Build a `Workflow`: ``WorkflowBuilder("w").tool(...).script(...).build()``."""

    def __init__(
        self, name: str, *, input_schema: Mapping[str, Any] | None = None, output: str | None = None
    ) -> None:
        super().__init__()
        self.name = name
        self.input_schema = dict(input_schema) if input_schema is not None else None
        self.output = output

    def build(self, *, workflows: Mapping[str, Workflow] | None = None) -> Workflow:
        """The validated workflow (raises `WorkflowDefinitionError` like the loader)."""
        workflow = Workflow(
            name=self.name,
            steps=tuple(self.steps),
            input_schema=self.input_schema,
            output=self.output,
        )
        return validate_workflow(workflow, source=f"<builder {self.name}>", workflows=workflows)
