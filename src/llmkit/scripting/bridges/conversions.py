"""How llmkit objects look to scripts: messages, events and handles as plain tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BridgeArgumentError, ScriptValueError

if TYPE_CHECKING:
    from ...events import Event
    from ...messages import Message

__all__ = [
    "event_to_script",
    "handle_id",
    "json_safe",
    "messages_from_script",
    "messages_to_script",
]


def json_safe(value: Any) -> Any:
    """`value` made of JSON types only (anything else becomes its text)."""
    return json.loads(json.dumps(value, default=str))


def messages_to_script(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages as tables: ``{role, parts = {{kind = "text", text = ...}, ...}}``."""
    from ...messages import messages_to_json

    dumped: list[dict[str, Any]] = json.loads(messages_to_json(messages))
    return [{k: v for k, v in m.items() if v is not None} for m in dumped]


def messages_from_script(value: Any, where: str) -> list[Message]:
    """Messages from a prompt string, a ``{role, content}`` table or message tables.

    Raises:
        BridgeArgumentError: The value is none of those (the message says which part).
    """
    from pydantic import ValidationError

    from ...messages import Message, messages_from_json

    if isinstance(value, str):
        return [Message.user(value)]
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise BridgeArgumentError(f"{where}: expected a prompt string or a list of messages")
    plain: list[Any] = []
    for item in items:
        if isinstance(item, dict) and "content" in item and "parts" not in item:
            item = {
                "role": item.get("role", "user"),
                "parts": [{"kind": "text", "text": str(item["content"])}],
            }
        plain.append(item)
    try:
        return messages_from_json(json.dumps(plain))
    except ValidationError as exc:
        raise BridgeArgumentError(f"{where}: invalid messages: {exc}") from None


def event_to_script(event: Event) -> dict[str, Any]:
    """An event as a table: name, category, severity, timestamp, run_id, payload."""
    data = event.to_dict()
    payload = data.get("payload")
    try:
        data["payload"] = json_safe(payload if isinstance(payload, dict) else {})
    except (TypeError, ValueError) as exc:
        raise ScriptValueError(f"event {event.name!r}: payload cannot reach a script") from exc
    return {k: v for k, v in data.items() if v is not None}


def handle_id(value: Any, what: str) -> str:
    """The id of a handle a script passes back: the id string or a table holding ``id``.

    Raises:
        BridgeArgumentError: Neither.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    raise BridgeArgumentError(f"expected {what} (a handle or its id), got {type(value).__name__}")
