"""`Agent`: a model, instructions and tools, run in a loop until the model answers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from ..messages import Message, Usage
from ..models.base import Model
from ..models.request import ModelResponse, ModelSettings
from ..sync import run_sync
from ..tools.base import RunContext, Tool
from .dispatch import RetriesExhausted, ToolDispatcher, tools_by_name
from .limits import LimitExceeded, UsageLimits
from .result import AgentEvent, RunFinished, RunResult, ToolResultEvent

__all__ = ["Agent"]

AgentInput = str | Message | Sequence[Message]


class Agent:
    """A model plus instructions plus tools.

    ``await agent.run("question")`` sends the conversation, runs the tool calls the model
    asks for (several in one reply run concurrently), sends the results back, and repeats
    until the model answers in text. Failures of a tool go back to the model as error
    results, within each tool's retry budget; `limits` bound the whole run.

    Args:
        model: A `Model`, a ``provider:model`` string, or None for the configured default.
        instructions: The system prompt.
        tools: `Tool` objects (or plain functions, wrapped with `llmkit.tools.tool`).
        limits: Budgets for steps, tool calls, tokens and wall time.
        settings: Model settings sent with every request.
        name: A name for logs, delegation and events.
    """

    def __init__(
        self,
        model: Model | str | None = None,
        *,
        instructions: str = "",
        tools: Iterable[Tool | Callable[..., Any]] = (),
        limits: UsageLimits | None = None,
        settings: ModelSettings | None = None,
        name: str = "agent",
    ) -> None:
        self._model = model if isinstance(model, Model) else None
        self._model_name = None if isinstance(model, Model) else model
        self.instructions = instructions
        self.tools = tools_by_name(_as_tool(t) for t in tools)
        self._definitions = [t.definition for t in self.tools.values()]
        self.limits = limits or UsageLimits()
        self.settings = settings
        self.name = name

    @property
    def model(self) -> Model:
        """The model, resolved from its name on first use."""
        if self._model is None:
            from ..providers.resolve import get_model

            self._model = get_model(self._model_name)
        return self._model

    async def run(
        self,
        input: AgentInput,
        *,
        history: Sequence[Message] = (),
        deps: Any = None,
    ) -> RunResult[str]:
        """Run to a final answer and return it with every message and the usage."""
        result: RunResult[str] | None = None
        async for event in self._iterate(input, history, deps, stream=False):
            if isinstance(event, RunFinished):
                result = event.result
        assert result is not None  # _iterate always ends with RunFinished or raises
        return result

    def run_sync(
        self, input: AgentInput, *, history: Sequence[Message] = (), deps: Any = None
    ) -> RunResult[str]:
        """`run` from synchronous code (also inside a running event loop)."""
        return run_sync(self.run(input, history=history, deps=deps))

    def run_stream(
        self, input: AgentInput, *, history: Sequence[Message] = (), deps: Any = None
    ) -> AsyncIterator[AgentEvent]:
        """Run while yielding the model's stream events, tool results and `RunFinished`."""
        return self._iterate(input, history, deps, stream=True)

    async def _iterate(
        self, input: AgentInput, history: Sequence[Message], deps: Any, *, stream: bool
    ) -> AsyncIterator[AgentEvent]:
        messages = self._start(input, history)
        start_index = len(history) + (1 if self.instructions and not _has_system(history) else 0)
        run_id = uuid.uuid4().hex
        usage = Usage()
        limits = self.limits
        deadline = None if limits.max_seconds is None else time.monotonic() + limits.max_seconds
        dispatcher = ToolDispatcher(self.tools, max_tool_calls=limits.max_tool_calls)
        ctx: RunContext[Any] = RunContext(deps=deps, run_id=run_id, usage=usage, messages=messages)
        model = self.model
        steps = 0

        def stop(limit: str, message: str) -> LimitExceeded:
            return LimitExceeded(
                message, limit=limit, messages=messages, usage=usage, run_id=run_id
            )

        while True:
            if limits.max_steps is not None and steps >= limits.max_steps:
                raise stop("max_steps", f"the run made {steps} model requests (max_steps)")
            steps += 1
            try:
                async with _deadline(deadline):
                    if stream:
                        async with model.stream(
                            messages, tools=self._definitions, settings=self.settings
                        ) as events:
                            async for event in events:
                                yield event
                        response: ModelResponse = events.response
                    else:
                        response = await model.request(
                            messages, tools=self._definitions, settings=self.settings
                        )
            except TimeoutError:
                raise stop("max_seconds", f"the run took over {limits.max_seconds} s") from None
            _add_usage(usage, response.usage)
            messages.append(response.message)
            if limits.max_input_tokens is not None and usage.input_tokens > limits.max_input_tokens:
                raise stop("max_input_tokens", f"{usage.input_tokens} input tokens used")
            if (
                limits.max_output_tokens is not None
                and usage.output_tokens > limits.max_output_tokens
            ):
                raise stop("max_output_tokens", f"{usage.output_tokens} output tokens used")
            calls = response.message.tool_calls
            if not calls:
                result = RunResult(
                    output=response.text,
                    messages=messages,
                    usage=usage,
                    run_id=run_id,
                    new_message_index=start_index,
                )
                yield RunFinished(result=result)
                return
            if dispatcher.would_exceed(len(calls)):
                raise stop(
                    "max_tool_calls",
                    f"the model asked for tool call {dispatcher.calls_made + len(calls)}, "
                    f"over max_tool_calls={limits.max_tool_calls}",
                )
            try:
                async with _deadline(deadline):
                    results = await dispatcher.run(ctx, calls)
            except TimeoutError:
                raise stop("max_seconds", f"the run took over {limits.max_seconds} s") from None
            except RetriesExhausted as exc:
                raise stop(f"tool_retries:{exc.name}", str(exc)) from None
            messages.append(Message.tool_results(results))
            for call, part in zip(calls, results, strict=True):
                yield ToolResultEvent(call=call, result=part)

    def _start(self, input: AgentInput, history: Sequence[Message]) -> list[Message]:
        messages: list[Message] = []
        if self.instructions and not _has_system(history):
            messages.append(Message.system(self.instructions))
        messages.extend(history)
        if isinstance(input, str):
            messages.append(Message.user(input))
        elif isinstance(input, Message):
            messages.append(input)
        else:
            messages.extend(input)
        return messages

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, tools={sorted(self.tools)})"


def _has_system(history: Sequence[Message]) -> bool:
    return bool(history) and history[0].role == "system"


def _add_usage(total: Usage, more: Usage) -> None:
    # In place: the RunContext handed to tools shares this object and sees usage so far.
    total.input_tokens += more.input_tokens
    total.output_tokens += more.output_tokens
    total.cache_read_tokens += more.cache_read_tokens
    total.requests += more.requests or 1


def _deadline(deadline: float | None) -> AbstractAsyncContextManager[Any]:
    if deadline is None:
        return nullcontext()
    return asyncio.timeout_at(asyncio.get_running_loop().time() + deadline - time.monotonic())


def _as_tool(candidate: Tool | Callable[..., Any]) -> Tool:
    if isinstance(candidate, Tool):
        return candidate
    from ..tools.decorator import tool

    return tool(candidate)
