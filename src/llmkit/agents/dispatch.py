"""The tool dispatcher: runs a reply's tool calls, enforces budgets, turns failures into results.

Budgets live here, not in the tools, so they hold wherever a call comes from: a tool cannot
opt out of its timeout, and a model cannot exceed the run's tool-call budget by asking for
many calls in one reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from types import CoroutineType
from typing import Any

from ..hooks.registry import HookContext, HookRegistry, make_context
from ..hooks.results import HookCancelled, HookError, Retry, Skip
from ..messages import ToolCallPart, ToolResultPart
from ..policy.errors import CapabilityDenied
from ..policy.policy import Policy
from ..tools.base import ModelRetry, RunContext, Tool, ToolError
from ..tools.results import serialize_result

__all__ = ["RetriesExhausted", "ToolDispatcher"]

# How often a run may name a tool that does not exist before it is stopped.
UNKNOWN_TOOL_RETRIES = 2


class RetriesExhausted(Exception):
    """A tool (or the model's tool naming) failed more often than its retry budget allows."""

    def __init__(self, name: str, last_error: str) -> None:
        super().__init__(f"tool {name!r} failed too often; last error: {last_error}")
        self.name = name
        self.last_error = last_error


class ToolDispatcher:
    """Runs tool calls for one run; holds that run's failure counts and call count."""

    __slots__ = (
        "_failures",
        "agent_name",
        "calls_made",
        "hooks",
        "max_tool_calls",
        "policy",
        "tools",
    )

    def __init__(
        self,
        tools: dict[str, Tool],
        *,
        max_tool_calls: int | None,
        policy: Policy,
        hooks: HookRegistry | None = None,
        agent_name: str | None = None,
    ) -> None:
        self.tools = tools
        self.max_tool_calls = max_tool_calls
        self.policy = policy
        self.hooks = hooks if hooks is not None else HookRegistry()
        self.agent_name = agent_name
        self.calls_made = 0
        self._failures: dict[str, int] | None = None  # made on the first failure

    def would_exceed(self, count: int) -> bool:
        """Whether running `count` more calls would break the tool-call budget."""
        return self.max_tool_calls is not None and self.calls_made + count > self.max_tool_calls

    def start(
        self, ctx: RunContext[Any], calls: Sequence[ToolCallPart]
    ) -> Awaitable[ToolResultPart | list[ToolResultPart]]:
        """Start `calls`, concurrently. Awaiting gives one call's result, or the results of
        several in the order of the calls. A plain method, not a coroutine, and a single
        call skips gather's tasks: a run waiting on its tool holds no frame here."""
        self.calls_made += len(calls)
        if len(calls) == 1:
            return self._run_one(ctx, calls[0])
        return self._run_all(ctx, calls)

    async def _run_all(
        self, ctx: RunContext[Any], calls: Sequence[ToolCallPart]
    ) -> list[ToolResultPart]:
        return list(await asyncio.gather(*(self._run_one(ctx, c) for c in calls)))

    def _run_one(self, ctx: RunContext[Any], call: ToolCallPart) -> Awaitable[ToolResultPart]:
        """The coroutine that runs `call`: with the tool hooks only when there are some."""
        has = self.hooks.has
        if has("tool.call.before") or has("tool.call.after") or has("tool.call.error"):
            return self._run_hooked(ctx, call)
        return self._run_plain(ctx, call)

    async def _run_plain(self, ctx: RunContext[Any], call: ToolCallPart) -> ToolResultPart:
        # Without tool hooks the coroutine stays this small: thousands may wait at once.
        ready = self._prepare(ctx, call)
        if isinstance(ready, ToolResultPart):
            return ready
        tool, tool_ctx = ready
        assert call.arguments is not None  # _prepare answered invalid arguments
        try:
            value = await self._invoke(tool, tool_ctx, call.arguments)
        except Exception as exc:
            return self._error_result(call, tool, exc)
        return self._result(call, value)

    def _prepare(
        self, ctx: RunContext[Any], call: ToolCallPart
    ) -> ToolResultPart | tuple[Tool, RunContext[Any]]:
        """The tool and its context for `call`, or the error result if it cannot run."""
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            return self._failed(call, "", f"unknown tool {call.name!r}; available tools: {known}")
        if call.arguments is None:
            return self._failed(call, tool, f"invalid arguments: {call.invalid_reason}")
        if tool.capabilities:
            try:
                self.policy.check_capabilities(tool.capabilities)
            except CapabilityDenied as exc:
                return self._failed(call, tool, f"not allowed: {exc}")
        tool_ctx = RunContext(
            deps=ctx.deps,
            run_id=ctx.run_id,
            usage=ctx.usage,
            messages=ctx.messages,
            tool_call_id=call.id,
            retry=self._failures.get(call.name, 0) if self._failures else 0,
            policy=self.policy,
        )
        return tool, tool_ctx

    def _invoke(
        self, tool: Tool, ctx: RunContext[Any], arguments: dict[str, Any]
    ) -> Awaitable[Any]:
        if tool.timeout is None:
            return tool.start(ctx, arguments)
        return self._call_with_timeout(tool, ctx, arguments)

    async def _run_hooked(self, ctx: RunContext[Any], call: ToolCallPart) -> ToolResultPart:
        """`_run_plain` with the ``tool.call.before/after/error`` hooks."""
        ready = self._prepare(ctx, call)
        if isinstance(ready, ToolResultPart):
            return ready
        tool, tool_ctx = ready
        hooks = self.hooks
        arguments: dict[str, Any] = call.arguments or {}
        if hooks.has("tool.call.before"):
            hook = self._hook_context("tool.call.before", dict(arguments), tool_ctx, call)
            decided = hooks.run_sync(hook)
            if decided is not None:
                if isinstance(decided, CoroutineType):
                    decided = await decided
                if isinstance(decided, Skip):
                    return self._hooked(call, tool, decided.value)
            arguments = hook.value
        attempt = 0
        value: Any = None
        while True:
            try:
                value = await self._invoke(tool, tool_ctx, arguments)
                break
            except Exception as exc:
                if isinstance(exc, HookCancelled | HookError) or not hooks.has("tool.call.error"):
                    return self._error_result(call, tool, exc)
                hook = self._hook_context("tool.call.error", exc, tool_ctx, call)
                hook.attempt = attempt
                decided = await hooks.run(hook)
                if isinstance(decided, Retry) and attempt < decided.attempts:
                    attempt += 1
                    await asyncio.sleep(decided.delay)
                    continue
                if isinstance(decided, Skip):
                    return self._hooked(call, tool, decided.value)
                return self._error_result(call, tool, exc)
        if hooks.has("tool.call.after"):
            hook = self._hook_context("tool.call.after", value, tool_ctx, call)
            if (pending := hooks.run_sync(hook)) is not None and isinstance(pending, CoroutineType):
                await pending
            return self._hooked(call, tool, hook.value)
        return self._result(call, value)

    def _hooked(self, call: ToolCallPart, tool: Tool, value: Any) -> ToolResultPart:
        # A hook fails a call by handing back an exception (a validation hook, say).
        if isinstance(value, Exception):
            return self._error_result(call, tool, value)
        return self._result(call, value)

    @staticmethod
    async def _call_with_timeout(
        tool: Tool, ctx: RunContext[Any], arguments: dict[str, Any]
    ) -> Any:
        try:
            async with asyncio.timeout(tool.timeout):
                return await tool.call(ctx, arguments)
        except TimeoutError:
            raise ToolError(f"tool {tool.name!r} timed out after {tool.timeout} s") from None

    def _error_result(self, call: ToolCallPart, tool: Tool, exc: Exception) -> ToolResultPart:
        if isinstance(exc, HookCancelled | HookError):
            raise exc  # a hook stopped the run: not something the model can fix
        if isinstance(exc, ModelRetry):
            return self._failed(call, tool, exc.message)
        if isinstance(exc, ToolError):
            return self._failed(call, tool, str(exc))
        return self._failed(call, tool, f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _result(call: ToolCallPart, value: Any) -> ToolResultPart:
        return ToolResultPart(tool_call_id=call.id, name=call.name, content=serialize_result(value))

    def _hook_context(
        self, point: str, value: Any, run_ctx: RunContext[Any], call: ToolCallPart
    ) -> HookContext:
        metadata = {"tool_call_id": call.id}
        return make_context(
            point, value, self.agent_name, run_ctx.run_id, call.name, None, metadata
        )

    def _failed(self, call: ToolCallPart, tool: Tool | str, message: str) -> ToolResultPart:
        key = call.name if isinstance(tool, Tool) else "\0unknown"
        budget = tool.max_retries if isinstance(tool, Tool) else UNKNOWN_TOOL_RETRIES
        if self._failures is None:
            self._failures = {}
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        if failures > budget:
            raise RetriesExhausted(call.name, message)
        return ToolResultPart(tool_call_id=call.id, name=call.name, content=message, is_error=True)


def tools_by_name(tools: Iterable[Tool]) -> dict[str, Tool]:
    """Index tools by name; a duplicate name is a configuration error."""
    from ..errors import ConfigError

    index: dict[str, Tool] = {}
    for tool in tools:
        if tool.name in index:
            raise ConfigError(f"two tools are named {tool.name!r}; tool names must be unique")
        index[tool.name] = tool
    return index
