"""`MCPTool`: one tool of a connected MCP server, callable by an agent like any other."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...models.request import ToolDefinition
from ..base import ModelRetry, RunContext, Tool, ToolError
from ..checks import check_tool_name

if TYPE_CHECKING:
    from mcp_types import CallToolResult, ContentBlock
    from mcp_types import Tool as MCPToolInfo

    from .server import MCPServer

__all__ = ["MCPTool", "result_to_value"]


class MCPTool(Tool):
    """A tool an MCP server lists, called over that server's connection.

    The name, description and JSON schema come from the server's ``tools/list``, read once
    when the toolset is made. `capabilities` are the server's: ``{"process"}`` for a stdio
    server (its tools run in a process llmkit spawned), ``{"net"}`` for an HTTP one, so a
    deny-by-default `Policy` refuses them until it grants that capability.

    Args:
        server: The connected server the tool belongs to.
        info: The tool as the server listed it.
        name: The name the model sees (the server's name, possibly prefixed).
    """

    def __init__(self, server: MCPServer, info: MCPToolInfo, *, name: str | None = None) -> None:
        self.server = server
        self.remote_name = info.name
        self.name = check_tool_name(name or info.name)
        self.description = info.description or info.title or ""
        self.capabilities = server.capabilities
        self.timeout = server.timeout
        self.category = "mcp"
        self.tags = frozenset({"mcp", server.name})
        self._output_schema = info.output_schema
        # A copy: the SDK object is the server's; the model's view must not change under it.
        schema: dict[str, Any] = json.loads(json.dumps(info.input_schema))
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        self._definition = ToolDefinition(
            name=self.name, description=self.description, parameters=schema
        )

    @property
    def definition(self) -> ToolDefinition:
        """The tool as the server described it."""
        return self._definition

    async def call(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Any:
        """Call the tool on the server and convert its result.

        The server validates `arguments` against its own schema.

        Returns:
            The structured result when the server sends one (a ``{"result": x}`` wrapper
            that the output schema declares is unwrapped to ``x``), else the text contents
            joined by newlines, with images, audio and resources as ``[...]`` placeholders.

        Raises:
            ModelRetry: The tool reported an error (``isError``); the message is its text.
            ToolError: The server answered with a protocol error or the connection failed.
            TimeoutError: No answer within `timeout` seconds.
        """
        session = self.server.session
        try:
            if self.timeout is None:
                result = await session.call_tool(self.remote_name, dict(arguments))
            else:
                # Here as well as in the dispatcher, so a direct call is bounded too.
                async with asyncio.timeout(self.timeout):
                    result = await session.call_tool(self.remote_name, dict(arguments))
        except TimeoutError:
            raise
        except Exception as exc:
            # MCPError (a JSON-RPC error answer, a closed connection), pydantic errors on
            # malformed answers, RuntimeError for results llmkit does not ask for.
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            raise ToolError(f"MCP server {self.server.name!r}: {message}") from exc
        if result.is_error:
            raise ModelRetry(content_text(result.content) or "the tool reported an error")
        return result_to_value(result, self._output_schema)

    def __repr__(self) -> str:
        return f"MCPTool({self.name!r}, server={self.server.name!r})"


def result_to_value(result: CallToolResult, output_schema: Mapping[str, Any] | None) -> Any:
    """The value of a successful call: structured content first, else the contents as text."""
    structured = result.structured_content
    if structured is None:
        return content_text(result.content)
    # SDK servers wrap a non-object return value as {"result": value}; hand back the value.
    properties = (output_schema or {}).get("properties")
    if (
        isinstance(structured, dict)
        and list(structured) == ["result"]
        and isinstance(properties, dict)
        and list(properties) == ["result"]
    ):
        return structured["result"]
    return structured


def content_text(blocks: list[ContentBlock]) -> str:
    """Text contents joined by newlines; other contents as short placeholders."""
    return "\n".join(_block_text(block) for block in blocks)


def _block_text(block: ContentBlock) -> str:
    match block.type:
        case "text":
            return block.text
        case "image" | "audio":
            return f"[{block.type}: {block.mime_type}, {_decoded_size(block.data)} bytes]"
        case "resource_link":
            return f"[resource: {block.uri}]"
        case "resource":
            resource = block.resource
            if hasattr(resource, "text"):
                return str(resource.text)
            mime = resource.mime_type or "application/octet-stream"
            size = _decoded_size(str(getattr(resource, "blob", "")))
            return f"[resource: {resource.uri}, {mime}, {size} bytes]"
    return f"[{block.type}]"  # pragma: no cover  # a content type newer than this SDK


def _decoded_size(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return len(data)
