"""`HostSession`: the host side of one script run, shared by every engine.

An engine turns its values into Python ones and calls `HostSession.invoke`; everything
else — the permission check, the bridge-call count, argument checks, the deadline, the
printed-output budget and the audit trail — happens here, the same for every engine. The
JavaScript engine drains a request queue and calls the same `invoke`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import CancelledError, Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import LLMKitError
from ..events import Event, EventBus, default_bus
from .errors import ScriptLimitError, ScriptTimeout
from .limits import DEFAULT_LIMITS, Limits
from .permissions import Permissions
from .registry import Bridge, BridgeMethod, BridgeRegistry, default_registry

if TYPE_CHECKING:
    from ..policy.policy import Policy
    from ..tools.registry import ToolRegistry

__all__ = ["SCRIPT_SANDBOX_DENIED", "WALL_GRACE", "HostSession", "LimitReached"]

T = TypeVar("T")

_NEVER = float("inf")
WALL_GRACE = 1.0
"""Seconds a host wait cancelled at `Limits.wall_time` gets to unwind before the engine
thread stops waiting for it."""

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
        self.deadline = _NEVER
        self.wall_deadline = _NEVER
        self._entries = 0  # nested entries into the script (the outermost sets the wall)
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
        """Start the clock for one entry into the script; returns the old deadline so a
        nested entry (a callback during a bridge call) can restore it.

        The outermost entry also starts the `Limits.wall_time` clock, which host waits do
        not pause; no deadline of the entry or of the callbacks inside it passes it.
        """
        now = time.monotonic()
        if not self._entries and self.limits.wall_time is not None:
            self.wall_deadline = now + self.limits.wall_time
        self._entries += 1
        previous = self.deadline
        if previous == _NEVER:
            self.deadline = min(now + self.limits.timeout, self.wall_deadline)
        return previous

    def stop_clock(self, previous: float) -> None:
        """Restore the deadline `start_clock` returned."""
        self.deadline = previous
        if self._entries:  # a subclass may start its clock without counting
            self._entries -= 1
            if not self._entries:
                self.wall_deadline = _NEVER

    def overdue(self) -> str | None:
        """The timeout message once the deadline has passed, else None (a hot path)."""
        if time.monotonic() > self.deadline:
            return f"timeout: {self.timeout_message()}"
        return None

    def timeout_message(self) -> str:
        """Which time limit a run that is out of time broke: `Limits.wall_time` once its
        deadline has passed, else `Limits.timeout`."""
        if time.monotonic() > self.wall_deadline:
            return self._wall_message()
        return f"the script ran longer than {self.limits.timeout:g} s"

    def _wall_message(self) -> str:
        return (
            f"wall_time: the run took longer than {self.limits.wall_time:g} s (host waits included)"
        )

    def _wall_reached(self) -> ScriptTimeout:
        # Typed already: an engine passes a `ScriptLimitError` from any bridge call on
        # as fatal, batches (`invoke_all`) included.
        return ScriptTimeout(self._wall_message(), limit="timeout", engine=self.engine)

    def _resume(self, deadline: float, paused_at: float) -> None:
        """Restart the script's clock after a host wait (which did not count), never
        past the wall deadline.

        Raises:
            ScriptTimeout: The wait outlived the wall deadline.
        """
        now = time.monotonic()
        self.deadline = min(deadline + (now - paused_at), self.wall_deadline)
        if now >= self.wall_deadline:
            raise self._wall_reached()

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
        own limits); each callback run meanwhile gets a fresh clock of its own. It does
        count against `Limits.wall_time`: at the wall deadline the coroutine is cancelled.

        Raises:
            ScriptTimeout: The run's wall time ran out before the coroutine finished.
        """
        wall = self.wall_deadline
        if wall != _NEVER:
            if time.monotonic() >= wall:
                coro.close()
                raise self._wall_reached()
            coro = _within(coro, wall - time.monotonic())
        try:
            return self._wait_for(coro)
        except _WallTimeUp:
            raise self._wall_reached() from None

    def _wait_for(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.get_ident() in self._helpers:
            # A call of `invoke_all`: the engine thread already serves the callbacks.
            future = self._start(coro)
            try:
                return future.result(self._backstop())
            except TimeoutError:  # the backstop: the cancelled call has not unwound
                future.cancel()
                raise self._wall_reached() from None
        loop = self.loop
        if loop is None or not loop.is_running():
            futures: list[Future[T]] = []
            self._serve_while(lambda wait: futures.append(self._start(coro, wait)))
            return futures[0].result()
        # One hop to the loop and one back: the task's last step wakes this thread.
        wait = _HostWait()
        wait.loop = loop
        self._serve_while(lambda _: loop.call_soon_threadsafe(_begin, coro, wait), wait)
        ok, value = wait.outcome
        if ok:
            return cast("T", value)
        if isinstance(value, CancelledError):
            raise CancelledError()  # as `Future.result` raises it: a host error
        raise value

    def invoke_all(self, calls: Sequence[tuple[int, tuple[Any, ...]]]) -> list[tuple[bool, Any]]:
        """Run several bridge calls at once: ``(True, result)`` or ``(False, error)`` each.

        Each call gets a helper thread, so the host coroutines the calls await run
        concurrently on the host loop while the engine thread serves the script callbacks
        they ask for; a lone call runs inline. Every call finishes before this returns.

        Raises:
            LimitReached: The calls go over `Limits.bridge_calls`, or one of them hit a limit.
            ScriptTimeout: The batch outlived `Limits.wall_time`.
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
            # No backstop here: each helper's own waits end at the wall deadline.
            self._serve_while(lambda wait: self._start_helpers(calls, outcomes, helpers, wait))
            for helper in helpers:  # finished already: none outlives the batch
                helper.join()
        for ok, value in outcomes:
            if not ok and isinstance(value, LimitReached | ScriptLimitError):
                raise value
        if time.monotonic() >= self.wall_deadline:
            raise self._wall_reached()
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
        wait: _HostWait,
    ) -> None:
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
                        wait.finish()

        for position, (index, args) in enumerate(calls):
            name = f"llmkit-bridge-{self.engine}"
            helper = threading.Thread(target=work, args=(position, index, args), name=name)
            helpers.append(helper)
            helper.start()

    def _start(self, coro: Coroutine[Any, Any, T], wait: _HostWait | None = None) -> Future[T]:
        """Start `coro` on the host loop (or a private one) without waiting for it; its
        end wakes `wait`."""
        if self.loop is not None and self.loop.is_running():
            future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        else:
            future = Future()
            threading.Thread(target=_run_into, args=(coro, future), daemon=True).start()
        if wait is not None:
            wait.future = future
            future.add_done_callback(wait.finish)
        return future

    def _backstop(self) -> float | None:
        """Seconds the engine thread waits for a host call, at most: until the wall
        deadline and the grace a cancelled call gets to unwind."""
        if self.wall_deadline == _NEVER:
            return None
        return max(0.0, self.wall_deadline + WALL_GRACE - time.monotonic())

    def _serve_while(
        self, start: Callable[[_HostWait], object], wait: _HostWait | None = None
    ) -> None:
        """Start work and serve the script callbacks it asks for until it calls
        `wait.finish`, with the run's clock paused.

        Raises:
            ScriptTimeout: The wait outlived the wall deadline (work still running
                `WALL_GRACE` after it is cancelled and left behind).
        """
        # Registered before the work starts, so its first callback already finds it.
        wait = wait or _HostWait()
        with self._waits_lock:
            self._waits.append(wait)
        paused_at, deadline = time.monotonic(), self.deadline
        self.deadline = _NEVER
        try:
            start(wait)
            if not wait.serve(self._backstop()):
                wait.cancel()
        finally:
            with self._waits_lock:
                self._waits.remove(wait)
            wait.serve_left()
            self._resume(deadline, paused_at)

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


_UNSETTLED = (False, CancelledError())  # a task that never ran to its end: cancelled


class _HostWait:
    """Callbacks queued for an engine thread blocked in `HostSession.await_host`, and
    the work it waits for: a task on the host loop or a future."""

    __slots__ = ("abandoned", "calls", "future", "loop", "outcome", "task", "thread")

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.get_ident()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[Any] | None = None
        self.future: Future[Any] | None = None
        self.outcome: tuple[bool, Any] = _UNSETTLED
        self.abandoned = False

    def finish(self, _: object = None) -> None:
        """Wake the waiting thread: the work is done."""
        self.calls.put(None)

    def cancel(self) -> None:
        """Cancel the work and stop waiting for it."""
        self.abandoned = True
        if self.future is not None:
            self.future.cancel()
        if self.loop is not None:
            self.loop.call_soon_threadsafe(_cancel, self)

    def serve(self, timeout: float | None) -> bool:
        """Answer queued callbacks until `finish`; False after `timeout` seconds."""
        if timeout is None:
            while (item := self.calls.get()) is not None:
                _answer(*item)
            return True
        until = time.monotonic() + timeout
        try:
            while (item := self.calls.get(timeout=max(0.0, until - time.monotonic()))) is not None:
                _answer(*item)
        except queue.Empty:
            return False
        return True

    def serve_left(self) -> None:
        while not self.calls.empty():
            item = self.calls.get()
            if item is not None:
                _answer(*item)


class _WallTimeUp(Exception):
    """A host coroutine was cancelled at the run's wall deadline (raised on the host loop,
    turned into `ScriptTimeout` on the engine thread)."""


async def _within(coro: Coroutine[Any, Any, T], seconds: float) -> T:
    """`coro`, cancelled after `seconds`."""
    timeout = asyncio.timeout(seconds)
    try:
        async with timeout:
            return await coro
    except TimeoutError:
        if timeout.expired():
            raise _WallTimeUp() from None
        raise


def _begin(coro: Coroutine[Any, Any, Any], wait: _HostWait) -> None:
    """Start `coro` as a task on the host loop (on its thread); its end wakes `wait`."""
    assert wait.loop is not None
    if wait.abandoned:
        coro.close()
        return
    wait.task = wait.loop.create_task(_settle(coro, wait))


async def _settle(coro: Coroutine[Any, Any, Any], wait: _HostWait) -> None:
    """Run `coro` and hand its outcome to the waiting thread from the task's last step:
    no done callback, so no extra turn of the loop. The task itself never fails, so an
    error the waiting thread does not read (a limit ended the wait) is never logged."""
    try:
        wait.outcome = (True, await coro)
    except (Exception, CancelledError) as exc:
        wait.outcome = (False, exc)
    finally:
        wait.calls.put(None)


def _cancel(wait: _HostWait) -> None:
    if wait.task is not None:
        wait.task.cancel()


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
