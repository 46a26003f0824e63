"""Lua and JavaScript scripting costs, each next to the raw engine in the same process.

    python bench/scripting.py [--calls 200000] [--loop 1000000] [--repeat 5] [--engine all]

- a trivial bridge call from Lua (`Tool.exists`), against raw lupa calling a Python
  function: target <= 3 µs;
- a new sandboxed engine with every global injected, running its first script: target
  <= 2 ms; and a run in a pooled engine;
- a loop under limits against the same loop in raw lupa: target >= 0.9x raw speed; and
  the same loop with the count hook, which arms the limit hook where ticks cannot run.

JavaScript (quickjs-ng) next to raw quickjs: a bridge call (`await Tool.exists`), which
goes through the request queue the host drains, against raw quickjs calling a Python
function with no time limit: target <= 5 µs; a new sandboxed engine: target <= 5 ms; a
loop under limits: target >= 0.9x raw.

Isolated mode (`--engine isolated`): the wall time of an isolated run (worker start-up,
the script, the exit), the cost of one bridge call over the pipe, and the loops above
called in a worker (Lua without its limit hook, as isolated mode runs it, and with it)
against the raw engine in a process started and limited as a worker is: target >= 0.9x.

Best of `--repeat` runs each, so a noisy neighbour on a shared machine counts less.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lupa import lua54

from llmkit.scripting import HostSession, Limits
from llmkit.scripting.engines.base import ScriptEngine
from llmkit.scripting.engines.js import JavaScriptEngine
from llmkit.scripting.engines.lua import LuaEngine

LIMITS = Limits(timeout=60, bridge_calls=10**9)


def best(repeat: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(repeat))


def raw_runtime() -> lua54.LuaRuntime:
    return lua54.LuaRuntime(register_eval=False, register_builtins=False)


def timed_execute(engine: ScriptEngine, code: str) -> float:
    session = HostSession(engine=engine.name, limits=LIMITS)

    def execute() -> float:
        start = time.perf_counter()
        engine.execute(code, chunk_name="bench", folder=None, session=session)
        return time.perf_counter() - start

    return engine.on_thread(execute)


def raw_call(calls: int) -> float:
    lua = raw_runtime()
    loop = lua.eval("function(f, n) for i = 1, n do f('x') end end")
    start = time.perf_counter()
    loop(lambda name: False, calls)
    return (time.perf_counter() - start) / calls


def bridge_call(engine: LuaEngine, calls: int) -> float:
    code = f"for i = 1, {calls} do Tool.exists('x') end"
    empty = f"for i = 1, {calls} do end"
    return (timed_execute(engine, code) - timed_execute(engine, empty)) / calls


def new_engine() -> float:
    start = time.perf_counter()
    engine = LuaEngine()
    engine.execute("return 1", chunk_name="b", folder=None, session=HostSession(engine="lua"))
    elapsed = time.perf_counter() - start
    engine.close()
    return elapsed


def pooled_run(engine: LuaEngine) -> float:
    engine.reset()
    return timed_execute(engine, "return 1")


LOOP = "local x = 0 for i = 1, {n} do x = x + i % 7 end return x"
LOOP_WORK = "local t = {{}} for i = 1, {n} do t[#t + 1] = i * 2 end return #t"


def raw_loop(body: str, n: int) -> float:
    lua = raw_runtime()
    start = time.perf_counter()
    lua.execute(body.format(n=n))
    return time.perf_counter() - start


def js_raw_call(calls: int) -> float:
    import quickjs

    context = quickjs.Context()
    context.add_callable("f", lambda name: False)
    start = time.perf_counter()
    context.eval(f"for (let i = 0; i < {calls}; i++) f('x')")
    return (time.perf_counter() - start) / calls


def js_timed(engine: JavaScriptEngine, code: str) -> float:
    engine.on_thread(engine.reset)  # a fresh context, as the pool gives each run
    return timed_execute(engine, code)


def js_bridge_call(engine: JavaScriptEngine, calls: int) -> float:
    code = f"for (let i = 0; i < {calls}; i++) await Tool.exists('x')"
    empty = f"for (let i = 0; i < {calls}; i++) {{}}"
    return (js_timed(engine, code) - js_timed(engine, empty)) / calls


def js_new_engine() -> float:
    start = time.perf_counter()
    engine = JavaScriptEngine()
    session = HostSession(engine="javascript")
    engine.on_thread(
        lambda: engine.execute("return 1", chunk_name="b", folder=None, session=session)
    )
    elapsed = time.perf_counter() - start
    engine.close()
    return elapsed


def js_pooled_run(engine: JavaScriptEngine) -> float:
    return js_timed(engine, "return 1")


JS_LOOPS = (
    ("x = x + i % 7", "let x = 0; for (let i = 0; i < {n}; i++) x = x + i % 7;"),
    ("t.push(i * 2)", "const t = []; for (let i = 0; i < {n}; i++) t.push(i * 2);"),
)


def js_raw_loop(body: str, n: int) -> float:
    import quickjs

    context = quickjs.Context()
    start = time.perf_counter()
    context.eval(f"(function () {{ {body.format(n=n)} }})()")  # as a script body runs
    return time.perf_counter() - start


def bench_javascript(args: argparse.Namespace) -> None:
    engine = JavaScriptEngine()
    raw = best(args.repeat, lambda: js_raw_call(args.calls))
    bridged = best(args.repeat, lambda: js_bridge_call(engine, args.calls // 4))
    print(f"raw quickjs call into Python     {raw * 1e6:8.2f} µs")
    print(f"bridge call from JS (Tool.exists){bridged * 1e6:8.2f} µs   (target <= 5)")
    fresh = best(args.repeat, js_new_engine)
    pooled = best(args.repeat, lambda: js_pooled_run(engine))
    print(f"new sandboxed JS engine + run    {fresh * 1e3:8.2f} ms   (target <= 5)")
    print(f"run in a pooled JS engine        {pooled * 1e3:8.3f} ms")
    for label, body in JS_LOOPS:
        raw_time = best(args.repeat, lambda body=body: js_raw_loop(body, args.loop))
        code = body.format(n=args.loop)
        limited = best(args.repeat, lambda code=code: js_timed(engine, code))
        print(
            f"{args.loop:,} iterations of {label:<18} raw {raw_time * 1e3:7.1f} ms, "
            f"limited {limited * 1e3:7.1f} ms = {raw_time / limited:4.2f}x raw (target >= 0.9)"
        )
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--loop", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--engine", choices=("all", "lua", "javascript", "agent", "isolated"), default="all"
    )
    parser.add_argument("--runs", type=int, default=300, help="agent runs (--engine agent)")
    args = parser.parse_args()
    if args.engine in ("all", "agent"):
        from scripting_agent import bench_agent  # beside this file

        bench_agent(args)
    if args.engine in ("all", "javascript"):
        bench_javascript(args)
    if args.engine in ("all", "lua"):
        bench_lua(args)
    if args.engine in ("all", "isolated"):
        bench_isolated(args)


def isolated_run(engine: str, code: str) -> float:
    """Wall time of one isolated run: worker start-up, the script, the worker's exit."""
    from llmkit.scripting import run

    started = time.perf_counter()
    run(code, engine=engine, isolated=True, limits=LIMITS)
    return time.perf_counter() - started


def bench_isolated(args: argparse.Namespace) -> None:
    """Isolated mode: a worker process per run; every bridge call is a pipe round trip."""
    calls = max(1, args.calls // 20)
    loops = {
        "lua": f"for i = 1, {calls} do Tool.exists('x') end",
        "javascript": f"for (let i = 0; i < {calls}; i++) await Tool.exists('x');",
    }
    for engine, loop in loops.items():
        start = best(args.repeat, lambda engine=engine: isolated_run(engine, "return 1"))
        total = best(args.repeat, lambda engine=engine, loop=loop: isolated_run(engine, loop))
        print(f"isolated {engine:<10} run start-up {start * 1e3:8.1f} ms")
        print(f"isolated {engine:<10} bridge call  {(total - start) / calls * 1e6:8.1f} µs")
    bench_isolated_loops(args)


# Raw engine loops in a process started like a worker (`python -I`, empty environment,
# the worker's own `apply_limits`), so both sides of the ratio run under the same limits.
RAW_IN_WORKER = """
import json, sys, time
from llmkit.scripting.isolated import ADDRESS_SPACE_BASE, OPEN_FILES
from llmkit.scripting.worker import apply_limits
engine, code, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
apply_limits(address_space=ADDRESS_SPACE_BASE + 2 * 64 * 2**20)
if engine == "lua":
    from lupa import lua54
    run = lua54.LuaRuntime(register_eval=False, register_builtins=False).execute
else:
    import quickjs
    run = quickjs.Context().eval
apply_limits(address_space=ADDRESS_SPACE_BASE + 2 * 64 * 2**20, open_files=OPEN_FILES)
times = []
for _ in range(repeat):
    start = time.perf_counter()
    run(code)
    times.append(time.perf_counter() - start)
print(json.dumps(min(times)))
"""


def raw_in_worker(engine: str, code: str, repeat: int) -> float:
    """Best time of `code` in the raw engine, in a process limited as a worker is."""
    import llmkit

    root = str(Path(llmkit.__file__).resolve().parents[1])  # as `worker_command` finds it
    source = f"import sys; sys.path.insert(0, {root!r})\n" + RAW_IN_WORKER
    command = [sys.executable, "-I", "-c", source, engine, code, str(repeat)]
    env = {"LC_ALL": "C.UTF-8", "MALLOC_ARENA_MAX": "1"}  # the worker's environment
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return float(json.loads(done.stdout))


def isolated_calls(engine: str, definition: str, repeat: int, limit_hook: bool) -> float:
    """Best wall time of `Script.call("loop")` into an isolated worker (one pipe round
    trip each, included)."""
    from llmkit.scripting.isolated import IsolatedEngine

    isolated = IsolatedEngine(engine, limit_hook=limit_hook)
    session = HostSession(engine=engine, limits=LIMITS)
    isolated.on_thread(
        lambda: isolated.execute(definition, chunk_name="bench", folder=None, session=session)
    )

    def call() -> float:
        start = time.perf_counter()
        isolated.on_thread(isolated.call_global, "loop", ())
        return time.perf_counter() - start

    try:
        return best(repeat, call)
    finally:
        isolated.close()


def bench_isolated_loops(args: argparse.Namespace) -> None:
    """The loops of the in-process rows, called in a worker."""
    lua_loops = (("x = x + i % 7", LOOP), ("t[#t + 1] = i * 2", LOOP_WORK))
    for label, body in lua_loops:
        code = body.format(n=args.loop)
        raw = raw_in_worker("lua", code, args.repeat)
        definition = f"function loop() {code} end"
        bare = isolated_calls("lua", definition, args.repeat, limit_hook=False)
        hooked = isolated_calls("lua", definition, args.repeat, limit_hook=True)
        print(
            f"isolated lua {label:<18} raw {raw * 1e3:6.1f} ms, limited {bare * 1e3:6.1f} ms"
            f" = {raw / bare:4.2f}x raw (target >= 0.9); with the limit hook"
            f" {hooked * 1e3:6.1f} ms = {raw / hooked:4.2f}x"
        )
    for label, body in JS_LOOPS:
        code = body.format(n=args.loop)
        raw = raw_in_worker("javascript", f"(function () {{ {code} }})()", args.repeat)
        limited = isolated_calls(
            "javascript", f"globalThis.loop = () => {{ {code} }};", args.repeat, limit_hook=False
        )
        print(
            f"isolated js  {label:<18} raw {raw * 1e3:6.1f} ms, limited {limited * 1e3:6.1f} ms"
            f" = {raw / limited:4.2f}x raw (target >= 0.9)"
        )


def bench_lua(args: argparse.Namespace) -> None:
    engine = LuaEngine()

    raw = best(args.repeat, lambda: raw_call(args.calls))
    bridged = best(args.repeat, lambda: bridge_call(engine, args.calls))
    print(f"raw lupa call into Python        {raw * 1e6:8.2f} µs")
    print(f"bridge call from Lua (Tool.exists){bridged * 1e6:7.2f} µs   (target <= 3)")

    fresh = best(args.repeat, new_engine)
    pooled = best(args.repeat, lambda: pooled_run(engine))
    print(f"new sandboxed engine + first run {fresh * 1e3:8.2f} ms   (target <= 2)")
    print(f"run in a pooled engine           {pooled * 1e3:8.3f} ms")

    counted = LuaEngine()
    counted.on_thread(counted._use_count_hook)
    for label, body in (("x = x + i % 7", LOOP), ("t[#t + 1] = i * 2", LOOP_WORK)):
        code = body.format(n=args.loop)
        raw_time = best(args.repeat, lambda body=body: raw_loop(body, args.loop))
        limited = best(args.repeat, lambda code=code: timed_execute(engine, code))
        count = best(args.repeat, lambda code=code: timed_execute(counted, code))
        print(
            f"{args.loop:,} iterations of {label:<18} raw {raw_time * 1e3:7.1f} ms, "
            f"limited ({engine.interrupts}) {limited * 1e3:7.1f} ms = "
            f"{raw_time / limited:4.2f}x raw (target >= 0.9); "
            f"count hook {count * 1e3:5.1f} ms = {raw_time / count:4.2f}x"
        )
    counted.close()
    engine.close()


if __name__ == "__main__":
    main()
