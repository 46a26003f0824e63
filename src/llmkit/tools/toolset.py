"""`Toolset`: an immutable, ordered collection of tools with unique names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from os import PathLike
from typing import Any, overload

from ..errors import ConfigError
from ..models.request import ToolDefinition
from .base import Tool
from .errors import UnknownToolError
from .wrappers import renamed

__all__ = ["Toolset"]


class Toolset:
    """Tools by name, in the order given; every operation returns a new `Toolset`.

    Plain functions are accepted and made into `FunctionTool`s with default options.
    Prefixed and renamed toolsets wrap the same tool objects: calls still reach the
    original functions.

    Raises:
        ConfigError: Two tools share a name (the message names it).
    """

    __slots__ = ("_definitions", "_tools")

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        by_name: dict[str, Tool] = {}
        for item in tools:
            tool = item if isinstance(item, Tool) else _function_tool(item)
            if tool.name in by_name:
                raise ConfigError(
                    f"duplicate tool name {tool.name!r} in toolset; "
                    "rename one (Toolset.renamed) or prefix a toolset (Toolset.prefixed)"
                )
            by_name[tool.name] = tool
        self._tools: Mapping[str, Tool] = by_name
        self._definitions: tuple[ToolDefinition, ...] | None = None

    @classmethod
    def from_script(cls, path: str | PathLike[str], **options: Any) -> Toolset:
        """The tools a script defines with ``Tool.define``, for any agent to call.

        `options` are those of `llmkit.scripting.ScriptOptions` (permissions, limits,
        args...); the tools run sandboxed in the script's engine under them.

        Raises:
            ConfigError: The script defines no tools, or cannot be read.
            ScriptError: The script failed while loading.
        """
        from ..scripting.run import script_toolset

        return script_toolset(path, **options)

    # -- reading ---------------------------------------------------------------------------

    @overload
    def get(self, name: str) -> Tool | None: ...

    @overload
    def get(self, name: str, default: Tool) -> Tool: ...

    def get(self, name: str, default: Tool | None = None) -> Tool | None:
        """The tool called `name`, or `default`."""
        return self._tools.get(name, default)

    def __getitem__(self, name: str) -> Tool:
        """The tool called `name`.

        Raises:
            UnknownToolError: No tool has that name (the message lists those there are).
        """
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownToolError(name, self._tools) from None

    @property
    def names(self) -> list[str]:
        """The tool names, in order."""
        return list(self._tools)

    def definitions(self) -> list[ToolDefinition]:
        """The tools as the model sees them, in order (built once, then reused)."""
        if self._definitions is None:
            self._definitions = tuple(tool.definition for tool in self._tools.values())
        return list(self._definitions)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __bool__(self) -> bool:
        return bool(self._tools)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Toolset):
            return NotImplemented
        return list(self._tools.items()) == list(other._tools.items())

    __hash__ = None  # type: ignore[assignment]  # equal by content, which is unhashable

    def __repr__(self) -> str:
        return f"Toolset({self.names!r})"

    # -- making new toolsets ---------------------------------------------------------------

    def combine(self, *others: Toolset | Iterable[Tool]) -> Toolset:
        """This toolset's tools followed by those of `others`.

        Raises:
            ConfigError: A name appears in more than one of them.
        """
        tools: list[Tool] = list(self)
        for other in others:
            tools.extend(other)
        return Toolset(tools)

    def __add__(self, other: Toolset | Tool) -> Toolset:
        if isinstance(other, Tool):
            return self.combine([other])
        if isinstance(other, Toolset):
            return self.combine(other)
        return NotImplemented

    def filter(self, predicate: Callable[[Tool], bool]) -> Toolset:
        """The tools for which `predicate(tool)` is true, in order."""
        return Toolset(tool for tool in self if predicate(tool))

    def prefixed(self, prefix: str, *, sep: str = "_") -> Toolset:
        """Every tool renamed ``f"{prefix}{sep}{name}"``, to combine toolsets whose names clash."""
        return Toolset(renamed(tool, f"{prefix}{sep}{tool.name}") for tool in self)

    def renamed(self, names: Mapping[str, str]) -> Toolset:
        """The tools with `names` (old name -> new name) applied; other names stay.

        Raises:
            UnknownToolError: An old name is not in this toolset.
            ConfigError: A new name clashes with another tool's.
        """
        for old in names:
            if old not in self._tools:
                raise UnknownToolError(old, self._tools)
        return Toolset(renamed(tool, names.get(tool.name, tool.name)) for tool in self)


def _function_tool(function: Callable[..., Any]) -> Tool:
    if not callable(function):
        raise ConfigError(f"a toolset holds tools or functions, got {function!r}")
    # Imported here: the function tool brings pydantic, which a toolset of ready tools skips.
    from .function import FunctionTool

    return FunctionTool(function)
