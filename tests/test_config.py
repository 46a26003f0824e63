"""Model strings, environment, llmkit.toml and their precedence; bad input names the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmkit import ConfigError, OpenAIChatModel, get_model, load_config, parse_model_string
from llmkit.providers.resolve import resolve_provider


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4.1-mini", ("openai", "gpt-4.1-mini")),
        ("anthropic:claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("ollama:llama3.1:8b", ("ollama", "llama3.1:8b")),
        ("local:smollm2", ("local", "smollm2")),
        (" Gemini:gemini-2.5-flash ", ("gemini", "gemini-2.5-flash")),
    ],
)
def test_model_strings(text: str, expected: tuple[str, str]) -> None:
    assert parse_model_string(text) == expected


@pytest.mark.parametrize("text", ["", "gpt-4o", "openai:", ":gpt-4o", "  :  "])
def test_malformed_model_strings(text: str) -> None:
    with pytest.raises(ConfigError, match="provider:model"):
        parse_model_string(text)


def test_default_model_is_local_when_nothing_is_configured(clean_env: Path) -> None:
    assert load_config().default_model == "local:smollm2"


def test_unknown_provider_lists_the_known_ones(clean_env: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown provider 'nope'.*openai.*llmkit.toml"):
        get_model("nope:x")


def test_missing_key_says_which_variable(clean_env: Path) -> None:
    with pytest.raises(ConfigError, match="export ANTHROPIC_API_KEY"):
        get_model("anthropic:claude-sonnet-4-5")


@pytest.mark.parametrize("url", ["ftp://host/v1", "localhost:8080", "http://", "not a url"])
def test_invalid_base_url(clean_env: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="base URL"):
        get_model("openai-compatible:m", base_url=url)


def test_openai_compatible_needs_a_base_url(clean_env: Path) -> None:
    with pytest.raises(ConfigError, match="OPENAI_COMPATIBLE_BASE_URL"):
        get_model("openai-compatible:my-model")


def test_base_url_from_environment_needs_no_key(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    model = get_model("openai:smollm2")
    assert isinstance(model, OpenAIChatModel)
    assert model.provider.base_url == "http://127.0.0.1:8080/v1"
    assert model.provider.api_key is None


def test_llmkit_model_env_sets_the_default(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / "llmkit.toml").write_text('default_model = "ollama:qwen3"\n')
    assert load_config().default_model == "ollama:qwen3"
    monkeypatch.setenv("LLMKIT_MODEL", "groq:llama")
    assert load_config().default_model == "groq:llama"


def test_project_file_overrides_user_file(clean_env: Path) -> None:
    user_dir = clean_env / "home" / ".config" / "llmkit"
    user_dir.mkdir(parents=True)
    (user_dir / "llmkit.toml").write_text(
        'default_model = "openai:gpt-4.1-mini"\n'
        '[providers.box]\nbase_url = "http://127.0.0.1:1/v1"\n'
    )
    project = clean_env / "project" / "sub"
    project.mkdir(parents=True)
    (clean_env / "project" / "llmkit.toml").write_text(
        '[providers.box]\nbase_url = "http://127.0.0.1:2/v1"\napi_key_env = "BOX_KEY"\n'
    )
    config = load_config(cwd=project)
    assert config.default_model == "openai:gpt-4.1-mini"  # only the user file names one
    assert config.providers["box"].base_url == "http://127.0.0.1:2/v1"
    assert [p.name for p in config.files] == ["llmkit.toml", "llmkit.toml"]


def test_named_provider_with_key_env_and_headers(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / "llmkit.toml").write_text(
        "[providers.lab]\n"
        'kind = "openai-compatible"\n'
        'base_url = "http://127.0.0.1:9999/v1"\n'
        'api_key_env = "LAB_TOKEN"\n'
        "max_retries = 0\n"
        '[providers.lab.headers]\nX-Team = "blue"\n'
    )
    monkeypatch.setenv("LAB_TOKEN", "secret")
    model = get_model("lab:qwen")
    assert isinstance(model, OpenAIChatModel)
    assert model.name == "lab:qwen"
    assert model.provider.base_url == "http://127.0.0.1:9999/v1"
    transport = model.provider.transport
    assert transport.headers["Authorization"] == "Bearer secret"
    assert transport.headers["X-Team"] == "blue"
    assert transport.retry.max_retries == 0


def test_arguments_beat_environment(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    resolved = resolve_provider(
        "openai", load_config(), base_url="http://127.0.0.1:2/v1", api_key="from-arg"
    )
    assert (resolved.base_url, resolved.api_key) == ("http://127.0.0.1:2/v1", "from-arg")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default_model = 3\n", "default_model must be"),
        ("colour = 'red'\n", "unknown key"),
        ("[providers.x]\nbase = 'y'\n", r"\[providers.x\]: unknown key"),
        ("[providers.x]\ntimeout = -1\n", "timeout must be"),
        ("[providers.x]\nkind = 'martian'\n", "not a provider"),
        ("default_model = \n", "cannot read it as TOML"),
    ],
)
def test_bad_config_files_name_the_problem(clean_env: Path, text: str, message: str) -> None:
    (clean_env / "llmkit.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        get_model("x:y")


def test_llmkit_config_must_exist(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMKIT_CONFIG", str(clean_env / "missing.toml"))
    with pytest.raises(ConfigError, match="LLMKIT_CONFIG"):
        load_config()


def test_model_classes_resolve_provider_names(clean_env: Path) -> None:
    from llmkit import AnthropicModel

    model = OpenAIChatModel("qwen", provider="llamacpp")
    assert model.provider.base_url == "http://localhost:8080/v1"
    assert model.build_body([], [], None, stream=False)["model"] == "qwen"
    with pytest.raises(ConfigError, match="does not speak the anthropic wire format"):
        AnthropicModel("qwen", provider="llamacpp")
