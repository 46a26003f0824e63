"""From a ``provider:model`` string to a ready `Model`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from ..config import Config, ProviderConfig, load_config
from ..errors import ConfigError
from ..http.retry import RetryPolicy
from .provider import Provider
from .specs import BUILTIN_PROVIDERS, WIRE_MODELS, ProviderSpec

if TYPE_CHECKING:
    import httpx

    from ..models.base import Model

__all__ = ["ResolvedProvider", "get_model", "parse_model_string", "resolve_provider"]

_EXAMPLES = "openai:gpt-4.1-mini, anthropic:claude-sonnet-4-5, ollama:llama3.1:8b, local:smollm2"


def parse_model_string(text: str) -> tuple[str, str]:
    """Split ``provider:model`` at the first colon (model names may hold colons)."""
    if not isinstance(text, str):
        raise ConfigError(f"a model string must be str, got {type(text).__name__}")
    provider, sep, model = text.strip().partition(":")
    if not sep or not provider or not model.strip():
        raise ConfigError(
            f"model string {text!r} is not 'provider:model' (for example {_EXAMPLES})"
        )
    return provider.strip().lower(), model.strip()


@dataclass(slots=True, kw_only=True)
class ResolvedProvider:
    """What the configuration says about one provider name, before any client exists."""

    name: str
    spec: ProviderSpec
    base_url: str | None
    api_key: str | None
    key_env: str | None
    headers: dict[str, str]
    timeout: float | None
    max_retries: int | None

    @property
    def key_missing(self) -> bool:
        """A key is needed (vendor's own URL) and none is set."""
        return self.spec.key_required and not self.api_key and self.base_url == self.spec.base_url


def resolve_provider(
    name: str,
    config: Config,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
) -> ResolvedProvider:
    """Apply the precedence: arguments, environment, configured provider, built-in spec."""
    configured: ProviderConfig | None = config.provider(name)
    spec = BUILTIN_PROVIDERS.get(name)
    if configured is not None:
        base_name = configured.kind or (name if spec else "openai-compatible")
        base_spec = BUILTIN_PROVIDERS.get(base_name)
        if base_spec is None:
            raise ConfigError(
                f"[providers.{name}] has kind {base_name!r}, which is not a provider; "
                f"use one of {sorted(BUILTIN_PROVIDERS)}"
            )
        spec = base_spec
    if spec is None:
        known = sorted({*BUILTIN_PROVIDERS, *config.providers})
        raise ConfigError(
            f"unknown provider {name!r}; known providers: {', '.join(known)}. "
            "Define others as [providers.NAME] in llmkit.toml"
        )
    env = config.env
    key_env = (configured.api_key_env if configured else None) or spec.api_key_env
    # A provider's own variables (OPENAI_BASE_URL…) apply to the built-in name only, not to
    # every configured provider that borrows its wire format.
    builtin = name in BUILTIN_PROVIDERS
    env_base = env.get(spec.base_url_env, "") if spec.base_url_env and builtin else ""
    url = (
        base_url
        or env_base.strip()
        or (configured.base_url if configured else None)
        or spec.base_url
    )
    key = api_key or (env.get(key_env, "").strip() if key_env else "") or None
    return ResolvedProvider(
        name=name,
        spec=spec,
        base_url=url,
        api_key=key,
        key_env=key_env,
        headers=dict(configured.headers) if configured else {},
        timeout=configured.timeout if configured else None,
        max_retries=configured.max_retries if configured else None,
    )


def get_model(
    model: str | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
    http_client: httpx.AsyncClient | None = None,
    config: Config | None = None,
    **model_options: Any,
) -> Model:
    """The model for ``provider:model``, or the configured default when `model` is None.

    Raises `ConfigError` (saying how to fix it) for a malformed string, an unknown provider,
    a missing key or base URL, or a base URL that is not http(s).
    """
    cfg = config or load_config()
    provider_name, model_name = parse_model_string(model or cfg.default_model)
    resolved = resolve_provider(provider_name, cfg, base_url=base_url, api_key=api_key)
    if resolved.spec.wire == "local":
        return _model_class(resolved.spec)(model_name, **model_options)  # type: ignore[no-any-return]
    if not resolved.base_url:
        raise ConfigError(
            f"provider {provider_name!r} needs a base URL: set "
            f"{resolved.spec.base_url_env or 'base_url'} or [providers.{provider_name}] "
            "base_url in llmkit.toml, or pass base_url="
        )
    if resolved.key_missing:
        raise ConfigError(
            f"provider {provider_name!r} needs an API key: export {resolved.key_env}=... "
            "(or set api_key_env in llmkit.toml, or pass api_key=)"
        )
    model_class = _model_class(resolved.spec)
    policy = retry
    if policy is None and resolved.max_retries is not None:
        policy = RetryPolicy(max_retries=resolved.max_retries)
    provider = Provider(
        name=provider_name,
        wire=resolved.spec.wire,
        base_url=resolved.base_url,
        api_key=resolved.api_key,
        headers=resolved.headers,
        timeout=timeout or resolved.timeout or 600.0,
        retry=policy,
        client=http_client,
    )
    return model_class(model_name, provider=provider, **model_options)  # type: ignore[no-any-return]


def _model_class(spec: ProviderSpec) -> Any:
    module_name, _, class_name = WIRE_MODELS[spec.wire].partition(":")
    return getattr(import_module(module_name), class_name)
