"""Error policies of a step: which errors retry, jittered and capped waits, fallbacks,
circuit breakers, and how each is written in YAML/JSON and checked."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from typing import Any

import pytest

from llmkit.hooks import HookRegistry
from llmkit.workflows import (
    Circuit,
    CircuitBreaker,
    CircuitOpen,
    Retry,
    ScriptStep,
    StepTimeout,
    TransformStep,
    WorkflowBuilder,
    WorkflowDefinitionError,
    WorkflowError,
    WorkflowFailed,
    WorkflowRunner,
    load_workflow,
)
from llmkit.workflows.policies import retry_wait


class Flaky:
    """A script that raises `errors` in turn, then returns "ok"; remembers when it ran."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.times: list[float] = []

    async def __call__(self) -> str:
        self.times.append(time.monotonic())
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in itertools.pairwise(self.times)]


def _one_step(retry: Retry, **opts: Any) -> Any:
    return WorkflowBuilder("w").script("call", "call", retry=retry, **opts).build()


# -- which errors retry --------------------------------------------------------------


async def test_retry_only_on_listed_errors() -> None:
    policy = Retry(attempts=3, on=("ValueError",))
    listed = Flaky(ValueError("bad"), ValueError("bad again"))
    result = await WorkflowRunner(scripts={"call": listed}).run(_one_step(policy))
    assert result.output == "ok" and result.steps["call"].attempts == 3

    unlisted = Flaky(KeyError("missing"), KeyError("missing"))
    with pytest.raises(WorkflowFailed, match="KeyError") as info:
        await WorkflowRunner(scripts={"call": unlisted}).run(_one_step(policy))
    assert info.value.result.steps["call"].attempts == 1 and len(unlisted.times) == 1


async def test_not_on_excludes_a_subclass_of_a_listed_error() -> None:
    # LookupError is KeyError's base: `on` matches along the MRO, `not_on` wins.
    policy = Retry(attempts=3, on=("LookupError",), not_on=("KeyError",))
    index_error = Flaky(IndexError("i"))
    result = await WorkflowRunner(scripts={"call": index_error}).run(_one_step(policy))
    assert result.steps["call"].attempts == 2
    key_error = Flaky(KeyError("k"))
    with pytest.raises(WorkflowFailed):
        await WorkflowRunner(scripts={"call": key_error}).run(_one_step(policy))
    assert len(key_error.times) == 1


async def test_names_match_through_the_cause_chain() -> None:
    # The nested step's ValueError reaches the outer retry as a StepFailed caused by it.
    script = Flaky(ValueError("inner"))
    wf = (
        WorkflowBuilder("w")
        .sequential(
            "outer",
            [ScriptStep(id="inner", script="call")],
            retry=Retry(attempts=2, on=("ValueError",)),
        )
        .build()
    )
    result = await WorkflowRunner(scripts={"call": script}).run(wf)
    assert result.output == "ok" and result.steps["outer"].attempts == 2


async def test_timeouts_match_timeout_error_and_step_timeout() -> None:
    calls = 0

    async def slow_once() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return "done"

    for name in ("TimeoutError", "StepTimeout"):
        calls = 0
        policy = Retry(attempts=2, on=(name,))
        wf = _one_step(policy, timeout=0.05)
        result = await WorkflowRunner(scripts={"call": slow_once}).run(wf)
        assert result.output == "done" and calls == 2, name


async def test_a_step_raising_timeout_error_itself_is_not_a_step_timeout() -> None:
    wf = _one_step(Retry(attempts=2, on=("StepTimeout",)), timeout=5)
    script = Flaky(TimeoutError("upstream said so"))
    with pytest.raises(WorkflowFailed, match="upstream said so") as info:
        await WorkflowRunner(scripts={"call": script}).run(wf)
    assert not isinstance(info.value.__cause__, StepTimeout)
    assert len(script.times) == 1


# -- waits: backoff, max_delay, jitter ----------------------------------------------------


def test_retry_wait_bounds_and_spread() -> None:
    policy = Retry(jitter=0.5, max_delay=3.0)
    rng = random.Random(1)
    waits = [retry_wait(policy, 2.0, rng) for _ in range(500)]
    assert all(2.0 <= w <= 3.0 for w in waits)
    assert min(waits) < 2.1 and max(waits) > 2.9  # the share really varies
    capped = [retry_wait(policy, 100.0, rng) for _ in range(500)]
    assert all(3.0 <= w <= 4.5 for w in capped)
    assert retry_wait(Retry(), 0.25, rng) == 0.25  # no jitter: exact


async def test_jittered_waits_follow_the_injected_rng() -> None:
    policy = Retry(attempts=4, delay=0.03, backoff=2, jitter=1.0)
    draws = random.Random(42)
    expected = [base * (1 + draws.random()) for base in (0.03, 0.06, 0.12)]
    script = Flaky(OSError(), OSError(), OSError())
    runner = WorkflowRunner(scripts={"call": script}, rng=random.Random(42))
    await runner.run(_one_step(policy))
    assert len(script.gaps) == 3
    for gap, want in zip(script.gaps, expected, strict=True):
        assert want - 0.005 <= gap < want + 0.3
    # The jitter added something measurable on top of the plain backoff.
    assert sum(script.gaps) > 0.21 + 0.02


async def test_max_delay_caps_exponential_backoff() -> None:
    policy = Retry(attempts=4, delay=0.05, backoff=100, max_delay=0.08)
    script = Flaky(OSError(), OSError(), OSError())
    await WorkflowRunner(scripts={"call": script}).run(_one_step(policy))
    low = [0.05, 0.08, 0.08]  # uncapped: 0.05, 5.0, 500.0
    assert all(want - 0.005 <= gap < 1.0 for gap, want in zip(script.gaps, low, strict=True))


async def test_fixed_delay_is_backoff_one() -> None:
    script = Flaky(OSError(), OSError())
    await WorkflowRunner(scripts={"call": script}).run(
        _one_step(Retry(attempts=3, delay=0.15, backoff=1))
    )
    assert all(0.145 <= gap < 0.28 for gap in script.gaps)  # backoff 2 would wait 0.3


def test_rng_must_be_a_random() -> None:
    with pytest.raises(WorkflowError, match=r"rng must be a random\.Random, not int"):
        WorkflowRunner(rng=42)  # type: ignore[arg-type]


# -- fallback -------------------------------------------------------------------------


async def test_fallback_output_replaces_the_failed_step() -> None:
    hooks = HookRegistry()
    seen: list[str] = []
    for point in ("step.start", "step.end", "step.error"):
        hooks.register(point, lambda c, p=point: seen.append(f"{p} {c.metadata['step']}"))
    wf = load_workflow("""
name: w
steps:
  - id: price
    kind: script
    script: call
    output: quote
    retry: {attempts: 2}
    fallback: {id: cached_price, kind: transform, value: {price: 9}}
  - {id: after, kind: transform, value: "${ state.quote.price }"}
""")
    script = Flaky(ValueError("feed down"), ValueError("feed down"))
    result = await WorkflowRunner(scripts={"call": script}, hooks=hooks).run(wf)
    assert result.output == 9 and result.state["quote"] == {"price": 9}
    record = result.steps["price"]
    assert record.status == "success" and record.fallback == "cached_price"
    assert record.attempts == 2 and "feed down" in (record.error or "")
    assert result.steps["cached_price"].status == "success"
    assert seen == [
        "step.start price",
        "step.start cached_price",
        "step.end cached_price",
        "step.end price",
        "step.start after",
        "step.end after",
    ]


async def test_fallback_that_fails_too() -> None:
    fallback = ScriptStep(id="backup", script="backup")
    wf = WorkflowBuilder("w").script("main", "call", fallback=fallback).build()
    scripts = {"call": Flaky(ValueError("primary down")), "backup": Flaky(OSError("backup down"))}
    with pytest.raises(WorkflowFailed) as info:
        await WorkflowRunner(scripts=scripts).run(wf)
    message = str(info.value)
    assert "primary down" in message and "backup down" in message and "fallback" in message
    assert info.value.step_id == "main"
    steps = info.value.result.steps
    assert steps["main"].status == "failed" and steps["main"].fallback == "backup"
    assert steps["backup"].status == "failed"


async def test_fallback_inside_a_map_item_is_keyed_by_the_item() -> None:
    async def half(n: int) -> float:
        return 1 / n

    wf = load_workflow("""
name: w
steps:
  - id: each
    kind: map
    over: input
    steps:
      - {id: inv, kind: script, script: half, input: {n: "${ item }"},
         fallback: {id: zero, kind: transform, value: null}}
""")
    result = await WorkflowRunner(scripts={"half": half}).run(wf, [2, 0, 4])
    assert result.output == [0.5, None, 0.25]
    assert result.steps["each[1].inv"].fallback == "each[1].zero"
    assert result.steps["each[0].inv"].fallback is None


# -- circuit breakers ---------------------------------------------------------------


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _call(circuit: Circuit, ok: bool) -> None:
    with circuit.guard("s"):
        if not ok:
            raise OSError("down")


def _fail(circuit: Circuit) -> None:
    with pytest.raises(OSError, match="down"):
        _call(circuit, False)


def test_circuit_state_machine() -> None:
    clock = ManualClock()
    circuit = Circuit(CircuitBreaker(name="db", threshold=3, cooldown=10), clock=clock)
    _fail(circuit)
    _fail(circuit)
    _call(circuit, True)  # a success resets the count
    _fail(circuit)
    _fail(circuit)
    assert circuit.state == "closed" and circuit.failures == 2
    _fail(circuit)
    assert circuit.state == "open"
    with pytest.raises(CircuitOpen, match=r"circuit 'db' is open after 3 .*retry in 10s") as info:
        _call(circuit, True)
    assert info.value.circuit == "db" and info.value.retry_after == 10
    clock.now += 10
    assert circuit.state == "half_open"
    _fail(circuit)  # the trial fails: open for another cooldown
    assert circuit.state == "open"
    clock.now += 9.9
    with pytest.raises(CircuitOpen):
        _call(circuit, True)
    clock.now += 0.1
    _call(circuit, True)
    assert circuit.state == "closed" and circuit.failures == 0


def test_half_open_lets_one_trial_through() -> None:
    clock = ManualClock()
    circuit = Circuit(CircuitBreaker(name="db", threshold=1, cooldown=1), clock=clock)
    _fail(circuit)
    clock.now += 1
    with circuit.guard("trial"), pytest.raises(CircuitOpen, match="a trial call is running"):
        _call(circuit, True)
    assert circuit.state == "closed"


async def test_breaker_opens_fails_fast_then_closes_after_cooldown() -> None:
    calls = 0
    broken = True

    async def pay() -> str:
        nonlocal calls
        calls += 1
        if broken:
            raise ConnectionError("gateway down")
        return "paid"

    wf = load_workflow("""
name: checkout
steps:
  - {id: pay, kind: script, script: pay,
     circuit_breaker: {name: gateway, threshold: 2, cooldown: 0.5}}
""")
    runner = WorkflowRunner(scripts={"pay": pay})
    for _ in range(2):
        with pytest.raises(WorkflowFailed, match="gateway down"):
            await runner.run(wf)
    assert calls == 2 and runner.circuits["gateway"].state == "open"
    with pytest.raises(WorkflowFailed, match="circuit 'gateway' is open") as info:
        await runner.run(wf)
    assert isinstance(info.value.__cause__, CircuitOpen)
    assert calls == 2  # failed fast: the script did not run
    await asyncio.sleep(0.55)
    assert runner.circuits["gateway"].state == "half_open"
    broken = False
    result = await runner.run(wf)
    assert result.output == "paid" and calls == 3
    assert runner.circuits["gateway"].state == "closed"


async def test_map_items_share_a_breaker_and_fall_back_when_open() -> None:
    script = Flaky(*[OSError("down")] * 10)
    wf = load_workflow("""
name: w
steps:
  - id: each
    kind: map
    over: input
    concurrency: 1
    steps:
      - {id: fetch, kind: script, script: call, retry: {attempts: 3},
         circuit_breaker: {name: api, threshold: 2, cooldown: 60},
         fallback: {id: skip, kind: transform, value: skipped}}
""")
    result = await WorkflowRunner(scripts={"call": script}).run(wf, list(range(5)))
    assert result.output == ["skipped"] * 5
    # Two failed calls opened the circuit mid-retry; every later call failed fast.
    assert len(script.times) == 2
    assert result.steps["each[0].fetch"].attempts == 3  # the open circuit is not retried
    assert "circuit 'api' is open" in (result.steps["each[4].fetch"].error or "")
    assert result.steps["each[4].fetch"].attempts == 1


async def test_breaker_state_is_per_runner() -> None:
    wf = WorkflowBuilder("w").script(
        "s", "call", circuit_breaker=CircuitBreaker(name="x", threshold=1)
    )
    workflow = wf.build()
    first = WorkflowRunner(scripts={"call": Flaky(OSError())})
    with pytest.raises(WorkflowFailed):
        await first.run(workflow)
    assert first.circuits["x"].state == "open"
    second = WorkflowRunner(scripts={"call": Flaky()})
    assert (await second.run(workflow)).output == "ok"


async def test_one_breaker_name_with_two_settings_is_refused() -> None:
    a = load_workflow(
        "name: a\nsteps: [{id: s, kind: transform, value: 1, "
        "circuit_breaker: {name: x, threshold: 2}}]"
    )
    b = load_workflow(
        "name: b\nsteps: [{id: t, kind: transform, value: 1, "
        "circuit_breaker: {name: x, threshold: 3}}]"
    )
    runner = WorkflowRunner()
    await runner.run(a)
    with pytest.raises(WorkflowDefinitionError, match=r"workflow 'b', step 't'.*breaker 'x'"):
        await runner.run(b)


# -- YAML / JSON / builder -------------------------------------------------------------

FULL = """
name: w
steps:
  - id: pay
    kind: script
    script: pay
    retry: {attempts: 4, delay: 0.5, backoff: 1, max_delay: 2, jitter: 0.25,
            on: [ConnectionError, StepTimeout], not_on: [PermissionError]}
    circuit_breaker: {name: gateway, threshold: 3, cooldown: 30}
    fallback: {id: later, kind: transform, value: queued}
    compensate: {id: refund, kind: script, script: refund, input: {what: "${ output }"}}
"""


def test_every_policy_field_loads_from_yaml_json_and_the_builder() -> None:
    step = load_workflow(FULL).steps[0]
    assert step.retry == Retry(
        attempts=4,
        delay=0.5,
        backoff=1,
        max_delay=2,
        jitter=0.25,
        on=("ConnectionError", "StepTimeout"),
        not_on=("PermissionError",),
    )
    assert step.circuit_breaker == CircuitBreaker(name="gateway", threshold=3, cooldown=30)
    assert step.fallback == TransformStep(id="later", value="queued")
    assert step.compensate == (
        ScriptStep(id="refund", script="refund", input={"what": "${ output }"}),
    )
    as_json = json.dumps(
        {
            "name": "w",
            "steps": [
                {
                    "id": "pay",
                    "kind": "script",
                    "script": "pay",
                    "retry": {
                        "attempts": 4,
                        "delay": 0.5,
                        "backoff": 1,
                        "max_delay": 2,
                        "jitter": 0.25,
                        "on": ["ConnectionError", "StepTimeout"],
                        "not_on": ["PermissionError"],
                    },
                    "circuit_breaker": {"name": "gateway", "threshold": 3, "cooldown": 30},
                    "fallback": {"id": "later", "kind": "transform", "value": "queued"},
                    "compensate": [
                        {
                            "id": "refund",
                            "kind": "script",
                            "script": "refund",
                            "input": {"what": "${ output }"},
                        }
                    ],
                }
            ],
        }
    )
    assert load_workflow(as_json) == load_workflow(FULL)
    built = (
        WorkflowBuilder("w")
        .script(
            "pay",
            "pay",
            retry=step.retry,
            circuit_breaker=step.circuit_breaker,
            fallback=TransformStep(id="later", value="queued"),
            compensate=ScriptStep(id="refund", script="refund", input={"what": "${ output }"}),
        )
        .build()
    )
    assert built == load_workflow(FULL)


@pytest.mark.parametrize(
    ("step", "field", "message"),
    [
        ("retry: {on: ValueError}", "retry.on", "expected a list of strings, got str"),
        ("retry: {not_on: [1]}", "retry.not_on", "expected str, got int"),
        ("retry: {on: [not-a-name]}", "retry.on", "'not-a-name' is not a class name"),
        ("retry: {on: [KeyError], not_on: [KeyError]}", "retry.not_on", "both on and not_on"),
        ("retry: {jitter: -0.1}", "retry.jitter", "share from 0 to 1"),
        ("retry: {jitter: 2}", "retry.jitter", "share from 0 to 1"),
        ("retry: {max_delay: -1}", "retry.max_delay", "must be >= 0"),
        ("retry: {delay: -1}", "retry.delay", "must be >= 0"),
        ("retry: {backoff: 0.5}", "retry.backoff", "must be >= 1"),
        ("retry: {attempts: 0}", "retry.attempts", "must be >= 1"),
        ("retry: {tries: 3}", "retry.tries", "unknown field"),
        ("circuit_breaker: {threshold: 2}", "circuit_breaker.name", "missing required"),
        ("circuit_breaker: {name: x, threshold: 0}", "circuit_breaker.threshold", ">= 1"),
        ("circuit_breaker: {name: x, cooldown: 0}", "circuit_breaker.cooldown", "> 0"),
        ("circuit_breaker: {name: ' '}", "circuit_breaker.name", "must not be empty"),
        ("circuit_breaker: gateway", "circuit_breaker", "expected a mapping"),
        ("fallback: {id: f, kind: teleport}", "kind", "unknown step kind 'teleport'"),
        ("fallback: [{id: f, kind: transform, value: 1}]", "fallback", "must be a mapping"),
        ("compensate: 3", "compensate", "expected a list of steps, got int"),
        (
            "compensate: {id: u, kind: transform, value: 1, "
            "compensate: {id: uu, kind: transform, value: 2}}",
            "compensate",
            "'u' has a compensation itself",
        ),
        ("fallback: {id: s, kind: transform, value: 1}", "id", "duplicate step id"),
    ],
)
def test_bad_policy_values_name_the_step_and_field(step: str, field: str, message: str) -> None:
    text = f"name: w\nsteps:\n  - {{id: s, kind: transform, value: 1, {step}}}\n"
    with pytest.raises(WorkflowDefinitionError, match=message) as info:
        load_workflow(text)
    assert f"field {field!r}" in str(info.value)
    assert "<string>" in str(info.value)


def test_one_breaker_name_with_two_settings_in_one_file() -> None:
    text = """
name: w
steps:
  - {id: a, kind: transform, value: 1, circuit_breaker: {name: x, cooldown: 5}}
  - {id: b, kind: transform, value: 1, circuit_breaker: {name: x, cooldown: 6}}
"""
    with pytest.raises(WorkflowDefinitionError, match=r"step 'b', field 'circuit_breaker'"):
        load_workflow(text)


def test_references_from_and_to_handler_steps() -> None:
    ok = """
name: w
steps:
  - id: a
    kind: transform
    value: 1
    fallback: {id: f, kind: transform, value: "${ input }"}
    compensate: [{id: undo, kind: transform, value: "${ [steps.a, output] }"}]
  - {id: b, kind: transform, value: "${ steps.f }"}
"""
    load_workflow(ok)
    with pytest.raises(WorkflowDefinitionError, match=r"step 'b', field 'value'.*'undo'"):
        load_workflow(ok.replace("steps.f", "steps.undo"))
    with pytest.raises(WorkflowDefinitionError, match=r"step 'f', field 'value'.*'b'"):
        load_workflow(ok.replace('"${ input }"', '"${ steps.b }"'))
