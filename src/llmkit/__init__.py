"""llmkit: build LLM applications from providers, agents, tools and workflows.

Public names are imported on first use, so ``import llmkit`` stays fast (the HTTP client,
pydantic and llama.cpp load only when something needs them).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    AuthenticationError,
    ConfigError,
    ContextLengthError,
    InvalidResponseError,
    LLMKitError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
    StreamInterrupted,
)

if TYPE_CHECKING:
    from .config import DEFAULT_MODEL, Config, ProviderConfig, load_config
    from .http.retry import RetryPolicy
    from .messages import (
        FinishReason,
        ImagePart,
        Message,
        Part,
        Role,
        TextPart,
        ToolCallPart,
        ToolResultPart,
        Usage,
        messages_from_json,
        messages_to_json,
    )
    from .models.anthropic import AnthropicModel
    from .models.base import Model
    from .models.fallback import FallbackExhausted, FallbackModel
    from .models.gemini import GeminiModel
    from .models.local import LocalModel
    from .models.openai import OpenAIChatModel
    from .models.request import (
        ModelResponse,
        ModelSettings,
        ResponseFormat,
        ToolChoice,
        ToolDefinition,
    )
    from .models.stream import (
        FinishEvent,
        ModelStream,
        StreamEvent,
        TextDelta,
        ToolCallDelta,
        ToolCallEnd,
        ToolCallStart,
        UsageEvent,
    )
    from .providers.provider import Provider
    from .providers.resolve import get_model, parse_model_string

__version__ = "0.1.0"

# name -> module that defines it; resolved by __getattr__ on first access.
_LAZY: dict[str, str] = {
    "AnthropicModel": "llmkit.models.anthropic",
    "Config": "llmkit.config",
    "DEFAULT_MODEL": "llmkit.config",
    "FallbackExhausted": "llmkit.models.fallback",
    "FallbackModel": "llmkit.models.fallback",
    "FinishEvent": "llmkit.models.stream",
    "FinishReason": "llmkit.messages",
    "GeminiModel": "llmkit.models.gemini",
    "ImagePart": "llmkit.messages",
    "LocalModel": "llmkit.models.local",
    "Message": "llmkit.messages",
    "Model": "llmkit.models.base",
    "ModelResponse": "llmkit.models.request",
    "ModelSettings": "llmkit.models.request",
    "ModelStream": "llmkit.models.stream",
    "OpenAIChatModel": "llmkit.models.openai",
    "Part": "llmkit.messages",
    "Provider": "llmkit.providers.provider",
    "ProviderConfig": "llmkit.config",
    "ResponseFormat": "llmkit.models.request",
    "RetryPolicy": "llmkit.http.retry",
    "Role": "llmkit.messages",
    "StreamEvent": "llmkit.models.stream",
    "TextDelta": "llmkit.models.stream",
    "TextPart": "llmkit.messages",
    "ToolCallDelta": "llmkit.models.stream",
    "ToolCallEnd": "llmkit.models.stream",
    "ToolCallPart": "llmkit.messages",
    "ToolCallStart": "llmkit.models.stream",
    "ToolChoice": "llmkit.models.request",
    "ToolDefinition": "llmkit.models.request",
    "ToolResultPart": "llmkit.messages",
    "Usage": "llmkit.messages",
    "UsageEvent": "llmkit.models.stream",
    "get_model": "llmkit.providers.resolve",
    "load_config": "llmkit.config",
    "messages_from_json": "llmkit.messages",
    "messages_to_json": "llmkit.messages",
    "parse_model_string": "llmkit.providers.resolve",
}

__all__ = [
    "DEFAULT_MODEL",
    "AnthropicModel",
    "AuthenticationError",
    "Config",
    "ConfigError",
    "ContextLengthError",
    "FallbackExhausted",
    "FallbackModel",
    "FinishEvent",
    "FinishReason",
    "GeminiModel",
    "ImagePart",
    "InvalidResponseError",
    "LLMKitError",
    "LocalModel",
    "Message",
    "Model",
    "ModelResponse",
    "ModelSettings",
    "ModelStream",
    "OpenAIChatModel",
    "Part",
    "Provider",
    "ProviderConfig",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimitError",
    "ResponseFormat",
    "RetryPolicy",
    "Role",
    "ServerError",
    "StreamEvent",
    "StreamInterrupted",
    "TextDelta",
    "TextPart",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallPart",
    "ToolCallStart",
    "ToolChoice",
    "ToolDefinition",
    "ToolResultPart",
    "Usage",
    "UsageEvent",
    "__version__",
    "get_model",
    "load_config",
    "messages_from_json",
    "messages_to_json",
    "parse_model_string",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmkit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
