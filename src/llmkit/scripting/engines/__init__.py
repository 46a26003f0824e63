"""Script engines by name and by file extension, imported on first use."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UnknownEngineError

if TYPE_CHECKING:
    from .base import ScriptEngine

__all__ = [
    "ALIASES",
    "ENGINES",
    "EXTENSIONS",
    "canonical_engine",
    "engine_class",
    "engine_for_path",
]

ENGINES: dict[str, str] = {
    "lua": "llmkit.scripting.engines.lua:LuaEngine",
    "javascript": "llmkit.scripting.engines.js:JavaScriptEngine",
}
"""Engine name -> ``module:Class``."""

EXTENSIONS: dict[str, str] = {
    ".lua": "lua",
    ".js": "javascript",
}
"""File extension -> engine name."""

ALIASES: dict[str, str] = {"js": "javascript"}
"""Short names accepted wherever an engine is named (``--engine js``)."""


def canonical_engine(name: str) -> str:
    """The engine's registered name for `name` or one of its `ALIASES`."""
    return ALIASES.get(name, name)


def engine_class(name: str) -> type[ScriptEngine]:
    """The engine class called `name`.

    Raises:
        UnknownEngineError: No engine has that name (the message lists those there are).
    """
    path = ENGINES.get(canonical_engine(name))
    if path is None:
        raise UnknownEngineError(
            f"unknown script engine {name!r}; available: {', '.join(sorted(ENGINES))}"
        )
    module_name, _, class_name = path.partition(":")
    cls: type[ScriptEngine] = getattr(import_module(module_name), class_name)
    return cls


def engine_for_path(path: str | Path) -> str:
    """The engine name for a script file, from its extension.

    Raises:
        UnknownEngineError: No engine claims the extension.
    """
    suffix = Path(path).suffix.lower()
    name = EXTENSIONS.get(suffix)
    if name is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise UnknownEngineError(
            f"no script engine for {str(path)!r} (extension {suffix or 'none'!r}); known: {known}"
        )
    return name
