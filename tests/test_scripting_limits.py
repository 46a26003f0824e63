"""Limits enforced from outside the script: time, memory, depth, output, bridge calls.

Every attack here must end with the typed error within a bounded time.
"""

from __future__ import annotations

import time

import pytest

from llmkit.scripting import (
    Limits,
    ScriptLimitError,
    ScriptMemoryError,
    ScriptRuntimeError,
    ScriptTimeout,
    run,
)

FAST = Limits(timeout=0.3)
SLACK = 0.5  # the check runs every 10,000 instructions; thread start-up adds a little


@pytest.mark.usefixtures("both_modes")
@pytest.mark.parametrize(
    "code",
    [
        pytest.param("while true do end", id="plain"),
        pytest.param("pcall(function() while true do end end)", id="pcall"),
        pytest.param(
            "while true do pcall(function() while true do end end) end", id="pcall-in-loop"
        ),
        pytest.param(
            "xpcall(function() while true do end end, function(e) while true do end end)",
            id="xpcall-handler",
        ),
        pytest.param(
            "coroutine.resume(coroutine.create(function() while true do end end))",
            id="coroutine",
        ),
        pytest.param("coroutine.wrap(function() while true do end end)()", id="wrap"),
        pytest.param(
            "local ok, e = pcall(coroutine.wrap(function() while true do end end)) "
            "while true do end",
            id="wrap-in-pcall",
        ),
        pytest.param(
            "return string.find(('a'):rep(30), ('a*'):rep(30) .. 'b')", id="catastrophic-find"
        ),
        pytest.param(
            "return ('a'):rep(40):gsub(('a?'):rep(40) .. ('a'):rep(40) .. 'b', 'x')",
            id="catastrophic-gsub",
        ),
        pytest.param(
            "for x in (('a'):rep(30)):gmatch(('a*'):rep(30) .. 'b') do end",
            id="catastrophic-gmatch",
        ),
        pytest.param(
            "local ok = pcall(string.match, ('a'):rep(30), ('a*'):rep(30) .. 'b') "
            "while true do end",
            id="catastrophic-match-in-pcall",
        ),
    ],
)
def test_runaway_code_is_stopped_at_the_wall_limit(code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptTimeout) as caught:
        run(code, limits=FAST)
    elapsed = time.monotonic() - started
    assert elapsed < FAST.timeout + SLACK, elapsed
    assert caught.value.limit == "timeout" and caught.value.engine == "lua"


@pytest.mark.usefixtures("both_modes")
def test_timeout_cannot_be_swallowed_by_an_error_handler() -> None:
    code = """
    local caught = 0
    for i = 1, 3 do
      local ok = pcall(function() while true do end end)
      if not ok then caught = caught + 1 end
    end
    return caught
    """
    with pytest.raises(ScriptTimeout):
        run(code, limits=FAST)


@pytest.mark.usefixtures("both_modes")
@pytest.mark.parametrize(
    "code",
    [
        pytest.param("local s = ('x'):rep(2^27)", id="rep-128MB"),
        pytest.param("local t = {} for i = 1, 1e9 do t[i] = i end", id="table-bomb"),
        pytest.param(
            "local t = {} for i = 1, 1e9 do t[#t + 1] = {i, i, i} end", id="nested-table-bomb"
        ),
        pytest.param(
            "pcall(function() local s = 'x' while true do s = s .. s end end) while true do end",
            id="doubling-in-pcall",
        ),
    ],
)
def test_memory_bombs_hit_the_memory_limit(code: str) -> None:
    limits = Limits(timeout=10, memory=16 * 2**20)
    with pytest.raises(ScriptMemoryError) as caught:
        run(code, limits=limits)
    assert caught.value.limit == "memory"


@pytest.mark.usefixtures("both_modes")
def test_huge_rep_is_refused() -> None:
    with pytest.raises(ScriptRuntimeError, match="too large"):
        run("return ('x'):rep(2^31)")


@pytest.mark.usefixtures("both_modes")
def test_deep_recursion_hits_the_call_depth_limit() -> None:
    with pytest.raises(ScriptLimitError) as caught:
        run(
            "local function f(n) return 1 + f(n + 1) end return f(1)", limits=Limits(call_depth=500)
        )
    assert caught.value.limit == "call_depth"


def test_recursion_within_the_limit_runs() -> None:
    code = "local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(400)"
    assert run(code, limits=Limits(call_depth=500)).value == 400


@pytest.mark.usefixtures("both_modes")
def test_output_limit() -> None:
    with pytest.raises(ScriptLimitError) as caught:
        run("while true do print(('x'):rep(100)) end", limits=Limits(output=10_000))
    assert caught.value.limit == "output"


@pytest.mark.usefixtures("both_modes")
def test_bridge_call_limit_cannot_be_caught() -> None:
    code = "for i = 1, 100 do pcall(JSON.encode, i) end return 'finished'"
    with pytest.raises(ScriptLimitError) as caught:
        run(code, limits=Limits(bridge_calls=50))
    assert caught.value.limit == "bridge_calls"
    assert run(code, limits=Limits(bridge_calls=100)).value == "finished"


def test_ordinary_pattern_work_stays_correct_under_the_guard() -> None:
    code = """
    local text = ("key = value\\n"):rep(2000)
    local n = 0
    for k, v in text:gmatch("(%w+)%s*=%s*(%w+)") do n = n + 1 end
    local trimmed = ("   padded   "):match("^%s*(.-)%s*$")
    local replaced, count = text:gsub("value", "v")
    return {n, trimmed, count, #replaced}
    """
    assert run(code).value == [2000, "padded", 2000, 2000 * len("key = v\n")]


def test_limits_reject_bad_values() -> None:
    from llmkit.errors import ConfigError

    with pytest.raises(ConfigError, match="timeout"):
        Limits(timeout=0)
    with pytest.raises(ConfigError, match="memory"):
        Limits(memory=10)
    with pytest.raises(ConfigError, match="call_depth"):
        Limits(call_depth=True)


def test_a_pooled_engine_serves_normally_after_hitting_limits() -> None:
    from llmkit.scripting import pool_for

    pool = pool_for("lua")
    pool.close()  # start from an empty pool, so every run below reuses one engine
    for code, error in (
        ("local t = {} for i = 1, 1e9 do t[i] = i end", ScriptMemoryError),
        ("while true do end", ScriptTimeout),
        ("local function f() return 1 + f() end return f()", ScriptLimitError),
    ):
        with pytest.raises(error):
            run(code, limits=Limits(timeout=0.3, memory=8 * 2**20))
        assert run("local t = {} for i = 1, 1e5 do t[i] = i end return #t").value == 100_000
    assert pool.idle == 1
