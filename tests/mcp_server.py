"""A small MCP server for the MCP tool tests, written with the SDK's `MCPServer` (ex-FastMCP).

Run it as ``python tests/mcp_server.py stdio`` or
``python tests/mcp_server.py http --port N`` (streamable HTTP on 127.0.0.1:N, path /mcp).
"""

from __future__ import annotations

import argparse
import asyncio
import os

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

# Log level WARNING keeps per-request logs (uvicorn access lines) out of the test output.
server = MCPServer("llmkit-test", log_level="WARNING")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Return `text` unchanged."""
    return text


@server.tool()
def fail(message: str) -> str:
    """Always fail with `message` (a `ToolError`: the SDK passes its message on)."""
    raise ToolError(message)


@server.tool()
def pid() -> int:
    """This server's process id (to check that closing stopped it)."""
    return os.getpid()


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep for `seconds`, then say so."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=["stdio", "http"])
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args()
    if options.transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=options.port)


if __name__ == "__main__":
    main()
