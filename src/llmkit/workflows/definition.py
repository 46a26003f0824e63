"""A workflow as plain data: frozen keyword-only dataclasses, one per step kind.

Each step class has a `kind` (the ``kind:`` key in YAML/JSON). Fields whose YAML key is a
Python keyword end with ``_`` (``if_``, ``else_``, ``while_``, ``for_``); `yaml_key` maps
them back. Nested steps are tuples so a definition stays immutable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "STEP_KINDS",
    "AgentStep",
    "ApprovalStep",
    "CircuitBreaker",
    "ConditionalStep",
    "DelayStep",
    "LoopStep",
    "MapStep",
    "ParallelStep",
    "Retry",
    "ScriptStep",
    "SequentialStep",
    "Step",
    "StepBase",
    "ToolStep",
    "TransformStep",
    "Workflow",
    "WorkflowStep",
    "child_steps",
    "handler_steps",
    "yaml_key",
]


@dataclass(frozen=True, kw_only=True)
class Retry:
    """Retry policy: `attempts` in total, waiting `delay`, then `delay * backoff`, ...

    Each wait is capped at `max_delay`, then a random share of up to `jitter` (0 to 1) of
    it is added. `on` lists the error types that retry (default: all); `not_on` those that
    never do. A name matches when it is the ``__name__`` of a class in the MRO of the error
    or of an error in its ``__cause__`` chain (so ``TimeoutError`` matches a `StepTimeout`).
    A backoff of 1 is a fixed delay.
    """

    attempts: int = 1
    delay: float = 0.0
    backoff: float = 2.0
    max_delay: float | None = None
    jitter: float = 0.0
    on: tuple[str, ...] = ()
    not_on: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CircuitBreaker:
    """A named circuit breaker: `threshold` consecutive failures open it for `cooldown`
    seconds. Steps naming the same breaker share its state (kept by the runner)."""

    name: str
    threshold: int = 5
    cooldown: float = 30.0


@dataclass(frozen=True, kw_only=True)
class StepBase:
    """Fields every step has. `output` is the state key for the result (default: `id`).

    `idempotent` says the step is safe to run twice: a durable run resumed after a crash
    re-runs it if it was in flight (see `llmkit.workflows.durable`).

    Error handling: `fallback` runs when the step fails after its retries and gives its
    output; `circuit_breaker` fails calls fast while the named circuit is open;
    `compensate` undoes the step if the workflow fails later (docs/workflows.md).
    """

    kind: ClassVar[str] = ""
    id: str
    output: str | None = None
    timeout: float | None = None
    retry: Retry | None = None
    continue_on_error: bool = False
    idempotent: bool = False
    fallback: Step | None = None
    compensate: tuple[Step, ...] = ()
    circuit_breaker: CircuitBreaker | None = None

    @property
    def output_key(self) -> str:
        """Where the result goes in ``state``."""
        return self.output or self.id


@dataclass(frozen=True, kw_only=True)
class ToolStep(StepBase):
    """Call a registered tool with `input` (values may be expressions)."""

    kind: ClassVar[str] = "tool"
    tool: str
    input: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AgentStep(StepBase):
    """Run a named agent on the rendered Jinja `prompt`; the result is ``RunResult.output``."""

    kind: ClassVar[str] = "agent"
    agent: str
    prompt: str


@dataclass(frozen=True, kw_only=True)
class ScriptStep(StepBase):
    """Call a registered Python callable with `input` as keyword arguments."""

    kind: ClassVar[str] = "script"
    script: str
    input: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SequentialStep(StepBase):
    """Run `steps` in order; the result is the last one's."""

    kind: ClassVar[str] = "sequential"
    steps: tuple[Step, ...]


@dataclass(frozen=True, kw_only=True)
class ParallelStep(StepBase):
    """Run `branches` concurrently; the result maps branch id to output.

    `fail_fast` cancels the siblings at the first failure; otherwise every branch finishes
    and the failures are reported together.
    """

    kind: ClassVar[str] = "parallel"
    branches: tuple[Step, ...]
    max_concurrency: int | None = None
    fail_fast: bool = True


@dataclass(frozen=True, kw_only=True)
class ConditionalStep(StepBase):
    """Run `then` if the `if_` expression is truthy, else `else_`."""

    kind: ClassVar[str] = "conditional"
    if_: str
    then: tuple[Step, ...]
    else_: tuple[Step, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LoopStep(StepBase):
    """Repeat `steps` ``while`` an expression holds, ``for`` a count, or ``foreach`` item.

    Exactly one of `while_`, `for_`, `foreach`. The result lists each iteration's output.
    """

    kind: ClassVar[str] = "loop"
    steps: tuple[Step, ...]
    while_: str | None = None
    for_: int | str | None = None
    foreach: str | None = None
    max_iterations: int = 100


@dataclass(frozen=True, kw_only=True)
class MapStep(StepBase):
    """Run `steps` once per element of `over`, at most `concurrency` at a time.

    Each iteration sees the element as ``item`` and as the name `item`, plus ``index``.
    """

    kind: ClassVar[str] = "map"
    over: str
    steps: tuple[Step, ...]
    item: str = "item"
    concurrency: int | None = None


@dataclass(frozen=True, kw_only=True)
class DelayStep(StepBase):
    """Sleep `seconds` plus a random share of `jitter`."""

    kind: ClassVar[str] = "delay"
    seconds: float
    jitter: float = 0.0


@dataclass(frozen=True, kw_only=True)
class TransformStep(StepBase):
    """Produce `value` (expressions and templates inside it are evaluated)."""

    kind: ClassVar[str] = "transform"
    value: Any


@dataclass(frozen=True, kw_only=True)
class WorkflowStep(StepBase):
    """Run the registered sub-workflow `workflow` with `input`; the result is its output."""

    kind: ClassVar[str] = "workflow"
    workflow: str
    input: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ApprovalStep(StepBase):
    """Pause a durable run until a human decides; the output is the decision.

    `prompt` is a Jinja template over the state, shown to the human. An approved value
    must be one of `options` or match the JSON schema `schema` when either is given.
    Only top-level steps of durable runs (see `llmkit.workflows.approval`).
    """

    kind: ClassVar[str] = "approval"
    prompt: str
    options: list[Any] | None = None
    schema: dict[str, Any] | None = None


Step = (
    ToolStep
    | AgentStep
    | ScriptStep
    | SequentialStep
    | ParallelStep
    | ConditionalStep
    | LoopStep
    | MapStep
    | DelayStep
    | TransformStep
    | WorkflowStep
    | ApprovalStep
)

STEP_KINDS: dict[str, type[StepBase]] = {
    cls.kind: cls
    for cls in (
        ToolStep,
        AgentStep,
        ScriptStep,
        SequentialStep,
        ParallelStep,
        ConditionalStep,
        LoopStep,
        MapStep,
        DelayStep,
        TransformStep,
        WorkflowStep,
        ApprovalStep,
    )
}


@dataclass(frozen=True, kw_only=True)
class Workflow:
    """A named list of steps, an optional JSON schema for the input and an `output`
    expression for the result (default: the last step's output)."""

    name: str
    steps: tuple[Step, ...]
    input_schema: dict[str, Any] | None = None
    output: str | None = None


def yaml_key(attr: str) -> str:
    """The YAML/JSON key of a dataclass field (``if_`` is written ``if``)."""
    return attr[:-1] if attr.endswith("_") else attr


def child_steps(step: StepBase) -> list[tuple[str, tuple[Step, ...]]]:
    """The nested step lists of `step`, by field name, in running order."""
    names = ("steps", "branches", "then", "else_")
    return [(n, getattr(step, n)) for n in names if hasattr(step, n)]


def handler_steps(step: StepBase) -> list[tuple[str, tuple[Step, ...]]]:
    """The steps `step` runs only when something fails: its fallback and compensation."""
    fallback = () if step.fallback is None else (step.fallback,)
    return [("fallback", fallback), ("compensate", step.compensate)]
