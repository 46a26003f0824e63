"""`LuaTicks`: arm a Lua state's limit hook from outside, a few hundred times a second.

While any count hook is set, Lua 5.4 checks it on every instruction, which halves the
speed of a tight loop. Where the `_lua_ticks` extension works (Linux), the engine thread
instead gets a timer on its own CPU-time clock whose signal arms the hook of the state it
runs for one instruction; the hook checks the deadline and the call depth and disarms
itself. Lua allows `lua_sethook` from a signal handler because the interrupted thread
is stopped meanwhile (`lua.c` handles Ctrl-C this way); from any other thread it would
race with the frames it marks, so it is never called from one.

Coroutines keep their count hook: a tick arms only the main thread, which a coroutine
switches away from.
"""

from __future__ import annotations

import ctypes
import logging
import signal
from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["TICK_PERIOD_NS", "TICK_SIGNAL", "LuaTicks", "open_ticks"]

TICK_PERIOD_NS = 2_000_000
"""CPU time between two ticks; the kernel rounds it up to its own tick (1-4 ms)."""
TICK_SIGNAL = signal.SIGRTMIN + 6 if hasattr(signal, "SIGRTMIN") else 0
"""A real-time signal no common library uses; taken by someone else, ticks stay off."""

logger = logging.getLogger("llmkit.script")


class LuaTicks:
    """Ticks for one Lua state, run on the engine's thread.

    `start` at each entry into the script and `stop` with what it returned, in a
    ``finally``; nested entries (a callback inside a bridge call) keep the timer going.
    """

    __slots__ = ("_start", "_state", "release", "stop")

    def __init__(self, extension: ModuleType, state: int) -> None:
        self._start = extension.start
        self._state = state
        self.stop = extension.stop
        """Restore the state `start` returned; at the outermost exit, stop ticking."""
        self.release = extension.release
        """Delete the calling thread's timer (on the engine thread, before it ends)."""

    def start(self) -> int:
        """Tick this thread while it runs the state; returns the state it ran before.

        Raises:
            RuntimeError: The signal's handler was replaced since the engine started:
                the caller must fall back to the count hook.
        """
        previous: int = self._start(self._state, TICK_PERIOD_NS)
        return previous


def open_ticks(lupa_module: ModuleType, state: int) -> LuaTicks | None:
    """Ticks for the Lua state at address `state`, whose main thread has the sandbox's
    limit hook set; None where they cannot work (then the count hook stays)."""
    try:
        extension = import_module("llmkit.scripting.engines._lua_ticks")
        lua = ctypes.CDLL(lupa_module.__file__)
        get_hook: Any = lua.lua_gethook
        get_hook.restype, get_hook.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
        hook = get_hook(state)
        set_hook = ctypes.cast(lua.lua_sethook, ctypes.c_void_p).value
        if not TICK_SIGNAL or not hook or not set_hook:
            raise RuntimeError("no tick signal or no Lua hook functions")
        extension.install(set_hook, hook, TICK_SIGNAL)
    except (ImportError, OSError, AttributeError, RuntimeError) as exc:
        logger.debug("Lua limits use the count hook: %s", exc)
        return None
    return LuaTicks(extension, state)
