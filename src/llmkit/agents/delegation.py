"""Delegation: an agent offered to another as a tool, and hand-offs of the conversation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..models.request import ToolDefinition
from ..tools.base import ModelRetry, RunContext, Tool
from ..tools.results import serialize_result

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["AgentTool", "handoff_definition", "handoff_tool_name"]

_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "What to ask the agent."}},
    "required": ["input"],
    "additionalProperties": False,
}


class AgentTool(Tool):
    """Another agent behind a tool: the caller's model asks it a question and gets its answer.

    The sub-run shares the caller's dependencies, and its usage is added to the caller's, so
    budgets and bills see the whole tree of runs.
    """

    def __init__(self, agent: Agent, *, name: str | None = None, description: str | None = None):
        self.agent = agent
        self.name = name or agent.name
        self.description = description or agent.description or f"Ask the {agent.name} agent."
        self._definition = ToolDefinition(
            name=self.name, description=self.description, parameters=_INPUT_SCHEMA
        )

    @property
    def definition(self) -> ToolDefinition:
        return self._definition

    async def call(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Any:
        question = arguments.get("input")
        if not isinstance(question, str) or not question.strip():
            raise ModelRetry("'input' must be a non-empty string: the question for the agent")
        from .run_state import add_usage

        result = await self.agent.run(question, deps=ctx.deps)
        add_usage(ctx.usage, result.usage)
        return serialize_result(result.output)


def handoff_tool_name(agent: Agent) -> str:
    """The tool a model calls to hand the conversation to `agent`."""
    return f"transfer_to_{agent.name}"


def handoff_definition(agent: Agent) -> ToolDefinition:
    """The hand-off tool as the model sees it."""
    about = f": {agent.description}" if agent.description else ""
    return ToolDefinition(
        name=handoff_tool_name(agent),
        description=f"Hand the conversation to the {agent.name} agent{about}.",
        parameters={"type": "object", "properties": {}, "additionalProperties": False},
    )
