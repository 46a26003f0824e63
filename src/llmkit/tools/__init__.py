"""Tools: callables an agent offers the model.

`FunctionTool` and `tool` load on first use: they bring pydantic, which toolsets and
registries of ready-made tools do not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .base import Capability, ModelRetry, RunContext, Tool, ToolError
from .errors import UnknownToolError
from .registry import ToolRegistry
from .results import serialize_result
from .toolset import Toolset

if TYPE_CHECKING:
    from .decorator import tool
    from .function import FunctionTool

__all__ = [
    "Capability",
    "FunctionTool",
    "ModelRetry",
    "RunContext",
    "Tool",
    "ToolError",
    "ToolRegistry",
    "Toolset",
    "UnknownToolError",
    "serialize_result",
    "tool",
]

_LAZY: dict[str, str] = {
    "FunctionTool": "llmkit.tools.function",
    "tool": "llmkit.tools.decorator",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
