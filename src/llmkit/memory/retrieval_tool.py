"""`memory_tool`: a retrieval tool agents call to search a `Memory`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..tools.base import Tool
    from .retrieval import Memory

__all__ = ["memory_tool"]


def memory_tool(
    memory: Memory, *, name: str = "search_memory", k: int = 5, max_tokens: int = 800
) -> Tool:
    """A tool taking ``query`` and returning the best passages, numbered and cited, in at
    most `max_tokens` (or a line saying nothing matched)."""
    from ..tools.decorator import tool  # the tools layer loads pydantic: only when asked

    async def search_memory(query: str) -> str:
        """Search the knowledge base and return the most relevant passages with sources.

        Args:
            query: What to look for, in a few words or a question.
        """
        text = await memory.context(query, k=k, max_tokens=max_tokens)
        return text or "No stored passage matches that query."

    return tool(name=name)(search_memory)
