"""`LuaEngine`: Lua 5.4 through lupa, sandboxed, with host-enforced limits.

The sandbox (prelude/sandbox.lua) runs once per engine with the full standard library,
installs the hook that watches the wall clock and call depth (armed by ticks from outside
where it can be, see `lua_ticks`, else every `HOOK_EVERY` instructions), keeps what it
needs in upvalues and then builds a fresh environment for every run. Python's
object model stays out of reach: no ``python`` global, no eval or builtins, attribute
access refused, and only plain converted values cross (see `llmkit.scripting.values`).
"""

from __future__ import annotations

import logging
import re
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from ..callbacks import ScriptFunction
from ..errors import (
    PermissionDenied,
    ScriptError,
    ScriptLimitError,
    ScriptMemoryError,
    ScriptPermissionError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    ScriptTimeout,
    ScriptValueError,
    host_error_message,
)
from ..host import HostSession, LimitReached
from ..limits import DEFAULT_LIMITS
from ..modules import read_module
from ..registry import BridgeRegistry, default_registry
from ..values import check_int, normalise
from .base import ScriptEngine
from .lua_bindings import lua_bindings, prelude_source
from .lua_ticks import open_ticks

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["HOOK_EVERY", "PATTERN_BUDGET", "LuaEngine"]

HOOK_EVERY = 10_000
"""Instructions between two checks of the wall clock and call depth, in coroutines and
wherever the ticks cannot run."""
PATTERN_BUDGET = 20_000_000
"""Estimated C matcher steps above which a pattern call runs in the interruptible matcher."""

logger = logging.getLogger("llmkit.script")
_WHERE = re.compile(r"^(?P<file>[^\n]*?):(?P<line>\d+): (?P<message>.*)$", re.S)
_PRIMITIVES = frozenset({str, int, float, bool, type(None)})
_PASS_THROUGH = frozenset({str, float, bool, type(None)})  # ints need a range check


def _lupa() -> ModuleType:
    try:
        lua54: ModuleType = import_module("lupa.lua54")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError("the Lua engine needs lupa: pip install 'llmkit[scripting]'") from exc
    return lua54


def _refuse_attribute(obj: object, name: object, is_setting: bool) -> object:
    raise AttributeError("attribute access is closed in the sandbox")


class LuaEngine(ScriptEngine):
    """One Lua 5.4 state with the sandbox and the bridges installed.

    Args:
        registry: The bridges to bind (default: `default_registry()`).
        memory: The initial memory limit in bytes (each run sets its own).
        limit_hook: Install the hook that enforces `Limits.timeout` and
            `Limits.call_depth` inside the script. Only an isolated worker, which its
            parent kills at the deadline, may run without it; nothing else would stop
            ``while true do end``.

    Attributes:
        interrupts: How the hook is armed in the main thread: ``"ticks"`` (a timer
            signal a few hundred times a second: loops run at the raw engine's speed),
            ``"count"`` (every `HOOK_EVERY` instructions, about half the speed; where
            the ticks cannot run) or ``"none"``.
    """

    name = "lua"
    extensions = (".lua",)

    def __init__(
        self,
        *,
        registry: BridgeRegistry | None = None,
        memory: int = DEFAULT_LIMITS.memory,
        limit_hook: bool = True,
    ) -> None:
        super().__init__()
        self.limit_hook = limit_hook
        lua54 = _lupa()
        self._lua_type = lua54.lua_type
        self._lua_error = lua54.LuaError
        self._lua = lua54.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_refuse_attribute,
            max_memory=memory,
        )
        self._session: HostSession | None = None
        self._env: Any = None
        self._chunk_name = ""
        host = self._lua.table_from(
            {
                "overdue": self._overdue,
                "write": self._write,
                "audit": self._audit,
                "warn": self._warn,
                "read_module": self._read_module,
            }
        )
        self._engine = self._lua.execute(
            prelude_source("sandbox.lua"),
            host,
            prelude_source("patterns.lua"),
            HOOK_EVERY if limit_hook else 0,  # a count of 0 leaves every coroutine unhooked
            PATTERN_BUDGET,
        )
        self._ticks = open_ticks(lua54, self._engine.state) if limit_hook else None
        if self._ticks is not None:
            self._engine.watch_by_ticks()
        self.interrupts = "ticks" if self._ticks else "count" if limit_hook else "none"
        self._install_bridges = self._lua.execute(
            lua_bindings(registry or default_registry()),
            self._host_call,
            self._engine.host_result,
        )
        install_prelude = self._lua.execute(prelude_source("lua_prelude.lua"))
        install_bridges = self._install_bridges

        def install(env: Any) -> None:
            install_bridges(env)
            install_prelude(env)

        self._install = install
        # The runtime's own globals (with `python`, `os`, `io`...) are never a script's
        # environment, but nothing should point there either.
        self._lua.globals().python = None

    # -- running ----------------------------------------------------------------------

    def execute(
        self, source: str, *, chunk_name: str, folder: Path | None, session: HostSession
    ) -> Any:
        """Run `source` in a fresh sandboxed environment; returns its first result."""
        self._session = session
        self._chunk_name = chunk_name
        self._lua.set_max_memory(session.limits.memory)
        self._engine.configure(session.limits.call_depth)
        env = self._engine.new_env(self._install, self._to_lua(session.args, 0, set()))
        self._env = env
        chunk, problem = self._engine.compile(source, "@" + chunk_name, env)
        if chunk is None:
            raise self._syntax_error(str(problem))
        previous = session.start_clock()
        outer = self._start_ticks()
        try:
            outcome = self._engine.run(chunk)
        finally:
            self._stop_ticks(outer)
            session.stop_clock(previous)
        return self._result(outcome, session)

    def call_function(self, function: ScriptFunction, args: tuple[Any, ...]) -> Any:
        """Call a function the script handed over, with Python arguments."""
        session = function.session
        outer = self._session
        self._session = session
        previous = session.start_clock()
        outer_state = self._start_ticks()
        try:
            lua_args = [self._to_lua(arg, 0, set()) for arg in args]
            runner = self._engine.call if previous != float("inf") else self._engine.run
            outcome = runner(function.handle, *lua_args)
        finally:
            self._stop_ticks(outer_state)
            session.stop_clock(previous)
            self._session = outer
        return self._result(outcome, session)

    def call_global(self, name: str, args: tuple[Any, ...]) -> Any:
        """Call the function the last script left in global `name`.

        Raises:
            ScriptValueError: There is no such global function.
        """
        if self._env is None or self._session is None:
            raise ScriptValueError("no script has run in this engine yet")
        value = self._env[name]
        if self._lua_type(value) != "function":
            raise ScriptValueError(f"the script defines no global function {name!r}")
        return self.call_function(ScriptFunction(self, value, self._session, name), args)

    def _start_ticks(self) -> int:
        """Tick the engine thread for one entry into the script (see `LuaTicks.start`)."""
        ticks = self._ticks
        if ticks is None:
            return 0
        try:
            return ticks.start()
        except (RuntimeError, OSError) as exc:
            # Someone replaced the signal's handler: no tick would ever arrive.
            logger.warning("Lua ticks are off (%s); limits fall back to the count hook", exc)
            self._use_count_hook()
            return 0

    def _use_count_hook(self) -> None:
        """Arm the main thread's hook every `HOOK_EVERY` instructions from now on."""
        if self._ticks is not None:
            self._ticks.stop(0)  # the thread's timer stops, whichever entry started it
        self._ticks = None
        self.interrupts = "count"
        self._engine.watch_by_count()

    def _stop_ticks(self, outer: int) -> None:
        if self._ticks is not None:
            self._ticks.stop(outer)

    def close(self) -> None:
        """Delete the thread's timer, then stop the thread."""
        if self._ticks is not None and not self.closed:
            self._executor.submit(self._ticks.release)
        super().close()

    def reset(self) -> None:
        """Drop the last run's environment and collect its garbage."""
        self._env = None
        self._session = None
        self._lua.set_max_memory(0)
        self._lua.gccollect()

    @property
    def memory_used(self) -> int:
        """Bytes the Lua state holds now."""
        return int(self._lua.get_memory_used())

    # -- results and errors -----------------------------------------------------------

    def _result(self, outcome: tuple[Any, ...], session: HostSession) -> Any:
        ok, value, traceback, fatal = (*outcome, None, None, None)[:4]
        if ok:
            return self._to_python(value[1], 0) if value.n else None
        raise self._runtime_error(value, str(traceback or ""), bool(fatal), session)

    def _syntax_error(self, message: str) -> ScriptError:
        file, line, text = self._split_where(message)
        return ScriptSyntaxError(text, engine=self.name, file=file, line=line)

    def _runtime_error(
        self, value: Any, traceback: str, fatal: bool, session: HostSession
    ) -> ScriptError:
        message = value if isinstance(value, str) else str(value)
        file, line, text = self._split_where(message)
        traceback = _script_frames(traceback)
        if fatal:
            limit, _, detail = text.partition(": ")
            kind = {"timeout": ScriptTimeout, "memory": ScriptMemoryError}.get(
                limit, ScriptLimitError
            )
            return kind(detail or text, limit=limit, engine=self.name, file=file, line=line)
        host_error = session.last_host_error
        if host_error is not None and text.endswith(host_error_message(host_error)):
            cls = ScriptPermissionError if isinstance(host_error, PermissionDenied) else None
            error = (cls or ScriptRuntimeError)(
                text, engine=self.name, file=file, line=line, traceback=traceback
            )
            error.host_error = host_error
            error.__cause__ = host_error
            return error
        return ScriptRuntimeError(text, engine=self.name, file=file, line=line, traceback=traceback)

    def _split_where(self, message: str) -> tuple[str | None, int | None, str]:
        return _split_where(message, self._chunk_name)

    # -- host functions the sandbox calls ---------------------------------------------

    def _host_call(self, index: int, *args: Any) -> tuple[Any, ...]:
        session = self._session
        assert session is not None
        try:
            for arg in args:
                if type(arg) not in _PRIMITIVES:
                    args = tuple(self._to_python(arg, 0) for arg in args)
                    break
            result = session.invoke(index, args)
            if type(result) in _PASS_THROUGH:
                return True, result
            return True, self._to_lua(result, 0, set())
        except LimitReached as exc:
            return False, f"{exc.limit}: {exc}", True
        except ScriptLimitError as exc:
            return False, f"{exc.limit}: {exc.message}", True
        except Exception as exc:  # every host error becomes a catchable script error
            session.remember(exc)
            return False, host_error_message(exc), False

    def _overdue(self) -> str | None:
        session = self._session
        return session.overdue() if session is not None else None

    def _write(self, text: str) -> str | None:
        if self._session is None:
            return None
        try:
            self._session.write_output(text)
        except LimitReached as exc:
            return f"{exc.limit}: {exc}"
        except Exception as exc:  # a Python exception must never reach the script as an object
            return f"output: the output callback failed: {host_error_message(exc)}"
        return None

    def _audit(self, operation: str, detail: str) -> None:
        if self._session is not None:
            self._session.audit(operation, detail)

    def _warn(self, message: str) -> None:
        logger.warning("lua warn: %s", message)

    def _read_module(self, name: object) -> tuple[Any, ...]:
        session = self._session
        if session is None or not isinstance(name, str):
            return None, "require: no script is running"
        try:
            path, source = read_module(session, name, ".lua")
        except PermissionDenied as exc:
            session.audit("require", name)
            return None, f"require: {exc}"
        except (OSError, UnicodeDecodeError) as exc:
            return None, f"require: cannot read module {name!r}: {exc}"
        return source, str(path)

    # -- values -------------------------------------------------------------------------

    def _to_python(self, value: Any, depth: int) -> Any:
        if type(value) in _PRIMITIVES:
            return value
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ScriptValueError(f"a string is not valid UTF-8: {exc}") from None
        kind = self._lua_type(value)
        if kind == "function":
            assert self._session is not None
            return ScriptFunction(self, value, self._session)
        if kind != "table":
            raise ScriptValueError(f"a Lua {kind} cannot be passed to the host")
        assert self._session is not None
        if depth >= self._session.limits.value_depth:
            if self._engine.has_cycle(value):
                raise ScriptValueError("a table that contains itself cannot be passed to the host")
            raise ScriptValueError(
                f"tables nested deeper than {self._session.limits.value_depth} levels "
                "cannot be passed to the host"
            )
        items = list(value.items())
        if not items:
            return [] if self._engine.is_array(value) else {}
        if all(type(key) is int and key == i for i, (key, _) in enumerate(items, 1)):
            return [self._to_python(item, depth + 1) for _, item in items]
        result: dict[Any, Any] = {}
        for key, item in items:
            if type(key) is not str and type(key) is not int:
                raise ScriptValueError(
                    f"table keys must be strings or integers to reach the host, "
                    f"got a {self._lua_type(key) or type(key).__name__} key"
                )
            result[key] = self._to_python(item, depth + 1)
        return result

    def _to_lua(self, value: Any, depth: int, path: set[int]) -> Any:
        kind = type(value)
        if kind is str or kind is float or kind is bool or value is None:
            return value
        if kind is int:
            return check_int(value, "a value for the script")
        if isinstance(value, ScriptFunction):
            if value.engine is not self:
                raise ScriptValueError("a function from another engine cannot be passed here")
            return value.handle
        if isinstance(value, bytes):
            return value
        limit = self._session.limits.value_depth if self._session else 64
        if depth >= limit or id(value) in path:
            what = "contains itself" if id(value) in path else f"is nested deeper than {limit}"
            raise ScriptValueError(f"a value that {what} cannot be passed to a script")
        container = value if kind is dict or kind is list else normalise(value, "to a script")
        path.add(id(value))
        try:
            if isinstance(container, list):
                if not container:
                    return self._engine.empty_array()
                return self._lua.table_from([self._to_lua(v, depth + 1, path) for v in container])
            converted = {}
            for key, item in container.items():
                if type(key) is not str and type(key) is not int:
                    raise ScriptValueError(
                        f"keys must be strings or integers to reach a script, got {key!r}"
                    )
                converted[key] = self._to_lua(item, depth + 1, path)
            return self._lua.table_from(converted)
        finally:
            path.discard(id(value))


def _script_frames(traceback: str) -> str:
    """The traceback without the sandbox's own frames (the runner and its xpcall)."""
    lines = traceback.splitlines()
    kept = [ln for ln in lines if '"<python>"' not in ln and "in function 'xpcall'" not in ln]
    return "\n".join(kept)


def _split_where(message: str, chunk_name: str) -> tuple[str | None, int | None, str]:
    match = _WHERE.match(message)
    if match is None:
        return None, None, message
    file = match.group("file")
    # Lua shortens long chunk names to "...<tail>"; give the whole path back.
    if file.startswith("...") and chunk_name.endswith(file[3:]):
        file = chunk_name
    return file, int(match.group("line")), match.group("message")
