"""`HistoryWindow`: the part of a long conversation that is sent to the model.

The window keeps the leading system messages, then the most recent turns that fit a
message limit and a token limit. An assistant message that calls tools and the tool
messages answering it move as one block, and the window never opens on a tool result:
providers reject a result whose call is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..errors import ConfigError
from ..messages import ImagePart, Message, TextPart, ToolCallPart, ToolResultPart

__all__ = ["HistoryWindow", "TokenCounter", "estimate_tokens"]

#: Tokens charged per message for the role and framing most chat formats wrap it in.
MESSAGE_OVERHEAD = 4
#: A flat charge per image; the real cost depends on size and detail (85 is OpenAI's
#: low-detail price), and a window only needs a rough, never-zero figure.
IMAGE_TOKENS = 85


class TokenCounter(Protocol):
    """Counts the tokens one message costs in a prompt."""

    def __call__(self, message: Message, /) -> int: ...


def estimate_tokens(message: Message) -> int:
    """A cheap estimate: about one token per 4 characters, plus fixed overheads.

    Text, tool-call names and arguments, and tool results count at ``ceil(chars / 4)``
    (English averages close to 4 characters per token in GPT- and Llama-style
    tokenizers); each image counts `IMAGE_TOKENS`; each message adds `MESSAGE_OVERHEAD`.
    It is no tokenizer: pass a real `TokenCounter`, or store provider-reported counts,
    when the limit is tight.
    """
    chars = 0
    images = 0
    for part in message.parts:
        if isinstance(part, TextPart):
            chars += len(part.text)
        elif isinstance(part, ToolCallPart):
            chars += len(part.name) + len(part.arguments_json())
        elif isinstance(part, ToolResultPart):
            chars += len(part.name) + len(part.content)
        elif isinstance(part, ImagePart):
            images += 1
    return -(-chars // 4) + images * IMAGE_TOKENS + MESSAGE_OVERHEAD


class HistoryWindow:
    """Selects the system messages and the most recent turns within both limits.

    Limits count every message returned, system messages included; the leading system
    messages are kept even when they alone exceed a limit. A limit of None is no limit.
    """

    def __init__(
        self,
        max_messages: int | None = None,
        max_tokens: int | None = None,
        counter: TokenCounter | None = None,
    ) -> None:
        for name, value in (("max_messages", max_messages), ("max_tokens", max_tokens)):
            if value is not None and (type(value) is not int or value < 0):
                raise ConfigError(f"{name} must be a non-negative int or None, got {value!r}")
        self.max_messages = max_messages
        self.max_tokens = max_tokens
        self.counter: TokenCounter = counter or estimate_tokens

    def select(
        self, messages: Sequence[Message], token_counts: Sequence[int | None] | None = None
    ) -> list[Message]:
        """The window over `messages`, oldest first.

        `token_counts[i]`, when not None, is the known cost of `messages[i]` (reported by
        the provider) and is used instead of the counter.
        """
        if token_counts is not None and len(token_counts) != len(messages):
            raise ValueError(f"{len(token_counts)} token counts for {len(messages)} messages")

        def cost(i: int) -> int:
            known = token_counts[i] if token_counts is not None else None
            return known if known is not None else self.counter(messages[i])

        head = 0
        while head < len(messages) and messages[head].role == "system":
            head += 1
        used_messages = head
        used_tokens = sum(cost(i) for i in range(head)) if self.max_tokens is not None else 0

        start = len(messages)  # the window's rest is messages[start:]
        for block_start, block_end in reversed(_blocks(messages, head)):
            if messages[block_start].role == "tool":
                break  # results whose call is gone: never the first message sent
            size = block_end - block_start
            tokens = (
                sum(cost(i) for i in range(block_start, block_end))
                if self.max_tokens is not None
                else 0
            )
            if self.max_messages is not None and used_messages + size > self.max_messages:
                break
            if self.max_tokens is not None and used_tokens + tokens > self.max_tokens:
                break
            used_messages += size
            used_tokens += tokens
            start = block_start
        return list(messages[:head]) + list(messages[start:])


def _blocks(messages: Sequence[Message], start: int) -> list[tuple[int, int]]:
    """Split ``messages[start:]`` into blocks kept or dropped whole: each non-tool message
    with the tool messages that follow it (the results of its calls)."""
    blocks: list[tuple[int, int]] = []
    for i in range(start, len(messages)):
        if blocks and messages[i].role == "tool":
            blocks[-1] = (blocks[-1][0], i + 1)
        else:
            blocks.append((i, i + 1))
    return blocks
