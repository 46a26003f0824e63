"""JavaScript bindings generated from the bridge registry (camelCase names)."""

from __future__ import annotations

from ..registry import BridgeRegistry
from .lua_bindings import prelude_source

__all__ = ["js_bindings", "js_runtime_source"]


def js_bindings(registry: BridgeRegistry) -> str:
    """JavaScript source of a function taking the runtime's ``request(index, args)`` and
    returning every bridge object: one line per method, each returning a Promise."""
    lines = ["(function (request) {", "  const bridges = {};"]
    for bridge in registry.names:
        lines.append(f"  bridges.{bridge} = {{}};")
        for method in registry.methods():
            if method.bridge == bridge:
                lines.append(
                    f"  bridges.{bridge}.{method.script_name('javascript')} = "
                    f"function (...args) {{ return request({method.index}, args); }};"
                )
    lines += ["  return bridges;", "})"]
    return "\n".join(lines) + "\n"


def js_runtime_source(registry: BridgeRegistry) -> str:
    """The whole program a new context evaluates: the runtime applied to the bindings and
    the prelude."""
    runtime, prelude = prelude_source("js_runtime.js"), prelude_source("js_prelude.js")
    return f"{runtime.rstrip()}({js_bindings(registry).rstrip()}, {prelude.rstrip()})\n"
