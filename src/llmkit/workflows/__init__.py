"""Workflows: steps as data (YAML, JSON or a builder), run by an in-memory engine.

Expressions are JMESPath written ``${ ... }``; templates are sandboxed Jinja2
(``{{ ... }}``); see `llmkit.workflows.expressions` for the convention.
"""

from __future__ import annotations

from .approval import ApprovalDecision, ApprovalError, ApprovalRejected, PendingApproval
from .as_tool import WorkflowTool
from .builder import Steps, WorkflowBuilder
from .checkpoints import CheckpointError, CheckpointStore, RunCancelled, RunInfo, RunSummary
from .dask_executor import DaskExecutor
from .definition import (
    STEP_KINDS,
    AgentStep,
    ApprovalStep,
    CircuitBreaker,
    ConditionalStep,
    DelayStep,
    LoopStep,
    MapStep,
    ParallelStep,
    Retry,
    ScriptStep,
    SequentialStep,
    Step,
    ToolStep,
    TransformStep,
    Workflow,
    WorkflowStep,
)
from .durable import StepInterrupted, resume, run_durable
from .engine import WorkflowRunner
from .errors import (
    CircuitOpen,
    ExpressionError,
    StepFailed,
    StepTimeout,
    WorkflowDefinitionError,
    WorkflowError,
    WorkflowFailed,
    WorkflowInputError,
)
from .fanout import Branch, Executor, ExecutorError, LocalExecutor
from .loader import load_workflow
from .mermaid import to_mermaid
from .parse import parse_workflow
from .policies import Circuit
from .results import CompensationRecord, StepRecord, StepStatus, WorkflowResult
from .serialize import workflow_to_dict
from .validate import check_subworkflows, validate_workflow

__all__ = [
    "Branch",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "LocalExecutor",
    "ApprovalDecision",
    "ApprovalError",
    "ApprovalRejected",
    "ApprovalStep",
    "Circuit",
    "CircuitBreaker",
    "CircuitOpen",
    "CompensationRecord",
    "PendingApproval",
    "RunCancelled",
    "RunInfo",
    "RunSummary",
    "workflow_to_dict",
    "CheckpointError",
    "CheckpointStore",
    "StepInterrupted",
    "resume",
    "run_durable",
    "WorkflowTool",
    "STEP_KINDS",
    "AgentStep",
    "ConditionalStep",
    "DelayStep",
    "ExpressionError",
    "LoopStep",
    "MapStep",
    "ParallelStep",
    "Retry",
    "ScriptStep",
    "SequentialStep",
    "Step",
    "StepFailed",
    "StepRecord",
    "StepStatus",
    "StepTimeout",
    "Steps",
    "ToolStep",
    "TransformStep",
    "Workflow",
    "WorkflowBuilder",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowFailed",
    "WorkflowInputError",
    "WorkflowResult",
    "WorkflowRunner",
    "WorkflowStep",
    "check_subworkflows",
    "load_workflow",
    "parse_workflow",
    "to_mermaid",
    "validate_workflow",
]
