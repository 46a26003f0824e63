"""OpenTelemetry spans for agent runs, model requests and tool calls, with the GenAI
semantic conventions (``gen_ai.*`` attributes).

Only `opentelemetry-api` is needed: without an SDK and exporter configured by you, spans are
no-ops and nothing leaves the machine.
"""

from __future__ import annotations

from typing import Any

from ..registry import HookContext, HookHandle, HookRegistry

__all__ = ["TracingHooks"]


class TracingHooks:
    """One ``invoke_agent`` span per run with ``chat`` and ``execute_tool`` spans inside."""

    def __init__(self, tracer: Any = None) -> None:
        from opentelemetry import trace

        self._trace = trace
        self.tracer = tracer if tracer is not None else trace.get_tracer("llmkit")
        self._spans: dict[tuple[str, str], Any] = {}

    def install(self, hooks: HookRegistry) -> list[HookHandle]:
        """Register on `hooks`; returns the handles."""
        # Late priorities for ends and early ones for starts, so spans wrap other hooks' work.
        return [
            hooks.register("agent.run.start", self._run_start, priority=100, name="trace.run"),
            hooks.register("agent.run.end", self._run_end, priority=-100, name="trace.run.end"),
            hooks.register("agent.run.error", self._run_error, priority=-100, name="trace.err"),
            hooks.register(
                "model.request.before", self._chat_start, priority=100, name="trace.chat"
            ),
            hooks.register(
                "model.request.after", self._chat_end, priority=-100, name="trace.chat.end"
            ),
            hooks.register(
                "model.request.error", self._chat_error, priority=-100, name="trace.chat.error"
            ),
            hooks.register("tool.call.before", self._tool_start, priority=100, name="trace.tool"),
            hooks.register("tool.call.after", self._tool_end, priority=-100, name="trace.tool.end"),
            hooks.register(
                "tool.call.error", self._tool_error, priority=-100, name="trace.tool.error"
            ),
        ]

    def _start(
        self, key: tuple[str, str], name: str, ctx: HookContext, attributes: dict[str, Any]
    ) -> None:
        parent = self._spans.get((ctx.run_id or "", "run"))
        context = self._trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(name, context=context, attributes=attributes)
        self._spans[key] = span

    def _end(
        self,
        key: tuple[str, str],
        attributes: dict[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        span = self._spans.pop(key, None)
        if span is None:
            return
        if attributes:
            span.set_attributes(attributes)
        if error is not None:
            from opentelemetry.trace import Status, StatusCode

            span.record_exception(error)
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(Status(StatusCode.ERROR, str(error)))
        span.end()

    def _run_start(self, ctx: HookContext) -> None:
        run = ctx.run_id or ""
        span = self.tracer.start_span(
            f"invoke_agent {ctx.agent}",
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": ctx.agent or "",
                "gen_ai.conversation.id": run,
            },
        )
        self._spans[(run, "run")] = span

    def _run_end(self, ctx: HookContext) -> None:
        usage = ctx.value.usage
        self._end(
            (ctx.run_id or "", "run"),
            {
                "gen_ai.usage.input_tokens": usage.input_tokens,
                "gen_ai.usage.output_tokens": usage.output_tokens,
            },
        )

    def _run_error(self, ctx: HookContext) -> None:
        key = (ctx.run_id or "", "run")
        for other in [k for k in self._spans if k[0] == key[0] and k != key]:
            self._end(other, error=ctx.value)  # close children the error cut short
        self._end(key, error=ctx.value)

    def _chat_start(self, ctx: HookContext) -> None:
        model = ctx.model or ""
        provider, _, name = model.partition(":")
        self._start(
            (ctx.run_id or "", "chat"),
            f"chat {name or model}",
            ctx,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": provider,
                "gen_ai.request.model": name or model,
            },
        )

    def _chat_end(self, ctx: HookContext) -> None:
        response = ctx.value
        self._end(
            (ctx.run_id or "", "chat"),
            {
                "gen_ai.response.model": response.model_name,
                "gen_ai.response.finish_reasons": [response.finish_reason],
                "gen_ai.usage.input_tokens": response.usage.input_tokens,
                "gen_ai.usage.output_tokens": response.usage.output_tokens,
            },
        )

    def _chat_error(self, ctx: HookContext) -> None:
        self._end((ctx.run_id or "", "chat"), error=ctx.value)

    def _tool_start(self, ctx: HookContext) -> None:
        call_id = str(ctx.metadata.get("tool_call_id", ""))
        self._start(
            (ctx.run_id or "", f"tool:{call_id}"),
            f"execute_tool {ctx.tool}",
            ctx,
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": ctx.tool or "",
                "gen_ai.tool.call.id": call_id,
            },
        )

    def _tool_end(self, ctx: HookContext) -> None:
        self._end((ctx.run_id or "", f"tool:{ctx.metadata.get('tool_call_id', '')}"))

    def _tool_error(self, ctx: HookContext) -> None:
        self._end(
            (ctx.run_id or "", f"tool:{ctx.metadata.get('tool_call_id', '')}"), error=ctx.value
        )
