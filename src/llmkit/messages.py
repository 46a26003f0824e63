"""Messages, their parts, usage and finish reasons: the data every layer passes around.

They are keyword-only slotted dataclasses with a `kind` discriminator, cheap to build on
the hot path. One pydantic `TypeAdapter` (built on first use, so `import llmkit` stays
light) gives them a single JSON form used by storage, the HTTP API and the script bridge.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "FinishReason",
    "ImagePart",
    "Message",
    "Part",
    "Role",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
    "Usage",
    "messages_from_json",
    "messages_to_json",
]

Role = Literal["system", "user", "assistant", "tool"]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
"""Why the model stopped. A provider reason llmkit does not know maps to ``"other"``."""


@dataclass(slots=True, kw_only=True)
class TextPart:
    """Plain text."""

    text: str
    kind: Literal["text"] = "text"


@dataclass(slots=True, kw_only=True)
class ImagePart:
    """An image, by URL: ``https://…`` or a ``data:`` URL holding the bytes."""

    url: str
    media_type: str | None = None
    detail: Literal["auto", "low", "high"] | None = None
    kind: Literal["image"] = "image"

    @classmethod
    def from_bytes(cls, data: bytes, media_type: str) -> ImagePart:
        """Embed raw image bytes as a ``data:`` URL."""
        encoded = base64.b64encode(data).decode("ascii")
        return cls(url=f"data:{media_type};base64,{encoded}", media_type=media_type)

    def data(self) -> tuple[str, bytes] | None:
        """The media type and bytes of a ``data:`` URL image, or None for a remote URL."""
        if not self.url.startswith("data:"):
            return None
        header, _, payload = self.url.partition(",")
        media_type = header[5:].split(";", 1)[0] or self.media_type or "application/octet-stream"
        return media_type, base64.b64decode(payload)


@dataclass(slots=True, kw_only=True)
class ToolCallPart:
    """A model's request to call a tool.

    `arguments` holds the decoded JSON object. When the model wrote arguments that are not
    a JSON object, `arguments` is None, `raw_arguments` keeps the text exactly and
    `invalid_reason` says what was wrong, so the caller can send the error back.
    """

    id: str
    name: str
    arguments: dict[str, Any] | None = None
    raw_arguments: str | None = None
    invalid_reason: str | None = None
    #: Opaque data the provider needs echoed back with this call (Gemini's thoughtSignature).
    provider_data: dict[str, Any] | None = None
    kind: Literal["tool_call"] = "tool_call"

    @classmethod
    def from_raw(cls, *, id: str, name: str, raw_arguments: str) -> ToolCallPart:
        """Decode arguments as written by a model, keeping the raw text if they are invalid."""
        text = raw_arguments.strip() or "{}"
        try:
            decoded = json.loads(text)
        except ValueError as exc:
            return cls(
                id=id,
                name=name,
                raw_arguments=raw_arguments,
                invalid_reason=f"arguments are not valid JSON: {exc}",
            )
        if not isinstance(decoded, dict):
            return cls(
                id=id,
                name=name,
                raw_arguments=raw_arguments,
                invalid_reason=f"arguments must be a JSON object, got {type(decoded).__name__}",
            )
        return cls(id=id, name=name, arguments=decoded)

    @property
    def valid(self) -> bool:
        """Whether the arguments decoded to a JSON object."""
        return self.invalid_reason is None

    def arguments_json(self) -> str:
        """The arguments as JSON text, as a provider expects them echoed back."""
        if self.arguments is None:
            return self.raw_arguments or "{}"
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass(slots=True, kw_only=True)
class ToolResultPart:
    """The result of a tool call, sent back to the model."""

    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    kind: Literal["tool_result"] = "tool_result"


Part = TextPart | ImagePart | ToolCallPart | ToolResultPart
"""Any part of a message; `kind` tells which."""


@dataclass(slots=True, kw_only=True)
class Message:
    """One turn of a conversation: a role and its parts."""

    role: Role
    parts: list[Part] = field(default_factory=list)
    name: str | None = None
    kind: Literal["message"] = "message"

    @classmethod
    def system(cls, text: str) -> Message:
        """A system (instructions) message."""
        return cls(role="system", parts=[TextPart(text=text)])

    @classmethod
    def user(cls, content: str | Sequence[Part]) -> Message:
        """A user message from text or parts (for example text plus an image)."""
        parts: list[Part] = [TextPart(text=content)] if isinstance(content, str) else list(content)
        return cls(role="user", parts=parts)

    @classmethod
    def assistant(cls, content: str | Sequence[Part] = "") -> Message:
        """An assistant message, for example a previous answer replayed as history."""
        if isinstance(content, str):
            return cls(role="assistant", parts=[TextPart(text=content)] if content else [])
        return cls(role="assistant", parts=list(content))

    @classmethod
    def tool_results(cls, results: Iterable[ToolResultPart]) -> Message:
        """A message carrying tool results back to the model."""
        return cls(role="tool", parts=list(results))

    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls this message asks for."""
        return [p for p in self.parts if isinstance(p, ToolCallPart)]


@dataclass(slots=True, kw_only=True)
class Usage:
    """Tokens and requests spent; adds up across requests.

    `input_tokens` is the whole prompt, cached tokens included (`cache_read_tokens` says how
    many of them were cached); `output_tokens` includes any thinking tokens.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    requests: int = 0
    kind: Literal["usage"] = "usage"

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            requests=self.requests + other.requests,
        )


@cache
def _message_list_adapter() -> TypeAdapter[list[Message]]:
    from pydantic import TypeAdapter

    return TypeAdapter(list[Message])


def messages_to_json(messages: Sequence[Message]) -> bytes:
    """Serialize messages to their one JSON form."""
    return _message_list_adapter().dump_json(list(messages))


def messages_from_json(data: str | bytes) -> list[Message]:
    """Parse messages from their JSON form; raises pydantic's ValidationError on bad input."""
    return _message_list_adapter().validate_json(data)
