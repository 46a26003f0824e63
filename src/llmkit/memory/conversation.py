"""`Conversation`: one stored conversation, with a window and optional summarisation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ..messages import Message
from ..models.request import ModelResponse
from .conversation_storage import ConversationStorage
from .errors import InvalidMessagesError
from .summarizer import Summarizer
from .window import HistoryWindow

__all__ = ["Conversation"]


class Conversation:
    """A conversation kept in a `ConversationStore` (or any `ConversationStorage`).

    `history` is what to send to the model: the stored messages through `window` (all of
    them without one). With a `summarizer`, `add` folds older turns into a summary once
    the conversation grows past the summariser's trigger.
    """

    def __init__(
        self,
        store: ConversationStorage,
        conversation_id: str,
        *,
        window: HistoryWindow | None = None,
        summarizer: Summarizer | None = None,
    ) -> None:
        if not isinstance(conversation_id, str) or not conversation_id.strip():
            raise InvalidMessagesError(
                f"conversation id must be a non-empty string, got {conversation_id!r}"
            )
        self.store = store
        self.id = conversation_id
        self.window = window
        self.summarizer = summarizer
        # One add-and-summarise at a time per object, so two adds cannot both summarise.
        self._lock = asyncio.Lock()

    async def add(
        self, *messages: Message, token_counts: Sequence[int | None] | None = None
    ) -> None:
        """Store messages (one transaction), then summarise if due.

        If summarising fails, `SummarizationError` is raised after the messages were
        stored: do not add them again.
        """
        async with self._lock:
            await self.store.append(self.id, messages, token_counts=token_counts)
            if self.summarizer is not None:
                await self.summarizer.maybe_summarize(self.store, self.id)

    async def add_response(self, response: ModelResponse) -> None:
        """Store a model's reply with the output tokens the provider reported as its cost."""
        count = response.usage.output_tokens or None
        await self.add(response.message, token_counts=[count])

    async def history(self) -> list[Message]:
        """The messages to send next: the window over the stored conversation."""
        records = await self.store.load_records(self.id)
        messages = [r.message for r in records]
        if self.window is None:
            return messages
        return self.window.select(messages, [r.token_count for r in records])

    async def messages(self) -> list[Message]:
        """Every stored message, in order."""
        return await self.store.load(self.id)

    async def clear(self) -> None:
        """Delete the conversation and all its messages."""
        async with self._lock:
            await self.store.delete(self.id)
