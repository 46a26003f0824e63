"""Tools from MCP servers, through the official `mcp` SDK (``pip install 'llmkit[mcp]'``).

`MCPStdio` spawns a server process, `MCPStreamableHTTP` dials an HTTP endpoint; both are
async context managers whose `toolset()` gives `MCPTool`s for an `Agent`. Tools of a stdio
server declare the capability ``"process"``, those of an HTTP server ``"net"``: a policy
must grant it before an agent runs them. The SDK is imported only when a server is made.
"""

from __future__ import annotations

from .server import MCPConnectionError, MCPServer, MCPStdio, MCPStreamableHTTP
from .tool import MCPTool

__all__ = ["MCPConnectionError", "MCPServer", "MCPStdio", "MCPStreamableHTTP", "MCPTool"]
