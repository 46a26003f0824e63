"""The lazy import of the `mcp` SDK, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from ...errors import ConfigError

__all__ = ["require_mcp"]

INSTALL_HINT = "pip install 'llmkit[mcp]'"


def require_mcp() -> ModuleType:
    """Import the `mcp` SDK, which llmkit loads only once an MCP server is made.

    Raises:
        ConfigError: The SDK is not installed (the message names the extra to install).
    """
    try:
        return importlib.import_module("mcp")
    except ImportError as exc:
        raise ConfigError(
            f"MCP servers need the `mcp` package, which is not installed: {INSTALL_HINT}"
        ) from exc
