"""The ready-made hooks in a real agent run: logs, metrics, spans, cache hits, rate limits."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmkit import ServerError
from llmkit.agents import Agent
from llmkit.hooks import HookRegistry
from llmkit.hooks.builtin import (
    CachingHooks,
    LoggingHooks,
    MemoryCache,
    MetricsHooks,
    RateLimitHooks,
    SqliteCache,
    TracingHooks,
)
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add."""
    return a + b


def script() -> ScriptedModel:
    return ScriptedModel([ToolCall(name="add", args={"a": 1, "b": 2}), "three"])


async def test_logging_hooks(caplog: pytest.LogCaptureFixture) -> None:
    hooks = HookRegistry()
    LoggingHooks().install(hooks)
    with caplog.at_level(logging.INFO, logger="llmkit"):
        await Agent(script(), tools=[add], hooks=hooks, name="calc").run("1+2")
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("agent calc run") and "started" in m for m in messages)
    assert any(m.startswith("tool add returned") for m in messages)
    finished = [r for r in caplog.records if "finished" in r.getMessage()]
    assert finished and finished[0].llmkit_requests == 2  # type: ignore[attr-defined]


async def test_metrics_hooks_count_requests_tokens_and_tools() -> None:
    hooks = HookRegistry()
    metrics = MetricsHooks()
    metrics.install(hooks)
    await Agent(script(), tools=[add], hooks=hooks).run("1+2")
    with pytest.raises(ServerError):
        await Agent(ScriptedModel([ServerError("down")]), hooks=hooks).run("x")
    text = metrics.exposition()
    assert 'llmkit_model_requests_total{model="test:scripted",outcome="ok"} 2.0' in text
    assert 'llmkit_tool_calls_total{outcome="ok",tool="add"} 1.0' in text
    assert 'llmkit_errors_total{error="ServerError",point="agent.run.error"} 1.0' in text
    assert 'llmkit_model_request_seconds_count{model="test:scripted"} 2.0' in text
    assert 'llmkit_tokens_total{direction="output",model="test:scripted"}' in text


async def test_tracing_hooks_emit_genai_spans() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    hooks = HookRegistry()
    TracingHooks(provider.get_tracer("test")).install(hooks)
    await Agent(script(), tools=[add], hooks=hooks, name="calc").run("1+2")
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"invoke_agent calc", "chat scripted", "execute_tool add"}
    run = spans["invoke_agent calc"]
    assert run.attributes["gen_ai.operation.name"] == "invoke_agent"  # type: ignore[index]
    for child in ("chat scripted", "execute_tool add"):
        assert spans[child].parent is not None
        assert spans[child].parent.span_id == run.context.span_id  # type: ignore[union-attr]
    chat = spans["chat scripted"]
    assert chat.attributes["gen_ai.request.model"] == "scripted"  # type: ignore[index]
    assert chat.attributes["gen_ai.usage.output_tokens"] >= 1  # type: ignore[index,operator]
    assert spans["execute_tool add"].attributes["gen_ai.tool.name"] == "add"  # type: ignore[index]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_caching_hooks_skip_repeated_requests(kind: str, tmp_path: Path) -> None:
    cache = MemoryCache() if kind == "memory" else SqliteCache(tmp_path / "cache.db")
    hooks = HookRegistry()
    caching = CachingHooks(cache)
    caching.install(hooks)
    model = ScriptedModel(["first answer", "second answer"])
    agent = Agent(model, hooks=hooks)
    assert (await agent.run("same question")).output == "first answer"
    assert (await agent.run("same question")).output == "first answer"  # from the cache
    assert (await agent.run("other question")).output == "second answer"
    assert (caching.hits, caching.misses, len(model.requests)) == (1, 2, 2)
    if isinstance(cache, SqliteCache):
        cache.close()
        reopened = SqliteCache(tmp_path / "cache.db")  # survives a restart
        again = HookRegistry()
        CachingHooks(reopened).install(again)
        assert (await Agent(ScriptedModel([]), hooks=again).run("same question")).output == (
            "first answer"
        )
        reopened.close()


def test_cache_bounds() -> None:
    cache = MemoryCache(max_entries=2, ttl=0.05)
    for key in "abc":
        cache.put(key, key)
    assert cache.get("a") is None and cache.get("c") == "c"
    time.sleep(0.06)
    assert cache.get("c") is None


async def test_rate_limit_waits_instead_of_failing() -> None:
    hooks = HookRegistry()
    limiter = RateLimitHooks(requests_per_minute=120)  # a burst of 120, then one per 0.5 s
    limiter.install(hooks)
    agent = Agent(ScriptedModel(["a"] * 130), hooks=hooks)
    start = time.monotonic()
    for _ in range(122):
        await agent.run("x")
    elapsed = time.monotonic() - start
    # Two requests over the burst wait about 0.5 s each (less what refilled meanwhile).
    assert limiter.waited >= 0.8 and elapsed >= 0.8


async def test_token_bucket_charges_and_refunds() -> None:
    from llmkit.hooks.builtin import TokenBucket

    bucket = TokenBucket(per_minute=60_000)  # 1,000 a second
    assert await bucket.take(60_000) == 0.0  # the full burst is there at once
    waited = await bucket.take(100)
    assert 0.05 <= waited <= 0.5
    bucket.adjust(-50_000)  # a refund never goes over the capacity
    assert bucket.level <= bucket.capacity


async def test_validation_hooks_fail_calls_with_bad_inputs_or_outputs() -> None:
    from llmkit.hooks.builtin import ValidationHooks

    @tool(max_retries=5)
    def lookup(city: str) -> dict[str, object]:
        """Find a city."""
        return {"city": city, "population": -5 if city == "Nowhere" else 1000}

    hooks = HookRegistry()
    ValidationHooks(
        inputs={"lookup": {"type": "object", "properties": {"city": {"minLength": 3}}}},
        outputs={
            "lookup": {
                "type": "object",
                "properties": {"population": {"type": "integer", "minimum": 0}},
            }
        },
    ).install(hooks)
    model = ScriptedModel(
        [
            ToolCall(name="lookup", args={"city": "Oz"}),
            ToolCall(name="lookup", args={"city": "Nowhere"}),
            ToolCall(name="lookup", args={"city": "Oslo"}),
            "done",
        ]
    )
    agent = Agent(model, tools=[lookup], hooks=hooks)
    await agent.run("x")
    results = [r.messages[-1].parts[0] for r in model.requests[1:]]
    assert results[0].is_error and "city" in results[0].content  # type: ignore[union-attr]
    assert results[1].is_error and "population" in results[1].content  # type: ignore[union-attr]
    assert not results[2].is_error  # type: ignore[union-attr]
