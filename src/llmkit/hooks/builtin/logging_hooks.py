"""Structured logging of runs, model requests and tool calls, through stdlib `logging`."""

from __future__ import annotations

import logging
from typing import Any

from ..registry import HookContext, HookHandle, HookRegistry
from .timing import Stopwatch, call_key

__all__ = ["LoggingHooks"]


class LoggingHooks:
    """Log one line per stage, with the fields in ``extra`` (``llmkit_*`` attributes) so a
    JSON formatter can emit them; nothing leaves the process unless logging is set up to."""

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger or logging.getLogger("llmkit")
        self.level = level
        self._clock = Stopwatch()

    def install(self, hooks: HookRegistry) -> list[HookHandle]:
        """Register on `hooks`; returns the handles (to unregister later)."""
        return [
            hooks.register("agent.run.start", self._run_start, name="log.run.start"),
            hooks.register("agent.run.end", self._run_end, name="log.run.end"),
            hooks.register("agent.run.error", self._error, name="log.run.error"),
            hooks.register("model.request.before", self._request_start, name="log.request"),
            hooks.register("model.request.after", self._request_end, name="log.request.end"),
            hooks.register("model.request.error", self._error, name="log.request.error"),
            hooks.register("tool.call.before", self._tool_start, name="log.tool"),
            hooks.register("tool.call.after", self._tool_end, name="log.tool.end"),
            hooks.register("tool.call.error", self._error, name="log.tool.error"),
        ]

    def _log(self, level: int, message: str, ctx: HookContext, **fields: Any) -> None:
        extra = {"llmkit_point": ctx.point, "llmkit_run_id": ctx.run_id, "llmkit_agent": ctx.agent}
        extra.update({f"llmkit_{k}": v for k, v in fields.items()})
        self.logger.log(level, message, extra=extra)

    def _run_start(self, ctx: HookContext) -> None:
        self._clock.start(call_key(ctx, "run"))
        self._log(self.level, f"agent {ctx.agent} run {ctx.run_id} started", ctx)

    def _run_end(self, ctx: HookContext) -> None:
        seconds = self._clock.stop(call_key(ctx, "run"))
        usage = ctx.value.usage
        self._log(
            self.level,
            f"agent {ctx.agent} run {ctx.run_id} finished in {seconds:.3f} s",
            ctx,
            seconds=seconds,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            requests=usage.requests,
        )

    def _request_start(self, ctx: HookContext) -> None:
        self._clock.start(call_key(ctx, "model"))

    def _request_end(self, ctx: HookContext) -> None:
        seconds = self._clock.stop(call_key(ctx, "model"))
        usage = ctx.value.usage
        self._log(
            self.level,
            f"model {ctx.model} answered in {seconds:.3f} s "
            f"({usage.input_tokens} in, {usage.output_tokens} out)",
            ctx,
            model=ctx.model,
            seconds=seconds,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            finish_reason=ctx.value.finish_reason,
        )

    def _tool_start(self, ctx: HookContext) -> None:
        self._clock.start(call_key(ctx, "tool"))

    def _tool_end(self, ctx: HookContext) -> None:
        seconds = self._clock.stop(call_key(ctx, "tool"))
        self._log(
            self.level,
            f"tool {ctx.tool} returned in {seconds:.3f} s",
            ctx,
            tool=ctx.tool,
            seconds=seconds,
        )

    def _error(self, ctx: HookContext) -> None:
        self._log(
            logging.ERROR,
            f"{ctx.point}: {type(ctx.value).__name__}: {ctx.value}",
            ctx,
            error=type(ctx.value).__name__,
            tool=ctx.tool,
            model=ctx.model,
        )
