"""Agents declared as data: a YAML or JSON file with name, model, instructions, tools by name,
output schema, limits, settings and policy.

```yaml
name: researcher
model: openai:gpt-4.1-mini
instructions: Answer with sources.
tools: [math_calculator, http_request]
output_schema: {type: object, properties: {answer: {type: string}}, required: [answer]}
limits: {max_steps: 8, max_seconds: 120}
settings: {temperature: 0.2, max_tokens: 800}
policy: {workspace: ., write: false, allowed_hosts: [api.example.com], programs: [git]}
```
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..models.request import ModelSettings
from ..tools.base import Tool
from .limits import UsageLimits

if TYPE_CHECKING:
    from ..policy.policy import Policy
    from .agent import Agent

__all__ = ["agent_from_file", "agent_from_mapping", "builtin_tools"]

_KEYS = {
    "name",
    "description",
    "model",
    "instructions",
    "tools",
    "output_schema",
    "output_strategy",
    "output_retries",
    "max_tool_rounds",
    "limits",
    "settings",
    "policy",
}
_LIMIT_KEYS = {
    "max_steps",
    "max_tool_calls",
    "max_input_tokens",
    "max_output_tokens",
    "max_seconds",
}
_SETTING_KEYS = {
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "seed",
    "tool_choice",
    "parallel_tool_calls",
    "timeout",
}
_POLICY_KEYS = {
    "workspace",
    "write",
    "allowed_hosts",
    "allow_private",
    "programs",
    "approval_required",
}


def builtin_tools() -> dict[str, Tool]:
    """Every built-in tool by name."""
    from ..tools.builtin import builtin_toolset

    return {t.name: t for t in builtin_toolset()}


def agent_from_file(path: str | Path, *, tools: Iterable[Tool] = (), model: Any = None) -> Agent:
    """Load an agent definition; errors name the file and the field."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read it: {exc.strerror}") from None
    if file.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{file}: not valid JSON: {exc}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file}: not valid YAML: {exc}") from None
    return agent_from_mapping(data, tools=tools, model=model, where=str(file), base=file.parent)


def agent_from_mapping(
    data: Any,
    *,
    tools: Iterable[Tool] = (),
    model: Any = None,
    where: str = "agent definition",
    base: Path | None = None,
) -> Agent:
    """Build an agent from already-parsed data (see `agent_from_file`)."""
    from .agent import Agent

    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: the top level must be a mapping of fields")
    _known(data, _KEYS, where)
    available = {**builtin_tools(), **{t.name: t for t in tools}}
    names = data.get("tools", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{where}: tools must be a list of tool names")
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ConfigError(
            f"{where}: tools: unknown tool(s) {unknown}; available: {sorted(available)}"
        )
    output_schema = data.get("output_schema")
    if output_schema is not None and not isinstance(output_schema, dict):
        raise ConfigError(f"{where}: output_schema must be a JSON schema object")
    return Agent(
        model if model is not None else _string(data, "model", where, None),
        name=_string(data, "name", where, "agent") or "agent",
        description=_string(data, "description", where, "") or "",
        instructions=_string(data, "instructions", where, "") or "",
        tools=[available[n] for n in names],
        output_type=output_schema if output_schema is not None else str,
        output_strategy=data.get("output_strategy", "tool"),
        output_retries=_number(data, "output_retries", where, 2),
        max_tool_rounds=(
            None
            if data.get("max_tool_rounds") is None
            else _number(data, "max_tool_rounds", where, 0)
        ),
        limits=_limits(data.get("limits"), where),
        settings=_settings(data.get("settings"), where),
        policy=_policy(data.get("policy"), where, base or Path.cwd()),
    )


def _known(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(allowed)}")


def _string(data: Mapping[str, Any], key: str, where: str, default: str | None) -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number >= 0")
    return value


def _limits(raw: Any, where: str) -> UsageLimits | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: limits must be a mapping")
    _known(raw, _LIMIT_KEYS, f"{where}: limits")
    for key, value in raw.items():
        kinds = (int, float) if key == "max_seconds" else (int,)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, kinds) or value <= 0
        ):
            raise ConfigError(f"{where}: limits.{key} must be a positive number")
    return UsageLimits(**raw)


def _settings(raw: Any, where: str) -> ModelSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: settings must be a mapping")
    _known(raw, _SETTING_KEYS, f"{where}: settings")
    return ModelSettings(**raw)


def _policy(raw: Any, where: str, base: Path) -> Policy | None:
    from ..policy import NetworkPolicy, Policy, ProcessPolicy, Workspace

    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: policy must be a mapping")
    _known(raw, _POLICY_KEYS, f"{where}: policy")
    workspace = None
    if raw.get("workspace") is not None:
        workspace = Workspace(base / str(raw["workspace"]), write=bool(raw.get("write", False)))
    network = None
    if raw.get("allowed_hosts"):
        network = NetworkPolicy(
            list(raw["allowed_hosts"]), allow_private=bool(raw.get("allow_private", False))
        )
    processes = ProcessPolicy(list(raw["programs"])) if raw.get("programs") else None
    try:
        return Policy(
            workspace=workspace,
            network=network,
            processes=processes,
            approval_required=frozenset(raw.get("approval_required", ())),
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: policy: {exc}") from None
