"""`HostSession`: the host side of one script run, shared by every engine.

An engine turns its values into Python ones and calls `HostSession.invoke`; everything
else — the permission check, the bridge-call count, argument checks, the deadline, the
printed-output budget and the audit trail — happens here, the same for every engine. The
JavaScript engine drains a request queue and calls the same `invoke`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import LLMKitError
from ..events import Event, EventBus, default_bus
from .errors import ScriptLimitError
from .limits import DEFAULT_LIMITS, Limits
from .permissions import Permissions
from .registry import Bridge, BridgeMethod, BridgeRegistry, default_registry

if TYPE_CHECKING:
    from ..policy.policy import Policy
    from ..tools.registry import ToolRegistry

__all__ = ["SCRIPT_SANDBOX_DENIED", "HostSession", "LimitReached"]

T = TypeVar("T")

SCRIPT_SANDBOX_DENIED = "script.sandbox.denied"
"""The audit event emitted for every operation a sandbox refuses."""

logger = logging.getLogger("llmkit.script")


class LimitReached(LLMKitError):
    """A run went over one of its `Limits` (`limit` names which); engines make it fatal."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class HostSession:
    """What one script run may do and has spent: permissions, limits, tools, output.

    Args:
        engine: The engine's name, for errors and events.
        permissions: What the run may reach.
        limits: What it may spend.
        args: The script's ``ARGS``.
        tools: Tools the script can call with ``Tool.call``; script-defined tools join it.
        loop: The event loop host coroutines (async tools) run on; None runs them on a
            private loop in the engine's thread.
        bus: Where audit events go (default: `llmkit.events.default_bus()`).
        output: Receives what the script prints, piece by piece (default: kept in `output`).
        registry: The bridges scripts can call (default: `default_registry()`).
        run_id: Ties the run's events together.
        folder: The script's folder, where ``require`` looks first.
        module_paths: More folders ``require`` looks in.
    """

    def __init__(
        self,
        *,
        engine: str,
        permissions: Permissions | None = None,
        limits: Limits = DEFAULT_LIMITS,
        args: Any = None,
        tools: ToolRegistry | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        bus: EventBus | None = None,
        output: Callable[[str], None] | None = None,
        registry: BridgeRegistry | None = None,
        run_id: str = "script",
        folder: Path | None = None,
        module_paths: tuple[Path, ...] = (),
    ) -> None:
        from ..tools.registry import ToolRegistry

        self.engine = engine
        self.permissions = permissions if permissions is not None else Permissions()
        self.limits = limits
        self.args = args if args is not None else []
        self.tools = tools if tools is not None else ToolRegistry()
        self.loop = loop
        self.bus = bus
        self.registry = registry or default_registry()
        self.run_id = run_id
        self.folder = folder
        self.module_paths = module_paths
        self._methods = self.registry.methods()
        self._calls: list[Callable[[tuple[Any, ...]], Any] | None] = [None] * len(self._methods)
        self._bridges: dict[str, Bridge] = {}
        self._output_sink = output
        self._output_parts: list[str] = []
        self._output_bytes = 0
        self.bridge_calls = 0
        self.deadline = float("inf")
        self.last_host_error: BaseException | None = None
        self._policy: Policy | None = None
        self._waits: list[_HostWait] = []
        self._waits_lock = threading.Lock()
        self._helpers: set[int] = set()  # threads running `invoke_all` calls

    # -- bridge calls ------------------------------------------------------------------

    def invoke(self, index: int, args: tuple[Any, ...]) -> Any:
        """Call bridge method number `index` with the script's (converted) arguments.

        Raises:
            LimitReached: The run is out of bridge calls or time.
            PermissionDenied: The method needs a permission the run lacks.
            BridgeArgumentError: The arguments do not fit the method.
            LLMKitError: Whatever the bridge itself raises.
        """
        self.bridge_calls += 1
        if self.bridge_calls > self.limits.bridge_calls:
            raise LimitReached(
                "bridge_calls", f"bridge call limit reached ({self.limits.bridge_calls} calls)"
            )
        call = self._calls[index] or self._prepare(index)
        return call(args)

    def _prepare(self, index: int) -> Callable[[tuple[Any, ...]], Any]:
        """Bridge method number `index` bound to this run's bridge, with its permission
        and argument checks picked once: the hot path of every bridge call."""
        method = self._methods[index]
        function = partial(method.function, self.bridge(method.bridge))
        bind, permission, name = method.bind, method.permission, method.qualified_name
        call: Callable[[tuple[Any, ...]], Any]
        if permission is not None:

            def call(args: tuple[Any, ...]) -> Any:
                self.permissions.check(permission, name)
                return function(*bind(args))

        elif len(method.params) == 1:
            exact, check = method.params[0].exact, method.params[0].check

            def call(args: tuple[Any, ...]) -> Any:
                if len(args) == 1:  # what `bind` does, minus its list
                    value = args[0]
                    return function(value if type(value) in exact else check(name, value))
                return function(*bind(args))

        else:

            def call(args: tuple[Any, ...]) -> Any:
                return function(*bind(args))

        self._calls[index] = call
        return call

    def bridge(self, name: str) -> Bridge:
        """This run's instance of the bridge called `name`."""
        instance = self._bridges.get(name)
        if instance is None:
            instance = self._bridges[name] = self.registry.classes()[name](self)
        return instance

    def method(self, index: int) -> BridgeMethod:
        """Bridge method number `index`."""
        return self._methods[index]

    def remember(self, error: BaseException) -> None:
        """Keep the host error a script is about to see, to report it if uncaught."""
        self.last_host_error = error

    # -- time ----------------------------------------------------------------------------

    def start_clock(self) -> float:
        """Start the wall clock for one entry into the script; returns the old deadline
        so a nested entry (a callback during a bridge call) can restore it."""
        previous = self.deadline
        if previous == float("inf"):
            self.deadline = time.monotonic() + self.limits.timeout
        return previous

    def stop_clock(self, previous: float) -> None:
        """Restore the deadline `start_clock` returned."""
        self.deadline = previous

    def overdue(self) -> str | None:
        """The timeout message once the deadline has passed, else None (a hot path)."""
        if time.monotonic() > self.deadline:
            return f"timeout: the script ran longer than {self.limits.timeout:g} s"
        return None

    # -- output ---------------------------------------------------------------------------

    def write_output(self, text: str) -> None:
        """Take printed text, within the output limit.

        Raises:
            LimitReached: The script printed more than `Limits.output` bytes.
        """
        self._output_bytes += len(text.encode("utf-8", "surrogatepass"))
        if self._output_bytes > self.limits.output:
            raise LimitReached("output", f"output limit reached ({self.limits.output} bytes)")
        if self._output_sink is not None:
            self._output_sink(text)
        else:
            self._output_parts.append(text)

    @property
    def output(self) -> str:
        """What the script printed (empty when an `output` callback took it)."""
        return "".join(self._output_parts)

    # -- host services ---------------------------------------------------------------------

    @property
    def policy(self) -> Policy:
        """The tool policy the permissions map to (built once)."""
        if self._policy is None:
            self._policy = self.permissions.to_policy()
        return self._policy

    def await_host(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a host coroutine from the engine's thread and wait for its result.

        While it waits, the engine thread runs the script callbacks the coroutine asks
        for (a script tool an agent calls, a workflow condition), so they cannot deadlock
        behind the very call that needs them.

        The wait does not count against `Limits.timeout` (a model call is bounded by its
        own limits); each callback run meanwhile gets a fresh clock of its own.
        """
        if threading.get_ident() in self._helpers:
            # A call of `invoke_all`: the engine thread already serves the callbacks.
            return self._start(coro).result()
        return self._serve_while(lambda: self._start(coro)).result()

    def invoke_all(self, calls: Sequence[tuple[int, tuple[Any, ...]]]) -> list[tuple[bool, Any]]:
        """Run several bridge calls at once: ``(True, result)`` or ``(False, error)`` each.

        Each call gets a helper thread, so the host coroutines the calls await run
        concurrently on the host loop while the engine thread serves the script callbacks
        they ask for; a lone call runs inline. Every call finishes before this returns.

        Raises:
            LimitReached: The calls go over `Limits.bridge_calls`, or one of them hit a limit.
        """
        self.bridge_calls += len(calls)
        if self.bridge_calls > self.limits.bridge_calls:
            raise LimitReached(
                "bridge_calls", f"bridge call limit reached ({self.limits.bridge_calls} calls)"
            )
        outcomes: list[tuple[bool, Any]] = [(False, None)] * len(calls)
        if len(calls) == 1:
            outcomes[0] = _outcome(self._dispatch, *calls[0])
        elif calls:
            helpers: list[threading.Thread] = []
            self._serve_while(lambda: self._start_helpers(calls, outcomes, helpers))
            for helper in helpers:  # finished already: none outlives the batch
                helper.join()
        for ok, value in outcomes:
            if not ok and isinstance(value, LimitReached | ScriptLimitError):
                raise value
        return outcomes

    def _dispatch(self, index: int, args: tuple[Any, ...]) -> Any:
        """`invoke` without the count (`invoke_all` counts the whole batch at once)."""
        method = self._methods[index]
        if method.permission is not None:
            self.permissions.check(method.permission, method.qualified_name)
        return method.function(self.bridge(method.bridge), *method.bind(args))

    def _start_helpers(
        self,
        calls: Sequence[tuple[int, tuple[Any, ...]]],
        outcomes: list[tuple[bool, Any]],
        helpers: list[threading.Thread],
    ) -> Future[None]:
        done: Future[None] = Future()
        left = [len(calls)]
        lock = threading.Lock()

        def work(position: int, index: int, args: tuple[Any, ...]) -> None:
            me = threading.get_ident()
            self._helpers.add(me)
            try:
                outcomes[position] = _outcome(self._dispatch, index, args)
            finally:
                self._helpers.discard(me)
                with lock:
                    left[0] -= 1
                    if not left[0]:
                        done.set_result(None)

        for position, (index, args) in enumerate(calls):
            name = f"llmkit-bridge-{self.engine}"
            helper = threading.Thread(target=work, args=(position, index, args), name=name)
            helpers.append(helper)
            helper.start()
        return done

    def _start(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Start `coro` on the host loop (or a private one) without waiting for it."""
        if self.loop is not None and self.loop.is_running():
            return asyncio.run_coroutine_threadsafe(coro, self.loop)
        future: Future[T] = Future()
        threading.Thread(target=_run_into, args=(coro, future), daemon=True).start()
        return future

    def _serve_while(self, start: Callable[[], Future[T]]) -> Future[T]:
        """Start work and serve the script callbacks it asks for until it is done, with
        the run's clock paused; returns the finished future."""
        # Registered before the work starts, so its first callback already finds it.
        wait = _HostWait()
        with self._waits_lock:
            self._waits.append(wait)
        paused_at, deadline = time.monotonic(), self.deadline
        self.deadline = float("inf")
        try:
            future = start()
            future.add_done_callback(lambda _: wait.calls.put(None))
            wait.serve()
        finally:
            with self._waits_lock:
                self._waits.remove(wait)
            wait.serve_left()
            self.deadline = deadline + (time.monotonic() - paused_at)
        return future

    def submit_callback(self, function: Callable[..., T], *args: Any) -> Future[T] | None:
        """Queue `function(*args)` for the engine thread while it waits in `await_host`;
        None when it is not waiting (the caller then uses the engine's own thread)."""
        with self._waits_lock:
            # On the waiting thread itself (a callback calling a callback): run directly.
            if not self._waits or self._waits[-1].thread == threading.get_ident():
                return None
            reply: Future[T] = Future()
            self._waits[-1].calls.put((function, args, reply))
            return reply

    async def aclose(self) -> None:
        """Close what the run's bridges opened (stores, temporary folders, recordings,
        models), newest first; a bridge that fails to close is logged and the rest still
        close."""
        bridges, self._bridges = list(self._bridges.values()), {}
        self._calls = [None] * len(self._methods)  # they hold the closed bridges
        for bridge in reversed(bridges):
            try:
                await bridge.aclose()
            except Exception:
                logger.warning("closing the %s bridge failed", bridge.name, exc_info=True)

    def audit(self, operation: str, detail: str = "") -> None:
        """Emit the audit event for an operation the sandbox refused."""
        logger.warning("%s sandbox refused %s %s", self.engine, operation, detail)
        payload = {"engine": self.engine, "operation": operation, "detail": detail}
        event = Event(
            name=SCRIPT_SANDBOX_DENIED, severity="warning", run_id=self.run_id, payload=payload
        )
        (self.bus or default_bus()).emit(event)


class _HostWait:
    """Callbacks queued for an engine thread blocked in `HostSession.await_host`."""

    __slots__ = ("calls", "thread")

    def __init__(self) -> None:
        import queue

        self.calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.get_ident()

    def serve(self) -> None:
        while (item := self.calls.get()) is not None:
            _answer(*item)

    def serve_left(self) -> None:
        while not self.calls.empty():
            item = self.calls.get()
            if item is not None:
                _answer(*item)


def _outcome(function: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    try:
        return True, function(*args)
    except Exception as exc:  # kept for the caller, who reports or raises it
        return False, exc


def _answer(function: Callable[..., Any], args: tuple[Any, ...], reply: Future[Any]) -> None:
    try:
        reply.set_result(function(*args))
    except BaseException as exc:  # handed to the waiting caller, who re-raises it
        reply.set_exception(exc)


def _run_into(coro: Coroutine[Any, Any, T], future: Future[T]) -> None:
    try:
        future.set_result(asyncio.run(coro))
    except BaseException as exc:  # handed to the engine thread, which re-raises it
        future.set_exception(exc)
