"""Isolated mode: scripts in a worker process under OS limits, reaching the host only
through the bridge protocol. The attacks themselves run in isolated mode from the
sandbox and limits test files (parametrized); here: the process, its limits and the
round trips."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmkit.agents import Agent
from llmkit.scripting import (
    HostSession,
    Limits,
    Permissions,
    ScriptLimitError,
    ScriptMemoryError,
    ScriptPermissionError,
    ScriptRuntimeError,
    ScriptTimeout,
    load_script,
    run,
)
from llmkit.scripting.errors import PermissionDenied
from llmkit.scripting.isolated import IsolatedEngine
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import Toolset, tool

ENGINES = ["lua", "javascript"]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("engine", ENGINES)
def test_bridge_call_round_trip_under_host_permissions(engine: str, tmp_path: Path) -> None:
    @tool(capabilities=["fs.read"])
    def read_file(path: str) -> str:
        """Read a file."""
        return Path(path).read_text()

    @tool
    async def add(a: int, b: int) -> int:
        """Add."""
        await asyncio.sleep(0)
        return a + b

    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    ret = "return " if engine == "lua" else "return await "
    code = f"{ret}Tool.call('add', {{a: 2, b: 40}})".replace(":", " =" if engine == "lua" else ":")
    assert run(code, engine=engine, tools=[add], isolated=True).value == 42
    read = f"{ret}Tool.call('read_file', {{path: {str(secret)!r}}})"
    read = read.replace("path:", "path =") if engine == "lua" else read
    with pytest.raises(ScriptPermissionError) as caught:
        run(read, engine=engine, tools=[read_file], isolated=True)
    assert isinstance(caught.value.host_error, PermissionDenied)  # the host's own error
    granted = Permissions(read=(tmp_path,))
    value = run(read, engine=engine, tools=[read_file], permissions=granted, isolated=True).value
    assert value == "top secret"


@pytest.mark.parametrize("engine", ENGINES)
async def test_callbacks_round_trip(engine: str) -> None:
    lua = """
    counter = 0
    function bump(by) counter = counter + by return {counter = counter} end
    local message = Test.raises(function() error("inner failure") end, "inner")
    return message
    """
    js = """
    globalThis.counter = 0;
    globalThis.bump = (by) => { counter += by; return {counter}; };
    return await Test.raises(() => { throw new Error("inner failure"); }, "inner");
    """
    async with await load_script(lua if engine == "lua" else js, engine=engine, isolated=True) as s:
        assert "inner failure" in s.value  # the host called back into the script mid-call
        assert await s.call("bump", 2) == {"counter": 2}
        assert s.call_sync("bump", 3) == {"counter": 5}  # state lives in the worker
        pid = s.engine.pid  # type: ignore[attr-defined]
        assert pid is not None and pid != os.getpid()
    assert gone(pid)


async def test_script_tool_called_by_an_agent_runs_in_the_worker(tmp_path: Path) -> None:
    path = tmp_path / "tools.lua"
    path.write_text(
        """
        Tool.define{
          name = "word_count", description = "Counts words",
          params = {type = "object", properties = {text = {type = "string"}}},
          fn = function(args) local n = 0 for _ in args.text:gmatch("%S+") do n = n + 1 end
                              return n end,
        }
        """
    )
    tools = Toolset.from_script(path, isolated=True)
    model = ScriptedModel([ToolCall(name="word_count", args={"text": "one two three"}), "3."])
    result = await Agent(model, tools=tools).run("How many words?")
    parts = [p for m in result.messages for p in m.parts if p.kind == "tool_result"]
    assert parts[0].content == "3"  # type: ignore[union-attr]


def test_model_written_code_always_runs_isolated() -> None:
    async def check() -> None:
        script = await load_script("return 1", source_is_model=True)
        assert isinstance(script.engine, IsolatedEngine)
        await script.aclose()

    asyncio.run(check())


def proc_view(pid: int) -> tuple[bytes, list[str], str]:
    """What /proc shows of a live process: its environment, descriptors and limits."""
    proc = Path(f"/proc/{pid}")
    return (proc / "environ").read_bytes(), os.listdir(proc / "fd"), (proc / "limits").read_text()


def test_worker_gets_no_environment_no_descriptors_and_os_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLMKIT_TEST_SECRET", "hunter2")

    async def inspect() -> tuple[bytes, list[str], str]:
        async with await load_script("return 1", isolated=True) as script:
            return proc_view(script.engine.pid)  # type: ignore[attr-defined]

    environ, fds, limits = asyncio.run(inspect())
    assert b"hunter2" not in environ and b"LLMKIT_TEST_SECRET" not in environ
    assert b"PATH=" not in environ and b"HOME=" not in environ
    assert len(fds) <= 4, fds  # stdin, stdout, stderr and the protocol's copy of stdout
    rows = {line[:26].strip(): line[26:].split() for line in limits.splitlines()[1:]}
    assert rows["Max address space"][:2] == [str(512 * 2**20 + 2 * 64 * 2**20)] * 2
    assert rows["Max core file size"][:2] == ["0", "0"]
    assert rows["Max open files"][:2] == ["16", "16"]
    assert rows["Max processes"][:2] == ["0", "0"]
    assert rows["Max cpu time"][0] != "unlimited"


async def test_memory_bomb_past_the_address_space_limit_kills_only_the_worker() -> None:
    # The engine's own limit is set above the address space, so the OS limit is what stops it.
    engine = IsolatedEngine("lua", address_space=200 * 2**20)
    session = HostSession(engine="lua", limits=Limits(memory=2**30, timeout=10))
    bomb = "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end"
    with pytest.raises(ScriptMemoryError):
        await engine.on_thread_async(
            lambda: engine.execute(bomb, chunk_name="bomb", folder=None, session=session)
        )
    engine.close()
    assert engine.pid is not None and gone(engine.pid)
    assert run("return 6 * 7", isolated=True).value == 42  # the host is unharmed


def test_cpu_limit_ends_a_busy_worker() -> None:
    code = "from llmkit.scripting.worker import arm_cpu\narm_cpu(0)\nwhile True: pass\n"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], timeout=30, env={})
    assert done.returncode == -signal.SIGXCPU
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("engine", ENGINES)
def test_runaway_callback_stops_at_the_deadline_and_leaves_no_process(engine: str) -> None:
    code = (
        "function spin() while true do end end"
        if engine == "lua"
        else "globalThis.spin = () => { for (;;) {} };"
    )

    async def spin() -> int:
        script = await load_script(code, engine=engine, isolated=True, limits=Limits(timeout=0.3))
        pid: int = script.engine.pid  # type: ignore[attr-defined]
        started = time.monotonic()
        with pytest.raises(ScriptTimeout):
            await script.call("spin")
        assert time.monotonic() - started < 2.0
        await script.aclose()
        return pid

    assert gone(asyncio.run(spin()))


def test_uncaught_host_error_in_the_worker_keeps_the_host_exception() -> None:
    code = "return Tool.call('nope', {})"
    with pytest.raises(ScriptRuntimeError) as caught:
        run(code, isolated=True)
    assert type(caught.value.host_error).__name__ == "UnknownToolError"


def test_cli_runs_a_script_isolated(tmp_path: Path) -> None:
    script = tmp_path / "pid.lua"
    script.write_text("print('printed') return ARGS[1]")
    done = subprocess.run(
        [sys.executable, "-m", "llmkit", "run", str(script), "hello", "--isolated"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["printed", '"hello"']


def execute(engine: IsolatedEngine, code: str, limits: Limits) -> object:
    session = HostSession(engine=engine.engine, limits=limits)
    return engine.on_thread(
        lambda: engine.execute(code, chunk_name="t.lua", folder=None, session=session)
    )


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("while true do end", id="plain"),
        pytest.param("pcall(function() while true do end end) return 'escaped'", id="pcall"),
        pytest.param(
            "coroutine.resume(coroutine.create(function() while true do end end))",
            id="coroutine",
        ),
        pytest.param(
            "pcall(coroutine.wrap(function() while true do end end)) return 'escaped'",
            id="wrap-in-pcall",
        ),
    ],
)
def test_hookless_lua_worker_is_killed_at_the_deadline(code: str) -> None:
    engine = IsolatedEngine("lua")
    assert engine.limit_hook is False  # the default: Lua at raw speed, stopped from outside
    started = time.monotonic()
    with pytest.raises(ScriptTimeout, match="the worker was killed") as caught:
        execute(engine, code, Limits(timeout=0.3))
    assert time.monotonic() - started < 0.3 + 1.0  # start-up, the run, no grace period
    assert caught.value.limit == "timeout"
    assert engine.pid is not None and gone(engine.pid)
    engine.close()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("local function f(n) return 1 + f(n + 1) end return f(1)", id="lua-frames"),
        pytest.param(
            "local function f() return 1 + f() end return coroutine.wrap(f)()",
            id="in-coroutine",
        ),
        pytest.param(
            "local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x",
            id="c-levels",
        ),
    ],
)
def test_hookless_deep_recursion_is_the_call_depth_limit(code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptLimitError) as caught:  # memory enough for a full Lua stack
        run(code, isolated=True, limits=Limits(call_depth=500, memory=256 * 2**20))
    assert caught.value.limit == "call_depth" and "stack overflow" in caught.value.message
    assert time.monotonic() - started < 5.0


def test_hookless_stack_overflow_is_catchable_and_the_run_goes_on() -> None:
    code = """
    local function f(n) return 1 + f(n + 1) end
    local ok, e = pcall(f, 1)
    return {ok, e:match("stack overflow$") ~= nil}
    """
    assert run(code, isolated=True).value == [False, True]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("local t = {} for i = 1, 1e9 do t[i] = i end", id="table-bomb"),
        pytest.param(
            "pcall(function() local s = 'x' while true do s = s .. s end end) while true do end",
            id="doubling-in-pcall",
        ),
        pytest.param(
            "coroutine.wrap(function() local t = {} for i = 1, 1e9 do t[i] = {i} end end)()",
            id="bomb-in-coroutine",
        ),
    ],
)
def test_hookless_memory_bombs_still_die(code: str) -> None:
    engine = IsolatedEngine("lua")
    with pytest.raises(ScriptMemoryError):
        execute(engine, code, Limits(timeout=10, memory=16 * 2**20))
    engine.close()
    assert engine.pid is not None and gone(engine.pid)


def test_limit_hook_keeps_exact_call_depth_and_a_worker_that_survives_a_timeout() -> None:
    engine = IsolatedEngine("lua", limit_hook=True)
    limits = Limits(timeout=0.3, call_depth=500)
    with pytest.raises(ScriptLimitError, match="more than 500 nested calls"):
        execute(engine, "local function f() return 1 + f() end return f()", limits)
    engine.close()
    engine = IsolatedEngine("lua", limit_hook=True)
    execute(engine, "function spin() while true do end end function six() return 6 end", limits)
    with pytest.raises(ScriptTimeout) as caught:
        engine.on_thread(engine.call_global, "spin", ())
    assert "worker was killed" not in caught.value.message  # the hook stopped it in the worker
    assert engine.on_thread(engine.call_global, "six", ()) == 6
    engine.close()
    assert engine.pid is not None and gone(engine.pid)
