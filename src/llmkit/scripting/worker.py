"""The isolated worker: one script engine in a process of its own, under OS limits.

Started by `llmkit.scripting.isolated.IsolatedEngine` as ``python -I`` with an empty
environment. It reads an ``init`` message, lowers its own resource limits before any
engine exists, builds the engine, then serves ``run``/``callback``/``global`` requests.
Lua runs without its limit hook unless the host asks for it: the host kills
the worker at the deadline, and Lua's own stack limit stops runaway recursion.
Every bridge call, printed line, audit event and module read goes to the host over the
protocol (`llmkit.scripting.protocol`); the host checks permissions and limits there.
"""

from __future__ import annotations

import builtins
import math
import os
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import LLMKitError
from .callbacks import ScriptFunction
from .engines import engine_class
from .engines.base import ScriptEngine
from .errors import PermissionDenied, ScriptLimitError, ScriptRuntimeError, ScriptValueError
from .host import HostSession, LimitReached
from .limits import Limits
from .protocol import (
    FrameReader,
    ProtocolError,
    decode_values,
    error_to_wire,
    field,
    write_message,
)

__all__ = ["WorkerSession", "apply_limits", "main"]

_NEVER = float("inf")
_host_errors: dict[str, type[LLMKitError]] = {}


def apply_limits(*, address_space: int, open_files: int | None = None) -> None:
    """Lower this process's limits for good (soft and hard): address space, no core
    files, a small stderr log; with `open_files`, also no new descriptors beyond it and
    no new processes (a root process keeps the right to fork: the kernel exempts it)."""
    caps = [
        (resource.RLIMIT_AS, address_space),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, 2**20),
    ]
    if open_files is not None:
        caps += [(resource.RLIMIT_NOFILE, open_files), (resource.RLIMIT_NPROC, 0)]
    for which, value in caps:
        resource.setrlimit(which, (value, value))


def arm_cpu(seconds: float) -> None:
    """Let the process use `seconds` more CPU time (rounded up, plus one) before the
    kernel's SIGXCPU ends it; re-armed before every entry into the script."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = int(used) + math.ceil(seconds) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _host_error(type: str, message: str, limit: Any = None) -> Exception:
    """The host's error as the engine should see it (its type name and message intact)."""
    if type == "PermissionDenied":
        return PermissionDenied(message)
    if type == "LimitReached":
        return LimitReached(str(limit), message)
    cls = _host_errors.get(type)
    if cls is None:
        # A class of the host error's name, so the script reads "Name: message" as in-process.
        name = type if type.isidentifier() else "HostError"
        cls = _host_errors[type] = builtins.type(name, (LLMKitError,), {})
    return cls(message)


class Worker:
    """Serves the host's requests on the pipes, one at a time."""

    def __init__(self, engine: ScriptEngine, reader: FrameReader, out: int) -> None:
        self.engine = engine
        self.reader = reader
        self.out = out
        self.session: WorkerSession | None = None
        self._functions: dict[int, ScriptFunction] = {}
        self._ids: dict[int, int] = {}

    # -- sending -------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        """Write one message to the host."""
        write_message(self.out, message, self._function_id)

    def _function_id(self, function: ScriptFunction) -> int:
        number = self._ids.get(id(function))
        if number is None:
            number = len(self._functions) + 1
            self._functions[number] = function
            self._ids[id(function)] = number
        return number

    def _revive(self, number: int) -> ScriptFunction:
        function = self._functions.get(number)
        if function is None:
            raise ScriptValueError(f"no script function number {number} in this worker")
        return function

    # -- serving -------------------------------------------------------------------

    def serve(self) -> None:
        """Answer requests until the host says ``exit`` or closes the pipe."""
        while True:
            try:
                message = self.reader.read(_NEVER)
            except ProtocolError:
                return
            if message is None or message["op"] == "exit":
                return
            self.enter(message)

    def enter(self, message: dict[str, Any]) -> None:
        """Run one entry into the script and send its outcome as ``done``."""
        try:
            op = message["op"]
            remaining = float(field(message, "remaining", (int, float), "host"))
            arm_cpu(remaining)
            if op == "run":
                value = self._run(message, remaining)
            else:
                session = self.session
                if session is None:
                    raise ScriptValueError("no script has run in this worker yet")
                session.granted = remaining
                args = tuple(decode_values(message.get("args") or [], self._revive))
                if op == "callback":
                    function = self._revive(field(message, "fn", int, "host"))
                    value = self.engine.on_thread(self.engine.call_function, function, args)
                elif op == "global":
                    name = field(message, "name", str, "host")
                    value = self.engine.on_thread(self.engine.call_global, name, args)
                else:
                    raise ScriptValueError(f"unknown request {op!r}")
            reply: dict[str, Any] = {"op": "done", "ok": True, "value": value}
            self.send(reply)
        except BaseException as exc:  # every failure is reported to the host, typed
            error = _stack_limit(exc, self.engine)
            self.send({"op": "done", "ok": False, "error": error_to_wire(error)})

    def _run(self, message: dict[str, Any], remaining: float) -> Any:
        limits = Limits(**field(message, "limits", dict, "host"))
        session = WorkerSession(
            worker=self,
            engine=self.engine.name,
            limits=limits,
            args=message.get("args"),
            run_id=str(message.get("run_id") or "script"),
        )
        session.granted = remaining
        self.session = session
        chunk_name = field(message, "chunk_name", str, "host")
        source = field(message, "source", str, "host")
        return self.engine.on_thread(
            lambda: self.engine.execute(source, chunk_name=chunk_name, folder=None, session=session)
        )

    def await_reply(self) -> Any:
        """The host's reply to the request just sent, serving the callbacks it makes
        into the script meanwhile.

        Raises:
            Exception: The host's error, typed as the engine expects it.
        """
        while True:
            message = self.reader.read(_NEVER)
            if message is None:  # pragma: no cover - no deadline here
                continue
            if message["op"] == "reply":
                if message.get("ok"):
                    return message.get("value"), float(message.get("paused") or 0.0)
                error = message.get("error") or {}
                raise _host_error(
                    str(error.get("type")), str(error.get("message")), error.get("limit")
                )
            self.enter(message)

    def request(self, message: dict[str, Any]) -> tuple[Any, float]:
        """Send a request to the host and wait for its reply: (value, seconds paused)."""
        self.send(message)
        value, paused = self.await_reply()
        return decode_values(value, self._revive), paused


def _stack_limit(error: BaseException, engine: ScriptEngine) -> BaseException:
    """Without the limit hook nothing counts calls, and Lua's own limits stop runaway
    recursion ("stack overflow" at 1,000,000 stack slots, "C stack overflow" past 200
    C levels): uncaught, that is the `call_depth` limit."""
    if (
        type(error) is ScriptRuntimeError
        and not getattr(engine, "limit_hook", True)
        and error.message.endswith("stack overflow")
    ):
        return ScriptLimitError(
            f"{error.message} (nested calls beyond Lua's own stack limit)",
            limit="call_depth",
            engine=error.engine,
            file=error.file,
            line=error.line,
            traceback=error.traceback,
        )
    return error


class WorkerSession(HostSession):
    """The worker's side of a run: bridge calls, output, audit events and module reads
    go to the host; the clock is the one the host granted for the current entry."""

    def __init__(self, *, worker: Worker, **options: Any) -> None:
        super().__init__(output=self._send_output, **options)
        self.worker = worker
        self.granted = self.limits.timeout

    def start_clock(self) -> float:
        """Start the clock with the time the host granted this entry."""
        previous = self.deadline
        if previous == _NEVER:
            self.deadline = time.monotonic() + self.granted
        return previous

    def invoke(self, index: int, args: tuple[Any, ...]) -> Any:
        """Ask the host to call bridge method `index`; it checks permissions and limits.

        While the host works, the script's clock stops (callbacks get their own), as in
        `HostSession.await_host`; the host says how long its own clock paused.
        """
        deadline, self.deadline = self.deadline, _NEVER
        try:
            value, paused = self.worker.request({"op": "call", "index": index, "args": list(args)})
        finally:
            self.deadline = deadline
        self.deadline = deadline + paused
        return value

    def invoke_all(self, calls: Sequence[tuple[int, tuple[Any, ...]]]) -> list[tuple[bool, Any]]:
        """Ask the host to run several bridge calls at once (see `HostSession.invoke_all`)."""
        batch = [[index, list(args)] for index, args in calls]
        deadline, self.deadline = self.deadline, _NEVER
        try:
            outcomes, paused = self.worker.request({"op": "call_all", "calls": batch})
        finally:
            self.deadline = deadline
        self.deadline = deadline + paused
        return [(True, value) if ok else (False, _host_error(**value)) for ok, value in outcomes]

    def read_remote_module(self, name: str, extension: str) -> tuple[Path, str]:
        """A module's path and text, read by the host under its permissions."""
        try:
            value, _ = self.worker.request({"op": "module", "name": name, "extension": extension})
        except PermissionDenied:
            raise
        except LLMKitError as exc:
            raise OSError(str(exc)) from None
        path, source = value
        return Path(path), source

    def audit(self, operation: str, detail: str = "") -> None:
        """Hand the refusal to the host, which logs it and emits the event."""
        self.worker.send({"op": "audit", "operation": operation, "detail": detail})

    def _send_output(self, text: str) -> None:
        self.worker.send({"op": "out", "text": text})


def main() -> None:
    """The worker's entry point: ``python -m llmkit.scripting.worker`` (pipes on 0 and 1)."""
    out = os.dup(1)
    os.dup2(2, 1)  # stray prints must not corrupt the protocol stream
    reader = FrameReader(0, "host")
    init = reader.read(_NEVER)
    if init is None or init.get("op") != "init":
        sys.exit(2)
    apply_limits(address_space=field(init, "address_space", int, "host"))
    name = field(init, "engine", str, "host")
    options = {"limit_hook": init.get("limit_hook") is not False} if name == "lua" else {}
    engine = engine_class(name)(**options)
    engine.on_thread(lambda: None)  # the engine's thread exists before processes are capped
    apply_limits(
        address_space=init["address_space"], open_files=field(init, "open_files", int, "host")
    )
    worker = Worker(engine, reader, out)
    worker.send({"op": "ready", "pid": os.getpid()})
    worker.serve()


if __name__ == "__main__":
    main()
