"""A workflow offered to agents as a tool: its input schema is the tool's arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models.request import ToolDefinition
from ..tools.base import ModelRetry, RunContext, Tool
from .definition import Workflow
from .engine import WorkflowRunner
from .errors import WorkflowInputError

__all__ = ["WorkflowTool"]

_ANY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}}


class WorkflowTool(Tool):
    """Run `workflow` on `runner` when a model calls it; the result is the workflow's output.

    Input that fails the workflow's input schema goes back to the model to fix; a step that
    fails raises, and the agent reports it to the model as a tool error.
    """

    def __init__(
        self,
        workflow: Workflow,
        runner: WorkflowRunner,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        self.workflow = workflow
        self.runner = runner
        self.name = name or workflow.name
        self.description = description or f"Run the {workflow.name} workflow."
        self._definition = ToolDefinition(
            name=self.name,
            description=self.description,
            parameters=workflow.input_schema or _ANY_OBJECT,
        )

    @property
    def definition(self) -> ToolDefinition:
        return self._definition

    async def call(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Any:
        try:
            result = await self.runner.run(self.workflow, dict(arguments))
        except WorkflowInputError as exc:
            raise ModelRetry(str(exc)) from None
        return result.output
