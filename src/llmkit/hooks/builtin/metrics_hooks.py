"""Prometheus counters and histograms for requests, tokens, tool calls, latencies, errors.

Needs the ``observability`` extra (prometheus-client). Metrics go to a registry of their own unless
you pass one, so nothing is exported unless you expose that registry.
"""

from __future__ import annotations

from typing import Any

from ...errors import ConfigError
from ..registry import HookContext, HookHandle, HookRegistry
from .timing import Stopwatch, call_key

__all__ = ["MetricsHooks"]


class MetricsHooks:
    """Counts and times every model request and tool call of the agents it is installed on."""

    def __init__(self, registry: Any = None, *, namespace: str = "llmkit") -> None:
        try:
            import prometheus_client as prom
        except ImportError as exc:
            raise ConfigError(
                "metrics hooks need prometheus-client: pip install 'llmkit[observability]'"
            ) from exc
        self.registry = registry if registry is not None else prom.CollectorRegistry()
        r, ns = self.registry, namespace
        self.requests = prom.Counter(
            "model_requests", "Model requests", ["model", "outcome"], namespace=ns, registry=r
        )
        self.tokens = prom.Counter(
            "tokens", "Tokens used", ["model", "direction"], namespace=ns, registry=r
        )
        self.request_seconds = prom.Histogram(
            "model_request_seconds", "Model latency", ["model"], namespace=ns, registry=r
        )
        self.tool_calls = prom.Counter(
            "tool_calls", "Tool calls", ["tool", "outcome"], namespace=ns, registry=r
        )
        self.tool_seconds = prom.Histogram(
            "tool_call_seconds", "Tool latency", ["tool"], namespace=ns, registry=r
        )
        self.errors = prom.Counter(
            "errors", "Errors by stage", ["point", "error"], namespace=ns, registry=r
        )
        self._clock = Stopwatch()

    def install(self, hooks: HookRegistry) -> list[HookHandle]:
        """Register on `hooks`; returns the handles."""
        return [
            hooks.register("model.request.before", self._request_start, name="metrics.request"),
            hooks.register("model.request.after", self._request_end, name="metrics.request.end"),
            hooks.register("model.request.error", self._request_error, name="metrics.request.err"),
            hooks.register("tool.call.before", self._tool_start, name="metrics.tool"),
            hooks.register("tool.call.after", self._tool_end, name="metrics.tool.end"),
            hooks.register("tool.call.error", self._tool_error, name="metrics.tool.error"),
            hooks.register("agent.run.error", self._error, name="metrics.run.error"),
        ]

    def exposition(self) -> str:
        """The metrics in Prometheus' text format."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry).decode()

    def _request_start(self, ctx: HookContext) -> None:
        self._clock.start(call_key(ctx, "model"))

    def _request_end(self, ctx: HookContext) -> None:
        model = ctx.model or "unknown"
        self.request_seconds.labels(model).observe(self._clock.stop(call_key(ctx, "model")))
        self.requests.labels(model, "ok").inc()
        usage = ctx.value.usage
        self.tokens.labels(model, "input").inc(usage.input_tokens)
        self.tokens.labels(model, "output").inc(usage.output_tokens)

    def _request_error(self, ctx: HookContext) -> None:
        self._clock.stop(call_key(ctx, "model"))
        self.requests.labels(ctx.model or "unknown", "error").inc()
        self._error(ctx)

    def _tool_start(self, ctx: HookContext) -> None:
        self._clock.start(call_key(ctx, "tool"))

    def _tool_end(self, ctx: HookContext) -> None:
        tool = ctx.tool or "unknown"
        self.tool_seconds.labels(tool).observe(self._clock.stop(call_key(ctx, "tool")))
        self.tool_calls.labels(tool, "ok").inc()

    def _tool_error(self, ctx: HookContext) -> None:
        self._clock.stop(call_key(ctx, "tool"))
        self.tool_calls.labels(ctx.tool or "unknown", "error").inc()
        self._error(ctx)

    def _error(self, ctx: HookContext) -> None:
        self.errors.labels(ctx.point, type(ctx.value).__name__).inc()
