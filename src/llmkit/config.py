"""Configuration: the default model and named providers, from environment and llmkit.toml.

Precedence, highest first (documented in docs/configuration.md):

1. arguments passed in code (``get_model("openai:x", base_url=...)``);
2. environment variables (``LLMKIT_MODEL``, ``LLMKIT_DATABASE_URL``, ``LLMKIT_DASK_SCHEDULER``,
   ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``…);
3. ``llmkit.toml`` in the project folder (the current folder or the nearest parent with one);
4. ``llmkit.toml`` in the user config folder (``$XDG_CONFIG_HOME/llmkit`` or ``~/.config/llmkit``);
5. built-in defaults (``local:smollm2``).

``LLMKIT_CONFIG=/path/file.toml`` replaces the project file lookup. Keys are never read from
files: a file names the environment variable that holds a key (``api_key_env``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["DEFAULT_MODEL", "Config", "ProviderConfig", "load_config"]

DEFAULT_MODEL = "local:smollm2"
CONFIG_FILE = "llmkit.toml"

_PROVIDER_FIELDS = {"kind", "base_url", "api_key_env", "headers", "timeout", "max_retries"}
_WORKFLOW_FIELDS = {"dask_scheduler", "checkpoint_db"}
_STORAGE_FIELDS = {"url"}


@dataclass(slots=True, kw_only=True)
class ProviderConfig:
    """A provider as configured in llmkit.toml: ``[providers.NAME]``.

    `kind` names a built-in provider whose wire format and defaults it starts from
    (``openai-compatible`` when it is any OpenAI-format server).
    """

    name: str
    kind: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None
    max_retries: int | None = None


@dataclass(slots=True, kw_only=True)
class Config:
    """Everything llmkit reads from files and the environment.

    `dask_scheduler` is the address `DaskExecutor` connects to (``[workflows]
    dask_scheduler`` in llmkit.toml, or ``LLMKIT_DASK_SCHEDULER``).
    """

    default_model: str = DEFAULT_MODEL
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    dask_scheduler: str | None = None
    #: The checkpoint database of `llmkit workflow` (``[workflows] checkpoint_db``).
    checkpoint_db: str | None = None
    #: Where stores live when none is named (``[storage] url`` or ``LLMKIT_DATABASE_URL``):
    #: a SQLite path or ``sqlite:///path``, or a ``postgresql://`` URL.
    database_url: str | None = None
    files: list[Path] = field(default_factory=list)
    env: Mapping[str, str] = field(default_factory=dict)

    def provider(self, name: str) -> ProviderConfig | None:
        """The configured provider `name`, if any."""
        return self.providers.get(name)


def load_config(*, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the user file, then the project file over it, then the environment over both."""
    environ = os.environ if env is None else env
    config = Config(env=environ)
    for path in _config_files(cwd or Path.cwd(), environ):
        _merge_file(config, path)
    model = environ.get("LLMKIT_MODEL", "").strip()
    if model:
        config.default_model = model
    scheduler = environ.get("LLMKIT_DASK_SCHEDULER", "").strip()
    if scheduler:
        config.dask_scheduler = scheduler
    database = environ.get("LLMKIT_DATABASE_URL", "").strip()
    if database:
        config.database_url = database
    return config


def _config_files(cwd: Path, env: Mapping[str, str]) -> list[Path]:
    files: list[Path] = []
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    user_file = Path(xdg) / "llmkit" / CONFIG_FILE
    if user_file.is_file():
        files.append(user_file)
    explicit = env.get("LLMKIT_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"LLMKIT_CONFIG points at {explicit!r}, which is not a file")
        files.append(path)
        return files
    for folder in (cwd, *cwd.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            if candidate != user_file:
                files.append(candidate)
            break
    return files


def _merge_file(config: Config, path: Path) -> None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as TOML: {exc}") from None
    config.files.append(path)
    unknown = set(data) - {"default_model", "providers", "workflows", "storage"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {sorted(unknown)}; allowed: default_model, providers, "
            "storage, workflows"
        )
    if "default_model" in data:
        if not isinstance(data["default_model"], str) or not data["default_model"].strip():
            raise ConfigError(f"{path}: default_model must be a 'provider:model' string")
        config.default_model = data["default_model"].strip()
    providers = data.get("providers", {})
    if not isinstance(providers, dict):
        raise ConfigError(f"{path}: [providers] must be a table of [providers.NAME] tables")
    for name, table in providers.items():
        config.providers[name] = _provider_from_table(path, name, table)
    if "workflows" in data:
        _merge_workflows(config, path, data["workflows"])
    if "storage" in data:
        _merge_storage(config, path, data["storage"])


def _check_table(where: str, table: Any, allowed: set[str]) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def _merge_workflows(config: Config, path: Path, table: Any) -> None:
    where = f"{path}: [workflows]"
    _check_table(where, table, _WORKFLOW_FIELDS)
    if "dask_scheduler" in table:
        address = table["dask_scheduler"]
        if not isinstance(address, str) or not address.strip():
            raise ConfigError(
                f"{where}: dask_scheduler must be a scheduler address like 'tcp://host:8786'"
            )
        config.dask_scheduler = address.strip()
    if "checkpoint_db" in table:
        db = table["checkpoint_db"]
        if not isinstance(db, str) or not db.strip():
            raise ConfigError(f"{where}: checkpoint_db must be a file path")
        # A relative path is relative to the file that says it.
        config.checkpoint_db = str(path.parent / Path(db.strip()).expanduser())


def _merge_storage(config: Config, path: Path, table: Any) -> None:
    where = f"{path}: [storage]"
    _check_table(where, table, _STORAGE_FIELDS)
    url = table.get("url")
    if url is None:
        return
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: url must be a path or a 'postgresql://' URL")
    url = url.strip()
    if "://" not in url:
        # A relative path is relative to the file that says it.
        url = str(path.parent / Path(url).expanduser())
    config.database_url = url


def _provider_from_table(path: Path, name: str, table: Any) -> ProviderConfig:
    where = f"{path}: [providers.{name}]"
    _check_table(where, table, _PROVIDER_FIELDS)
    for key in ("kind", "base_url", "api_key_env"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{where}: {key} must be a string")
    headers = table.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ConfigError(f"{where}: headers must be a table of strings")
    timeout = table.get("timeout")
    if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
        raise ConfigError(f"{where}: timeout must be a positive number of seconds")
    retries = table.get("max_retries")
    if retries is not None and (not isinstance(retries, int) or retries < 0):
        raise ConfigError(f"{where}: max_retries must be a whole number >= 0")
    return ProviderConfig(
        name=name,
        kind=table.get("kind"),
        base_url=table.get("base_url"),
        api_key_env=table.get("api_key_env"),
        headers=dict(headers),
        timeout=float(timeout) if timeout is not None else None,
        max_retries=retries,
    )
