"""Logging, metrics and tracing hooks on one agent run; prints the spans and the metrics.

Needs the ``observability`` extra (prometheus-client, opentelemetry-sdk). Nothing is sent
anywhere: spans are collected in memory and metrics printed in Prometheus' text format.
"""

import asyncio
import logging
import sys

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmkit.agents import Agent
from llmkit.hooks import HookRegistry
from llmkit.hooks.builtin import LoggingHooks, MetricsHooks, TracingHooks
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="log: %(message)s")
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))

    hooks = HookRegistry()
    LoggingHooks().install(hooks)
    metrics = MetricsHooks()
    metrics.install(hooks)
    TracingHooks(provider.get_tracer("example")).install(hooks)

    model = ScriptedModel([ToolCall(name="add", args={"a": 2, "b": 3}), "2 + 3 = 5"])
    agent = Agent(model, name="calculator", tools=[add], hooks=hooks)
    print("answer:", (await agent.run("What is 2 + 3?")).output)

    for span in sorted(spans.get_finished_spans(), key=lambda s: s.start_time or 0):
        attributes = {k: v for k, v in (span.attributes or {}).items() if k.startswith("gen_ai")}
        print("span:", span.name, attributes)
    for line in metrics.exposition().splitlines():
        if line.startswith("llmkit_") and ("_total" in line or "_count" in line):
            print("metric:", line)


if __name__ == "__main__":
    asyncio.run(main())
