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
    from .agents.agent import Agent
    from .agents.approval import Approve, Decision, EditArguments, PausedRun, Reject, ResumeError
    from .agents.events import (
        AgentEvent,
        ModelResponseEvent,
        RunFinished,
        RunStarted,
        TextDeltaEvent,
        ToolArgumentsEvent,
        ToolCallEvent,
        ToolCallStartedEvent,
        ToolResultEvent,
        UsageUpdateEvent,
    )
    from .agents.limits import LimitExceeded, UsageLimits
    from .agents.output import OutputStrategy
    from .agents.result import RunResult
    from .config import DEFAULT_MODEL, Config, ProviderConfig, load_config
    from .hooks.registry import HookContext, HookRegistry
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
    from .policy.policy import Policy
    from .providers.provider import Provider
    from .providers.resolve import get_model, parse_model_string
    from .tools.base import Capability, ModelRetry, RunContext, Tool, ToolError
    from .tools.decorator import tool
    from .tools.errors import UnknownToolError
    from .tools.function import FunctionTool
    from .tools.registry import ToolRegistry
    from .tools.toolset import Toolset

__version__ = "0.1.0"

# name -> module that defines it; resolved by __getattr__ on first access.
_LAZY: dict[str, str] = {
    "Agent": "llmkit.agents.agent",
    "AgentEvent": "llmkit.agents.events",
    "ModelResponseEvent": "llmkit.agents.events",
    "RunStarted": "llmkit.agents.events",
    "TextDeltaEvent": "llmkit.agents.events",
    "ToolArgumentsEvent": "llmkit.agents.events",
    "ToolCallEvent": "llmkit.agents.events",
    "ToolCallStartedEvent": "llmkit.agents.events",
    "UsageUpdateEvent": "llmkit.agents.events",
    "AnthropicModel": "llmkit.models.anthropic",
    "Approve": "llmkit.agents.approval",
    "Capability": "llmkit.tools.base",
    "Config": "llmkit.config",
    "Decision": "llmkit.agents.approval",
    "DEFAULT_MODEL": "llmkit.config",
    "EditArguments": "llmkit.agents.approval",
    "FallbackExhausted": "llmkit.models.fallback",
    "FallbackModel": "llmkit.models.fallback",
    "FinishEvent": "llmkit.models.stream",
    "FinishReason": "llmkit.messages",
    "FunctionTool": "llmkit.tools.function",
    "GeminiModel": "llmkit.models.gemini",
    "get_model": "llmkit.providers.resolve",
    "HookContext": "llmkit.hooks.registry",
    "HookRegistry": "llmkit.hooks.registry",
    "ImagePart": "llmkit.messages",
    "LimitExceeded": "llmkit.agents.limits",
    "load_config": "llmkit.config",
    "LocalModel": "llmkit.models.local",
    "Message": "llmkit.messages",
    "messages_from_json": "llmkit.messages",
    "messages_to_json": "llmkit.messages",
    "Model": "llmkit.models.base",
    "ModelResponse": "llmkit.models.request",
    "ModelRetry": "llmkit.tools.base",
    "ModelSettings": "llmkit.models.request",
    "ModelStream": "llmkit.models.stream",
    "OpenAIChatModel": "llmkit.models.openai",
    "OutputStrategy": "llmkit.agents.output",
    "parse_model_string": "llmkit.providers.resolve",
    "Part": "llmkit.messages",
    "PausedRun": "llmkit.agents.approval",
    "Policy": "llmkit.policy.policy",
    "Provider": "llmkit.providers.provider",
    "ProviderConfig": "llmkit.config",
    "Reject": "llmkit.agents.approval",
    "ResponseFormat": "llmkit.models.request",
    "ResumeError": "llmkit.agents.approval",
    "RetryPolicy": "llmkit.http.retry",
    "Role": "llmkit.messages",
    "RunContext": "llmkit.tools.base",
    "RunFinished": "llmkit.agents.events",
    "RunResult": "llmkit.agents.result",
    "StreamEvent": "llmkit.models.stream",
    "TextDelta": "llmkit.models.stream",
    "TextPart": "llmkit.messages",
    "Tool": "llmkit.tools.base",
    "tool": "llmkit.tools.decorator",
    "ToolCallDelta": "llmkit.models.stream",
    "ToolCallEnd": "llmkit.models.stream",
    "ToolCallPart": "llmkit.messages",
    "ToolCallStart": "llmkit.models.stream",
    "ToolChoice": "llmkit.models.request",
    "ToolDefinition": "llmkit.models.request",
    "ToolError": "llmkit.tools.base",
    "ToolRegistry": "llmkit.tools.registry",
    "ToolResultEvent": "llmkit.agents.events",
    "ToolResultPart": "llmkit.messages",
    "Toolset": "llmkit.tools.toolset",
    "UnknownToolError": "llmkit.tools.errors",
    "Usage": "llmkit.messages",
    "UsageEvent": "llmkit.models.stream",
    "UsageLimits": "llmkit.agents.limits",
}

__all__ = [
    "DEFAULT_MODEL",
    "Agent",
    "AgentEvent",
    "AnthropicModel",
    "Approve",
    "AuthenticationError",
    "Capability",
    "Config",
    "ConfigError",
    "ContextLengthError",
    "Decision",
    "EditArguments",
    "FallbackExhausted",
    "FallbackModel",
    "FinishEvent",
    "FinishReason",
    "FunctionTool",
    "GeminiModel",
    "HookContext",
    "HookRegistry",
    "ImagePart",
    "InvalidResponseError",
    "LLMKitError",
    "LimitExceeded",
    "LocalModel",
    "Message",
    "Model",
    "ModelResponse",
    "ModelResponseEvent",
    "ModelRetry",
    "ModelSettings",
    "ModelStream",
    "OpenAIChatModel",
    "OutputStrategy",
    "Part",
    "PausedRun",
    "Policy",
    "Provider",
    "ProviderConfig",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeout",
    "RateLimitError",
    "Reject",
    "ResponseFormat",
    "ResumeError",
    "RetryPolicy",
    "Role",
    "RunContext",
    "RunFinished",
    "RunResult",
    "RunStarted",
    "ServerError",
    "StreamEvent",
    "StreamInterrupted",
    "TextDelta",
    "TextDeltaEvent",
    "TextPart",
    "Tool",
    "ToolArgumentsEvent",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallEvent",
    "ToolCallPart",
    "ToolCallStart",
    "ToolCallStartedEvent",
    "ToolChoice",
    "ToolDefinition",
    "ToolError",
    "ToolRegistry",
    "ToolResultEvent",
    "ToolResultPart",
    "Toolset",
    "UnknownToolError",
    "Usage",
    "UsageEvent",
    "UsageLimits",
    "UsageUpdateEvent",
    "__version__",
    "get_model",
    "load_config",
    "messages_from_json",
    "messages_to_json",
    "parse_model_string",
    "tool",
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
