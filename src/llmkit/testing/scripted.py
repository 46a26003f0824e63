"""`ScriptedModel`: answers from a list, in order, and records every request."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import LLMKitError
from .replies import InProcessModel, RecordedRequest, Reply

__all__ = ["ScriptedModel"]


class ScriptedModel(InProcessModel):
    """A model that plays back `replies` one per request.

    A reply is text, a `ToolCall` (or a list of them), a `Message`, a `ModelResponse`, or an
    exception to raise. Running out of replies raises `LLMKitError`, so a test that makes
    more requests than it scripted fails loudly.
    """

    def __init__(
        self, replies: Iterable[Reply], *, model_name: str = "scripted", chunk_size: int = 4
    ) -> None:
        super().__init__(model_name=model_name, provider_name="test", chunk_size=chunk_size)
        self.replies: list[Reply] = list(replies)
        self._next = 0

    @property
    def remaining(self) -> int:
        """Replies not yet played."""
        return len(self.replies) - self._next

    async def _reply(self, request: RecordedRequest) -> Reply:
        if self._next >= len(self.replies):
            raise LLMKitError(
                f"ScriptedModel ran out of replies after {len(self.replies)} request(s)"
            )
        reply = self.replies[self._next]
        self._next += 1
        return reply
