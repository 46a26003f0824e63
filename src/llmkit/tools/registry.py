"""`ToolRegistry`: a catalogue of tools to search and pick toolsets from.

There is no global registry on purpose: each application makes its own, so tests and
libraries never see each other's tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from typing import TypeVar

from ..errors import ConfigError
from .base import Tool
from .errors import UnknownToolError
from .toolset import Toolset

__all__ = ["ToolRegistry", "UnknownToolError"]

ItemT = TypeVar("ItemT", bound=Tool | Toolset)


class ToolRegistry:
    """Tools by name, in registration order.

    `register` returns what it is given, so it also works as a decorator stacked on
    ``@tool``.
    """

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, item: ItemT, *, replace: bool = False) -> ItemT:
        """Add a tool, or every tool of a toolset, and return `item`.

        Raises:
            ConfigError: A tool of that name is already registered and `replace` is false.
        """
        tools = list(item) if isinstance(item, Toolset) else [item]
        if not replace:
            for tool in tools:
                if tool.name in self._tools:
                    raise ConfigError(
                        f"a tool named {tool.name!r} is already registered "
                        "(pass replace=True to replace it)"
                    )
        for tool in tools:
            self._tools[tool.name] = tool
        return item

    def unregister(self, name: str) -> Tool:
        """Remove and return the tool called `name`.

        Raises:
            UnknownToolError: No tool has that name.
        """
        tool = self.get(name)
        del self._tools[name]
        return tool

    def get(self, name: str) -> Tool:
        """The tool called `name`.

        Raises:
            UnknownToolError: No tool has that name (the message lists those there are).
        """
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownToolError(name, self._tools) from None

    def find(
        self,
        name_glob: str = "*",
        *,
        category: str | None = None,
        tags: Iterable[str] | None = None,
        capability: str | None = None,
    ) -> list[Tool]:
        """The tools matching every given criterion, in registration order.

        Args:
            name_glob: A shell-style pattern (``"fs_*"``) the name must match, case-sensitive.
            category: The tool's `category` must equal it.
            tags: The tool must carry every one of these tags.
            capability: The tool must declare this capability.
        """
        wanted = frozenset([tags] if isinstance(tags, str) else tags or ())
        return [
            tool
            for tool in self._tools.values()
            if fnmatchcase(tool.name, name_glob)
            and (category is None or getattr(tool, "category", None) == category)
            and wanted <= frozenset(getattr(tool, "tags", ()))
            and (capability is None or capability in tool.capabilities)
        ]

    def toolset(self, names: Iterable[str] | None = None) -> Toolset:
        """A toolset of the tools called `names`, in that order (all tools when None).

        Raises:
            UnknownToolError: A name is not registered.
        """
        if names is None:
            return Toolset(self._tools.values())
        if isinstance(names, str):
            names = [names]  # one name, not its characters
        return Toolset(self.get(name) for name in names)

    @property
    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"ToolRegistry({self.names!r})"
