"""Checks a definition before it runs: ids, field values, expressions, references.

Raises `WorkflowDefinitionError` naming the source, the step id and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .definition import (
    AgentStep,
    ApprovalStep,
    LoopStep,
    MapStep,
    ParallelStep,
    Step,
    StepBase,
    Workflow,
    WorkflowStep,
    child_steps,
    handler_steps,
)
from .errors import WorkflowDefinitionError
from .expressions import (
    STEP_REFERENCE,
    compile_query,
    compile_template,
    is_expression,
    is_template,
    query_source,
)
from .policies import register_circuits

__all__ = ["check_subworkflows", "validate_workflow", "walk_steps"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = frozenset({"input", "steps", "state", "index"})
_QUERY_FIELDS = ("if_", "while_", "foreach", "over")


def walk_steps(steps: Sequence[Step]) -> Iterator[Step]:
    """Every step, nested ones, fallbacks and compensations included, depth first in
    definition order."""
    for step in steps:
        yield step
        for _, body in [*child_steps(step), *handler_steps(step)]:
            yield from walk_steps(body)


def _compensation_ids(step: Step) -> set[str]:
    # Compensations run only after the workflow failed: no later step can read them.
    return {c.id for s in walk_steps([step]) for c in walk_steps(s.compensate)}


def validate_workflow(
    workflow: Workflow,
    *,
    source: str = "<definition>",
    workflows: Mapping[str, Workflow] | None = None,
) -> Workflow:
    """Check `workflow`; with `workflows` also its sub-workflow names and cycles."""
    checker = _Checker(source)
    seen: set[str] = set()
    top_level = {id(step) for step in workflow.steps}
    for step in walk_steps(workflow.steps):
        if isinstance(step, ApprovalStep) and id(step) not in top_level:
            # A paused run resumes at a top-level step boundary; it cannot resume mid-loop.
            raise checker.error(
                "approval steps must be top-level steps of the workflow", step.id, "kind"
            )
        if not _IDENT.match(step.id):
            raise checker.error("ids are letters, digits and '_'", step.id, "id")
        if step.id in seen:
            raise checker.error("duplicate step id", step.id, "id")
        seen.add(step.id)
        checker.fields(step)
        checker.policies(step)
    register_circuits({}, walk_steps(workflow.steps), source=source)
    available = checker.references(workflow.steps, set())
    if workflow.output is not None:
        checker.query(workflow.output, None, "output", available)
    if workflow.input_schema is not None:
        from ..schema import Schema, SchemaError

        try:
            Schema(workflow.input_schema)
        except SchemaError as exc:
            raise checker.error(str(exc), None, "input_schema") from exc
    if workflows is not None:
        check_subworkflows({**workflows, workflow.name: workflow}, source=source)
    return workflow


def check_subworkflows(workflows: Mapping[str, Workflow], *, source: str = "<registry>") -> None:
    """Every ``workflow`` step names a known workflow, and no workflow calls itself."""
    calls: dict[str, list[WorkflowStep]] = {
        name: [s for s in walk_steps(wf.steps) if isinstance(s, WorkflowStep)]
        for name, wf in workflows.items()
    }
    for name, steps in calls.items():
        for step in steps:
            if step.workflow not in workflows:
                raise WorkflowDefinitionError(
                    f"unknown sub-workflow {step.workflow!r} (in workflow {name!r})",
                    source=source,
                    step_id=step.id,
                    field="workflow",
                )
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            step = next(s for s in calls[path[-1]] if s.workflow == name)
            raise WorkflowDefinitionError(
                f"sub-workflow cycle {cycle}", source=source, step_id=step.id, field="workflow"
            )
        if name in done:
            return
        for step in calls[name]:
            visit(step.workflow, [*path, name])
        done.add(name)

    for name in workflows:
        visit(name, [])


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str, step_id: str | None, field: str) -> WorkflowDefinitionError:
        return WorkflowDefinitionError(message, source=self.source, step_id=step_id, field=field)

    def fields(self, step: StepBase) -> None:
        if step.timeout is not None and step.timeout <= 0:
            raise self.error("must be > 0", step.id, "timeout")
        if isinstance(step, LoopStep):
            modes = [m for m in (step.while_, step.for_, step.foreach) if m is not None]
            if len(modes) != 1:
                raise self.error("needs exactly one of while, for, foreach", step.id, "while")
            if step.max_iterations < 1:
                raise self.error("must be >= 1", step.id, "max_iterations")
        if isinstance(step, MapStep):
            if not _IDENT.match(step.item) or step.item in _RESERVED:
                raise self.error("must be a name other than input/steps/state", step.id, "item")
            if step.concurrency is not None and step.concurrency < 1:
                raise self.error("must be >= 1", step.id, "concurrency")
        if (
            isinstance(step, ParallelStep)
            and step.max_concurrency is not None
            and step.max_concurrency < 1
        ):
            raise self.error("must be >= 1", step.id, "max_concurrency")
        if isinstance(step, ApprovalStep):
            self.approval(step)

    def policies(self, step: StepBase) -> None:
        """The error-handling fields: retry, circuit breaker, compensation."""
        retry, breaker = step.retry, step.circuit_breaker
        if retry is not None:
            for name, value, low in (
                ("attempts", retry.attempts, 1),
                ("backoff", retry.backoff, 1),
            ):
                if value < low:
                    raise self.error(f"must be >= {low}", step.id, f"retry.{name}")
            for name, number in (("delay", retry.delay), ("max_delay", retry.max_delay)):
                if number is not None and number < 0:
                    raise self.error("must be >= 0", step.id, f"retry.{name}")
            if not 0 <= retry.jitter <= 1:
                raise self.error("must be a share from 0 to 1", step.id, "retry.jitter")
            for name, errors in (("on", retry.on), ("not_on", retry.not_on)):
                if not isinstance(errors, tuple | list):
                    raise self.error("must be a list of class names", step.id, f"retry.{name}")
                for error in errors:
                    if not (isinstance(error, str) and _IDENT.match(error)):
                        raise self.error(f"{error!r} is not a class name", step.id, f"retry.{name}")
            both = sorted(set(retry.on) & set(retry.not_on))
            if both:
                raise self.error(f"{both} listed in both on and not_on", step.id, "retry.not_on")
        if breaker is not None:
            if not breaker.name.strip():
                raise self.error("must not be empty", step.id, "circuit_breaker.name")
            if breaker.threshold < 1:
                raise self.error("must be >= 1", step.id, "circuit_breaker.threshold")
            if breaker.cooldown <= 0:
                raise self.error("must be > 0", step.id, "circuit_breaker.cooldown")
        for undo in step.compensate:
            nested = next((s for s in walk_steps([undo]) if s.compensate), None)
            if nested is not None:
                raise self.error(
                    f"compensation step {nested.id!r} has a compensation itself, which "
                    "would never run",
                    step.id,
                    "compensate",
                )

    def approval(self, step: ApprovalStep) -> None:
        if step.retry is not None:
            raise self.error("an approval is decided once; retry does not apply", step.id, "retry")
        if step.options is not None and step.schema is not None:
            raise self.error("give options or schema, not both", step.id, "options")
        if step.options is not None and not step.options:
            raise self.error("must list at least one option", step.id, "options")
        if step.schema is not None:
            from ..schema import Schema, SchemaError

            try:
                Schema(step.schema)
            except SchemaError as exc:
                raise self.error(str(exc), step.id, "schema") from exc

    def references(self, steps: Sequence[Step], available: set[str]) -> set[str]:
        """Check expressions in order; return the ids available after `steps`."""
        known = set(available)
        for step in steps:
            inner = {s.id for s in walk_steps([step])} - {step.id} - _compensation_ids(step)
            # A loop's condition and body may read its body's outputs from the previous
            # iteration (absent in the first: null in JMESPath, `is defined` in Jinja).
            own = known | inner if isinstance(step, LoopStep) else known
            self.expressions(step, own)
            if isinstance(step, ParallelStep):
                for branch in step.branches:
                    self.references([branch], known)
            else:
                for _, body in child_steps(step):
                    self.references(body, own)
            if step.fallback is not None:
                self.references([step.fallback], known)
            known |= inner | {step.id}
            # A compensation sees its step's output and everything before it.
            self.references(step.compensate, known)
        return known

    def expressions(self, step: StepBase, available: set[str]) -> None:
        for name in _QUERY_FIELDS:
            text = getattr(step, name, None)
            if isinstance(text, str):
                self.query(text, step.id, name.rstrip("_"), available)
        if isinstance(step, LoopStep) and isinstance(step.for_, str):
            self.query(step.for_, step.id, "for", available)
        if isinstance(step, AgentStep | ApprovalStep):
            self.template(step.prompt, step.id, "prompt", available)
        for name in ("input", "value"):
            if hasattr(step, name):
                self.value(getattr(step, name), step.id, name, available)

    def value(self, value: Any, step_id: str, field: str, available: set[str]) -> None:
        if is_expression(value):
            self.query(value, step_id, field, available)
        elif is_template(value):
            self.template(value, step_id, field, available)
        elif isinstance(value, Mapping):
            for item in value.values():
                self.value(item, step_id, field, available)
        elif isinstance(value, list | tuple):
            for item in value:
                self.value(item, step_id, field, available)

    def query(self, text: str, step_id: str | None, field: str, available: set[str]) -> None:
        try:
            compile_query(query_source(text))
        except Exception as exc:
            raise self.error(f"bad expression {text!r}: {exc}", step_id, field) from exc
        self.refs(text, step_id, field, available)

    def template(self, text: str, step_id: str, field: str, available: set[str]) -> None:
        try:
            compile_template(text)
        except Exception as exc:
            raise self.error(f"bad template {text!r}: {exc}", step_id, field) from exc
        self.refs(text, step_id, field, available)

    def refs(self, text: str, step_id: str | None, field: str, available: set[str]) -> None:
        for ref in STEP_REFERENCE.findall(text):
            if ref not in available:
                raise self.error(
                    f"expression {text!r} refers to step {ref!r}, which does not exist "
                    "or has not run yet",
                    step_id,
                    field,
                )
