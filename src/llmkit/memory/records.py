"""What the store hands back (`StoredMessage`, `ConversationInfo`) and the row codec.

A row holds one message as a JSON object in the one JSON form of `llmkit.messages`, so
the database stays readable by other tools (``json_extract(message, '$.role')``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..messages import Message, messages_from_json, messages_to_json
from .errors import CorruptedRecordError, InvalidMessagesError

__all__ = ["ConversationInfo", "StoredMessage", "decode_message", "encode_message"]


@dataclass(slots=True, kw_only=True, frozen=True)
class StoredMessage:
    """One stored message with its position, token count (None if unknown) and time."""

    sequence: int
    message: Message
    token_count: int | None
    created: float


@dataclass(slots=True, kw_only=True, frozen=True)
class ConversationInfo:
    """A conversation as `list_conversations` reports it; times are Unix seconds."""

    id: str
    created: float
    updated: float
    message_count: int
    metadata: dict[str, Any] = field(default_factory=dict)


def encode_message(message: object, *, conversation_id: str, index: int) -> str:
    """The JSON object of one message; anything but a `Message` is refused by position."""
    if not isinstance(message, Message):
        raise InvalidMessagesError(
            f"item {index} appended to conversation {conversation_id!r} is a "
            f"{type(message).__name__}, not a Message",
            conversation_id=conversation_id,
        )
    try:
        # The public codec works on lists; its list of one is '[' + object + ']', exactly.
        return messages_to_json([message])[1:-1].decode("utf-8")
    except (ValueError, TypeError) as exc:  # pydantic's serialization errors
        raise InvalidMessagesError(
            f"message {index} appended to conversation {conversation_id!r} cannot be "
            f"serialized: {exc}",
            conversation_id=conversation_id,
        ) from exc


def decode_message(
    raw: object, token_count: object, created: object, *, conversation_id: str, sequence: int
) -> StoredMessage:
    """Read one row back; a row that is not one valid message raises, never drops."""

    def corrupt(reason: str) -> CorruptedRecordError:
        return CorruptedRecordError(
            f"conversation {conversation_id!r} message {sequence} is corrupted: {reason}",
            conversation_id=conversation_id,
            sequence=sequence,
        )

    if not isinstance(raw, str | bytes):
        raise corrupt(f"message column holds {type(raw).__name__}, not JSON text")
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    try:
        parsed = messages_from_json(f"[{text}]")
    except ValidationError as exc:
        raise corrupt(_first_error(exc)) from exc
    if len(parsed) != 1:
        raise corrupt(f"row holds {len(parsed)} messages, not one")
    if token_count is not None and (type(token_count) is not int or token_count < 0):
        raise corrupt(f"token_count is {token_count!r}, not a count")
    if not isinstance(created, int | float):
        raise corrupt(f"created is {created!r}, not a time")
    return StoredMessage(
        sequence=sequence, message=parsed[0], token_count=token_count, created=float(created)
    )


def _first_error(exc: ValidationError) -> str:
    # pydantic's full report runs to many lines; the first error names the problem.
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())[1:])
    return f"{first.get('msg', 'invalid')}" + (f" at {where}" if where else "")
