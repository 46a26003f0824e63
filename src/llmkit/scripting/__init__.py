"""Sandboxed scripting: run Lua scripts that use llmkit through generated bridges.

    from llmkit.scripting import run
    run("return Output.extract_json('x = {\\"a\\": 1}').a").value  # 1

Scripts get no file, network, process or environment access unless `Permissions` grant
it, and run under host-enforced `Limits` (time, memory, call depth, output, bridge calls).
"""

from __future__ import annotations

from .callbacks import ScriptFunction
from .engines import ENGINES, EXTENSIONS, engine_class, engine_for_path
from .errors import (
    BridgeArgumentError,
    PermissionDenied,
    ScriptError,
    ScriptLimitError,
    ScriptMemoryError,
    ScriptPermissionError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    ScriptTimeout,
    ScriptValueError,
    UnknownEngineError,
)
from .host import SCRIPT_SANDBOX_DENIED, HostSession
from .limits import DEFAULT_LIMITS, Limits
from .permissions import PERMISSION_NAMES, Permissions
from .pool import EnginePool, pool_for
from .registry import (
    DEFAULT_BRIDGES,
    Bridge,
    BridgeMethod,
    BridgeRegistry,
    bridge_method,
    default_registry,
)
from .run import Script, ScriptOptions, ScriptResult, load_script, run, run_async
from .script_tool import ScriptTool

__all__ = [
    "DEFAULT_BRIDGES",
    "DEFAULT_LIMITS",
    "ENGINES",
    "EXTENSIONS",
    "PERMISSION_NAMES",
    "SCRIPT_SANDBOX_DENIED",
    "Bridge",
    "BridgeArgumentError",
    "BridgeMethod",
    "BridgeRegistry",
    "EnginePool",
    "HostSession",
    "Limits",
    "PermissionDenied",
    "Permissions",
    "Script",
    "ScriptError",
    "ScriptFunction",
    "ScriptLimitError",
    "ScriptMemoryError",
    "ScriptOptions",
    "ScriptPermissionError",
    "ScriptResult",
    "ScriptRuntimeError",
    "ScriptSyntaxError",
    "ScriptTimeout",
    "ScriptTool",
    "ScriptValueError",
    "UnknownEngineError",
    "bridge_method",
    "default_registry",
    "engine_class",
    "engine_for_path",
    "load_script",
    "pool_for",
    "run",
    "run_async",
]
