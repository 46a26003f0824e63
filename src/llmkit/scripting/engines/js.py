"""`JavaScriptEngine`: JavaScript through quickjs-ng, sandboxed, with host-enforced limits.

quickjs refuses every call from JavaScript into Python while a time limit is set, so no
Python callable is ever given to a script. A bridge call queues a request (the method's
index and its JSON arguments; a lone call with plain arguments skips JSON) and returns a
Promise; the host runs the script as jobs, takes the queue between jobs, serves each
request through `HostSession.invoke` and settles the promises. Every slice of JavaScript
runs under the time left to the run; the host's own short calls into the runtime (taking
the queue, reading an argument, fulfilling a promise with a plain value) run no script
code and skip the clock. Each run gets a new context: nothing a run leaves in globals or
prototypes survives, and a context an out-of-memory error broke is never reused.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
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
from ..values import normalise
from .base import ScriptEngine
from .js_bindings import js_runtime_source
from .js_modules import module_name, wrap_module

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["STACK_BYTES_PER_CALL", "JavaScriptEngine"]

STACK_BYTES_PER_CALL = 2048
"""C stack quickjs uses per nested JavaScript call (measured: about 1,700 bytes)."""
THREAD_STACK = 64 * 2**20
"""The engine thread's stack: room for the deepest `Limits.call_depth` allowed."""
MAX_SAFE_INTEGER = 2**53

logger = logging.getLogger("llmkit.script")
_CONSOLE, _PRINT, _AUDIT, _IMPORT = -1, -2, -3, -4
_WHERE = re.compile(r"<input>:(\d+)(?::(\d+))?")
_DIRECT = frozenset({str, float, bool, type(None)})  # values settled without JSON
_PLAIN = frozenset({float, bool, type(None)})  # the same, no check needed
_FUNCTION = "\u0000fn"
_RUNTIME_FRAME = re.compile(r"^\s*at (start|call|track|settle|settleOne|post|request|stop) \(")
_HOST_FUNCTIONS = (
    "configure",
    "take",
    "arg",
    "settleOne",
    "settle",
    "start",
    "call",
    "lookup",
    "outcome",
)
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner


def _quickjs() -> ModuleType:
    try:
        module: ModuleType = import_module("quickjs")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the JavaScript engine needs quickjs-ng: pip install 'llmkit[scripting]'"
        ) from exc
    return module


class JavaScriptEngine(ScriptEngine):
    """One quickjs-ng context at a time, with the sandbox and the bridges installed.

    Args:
        registry: The bridges to bind (default: `default_registry()`).
        memory: The initial memory limit in bytes (each run sets its own).
    """

    name = "javascript"
    extensions = (".js",)

    def __init__(
        self, *, registry: BridgeRegistry | None = None, memory: int = DEFAULT_LIMITS.memory
    ) -> None:
        super().__init__()
        self._quickjs = _quickjs()
        self._source = js_runtime_source(registry or default_registry())
        self._memory = memory
        self._session: HostSession | None = None
        self._generation = 0
        self._chunk_name = "<script>"
        self._modules: set[str] = set()
        self._calls = 0
        self._used = False
        # A deep call_depth needs a deep C stack; only this thread gets one.
        previous = threading.stack_size()
        try:
            threading.stack_size(THREAD_STACK)
            self.on_thread(self._new_context)
        finally:
            threading.stack_size(previous)

    def _new_context(self) -> None:
        context = self._quickjs.Context()
        context.set_memory_limit(self._memory)
        context.set_time_limit(5.0)
        host = context.eval(f"globalThis.__llmkit_host = {self._source}; undefined")
        assert host is None
        # The runtime's functions, fetched one by one (a quickjs Object has no attributes).
        functions = {name: context.eval(f"__llmkit_host.{name}") for name in _HOST_FUNCTIONS}
        context.eval("delete globalThis.__llmkit_host")
        context.set_time_limit(-1)
        self._context = context
        self._host = functions
        self._take = functions["take"]
        self._arg = functions["arg"]
        self._settle_one = functions["settleOne"]
        self._generation += 1
        self._modules = set()
        self._used = False

    # -- running ----------------------------------------------------------------------

    def execute(
        self, source: str, *, chunk_name: str, folder: Path | None, session: HostSession
    ) -> Any:
        """Run `source` in a fresh context; returns what its top level ``return``s."""
        if self._used:  # one context per run (and one that ran out of memory is dead)
            self._new_context()
        self._used = True
        self._session = session
        self._chunk_name = chunk_name
        limits = session.limits
        context = self._context
        context.set_memory_limit(limits.memory)
        context.set_max_stack_size(limits.call_depth * STACK_BYTES_PER_CALL)
        args_json = self._encode(session.args)[0]
        self._host["configure"](
            float(limits.bridge_calls), float(limits.output), args_json
        )  # no script code has run yet
        previous = session.start_clock()
        try:
            body = self._timed(context.eval, wrap_module(source))
            call_id = self._next_call()
            self._timed(self._host["start"], body, call_id)
            return self._drive(call_id)
        finally:
            session.stop_clock(previous)

    def call_function(self, function: ScriptFunction, args: tuple[Any, ...]) -> Any:
        """Call a function the script handed over, with Python arguments."""
        generation, function_id = function.handle
        if generation != self._generation:
            raise ScriptValueError(f"{function.name!r} belongs to a script that has ended")
        session = function.session
        outer = self._session
        self._session = session
        previous = session.start_clock()
        try:
            payload, revive = self._encode(list(args))
            call_id = self._next_call()
            self._timed(self._host["call"], function_id, payload, revive, call_id)
            return self._drive(call_id)
        finally:
            session.stop_clock(previous)
            self._session = outer

    def call_global(self, name: str, args: tuple[Any, ...]) -> Any:
        """Call the function the last script exported (or left in global) `name`.

        Raises:
            ScriptValueError: There is no such function.
        """
        if self._session is None:
            raise ScriptValueError("no script has run in this engine yet")
        function_id = self._timed(self._host["lookup"], name)
        if not function_id:
            raise ScriptValueError(f"the script defines no global function {name!r}")
        handle = (self._generation, function_id)
        return self.call_function(ScriptFunction(self, handle, self._session, name), args)

    def reset(self) -> None:
        """Replace the context: the next run starts from a clean global object."""
        self._session = None
        self._new_context()

    @property
    def memory_used(self) -> int:
        """Bytes the context holds now."""
        return int(self._context.memory()["malloc_size"])

    # -- the request loop ---------------------------------------------------------------

    def _next_call(self) -> int:
        self._calls += 1
        return self._calls

    def _timed(self, function: Any, *args: Any) -> Any:
        """Call into the runtime under the time left to the run."""
        session = self._session
        assert session is not None
        # Outside a run (looking up a function to call) the clock has not started yet.
        remaining = min(session.deadline - time.monotonic(), session.limits.timeout)
        if remaining <= 0:
            raise self._timeout()
        context = self._context
        context.set_time_limit(remaining)
        try:
            return function(*args)
        except self._quickjs.JSException as exc:
            raise self._engine_error(exc) from None
        finally:
            context.set_time_limit(-1)

    def _drive(self, call_id: int) -> Any:
        """Run jobs and serve requests until nothing is left; returns the call's result.

        The hot path of every bridge call, so the slice's clock is armed inline, and a
        single call with plain arguments (`take` then returns a number) is read without
        JSON and, with a plain result, settled without JSON.
        """
        session = self._session
        assert session is not None
        context = self._context
        run_job, set_limit, take = context.execute_pending_job, context.set_time_limit, self._take
        settle_one, invoke, monotonic = self._settle_one, session.invoke, time.monotonic
        arg, js_exception = self._arg, self._quickjs.JSException
        token = -call_id  # files this drive's slot call (ids the runtime picks are positive)
        drain = True
        while True:
            remaining = session.deadline - monotonic()
            if remaining <= 0:
                raise self._timeout()
            set_limit(remaining)
            try:
                ran = run_job()
                # Every ready job runs before the queue is served, so the requests of
                # concurrent awaits (Promise.all) reach the host together; each job gets
                # only the time left, so a chain of jobs cannot outlive the deadline.
                # After a lone call's plain result only its own continuation is ready.
                while ran and drain:
                    remaining = session.deadline - monotonic()
                    if remaining <= 0:
                        raise self._timeout()
                    set_limit(remaining)
                    drain = run_job()
            except js_exception as exc:
                raise self._engine_error(exc) from None
            set_limit(-1)
            batch = take(token)
            if batch.__class__ is int:  # method index, argument count, has-numbers bit
                count = (batch >> 1) & 15
                if count == 1:
                    args: Any = (arg(0),)
                else:
                    args = tuple([arg(i) for i in range(count)])
                if batch & 1:
                    args = _json_numbers(args)
                drain = True
                try:
                    result = invoke(batch >> 5, args)
                except Exception as exc:
                    self._settle([self._failure(token, exc)])
                    continue
                if result.__class__ in _PLAIN or _is_direct(result):
                    settle_one(token, result)  # no script code runs here
                    drain = False
                else:
                    self._settle([[token, True, result]])
                continue
            drain = True
            if not batch:
                if not ran:
                    return self._outcome(call_id)
                continue
            if batch[0] == "!":
                limit, _, message = batch[1:].partition(": ")
                raise self._limit_error(limit, message)
            requests = _scan(batch, 0)[0]
            if len(requests) == 1:
                request_id, op, has_functions, args = requests[0]
                if op >= 0 and not has_functions:
                    try:
                        result = invoke(op, args)
                    except Exception as exc:
                        self._settle([self._failure(request_id, exc)])
                        continue
                    if _is_direct(result):
                        settle_one(request_id, result)  # no script code runs here
                    else:
                        self._settle([[request_id, True, result]])
                    continue
            self._serve(requests)

    def _serve(self, requests: list[list[Any]]) -> None:
        results: list[list[Any]] = []
        calls = [request for request in requests if request[1] >= 0]
        if len(calls) > 1:  # several promises pending at once: served concurrently
            results += self._bridge_calls(calls)
        for request_id, op, has_functions, args in requests:
            if op >= 0:
                if len(calls) == 1:
                    results.append(self._bridge_call(request_id, op, has_functions, args))
            elif op == _IMPORT:
                results.append(self._import(request_id, args))
            else:
                self._notice(op, args)
        if results:
            self._settle(results)

    def _settle(self, results: list[list[Any]]) -> None:
        payload, revive = self._encode(results)
        self._timed(self._host["settle"], payload, revive)

    def _bridge_calls(self, calls: list[list[Any]]) -> list[list[Any]]:
        session = self._session
        assert session is not None
        batch = [(op, self._revive(args) if has_fn else args) for _, op, has_fn, args in calls]
        outcomes = session.invoke_all(batch)
        return [
            [call[0], True, value] if ok else self._failure(call[0], value)
            for call, (ok, value) in zip(calls, outcomes, strict=True)
        ]

    def _bridge_call(self, request_id: int, op: int, has_functions: int, args: Any) -> list[Any]:
        session = self._session
        assert session is not None
        try:
            if has_functions:
                args = self._revive(args)
            return [request_id, True, session.invoke(op, args)]
        except Exception as exc:
            return self._failure(request_id, exc)

    def _failure(self, request_id: int, exc: Exception) -> list[Any]:
        """A host error as the script sees it; a limit ends the run instead."""
        if isinstance(exc, LimitReached):
            raise self._limit_error(exc.limit, str(exc)) from None
        if isinstance(exc, ScriptLimitError):
            raise exc
        assert self._session is not None
        self._session.remember(exc)
        return [request_id, False, host_error_message(exc)]

    def _notice(self, op: int, args: Any) -> None:
        session = self._session
        assert session is not None
        if op == _PRINT:
            try:
                session.write_output(args)
            except LimitReached as exc:
                raise self._limit_error(exc.limit, str(exc)) from None
        elif op == _CONSOLE:
            logger.log(int(args[0]), "javascript console: %s", args[1])
        elif op == _AUDIT:
            session.audit(str(args[0]), str(args[1]))

    def _import(self, request_id: int, args: list[str]) -> list[Any]:
        session = self._session
        assert session is not None
        base, specifier = args
        try:
            name = module_name(base, specifier)
            if name in self._modules:
                return [request_id, True, [name, None]]
            _, source = read_module(session, name, ".js")
        except PermissionDenied as exc:
            session.audit("import", specifier)
            return [request_id, False, f"import: {exc}"]
        except (OSError, UnicodeDecodeError) as exc:
            return [request_id, False, f"import: cannot read module {specifier!r}: {exc}"]
        self._modules.add(name)
        return [request_id, True, [name, wrap_module(source)]]

    def _outcome(self, call_id: int) -> Any:
        text = self._timed(self._host["outcome"], call_id)
        if not text:
            raise ScriptRuntimeError(
                "the script waits for something that never happens (a promise nothing "
                "settles, or modules that import each other)",
                engine=self.name,
                file=self._chunk_name,
            )
        kind, payload = text[0], json.loads(text[1:])
        if kind == "V":
            return payload[0]
        if kind == "F":
            return self._revive(payload)[0]
        return self._script_error(*payload)

    # -- errors -------------------------------------------------------------------------

    def _script_error(self, message: str, name: str, stack: str) -> Any:
        session = self._session
        assert session is not None
        traceback = _script_frames(stack).replace("<input>", self._chunk_name)
        line, column = _where(_script_frames(stack))
        # quickjs throws null when it cannot even allocate the error object.
        if (name == "InternalError" and message == "out of memory") or (
            not name and message == "null"
        ):
            raise self._limit_error("memory", "not enough memory")
        if name == "RangeError" and "call stack size exceeded" in message:
            raise self._limit_error(
                "call_depth", f"more than {session.limits.call_depth} nested calls"
            )
        host_error = session.last_host_error
        if host_error is not None and message == host_error_message(host_error):
            cls = (
                ScriptPermissionError
                if isinstance(host_error, PermissionDenied)
                else ScriptRuntimeError
            )
            error = cls(
                message, engine=self.name, file=self._chunk_name, line=line, traceback=traceback
            )
            error.host_error = host_error
            raise error from host_error
        text = f"{name}: {message}" if name and name != "Error" else message
        raise ScriptRuntimeError(
            text,
            engine=self.name,
            file=self._chunk_name,
            line=line,
            column=column,
            traceback=traceback,
        )

    def _engine_error(self, exc: BaseException) -> ScriptError:
        text = str(exc)
        first = text.split("\n", 1)[0]
        if first.startswith("InternalError: interrupted"):
            return self._timeout()
        if "out of memory" in first or first.strip() == "null":
            return self._limit_error("memory", "not enough memory")
        if isinstance(exc, self._quickjs.StackOverflow):
            return self._limit_error("call_depth", "the call stack is full")
        line, column = _where(text)
        message = first
        if first.startswith("SyntaxError"):
            return ScriptSyntaxError(
                message, engine=self.name, file=self._chunk_name, line=line, column=column
            )
        return ScriptRuntimeError(
            message, engine=self.name, file=self._chunk_name, line=line, column=column
        )

    def _timeout(self) -> ScriptLimitError:
        message = self._session.timeout_message() if self._session else "the script ran too long"
        return self._limit_error("timeout", message)

    def _limit_error(self, limit: str, message: str) -> ScriptLimitError:
        kind = {"timeout": ScriptTimeout, "memory": ScriptMemoryError}.get(limit, ScriptLimitError)
        return kind(message, limit=limit, engine=self.name, file=self._chunk_name)

    # -- values ---------------------------------------------------------------------------

    def _encode(self, value: Any) -> tuple[str, bool]:
        """JSON text for the script, and whether it holds functions to revive."""
        found = [False]
        limit = self._session.limits.value_depth if self._session else 64

        def default(item: Any) -> Any:
            if isinstance(item, ScriptFunction):
                if item.engine is not self or item.handle[0] != self._generation:
                    raise ScriptValueError("a function from another script cannot be passed here")
                found[0] = True
                return {_FUNCTION: item.handle[1]}
            return normalise(item, "to a script")

        _check_value(value, limit, 0)
        try:
            text = json.dumps(value, default=default, ensure_ascii=False, allow_nan=False)
            if not text.isascii() and not _is_utf8(text):  # lone surrogates go as \u escapes
                text = json.dumps(value, default=default, allow_nan=False)
        except ValueError as exc:
            raise ScriptValueError(f"a value cannot be passed to a script: {exc}") from None
        return text, found[0]

    def _revive(self, value: Any) -> Any:
        session = self._session
        assert session is not None
        if isinstance(value, dict):
            if _FUNCTION in value and len(value) == 1:
                handle = (self._generation, value[_FUNCTION])
                return ScriptFunction(self, handle, session)
            return {key: self._revive(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._revive(item) for item in value]
        return value


def _check_value(value: Any, limit: int, depth: int) -> None:
    kind = type(value)
    if kind is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ScriptValueError(f"integer {value} does not fit a JavaScript number exactly")
        return
    if kind is dict or kind is list or kind is tuple:
        if depth >= limit:
            raise ScriptValueError(
                f"a value nested deeper than {limit} levels cannot be passed to a script"
            )
        items = value.values() if kind is dict else value
        for item in items:
            if type(item) not in _DIRECT:
                _check_value(item, limit, depth + 1)


def _is_direct(value: Any) -> bool:
    """Whether the binding converts `value` exactly: it turns a Python int into a 32-bit
    JavaScript int and a string into UTF-8 (lone surrogates fail), so those go as JSON."""
    kind = type(value)
    if kind is str:
        return value.isascii() or _is_utf8(value)
    return kind in _DIRECT or (kind is int and -(2**31) <= value < 2**31)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_numbers(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Arguments as JSON would have brought them: an integral float below 1e21 as an int
    (JSON writes it without a fraction), NaN and the infinities as None (JSON's null)."""
    return tuple(_json_number(value) if type(value) is float else value for value in args)


def _json_number(value: float) -> Any:
    if value.is_integer():
        return int(value) if -1e21 < value < 1e21 else value
    return value if math.isfinite(value) else None


def _script_frames(stack: str) -> str:
    """The stack without the runtime's own frames (the calls that start a script)."""
    lines = [line for line in stack.splitlines() if not _RUNTIME_FRAME.match(line)]
    return "\n".join(lines)


def _where(text: str) -> tuple[int | None, int | None]:
    match = _WHERE.search(text)
    if match is None:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None
