"""Limits on JavaScript enforced from outside the script: time, memory, stack, output,
bridge calls. Every attack must end with the typed error within a bounded time."""

from __future__ import annotations

import time

import pytest

from llmkit.scripting import (
    Limits,
    ScriptLimitError,
    ScriptMemoryError,
    ScriptRuntimeError,
    ScriptTimeout,
    pool_for,
    run,
)

FAST = Limits(timeout=0.3)
SLACK = 0.7  # engine start-up and a loaded shared machine


def js(code: str, limits: Limits = FAST) -> object:
    return run(code, engine="javascript", limits=limits).value


@pytest.mark.usefixtures("both_modes")
@pytest.mark.parametrize(
    "code",
    [
        pytest.param("for (;;) {}", id="plain"),
        pytest.param("for (;;) { try { for (;;) {} } catch (e) {} }", id="try-catch-in-loop"),
        pytest.param("try { for (;;) {} } finally { for (;;) {} }", id="finally"),
        pytest.param("await null; for (;;) {}", id="after-await"),
        pytest.param("for (;;) { await JSON.encode(1); }", id="bridge-loop"),
        pytest.param("Promise.resolve().then(() => { for (;;) {} }); return 1", id="in-a-job"),
        pytest.param("return /(a+)+b/.test('a'.repeat(40))", id="catastrophic-regex"),
        pytest.param(
            "for (;;) { try { /(a|a)*c/.exec('a'.repeat(30)) } catch (e) {} }",
            id="catastrophic-regex-in-try",
        ),
        pytest.param(
            "function g() { try { g() } catch (e) { g() } } g()", id="recursion-retried-in-catch"
        ),
    ],
)
def test_runaway_code_is_stopped_at_the_wall_limit(code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptLimitError) as caught:
        js(code)
    elapsed = time.monotonic() - started
    assert elapsed < FAST.timeout + SLACK, elapsed
    assert caught.value.engine == "javascript"
    assert caught.value.limit in ("timeout", "call_depth")


@pytest.mark.usefixtures("both_modes")
def test_an_infinite_loop_is_a_timeout() -> None:
    with pytest.raises(ScriptTimeout) as caught:
        js("for (;;) { try { for (;;) {} } catch (e) {} }")
    assert caught.value.limit == "timeout"


@pytest.mark.usefixtures("both_modes")
def test_waiting_on_the_host_counts_against_the_wall_clock() -> None:
    code = "const t = Date.now(); for (;;) { await JSON.encode(Date.now() - t); }"
    with pytest.raises(ScriptTimeout):
        js(code)


@pytest.mark.usefixtures("both_modes")
@pytest.mark.parametrize(
    "code",
    [
        pytest.param("const a = []; for (;;) a.push({x: 1});", id="object-bomb"),
        pytest.param("const a = []; for (;;) a.push([1, 2, 3]);", id="array-bomb"),
        pytest.param("const a = new Array(1e9).fill(0);", id="fill"),
        pytest.param("return 'x'.repeat(2 ** 27).length", id="repeat-128MB"),
        pytest.param("return new ArrayBuffer(2 ** 30).byteLength", id="buffer-1GB"),
    ],
)
def test_memory_bombs_hit_the_memory_limit(code: str) -> None:
    with pytest.raises(ScriptMemoryError) as caught:
        js(code, Limits(timeout=10, memory=16 * 2**20))
    assert caught.value.limit == "memory"


@pytest.mark.usefixtures("both_modes")
def test_deep_recursion_hits_the_call_depth_limit() -> None:
    with pytest.raises(ScriptLimitError) as caught:
        js("function f(n) { return 1 + f(n + 1); } return f(1);", Limits(call_depth=500))
    assert caught.value.limit == "call_depth"


def test_recursion_within_the_limit_runs() -> None:
    code = "function f(n) { return n === 0 ? 0 : 1 + f(n - 1); } return f(400);"
    assert js(code, Limits(call_depth=500)) == 400


@pytest.mark.usefixtures("both_modes")
def test_output_limit_cannot_be_caught() -> None:
    code = "try { for (;;) print('x'.repeat(100)); } catch (e) {} return 'escaped'"
    with pytest.raises(ScriptLimitError) as caught:
        js(code, Limits(output=10_000))
    assert caught.value.limit == "output"


@pytest.mark.usefixtures("both_modes")
def test_bridge_call_limit_cannot_be_caught() -> None:
    code = """
    for (let i = 0; i < 100; i++) { try { await JSON.encode(i); } catch (e) {} }
    return "finished";
    """
    with pytest.raises(ScriptLimitError) as caught:
        js(code, Limits(bridge_calls=50))
    assert caught.value.limit == "bridge_calls"
    assert js(code, Limits(bridge_calls=100)) == "finished"


@pytest.mark.usefixtures("both_modes")
def test_unawaited_bridge_calls_count_too() -> None:
    with pytest.raises(ScriptLimitError) as caught:
        js("for (;;) { JSON.encode(1); }", Limits(bridge_calls=1000))
    assert caught.value.limit == "bridge_calls"


def test_a_pooled_engine_serves_normally_after_hitting_limits() -> None:
    pool = pool_for("javascript")
    pool.close()
    for code, error in (
        ("const a = []; for (;;) a.push({x: 1});", ScriptMemoryError),
        ("for (;;) {}", ScriptTimeout),
        ("function f() { return 1 + f(); } return f();", ScriptLimitError),
    ):
        with pytest.raises(error):
            js(code, Limits(timeout=0.3, memory=8 * 2**20))
        assert js("const a = []; for (let i = 0; i < 1e5; i++) a.push(i); return a.length") == 1e5
    assert pool.idle == 1


@pytest.mark.usefixtures("both_modes")
def test_a_promise_nothing_settles_is_an_error_not_a_hang() -> None:
    with pytest.raises(ScriptRuntimeError, match="never happens"):
        js("await new Promise(() => {}); return 1")
