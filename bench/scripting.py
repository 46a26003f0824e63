"""Lua scripting costs, each next to raw lupa measured in the same process.

    python bench/scripting.py [--calls 200000] [--loop 1000000] [--repeat 5]

- a trivial bridge call from Lua (`Tool.exists`), against raw lupa calling a Python
  function: target <= 3 µs;
- a new sandboxed engine with every global injected, running its first script: target
  <= 2 ms; and a run in a pooled engine;
- a loop under limits against the same loop in raw lupa: target >= 0.9x raw speed.

Best of `--repeat` runs each, so a noisy neighbour on a shared machine counts less.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from lupa import lua54

from llmkit.scripting import HostSession, Limits
from llmkit.scripting.engines.lua import LuaEngine

LIMITS = Limits(timeout=60, bridge_calls=10**9)


def best(repeat: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(repeat))


def raw_runtime() -> lua54.LuaRuntime:
    return lua54.LuaRuntime(register_eval=False, register_builtins=False)


def timed_execute(engine: LuaEngine, code: str) -> float:
    session = HostSession(engine="lua", limits=LIMITS)
    start = time.perf_counter()
    engine.execute(code, chunk_name="bench", folder=None, session=session)
    return time.perf_counter() - start


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--loop", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = LuaEngine()

    raw = best(args.repeat, lambda: raw_call(args.calls))
    bridged = best(args.repeat, lambda: bridge_call(engine, args.calls))
    print(f"raw lupa call into Python        {raw * 1e6:8.2f} µs")
    print(f"bridge call from Lua (Tool.exists){bridged * 1e6:7.2f} µs   (target <= 3)")

    fresh = best(args.repeat, new_engine)
    pooled = best(args.repeat, lambda: pooled_run(engine))
    print(f"new sandboxed engine + first run {fresh * 1e3:8.2f} ms   (target <= 2)")
    print(f"run in a pooled engine           {pooled * 1e3:8.3f} ms")

    for label, body in (("x = x + i % 7", LOOP), ("t[#t + 1] = i * 2", LOOP_WORK)):
        code = body.format(n=args.loop)
        raw_time = best(args.repeat, lambda body=body: raw_loop(body, args.loop))
        limited = best(args.repeat, lambda code=code: timed_execute(engine, code))
        print(
            f"{args.loop:,} iterations of {label:<18} raw {raw_time * 1e3:7.1f} ms, "
            f"limited {limited * 1e3:7.1f} ms = {raw_time / limited:4.2f}x raw (target >= 0.9)"
        )
    engine.close()


if __name__ == "__main__":
    main()
