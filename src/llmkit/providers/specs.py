"""The built-in providers: which wire format each speaks, where it lives, where its key is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BUILTIN_PROVIDERS", "WIRE_MODELS", "ProviderSpec", "Wire"]

Wire = Literal["openai", "anthropic", "gemini", "local"]

#: The model class for each wire format, imported only when a model of that format is made.
WIRE_MODELS: dict[Wire, str] = {
    "openai": "llmkit.models.openai:OpenAIChatModel",
    "anthropic": "llmkit.models.anthropic:AnthropicModel",
    "gemini": "llmkit.models.gemini:GeminiModel",
    "local": "llmkit.models.local:LocalModel",
}


@dataclass(slots=True, kw_only=True, frozen=True)
class ProviderSpec:
    """A provider llmkit knows by name.

    A key is required only when talking to the vendor's own default URL: the same
    provider pointed at a local server (``OPENAI_BASE_URL=http://127.0.0.1:8080/v1``)
    works without one.
    """

    name: str
    wire: Wire
    base_url: str | None
    api_key_env: str | None = None
    base_url_env: str | None = None
    key_required: bool = False
    description: str = ""


def _spec(*specs: ProviderSpec) -> dict[str, ProviderSpec]:
    return {s.name: s for s in specs}


BUILTIN_PROVIDERS: dict[str, ProviderSpec] = _spec(
    ProviderSpec(
        name="openai",
        wire="openai",
        base_url="https://api.openai.com/v1",
        api_key_env="OPENAI_API_KEY",
        base_url_env="OPENAI_BASE_URL",
        key_required=True,
        description="OpenAI chat completions",
    ),
    ProviderSpec(
        name="anthropic",
        wire="anthropic",
        base_url="https://api.anthropic.com/v1",
        api_key_env="ANTHROPIC_API_KEY",
        base_url_env="ANTHROPIC_BASE_URL",
        key_required=True,
        description="Anthropic messages API",
    ),
    ProviderSpec(
        name="gemini",
        wire="gemini",
        base_url="https://generativelanguage.googleapis.com/v1beta",
        api_key_env="GEMINI_API_KEY",
        base_url_env="GEMINI_BASE_URL",
        key_required=True,
        description="Google Gemini generateContent",
    ),
    ProviderSpec(
        name="ollama",
        wire="openai",
        base_url="http://localhost:11434/v1",
        api_key_env="OLLAMA_API_KEY",
        base_url_env="OLLAMA_BASE_URL",
        description="Ollama's OpenAI-compatible endpoint",
    ),
    ProviderSpec(
        name="vllm",
        wire="openai",
        base_url="http://localhost:8000/v1",
        api_key_env="VLLM_API_KEY",
        base_url_env="VLLM_BASE_URL",
        description="vLLM's OpenAI-compatible server",
    ),
    ProviderSpec(
        name="llamacpp",
        wire="openai",
        base_url="http://localhost:8080/v1",
        api_key_env="LLAMACPP_API_KEY",
        base_url_env="LLAMACPP_BASE_URL",
        description="llama.cpp server (llama-server or llama_cpp.server)",
    ),
    ProviderSpec(
        name="lmstudio",
        wire="openai",
        base_url="http://localhost:1234/v1",
        api_key_env="LMSTUDIO_API_KEY",
        base_url_env="LMSTUDIO_BASE_URL",
        description="LM Studio's local server",
    ),
    ProviderSpec(
        name="openrouter",
        wire="openai",
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        base_url_env="OPENROUTER_BASE_URL",
        key_required=True,
        description="OpenRouter",
    ),
    ProviderSpec(
        name="groq",
        wire="openai",
        base_url="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
        base_url_env="GROQ_BASE_URL",
        key_required=True,
        description="Groq",
    ),
    ProviderSpec(
        name="deepseek",
        wire="openai",
        base_url="https://api.deepseek.com/v1",
        api_key_env="DEEPSEEK_API_KEY",
        base_url_env="DEEPSEEK_BASE_URL",
        key_required=True,
        description="DeepSeek",
    ),
    ProviderSpec(
        name="openai-compatible",
        wire="openai",
        base_url=None,
        api_key_env="OPENAI_COMPATIBLE_API_KEY",
        base_url_env="OPENAI_COMPATIBLE_BASE_URL",
        description="any OpenAI-compatible server (needs a base URL)",
    ),
    ProviderSpec(
        name="local",
        wire="local",
        base_url=None,
        description="in-process llama.cpp (default: SmolLM2-135M-Instruct)",
    ),
)
