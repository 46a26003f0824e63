"""Lua bindings generated from the bridge registry, plus the Lua prelude."""

from __future__ import annotations

from importlib import resources

from ..registry import BridgeRegistry

__all__ = ["lua_bindings", "prelude_source"]


def lua_bindings(registry: BridgeRegistry) -> str:
    """Lua source of a chunk taking ``(host_call, host_result)`` and returning a function
    that installs every bridge table into an environment: one line per method, so a call
    costs one Lua closure and one host call."""
    lines = ["local host_call, host_result = ...", "return function(env)"]
    for bridge in registry.names:
        lines.append(f"  local bridge = {{}}  -- {bridge}")
        for method in registry.methods():
            if method.bridge != bridge:
                continue
            lines.append(
                f"  bridge.{method.script_name('lua')} = function(...) "
                f"return host_result(host_call({method.index}, ...)) end"
            )
        lines.append(f"  env.{bridge} = bridge")
    lines.append("end")
    return "\n".join(lines) + "\n"


def prelude_source(name: str) -> str:
    """The text of ``prelude/<name>`` shipped with the package."""
    return resources.files("llmkit.scripting").joinpath("prelude", name).read_text("utf-8")
