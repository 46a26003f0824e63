"""`ScriptTool`: a tool whose body is a script function (defined with ``Tool.define``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..models.request import ToolDefinition
from ..tools.base import ModelRetry, RunContext, Tool
from ..tools.checks import check_capabilities, check_tool_name
from .callbacks import ScriptFunction

__all__ = ["ScriptTool"]


class ScriptTool(Tool):
    """A tool any agent can call whose body runs in the script's engine, sandboxed.

    Arguments are validated against `params_schema` (JSON schema) before the script sees
    them; invalid ones raise `ModelRetry` so the model can correct itself.
    """

    def __init__(
        self,
        *,
        name: str,
        description: str,
        params_schema: Mapping[str, Any],
        function: ScriptFunction,
        capabilities: Iterable[str] = (),
    ) -> None:
        from ..schema import Schema

        self.name = check_tool_name(name)
        self.description = description
        self.capabilities = check_capabilities(self.name, capabilities)
        self.function = function
        self.schema = Schema(params_schema)
        self._definition = ToolDefinition(
            name=self.name, description=description, parameters=dict(params_schema)
        )

    @property
    def definition(self) -> ToolDefinition:
        """The tool as the model sees it."""
        return self._definition

    def check_arguments(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """`arguments` as a dict when they match the schema.

        Raises:
            ModelRetry: Listing what does not match.
        """
        from ..schema import ValidationFailed

        try:
            self.schema.validate(dict(arguments))
        except ValidationFailed as exc:
            raise ModelRetry(f"invalid arguments for {self.name!r}:\n{exc}") from None
        return dict(arguments)

    async def call(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Any:
        """Validate `arguments` and run the script function on its engine's thread."""
        return await self.function.call_async(self.check_arguments(arguments))

    def call_in_script(self, arguments: Mapping[str, Any]) -> Any:
        """Validate and run from the engine's own thread (a script calling its own tool)."""
        return self.function(self.check_arguments(arguments))

    def __repr__(self) -> str:
        return f"ScriptTool({self.name!r})"
