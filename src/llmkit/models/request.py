"""What a caller asks of a model besides the messages: tools, settings, output format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..messages import FinishReason, Message, ToolCallPart, Usage

__all__ = ["ModelResponse", "ModelSettings", "ResponseFormat", "ToolChoice", "ToolDefinition"]

ToolChoice = str
"""``"auto"``, ``"none"``, ``"required"``, or the name of the one tool the model must call."""


@dataclass(slots=True, kw_only=True, frozen=True)
class ToolDefinition:
    """A tool as the model sees it: a name, a description and a JSON schema of its arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class ResponseFormat:
    """Ask for JSON output: any JSON object, or one matching `schema`."""

    type: Literal["json_object", "json_schema"] = "json_schema"
    schema: dict[str, Any] | None = None
    name: str = "output"
    strict: bool | None = None

    def __post_init__(self) -> None:
        if self.type == "json_schema" and self.schema is None:
            from ..errors import ConfigError

            raise ConfigError("ResponseFormat(type='json_schema') needs a `schema`")


@dataclass(slots=True, kw_only=True)
class ModelSettings:
    """Per-request settings; None means the provider's default.

    `extra_body` is merged into the request body last, for vendor options llmkit does not name.
    """

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    timeout: float | None = None
    extra_body: dict[str, Any] | None = None


@dataclass(slots=True, kw_only=True)
class ModelResponse:
    """A finished reply: the assistant message, what it cost and why it stopped."""

    message: Message
    usage: Usage = field(default_factory=Usage)
    finish_reason: FinishReason = "stop"
    model_name: str = ""
    provider: str = ""
    response_id: str | None = None
    raw_finish_reason: str | None = None
    kind: Literal["response"] = "response"

    @property
    def text(self) -> str:
        """The reply's text."""
        return self.message.text

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool calls the reply asks for."""
        return self.message.tool_calls
