"""The Lua engine's ticks (the limit hook armed from outside, see `engines/lua_ticks.py`)
and the count hook that takes over wherever they cannot run.

Taking the tick signal is process-wide, so those cases run in a child process; a limit
that fails to stop a script makes the child hang and the test fail on its timeout.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("lupa")

from llmkit.scripting import pool_for, run
from llmkit.scripting.engines.lua import LuaEngine
from llmkit.scripting.engines.lua_ticks import TICK_SIGNAL

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="ticks need Linux")

# Every way a script could outrun its limits; each must stop with the named error.
ATTACKS = """
import time
from llmkit.scripting import Limits, ScriptLimitError, ScriptTimeout, run

ATTACKS = {
    "plain": ("while true do end", ScriptTimeout),
    "pcall": ("while true do pcall(function() while true do end end) end", ScriptTimeout),
    "coroutine": ("coroutine.wrap(function() while true do end end)()", ScriptTimeout),
    "recursion": ("local function f() return 1 + f() end return f()", ScriptLimitError),
}
for name, (code, error) in ATTACKS.items():
    started = time.monotonic()
    try:
        run(code, engine="lua", limits=Limits(timeout=0.3, call_depth=500))
    except error as exc:
        print(name, type(exc).__name__, round(time.monotonic() - started, 1))
"""


def _child(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _tick_timers() -> int:
    """POSIX timers of this process that send the tick signal."""
    return Path("/proc/self/timers").read_text().count(f"signal: {TICK_SIGNAL}/")


@linux_only
def test_the_main_thread_is_watched_by_ticks() -> None:
    engine = LuaEngine()
    try:
        assert engine.interrupts == "ticks"
    finally:
        engine.close()


@linux_only
def test_an_engine_has_a_timer_only_while_it_lives() -> None:
    pool = pool_for("lua")
    pool.close()  # the run below builds one engine
    before = _tick_timers()
    engine = LuaEngine()
    assert _tick_timers() == before  # no timer until an engine runs something
    engine.close()
    assert run("return 1 + 1", engine="lua").value == 2
    assert _tick_timers() == before + 1
    pool.close()
    deadline = time.monotonic() + 5
    while _tick_timers() != before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _tick_timers() == before


@linux_only
def test_with_the_signal_taken_the_count_hook_stops_every_attack() -> None:
    taken = f"""
        import signal
        signal.signal({TICK_SIGNAL}, lambda *_: None)  # somebody else's handler
        from llmkit.scripting.engines.lua import LuaEngine
        print(LuaEngine().interrupts)
    """
    lines = _child(textwrap.dedent(taken) + ATTACKS)
    assert lines[0] == "count"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["plain", "ScriptTimeout"],
        ["pcall", "ScriptTimeout"],
        ["coroutine", "ScriptTimeout"],
        ["recursion", "ScriptLimitError"],
    ]
    assert all(float(line.split()[2]) < 2 for line in lines[1:3])


@linux_only
def test_a_handler_replaced_after_the_engine_started_falls_back_to_the_count_hook() -> None:
    lines = _child(
        f"""
        import signal
        from llmkit.scripting import Limits, ScriptTimeout, pool_for, run
        pool = pool_for("lua")
        print(run("return 1", engine="lua").value, pool.idle)  # one engine, ticked
        signal.signal({TICK_SIGNAL}, lambda *_: None)  # no tick will arrive any more
        try:
            run("while true do end", engine="lua", limits=Limits(timeout=0.3))
        except ScriptTimeout:
            engine = pool.acquire()
            print("stopped", engine.interrupts)
        """
    )
    assert lines == ["1 1", "stopped count"]


@linux_only
def test_ticks_stop_every_attack_in_a_fresh_process() -> None:
    lines = _child(ATTACKS)
    assert [line.split()[:2] for line in lines] == [
        ["plain", "ScriptTimeout"],
        ["pcall", "ScriptTimeout"],
        ["coroutine", "ScriptTimeout"],
        ["recursion", "ScriptLimitError"],
    ]
