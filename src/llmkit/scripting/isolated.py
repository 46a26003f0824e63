"""`IsolatedEngine`: a script engine that runs in a worker process under OS limits.

The host side of isolated mode. It looks like any `ScriptEngine` to `load_script`, but
the interpreter lives in a child process (`llmkit.scripting.worker`) started with an
empty environment, no inherited descriptors but its pipes, in a process group of its
own, and with its address space, CPU time, files and processes capped before the engine
starts. Every bridge call the script makes arrives here as a message and is performed by
`HostSession.invoke` under the host's permissions; callbacks into the script go the other
way. At the wall deadline the host kills the whole group. Lua runs there without its limit
hook: the kill is what stops a runaway loop, and Lua's own stack limit stops runaway
recursion. With ``limit_hook=True`` the hook stays, the worker reports timeouts and
`Limits.call_depth` itself, and the kill waits `KILL_GRACE`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import ConfigError
from .callbacks import ScriptFunction
from .engines import engine_class
from .engines.base import ScriptEngine
from .errors import (
    ScriptError,
    ScriptLimitError,
    ScriptMemoryError,
    ScriptRuntimeError,
    ScriptTimeout,
    ScriptValueError,
    host_error_message,
)
from .host import LimitReached
from .modules import read_module
from .protocol import (
    FrameReader,
    ProtocolError,
    decode_values,
    error_from_wire,
    field,
    write_message,
)

if TYPE_CHECKING:
    from .host import HostSession

__all__ = [
    "ADDRESS_SPACE_BASE",
    "KILL_GRACE",
    "OPEN_FILES",
    "STARTUP_TIMEOUT",
    "IsolatedEngine",
    "worker_command",
]

ADDRESS_SPACE_BASE = 512 * 2**20
"""Address space for the interpreter itself; a worker gets this plus twice `Limits.memory`."""
OPEN_FILES = 16
"""Descriptors a worker may hold once its engine is built."""
KILL_GRACE = 0.5
"""Seconds past the deadline before the host kills a worker that can report its own
timeout (JavaScript, or Lua with its limit hook); a hookless Lua worker dies at the deadline."""
STARTUP_TIMEOUT = 30.0
"""Seconds a worker may take to start (a busy machine is slow to import)."""
_CLEAN_ENV = {"LC_ALL": "C.UTF-8", "MALLOC_ARENA_MAX": "1"}  # nothing of the parent's
_NEVER = float("inf")
_DEATHS = {
    signal.SIGXCPU: (ScriptTimeout, "timeout", "the worker used up its CPU time limit"),
    signal.SIGKILL: (ScriptMemoryError, "memory", "the worker was killed (out of memory?)"),
    signal.SIGSEGV: (ScriptMemoryError, "memory", "the worker crashed at its memory limit"),
    signal.SIGABRT: (ScriptMemoryError, "memory", "the worker aborted at its memory limit"),
    signal.SIGBUS: (ScriptMemoryError, "memory", "the worker crashed at its memory limit"),
}


def worker_command() -> list[str]:
    """The command that starts a worker: this interpreter in isolated mode (``-I``: no
    environment variables, no user site, not the current folder), finding llmkit where
    this process found it."""
    root = str(Path(__file__).resolve().parents[2])
    bootstrap = (
        f"import sys; sys.path.insert(0, {root!r}); "
        "from llmkit.scripting.worker import main; main()"
    )
    return [sys.executable, "-I", "-c", bootstrap]


class IsolatedEngine(ScriptEngine):
    """A script engine whose interpreter runs in a limited worker process.

    One instance serves one run (and later calls into that run's functions); closing it
    kills the worker.

    Args:
        engine: The engine the worker runs ("lua", "javascript", or an alias).
        limit_hook: Keep Lua's limit hook in the worker (see `LuaEngine`):
            `Limits.call_depth` counted and a timeout the worker survives (later calls
            still work). Without it (the default) a timeout kills the worker and deep
            recursion stops at Lua's own stack limit, reported as the `call_depth` limit.
        address_space: RLIMIT_AS for the worker in bytes (default: `ADDRESS_SPACE_BASE`
            plus twice the run's `Limits.memory`).
        command: The worker's command line (default: `worker_command()`).
    """

    name = "isolated"
    extensions = ()

    def __init__(
        self,
        engine: str,
        *,
        limit_hook: bool = False,
        address_space: int | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.engine = engine_class(engine).name  # raises UnknownEngineError for a bad name
        self.limit_hook = limit_hook
        # A hookless Lua worker cannot report its own timeout: no point waiting for it.
        self._grace = 0.0 if self.engine == "lua" and not limit_hook else KILL_GRACE
        self.address_space = address_space
        self.command = list(command or worker_command())
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: FrameReader | None = None
        self._log: IO[bytes] | None = None
        self._session: HostSession | None = None
        self._killed_at_deadline = False
        super().__init__()

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before the first run)."""
        return self._process.pid if self._process is not None else None

    # -- the worker process ------------------------------------------------------------

    def start(self, memory: int) -> None:
        """Start the worker and wait until its engine is ready (on the engine thread).

        Raises:
            ScriptError: The worker did not start.
        """
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the worker
        process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=_CLEAN_ENV,
            cwd="/",
            close_fds=True,
            start_new_session=True,  # its own process group, killed as a whole
        )
        self._process = process
        weakref.finalize(self, _kill_group, process, self._log)
        assert process.stdout is not None
        self._reader = FrameReader(process.stdout.fileno(), self.engine)
        address_space = self.address_space or ADDRESS_SPACE_BASE + 2 * memory
        self._send(
            {
                "op": "init",
                "engine": self.engine,
                "limit_hook": self.limit_hook,
                "address_space": address_space,
                "open_files": OPEN_FILES,
            }
        )
        message = self._receive(time.monotonic() + STARTUP_TIMEOUT, startup=True)
        if message["op"] != "ready":
            raise self._broken(f"the worker sent {message['op']!r} instead of 'ready'")

    def _send(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None:
            raise ScriptRuntimeError("the worker is not running", engine=self.engine)
        try:
            write_message(process.stdin.fileno(), message, self._function_id)
        except (BrokenPipeError, OSError) as exc:
            raise self._died() from exc

    def _receive(self, deadline: float, *, startup: bool = False) -> dict[str, Any]:
        reader = self._reader
        assert reader is not None
        try:
            message = reader.read(deadline)
        except ProtocolError as exc:
            if self._exited():
                raise self._died() from None
            raise self._broken(exc.message) from None
        if message is None:
            if startup:
                raise self._broken(f"the worker did not start within {STARTUP_TIMEOUT:g} s")
            self._killed_at_deadline = True
            self.kill()
            raise self._died()
        return message

    def kill(self) -> None:
        """Kill the worker's whole process group now and reap it."""
        if self._process is not None:
            _kill_group(self._process)

    def _exited(self) -> bool:
        process = self._process
        if process is None:
            return True
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=1.0)
        return process.returncode is not None

    def _broken(self, problem: str) -> ProtocolError:
        """Kill a worker that broke the protocol; the error to raise."""
        self.kill()
        return ProtocolError(f"{problem} (the worker was killed)", engine=self.engine)

    def _died(self) -> ScriptError:
        """The typed error for a worker that is gone."""
        process = self._process
        self.kill()
        if self._killed_at_deadline:
            session = self._session
            why = session.timeout_message() if session is not None else "the script ran too long"
            return ScriptTimeout(
                f"{why} (the worker was killed)",
                limit="timeout",
                engine=self.engine,
            )
        code = process.returncode if process is not None else None
        if code is not None and code < 0 and -code in _DEATHS:
            cls, limit, message = _DEATHS[signal.Signals(-code)]
            return cls(message, limit=limit, engine=self.engine)
        return ProtocolError(
            f"the worker exited unexpectedly (status {code}): {self._log_tail()}",
            engine=self.engine,
        )

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0, os.SEEK_END)
        self._log.seek(max(0, self._log.tell() - 400))
        return self._log.read().decode("utf-8", "replace").strip()

    # -- ScriptEngine --------------------------------------------------------------------

    def execute(
        self, source: str, *, chunk_name: str, folder: Path | None, session: HostSession
    ) -> Any:
        """Start the worker and run `source` in it; returns the script's first result."""
        if self._process is not None:
            raise ConfigError("an isolated engine runs one script; make a new one")
        self._session = session
        self.start(session.limits.memory)
        message = {
            "op": "run",
            "source": source,
            "chunk_name": chunk_name,
            "args": session.args,
            "limits": dataclasses.asdict(session.limits),
            "run_id": session.run_id,
        }
        return self._enter(session, message)

    def call_function(self, function: ScriptFunction, args: tuple[Any, ...]) -> Any:
        """Call a function the script handed over, in the worker."""
        message = {"op": "callback", "fn": function.handle, "args": list(args)}
        return self._enter(function.session, message)

    def call_global(self, name: str, args: tuple[Any, ...]) -> Any:
        """Call the function the script left in global `name`, in the worker."""
        if self._session is None:
            raise ScriptValueError("no script has run in this engine yet")
        return self._enter(self._session, {"op": "global", "name": name, "args": list(args)})

    def reset(self) -> None:
        """An isolated engine is never reused: stop the worker."""
        self._stop()

    def close(self) -> None:
        """Stop the worker (politely, then by force) and the engine's thread."""
        if not self.closed:
            with contextlib.suppress(Exception):
                self.on_thread(self._stop)
        super().close()

    def _stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(Exception):
                self._send({"op": "exit"})
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
        _kill_group(process, self._log)

    # -- serving the worker ----------------------------------------------------------------

    def _enter(self, session: HostSession, message: dict[str, Any]) -> Any:
        """Send one entry into the script and serve the worker until it is done."""
        if self._process is None or self._process.returncode is not None:
            raise ScriptRuntimeError("the isolated worker is not running", engine=self.engine)
        previous = session.start_clock()
        try:
            message["remaining"] = session.deadline - time.monotonic()
            self._send(message)
            return self._serve(session)
        except ProtocolError:
            self.kill()  # a worker that breaks the protocol is not trusted again
            raise
        finally:
            session.stop_clock(previous)

    def _serve(self, session: HostSession) -> Any:
        while True:
            message = self._receive(session.deadline + self._grace)
            op = message["op"]
            if op == "done":
                return self._outcome(session, message)
            if op == "call":
                self._send(self._bridge_call(session, message))
            elif op == "call_all":
                self._send(self._bridge_calls(session, message))
            elif op == "module":
                self._send(self._module(session, message))
            elif op == "out":
                self._output(session, field(message, "text", str, self.engine))
            elif op == "audit":
                operation = field(message, "operation", str, self.engine)
                session.audit(operation, field(message, "detail", str, self.engine))
            else:
                raise self._broken(f"unknown message {op!r} from the worker")

    def _bridge_call(self, session: HostSession, message: dict[str, Any]) -> dict[str, Any]:
        index = self._method_index(session, message.get("index"))
        args = decode_values(field(message, "args", list, self.engine), self._reviver(session))
        before = session.deadline
        try:
            value = session.invoke(index, tuple(args))
        except Exception as exc:  # a limit ends the script; other errors it may catch
            if not isinstance(exc, LimitReached | ScriptLimitError):
                session.remember(exc)
            return {"op": "reply", "ok": False, "error": _error(exc)}
        paused = session.deadline - before if before != _NEVER else 0.0
        return {"op": "reply", "ok": True, "value": value, "paused": paused}

    def _bridge_calls(self, session: HostSession, message: dict[str, Any]) -> dict[str, Any]:
        batch: list[tuple[int, tuple[Any, ...]]] = []
        for call in field(message, "calls", list, self.engine):
            if not (isinstance(call, list) and len(call) == 2 and isinstance(call[1], list)):
                raise self._broken("a malformed batch of bridge calls from the worker")
            batch.append((self._method_index(session, call[0]), tuple(call[1])))
        revive = self._reviver(session)
        batch = [(index, tuple(decode_values(list(args), revive))) for index, args in batch]
        before = session.deadline
        try:
            outcomes = session.invoke_all(batch)
        except LimitReached as exc:
            return _failure("LimitReached", str(exc), exc.limit)
        results: list[list[Any]] = []
        for ok, value in outcomes:
            if ok:
                results.append([True, value])
            else:
                session.remember(value)
                results.append([False, _error(value)])
        paused = session.deadline - before if before != _NEVER else 0.0
        return {"op": "reply", "ok": True, "value": results, "paused": paused}

    def _method_index(self, session: HostSession, index: Any) -> int:
        if type(index) is not int or not 0 <= index < len(session.registry.methods()):
            raise self._broken(f"the worker called bridge method {index!r}, which does not exist")
        return index

    def _module(self, session: HostSession, message: dict[str, Any]) -> dict[str, Any]:
        name = field(message, "name", str, self.engine)
        extension = field(message, "extension", str, self.engine)
        if extension not in (".lua", ".js"):
            raise self._broken(f"the worker asked for a module with extension {extension!r}")
        try:
            path, source = read_module(session, name, extension)
        except Exception as exc:  # PermissionDenied or an OSError, named for the script
            return _failure(type(exc).__name__, str(exc))
        return {"op": "reply", "ok": True, "value": [str(path), source]}

    def _output(self, session: HostSession, text: str) -> None:
        try:
            session.write_output(text)
        except Exception as exc:  # over the limit or the sink failed: the worker is stopped
            self.kill()
            limit = exc.limit if isinstance(exc, LimitReached) else "output"
            raise _limit_error(limit, str(exc), self.engine) from None

    def _outcome(self, session: HostSession, message: dict[str, Any]) -> Any:
        if message.get("ok") is True:
            return decode_values(message.get("value"), self._reviver(session))
        error = error_from_wire(message.get("error"), self.engine)
        host_error = session.last_host_error
        if (
            isinstance(error, ScriptRuntimeError)
            and host_error is not None
            and error.message.endswith(host_error_message(host_error))
        ):
            error.host_error = host_error
            raise error from host_error
        raise error

    # -- functions crossing --------------------------------------------------------------

    def _function_id(self, function: ScriptFunction) -> int:
        if function.engine is not self:
            raise ScriptValueError("a function from another engine cannot be passed here")
        number: int = function.handle
        return number

    def _reviver(self, session: HostSession) -> Any:
        def revive(number: int) -> ScriptFunction:
            return ScriptFunction(self, number, session)

        return revive


def _limit_error(limit: str, message: str, engine: str) -> ScriptLimitError:
    if limit == "timeout":
        return ScriptTimeout(message, limit=limit, engine=engine)
    return ScriptLimitError(message, limit=limit, engine=engine)


def _failure(kind: str, message: str, limit: str | None = None) -> dict[str, Any]:
    return {"op": "reply", "ok": False, "error": {"type": kind, "message": message, "limit": limit}}


def _error(exc: BaseException) -> dict[str, Any]:
    """A host error for the worker: a limit stays a limit, the rest keep their name."""
    if isinstance(exc, LimitReached):
        return {"type": "LimitReached", "message": str(exc), "limit": exc.limit}
    if isinstance(exc, ScriptLimitError):
        return {"type": "LimitReached", "message": exc.message, "limit": exc.limit}
    return {"type": type(exc).__name__, "message": str(exc), "limit": None}


def _kill_group(process: subprocess.Popen[bytes], log: IO[bytes] | None = None) -> None:
    """SIGKILL the worker's process group (it leads its own session), reap it and close
    its pipes (and `log`, its stderr)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5.0)
    for stream in (process.stdin, process.stdout, log):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
