"""`RenamedTool`: the same tool under another name, for prefixed and renamed toolsets."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..models.request import ToolDefinition
from .base import RunContext, Tool
from .checks import check_tool_name

__all__ = ["RenamedTool", "renamed"]


class RenamedTool(Tool):
    """`inner` under the name `name`; calls go to `inner` unchanged.

    Everything but the name (description, schema, capabilities, timeout, approval,
    category, tags) is `inner`'s.
    """

    def __init__(self, inner: Tool, name: str) -> None:
        self.inner = inner
        self.name = check_tool_name(name)
        self.description = inner.description
        self.capabilities = inner.capabilities
        self.timeout = inner.timeout
        self.max_retries = inner.max_retries
        self.requires_approval = inner.requires_approval
        self.category: str | None = getattr(inner, "category", None)
        self.tags: frozenset[str] = frozenset(getattr(inner, "tags", ()))
        self._definition = dataclasses.replace(inner.definition, name=self.name)

    @property
    def definition(self) -> ToolDefinition:
        """`inner`'s definition with the new name."""
        return self._definition

    async def call(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Any:
        """Call `inner`."""
        return await self.inner.call(ctx, arguments)

    def __repr__(self) -> str:
        return f"RenamedTool({self.name!r}, inner={self.inner!r})"


def renamed(tool: Tool, name: str) -> Tool:
    """`tool` under `name`: wraps the original tool once, however often it is renamed."""
    original = tool.inner if isinstance(tool, RenamedTool) else tool
    if original.name == name:
        return original
    return RenamedTool(original, name)
