"""`Summarizer`: folds the older turns of a long conversation into one summary message.

When a stored conversation grows past `trigger_messages`, everything but the most recent
`keep_last` messages is rendered as a transcript and the model is asked to summarise it.
The store is then rewritten in one transaction as: the leading system prompt (if any), a
system message ``"Summary of earlier conversation: …"``, and the recent messages verbatim.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError
from ..messages import ImagePart, Message, TextPart, ToolCallPart, ToolResultPart
from ..models.base import Model
from ..models.request import ModelSettings
from .conversation_storage import ConversationStorage
from .errors import ConcurrentModificationError, SummarizationError
from .records import StoredMessage

__all__ = ["SUMMARY_PREFIX", "Summarizer", "render_transcript"]

SUMMARY_PREFIX = "Summary of earlier conversation: "

DEFAULT_INSTRUCTIONS = (
    "You summarise conversations. Write a concise summary of the transcript below that "
    "keeps every fact, decision, name, number and open question a continuation would "
    "need. Reply with the summary only."
)


class Summarizer:
    """Asks `model` to summarise the older turns once a conversation passes a size."""

    def __init__(
        self,
        model: Model,
        *,
        keep_last: int = 6,
        trigger_messages: int = 40,
        instructions: str = DEFAULT_INSTRUCTIONS,
        settings: ModelSettings | None = None,
    ) -> None:
        if keep_last < 0:
            raise ConfigError(f"keep_last must be >= 0, got {keep_last}")
        if trigger_messages <= keep_last:
            raise ConfigError(
                f"trigger_messages ({trigger_messages}) must exceed keep_last ({keep_last})"
            )
        self.model = model
        self.keep_last = keep_last
        self.trigger_messages = trigger_messages
        self.instructions = instructions
        self.settings = settings

    async def maybe_summarize(self, store: ConversationStorage, conversation_id: str) -> bool:
        """Summarise if the conversation is past the trigger; return whether it did.

        A conversation changed by another writer while the model was summarising is left
        as it is (False): the next call tries again. Model failures raise
        `SummarizationError`; the stored conversation is then unchanged.
        """
        records = await store.load_records(conversation_id)
        if len(records) <= self.trigger_messages:
            return False
        prompt_end = _leading_prompt(records)
        cut = len(records) - self.keep_last
        # The kept part must not open on tool results: their call moves into it too.
        while cut > prompt_end and records[cut].message.role == "tool":
            cut -= 1
        older = records[prompt_end:cut]
        if not older:
            return False
        summary = await self._summarize([r.message for r in older], conversation_id)
        kept = records[:prompt_end] + records[cut:]
        messages = [r.message for r in kept]
        counts = [r.token_count for r in kept]
        messages.insert(prompt_end, summary[0])
        counts.insert(prompt_end, summary[1])
        try:
            await store.replace(
                conversation_id, messages, token_counts=counts, expected_count=len(records)
            )
        except ConcurrentModificationError:
            return False
        return True

    async def _summarize(
        self, older: Sequence[Message], conversation_id: str
    ) -> tuple[Message, int | None]:
        request = [Message.system(self.instructions), Message.user(render_transcript(older))]
        try:
            response = await self.model.request(request, settings=self.settings)
        except Exception as exc:
            raise SummarizationError(
                f"summarising conversation {conversation_id!r} failed: {exc}"
            ) from exc
        text = response.text.strip()
        if not text:
            raise SummarizationError(
                f"the model returned an empty summary for conversation {conversation_id!r}"
            )
        count = response.usage.output_tokens or None
        return Message.system(SUMMARY_PREFIX + text), count


def _leading_prompt(records: Sequence[StoredMessage]) -> int:
    """How many leading system messages are instructions to keep (not older summaries)."""
    end = 0
    for record in records:
        message = record.message
        if message.role != "system" or message.text.startswith(SUMMARY_PREFIX):
            break
        end += 1
    return end


def render_transcript(messages: Sequence[Message]) -> str:
    """Messages as plain text lines, tool calls and results included.

    Plain text, not the messages themselves, so the request carries no tool calls that
    would need tool definitions the summariser does not have.
    """
    lines = []
    for message in messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                lines.append(f"{message.role}: {part.text}")
            elif isinstance(part, ToolCallPart):
                lines.append(f"{message.role} called {part.name}({part.arguments_json()})")
            elif isinstance(part, ToolResultPart):
                state = "error" if part.is_error else "result"
                lines.append(f"{part.name} {state}: {part.content}")
            elif isinstance(part, ImagePart):
                lines.append(f"{message.role}: [image]")
    return "\n".join(lines)
