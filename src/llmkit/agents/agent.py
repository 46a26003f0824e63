"""`Agent`: a model, instructions and tools, run in a loop until the model answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import CoroutineType
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConfigError, LLMKitError
from ..hooks.registry import HookContext, HookRegistry, make_context
from ..hooks.results import HookResult, Retry, Skip
from ..messages import Message, ToolCallPart, ToolResultPart
from ..models.base import Model
from ..models.request import ModelResponse, ModelSettings
from ..policy.policy import Policy
from ..sync import run_sync
from ..tools.base import Tool
from .approval import Decision, PausedRun, ResumeError
from .delegation import AgentTool, handoff_definition, handoff_tool_name
from .dispatch import tools_by_name
from .events import AgentEvent, ModelResponseEvent, RunFinished, RunStarted, from_model_event
from .limits import UsageLimits
from .output import OUTPUT_TOOL, OutputSpec, OutputStrategy
from .result import RunResult
from .run_state import INVALID, Run, deadline_scope, final_output
from .streaming import Emit, stream_events

if TYPE_CHECKING:
    from ..memory.conversation import Conversation

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
        output_type: The type of the answer (pydantic model, dataclass, TypedDict, primitive,
            or a JSON schema dict); `str` means plain text.
        output_strategy: ``tool`` (a final_result tool), ``native`` (the provider's JSON
            schema mode) or ``prompted`` (schema in the instructions).
        output_retries: How often an invalid output may be sent back for another try.
        handoffs: Agents this one may hand the conversation to (``transfer_to_NAME`` tools).
        policy: What tools may do: a tool whose capabilities the policy does not grant is
            refused (deny by default), and capabilities may require approval.
        hooks: Functions called at each stage (see `llmkit.hooks`): run start/end/error,
            model request before/after/error, tool call before/after/error.
        limits: Budgets for steps, tool calls, tokens and wall time; they span hand-offs.
        settings: Model settings sent with every request.
        name: A name for logs, delegation and events.
        description: What the agent does, shown to models that delegate to it.
        max_tool_rounds: After this many replies that called tools, the model is asked for
            its answer with tools switched off (``tool_choice="none"``, or only the output
            tool for structured output) — for models that would otherwise call tools until
            a limit stops the run. None: no such bound.
    """

    def __init__(
        self,
        model: Model | str | None = None,
        *,
        instructions: str = "",
        tools: Iterable[Tool | Callable[..., Any]] = (),
        output_type: Any = str,
        output_strategy: OutputStrategy = "tool",
        output_retries: int = 2,
        handoffs: Iterable[Agent] = (),
        policy: Policy | None = None,
        hooks: HookRegistry | None = None,
        limits: UsageLimits | None = None,
        settings: ModelSettings | None = None,
        name: str = "agent",
        description: str = "",
        max_tool_rounds: int | None = None,
    ) -> None:
        self._model = model if isinstance(model, Model) else None
        self._model_name = None if isinstance(model, Model) else model
        self.instructions = instructions
        self.tools = tools_by_name(_as_tool(t) for t in tools)
        if OUTPUT_TOOL in self.tools:
            raise ConfigError(f"the tool name {OUTPUT_TOOL!r} is reserved for structured output")
        self.output_type = output_type
        self.output_retries = output_retries
        self.limits = limits or UsageLimits()
        self.settings = settings
        self.name = name
        self.description = description
        if max_tool_rounds is not None and max_tool_rounds < 0:
            raise ConfigError(f"max_tool_rounds must be >= 0, got {max_tool_rounds}")
        self.max_tool_rounds = max_tool_rounds
        self.handoffs = {handoff_tool_name(a): a for a in handoffs}
        self.policy = policy or Policy()
        self.hooks = hooks if hooks is not None else HookRegistry()
        self._approval_needed = frozenset(
            name
            for name, t in self.tools.items()
            if t.requires_approval or any(self.policy.needs_approval(c) for c in t.capabilities)
        )
        clash = set(self.handoffs) & set(self.tools)
        if clash:
            raise ConfigError(f"tool names {sorted(clash)} clash with hand-off tools")
        # What each request carries is computed once here, not per run.
        self._output = (
            None if output_type is str else OutputSpec.build(output_type, output_strategy)
        )
        self._definitions = [t.definition for t in self.tools.values()]
        self._definitions += [handoff_definition(a) for a in self.handoffs.values()]
        self._instructions = instructions
        self._settings = settings
        output = self._output
        if output is not None and output.strategy == "tool":
            self._definitions.append(output.tool_definition())
            if settings is None or settings.tool_choice is None:
                self._settings = replace(settings or ModelSettings(), tool_choice="required")
        elif output is not None and output.strategy == "native":
            self._settings = replace(
                settings or ModelSettings(), response_format=output.response_format()
            )
        elif output is not None:
            self._instructions = "\n\n".join(p for p in (instructions, output.instructions()) if p)
        # What a request carries once `max_tool_rounds` is spent: no tool but the output one.
        last_choice = OUTPUT_TOOL if output is not None and output.strategy == "tool" else "none"
        self._answer_settings = replace(self._settings or ModelSettings(), tool_choice=last_choice)

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
        conversation: Conversation | None = None,
    ) -> RunResult[Any]:
        """Run to a final answer and return it with every message and the usage.

        The output is the reply text, or a validated `output_type` value. With a
        `conversation`, its (windowed) history comes first and the run's new messages are
        stored once the run has finished — never a run that failed or paused half-way.
        """
        run = await self._begin(input, history, deps, conversation)
        result = await self._drive(run, None, resumed=False)
        if conversation is not None:
            await self._save(conversation, result)
        return result

    def run_sync(
        self,
        input: AgentInput,
        *,
        history: Sequence[Message] = (),
        deps: Any = None,
        conversation: Conversation | None = None,
    ) -> RunResult[Any]:
        """`run` from synchronous code (also inside a running event loop)."""
        return run_sync(self.run(input, history=history, deps=deps, conversation=conversation))

    def run_stream(
        self,
        input: AgentInput,
        *,
        history: Sequence[Message] = (),
        deps: Any = None,
        conversation: Conversation | None = None,
    ) -> AsyncIterator[AgentEvent]:
        """Run while yielding what happens, as bus events (see `llmkit.agents.events`).

        `RunStarted` first; then the model's text and tool-call events as they stream, a
        `ModelResponseEvent` per reply and a `ToolResultEvent` per tool result; `RunFinished`
        (with the `RunResult`) last. Each is an `llmkit.events.Event`, so it can be emitted
        on a bus or recorded as is. Stopping early stops the run.
        """

        async def produce(emit: Emit) -> None:
            run = await self._begin(input, history, deps, conversation)
            await emit(RunStarted(run_id=run.run_id, agent=run.agent.name))
            result = await self._drive(run, emit, resumed=False)
            if conversation is not None:
                await self._save(conversation, result)
            await emit(RunFinished(result=result, agent=run.agent.name))

        return stream_events(produce)

    async def resume(
        self, paused: PausedRun, decisions: Mapping[str, Decision], *, deps: Any = None
    ) -> RunResult[Any]:
        """Continue a paused run with a decision for each pending call (keyed by call id)."""
        agent = self._find(paused.agent)
        run = Run.resumed(agent, paused, decisions, deps)
        return await self._drive(run, None, resumed=True)

    def resume_sync(
        self, paused: PausedRun, decisions: Mapping[str, Decision], *, deps: Any = None
    ) -> RunResult[Any]:
        """`resume` from synchronous code."""
        return run_sync(self.resume(paused, decisions, deps=deps))

    def _find(self, name: str) -> Agent:
        # A run may have paused in an agent it was handed to.
        seen: set[int] = set()
        todo: list[Agent] = [self]
        while todo:
            agent = todo.pop()
            if agent.name == name:
                return agent
            seen.add(id(agent))
            todo.extend(a for a in agent.handoffs.values() if id(a) not in seen)
        raise ResumeError(f"the run paused in agent {name!r}, which {self.name!r} cannot reach")

    # The loop is plain coroutines; `emit` is None unless the run is streamed, so a plain run
    # builds no events (see `llmkit.agents.streaming`). Thousands of runs may wait on tools at
    # once, so the frames alive while a tool runs are kept few: `_drive` holds the whole loop.

    async def _begin(
        self,
        input: AgentInput,
        history: Sequence[Message],
        deps: Any,
        conversation: Conversation | None,
    ) -> Run:
        if conversation is not None:
            history = [*await self._memory(conversation, await conversation.history()), *history]
        run = Run(self, self._start(input, history), deps)
        run.start_index = len(history) + (
            1 if self._instructions and not _has_system(history) else 0
        )
        return run

    async def _save(self, conversation: Conversation, result: RunResult[Any]) -> None:
        if result.paused is None:  # a paused run is stored once it has finished
            new = await self._memory(conversation, result.new_messages(), run_id=result.run_id)
            await conversation.add(*new)

    async def _memory(
        self, conversation: Conversation, messages: list[Message], *, run_id: str | None = None
    ) -> list[Message]:
        """Messages loaded from (no `run_id`) or about to be saved to `conversation`, after
        the ``memory.load`` / ``memory.save`` hooks."""
        point = "memory.load" if run_id is None else "memory.save"
        if not self.hooks.has(point):
            return messages
        ctx = HookContext(
            point=point,
            value=messages,
            agent=self.name,
            run_id=run_id,
            metadata={"conversation": conversation.id},
        )
        await self.hooks.run(ctx)
        return list(ctx.value)

    async def _drive(self, run: Run, emit: Emit | None, *, resumed: bool) -> RunResult[Any]:
        """Ask the model and do what it says until the run is over, within the run's wall
        time, with the run's start, end and error hooks."""
        hooks = self.hooks
        deadline = deadline_scope(run.deadline)
        try:
            async with deadline:
                result: RunResult[Any] | None = None
                if not resumed and hooks.has("agent.run.start"):
                    started = self._start_hooks(run)
                    if isinstance(started, CoroutineType):
                        started = await started
                    result = cast("RunResult[Any] | None", started)
                while result is None:
                    agent = run.agent  # changes when the conversation is handed off
                    if resumed:  # decide on the reply the run paused at
                        resumed = False
                        message = run.messages[-1]
                    else:
                        message = await self._model_turn(run, agent, emit)
                    outcome = self._decide(run, agent, message)
                    if isinstance(outcome, RunResult):
                        result = outcome
                    elif outcome is not None:
                        run.tool_rounds += 1
                        calls = run.calls_to_run(outcome)
                        ran = await run.dispatcher.start(run.ctx, calls) if calls else []
                        results = run.add_tool_results(ran)
                        if emit is not None:
                            for event in run.result_events(calls, results):
                                await emit(event)
                        if run.handoff is not None:
                            run.hand_off(run.handoff)
                if hooks.has("agent.run.end"):
                    ctx = make_context(
                        "agent.run.end", result, run.agent.name, run.run_id, None, None, {}
                    )
                    if (pending := hooks.run_sync(ctx)) is not None and isinstance(
                        pending, CoroutineType
                    ):
                        await pending
                    result = ctx.value
        except Exception as exc:
            error = run.limit_error(exc, deadline)
            if hooks.has("agent.run.error"):
                await hooks.run(run.hook_context("agent.run.error", error))
            if error is exc:
                raise
            raise error from None
        return result

    def _start_hooks(
        self, run: Run
    ) -> RunResult[Any] | Coroutine[Any, Any, RunResult[Any] | None] | None:
        """Run the ``agent.run.start`` hooks; a `Skip` gives the run's result at once.
        Returns a coroutine to await only when a hook turns out to be async."""
        # The run's own list: what a hook changes in it, or hands back, is the run's input.
        ctx = make_context(
            "agent.run.start", run.messages, run.agent.name, run.run_id, None, None, {}
        )
        decided = self.hooks.run_sync(ctx)
        if decided is None and ctx.value is run.messages:  # the common case: nothing to do
            return None
        if isinstance(decided, CoroutineType):
            return self._started(run, ctx, decided)
        return self._after_start(run, ctx, cast("HookResult", decided))

    async def _started(
        self, run: Run, ctx: HookContext, pending: Coroutine[Any, Any, HookResult]
    ) -> RunResult[Any] | None:
        return self._after_start(run, ctx, await pending)

    @staticmethod
    def _after_start(run: Run, ctx: HookContext, decided: HookResult) -> RunResult[Any] | None:
        if ctx.value is not run.messages:
            run.messages[:] = ctx.value
        return run.result(decided.value) if isinstance(decided, Skip) else None

    async def _model_turn(self, run: Run, agent: Agent, emit: Emit | None) -> Message:
        """One model request with its hooks, recorded in the run; returns the reply."""
        limits = self.limits
        if limits.max_steps is not None and run.steps >= limits.max_steps:
            raise run.stop("max_steps", f"the run made {run.steps} model requests (max_steps)")
        run.steps += 1
        response = await self._request(run, agent, emit)
        if emit is not None:
            await emit(ModelResponseEvent(response=response, run_id=run.run_id))
        run.record(response)
        return response.message

    async def _request(self, run: Run, agent: Agent, emit: Emit | None) -> ModelResponse:
        hooks, model = agent.hooks, agent.model
        messages: list[Message] = run.messages
        rounds = agent.max_tool_rounds
        settings = (
            agent._answer_settings
            if rounds is not None and run.tool_rounds >= rounds
            else agent._settings
        )
        name = None  # the model's name, for hook contexts: built once, if any hook needs it
        if hooks.has("model.request.before"):
            name = model.name
            ctx = make_context(
                "model.request.before",
                list(messages),  # a copy: what a hook changes is for this request only
                agent.name,
                run.run_id,
                None,
                name,
                {"tools": agent._definitions, "settings": settings},
            )
            decided = hooks.run_sync(ctx)
            if decided is not None:  # most hooks decide nothing: no type checks then
                if isinstance(decided, CoroutineType):
                    decided = await decided
                if isinstance(decided, Skip):  # e.g. a cache hit: the model is not called
                    return as_response(decided.value, model)
            messages = ctx.value
        attempt = 0
        response: ModelResponse
        while True:
            try:
                if emit is None:
                    response = await model.request(
                        messages, tools=agent._definitions, settings=settings
                    )
                else:
                    response = await _streamed_request(agent, messages, settings, run.run_id, emit)
                break
            except LLMKitError as exc:
                if not hooks.has("model.request.error"):
                    raise
                ctx = run.hook_context("model.request.error", exc, name or model.name)
                ctx.attempt = attempt
                decided = await hooks.run(ctx)
                if isinstance(decided, Retry) and attempt < decided.attempts:
                    attempt += 1
                    await asyncio.sleep(decided.delay)
                    continue
                if isinstance(decided, Skip):
                    response = as_response(decided.value, model)
                    break
                raise
        if hooks.has("model.request.after"):
            name = name or model.name
            ctx = make_context(
                "model.request.after", response, agent.name, run.run_id, None, name, {}
            )
            if (pending := hooks.run_sync(ctx)) is not None and isinstance(pending, CoroutineType):
                await pending
            response = ctx.value
        return response

    def _decide(
        self, run: Run, agent: Agent, message: Message
    ) -> RunResult[Any] | list[ToolCallPart] | None:
        """What a reply asks for: the result when the run is over (finished or paused);
        else the tool calls to run (and ``run.handoff``, the agent to hand off to after
        them); None when the model is asked again. Not a coroutine: the loop awaits the
        tools itself, so a run waiting on a tool keeps one frame fewer."""
        calls = message.tool_calls
        output = agent._output
        if output is not None and output.strategy == "tool":
            final = next((c for c in calls if c.name == OUTPUT_TOOL), None)
            if final is not None:
                outcome = run.try_output(final_output, output, final)
                if outcome is not INVALID:
                    run.close_calls(calls, final)
                    return run.result(outcome)
                calls = [c for c in calls if c is not final]
                run.pending_results.append(run.invalid_output_result(final))
            elif not calls:
                run.retry_output(f"Give your answer by calling the {OUTPUT_TOOL} tool.", count=True)
                return None
        elif not calls:
            if output is None:
                return run.result(message.text)
            outcome = run.try_output(output.from_text, message.text)
            if outcome is not INVALID:
                return run.result(outcome)
            run.retry_output(
                f"Your answer is not valid:\n{run.last_output_error}\nAnswer again with JSON "
                "that matches the schema.",
                count=False,  # try_output counted it
            )
            return None
        pending = [
            c for c in calls if c.name in agent._approval_needed and c.id not in run.decisions
        ]
        if pending:
            run.pending_results = []  # recomputed from the same reply on resume
            return run.pause(pending)
        handoff = next((c for c in calls if c.name in agent.handoffs), None)
        if handoff is not None:
            calls = [c for c in calls if c is not handoff]
            run.pending_results.append(
                ToolResultPart(
                    tool_call_id=handoff.id,
                    name=handoff.name,
                    content=f"Transferred to {agent.handoffs[handoff.name].name}.",
                )
            )
        run.handoff = None if handoff is None else agent.handoffs[handoff.name]
        return calls

    def _start(self, input: AgentInput, history: Sequence[Message]) -> list[Message]:
        messages: list[Message] = []
        if self._instructions and not _has_system(history):
            messages.append(Message.system(self._instructions))
        messages.extend(history)
        if isinstance(input, str):
            messages.append(Message.user(input))
        elif isinstance(input, Message):
            messages.append(input)
        else:
            messages.extend(input)
        return messages

    @classmethod
    def from_file(
        cls, path: str | Path, *, tools: Iterable[Tool] = (), model: Model | str | None = None
    ) -> Agent:
        """An agent declared in YAML or JSON (see `llmkit.agents.definition`).

        Tools are named in the file and looked up among the built-in tools and `tools`;
        `model` overrides the file's model.
        """
        from .definition import agent_from_file

        return agent_from_file(path, tools=tools, model=model)

    def as_tool(self, *, name: str | None = None, description: str | None = None) -> Tool:
        """This agent as a tool another agent can call with a question."""
        return AgentTool(self, name=name, description=description)

    def __repr__(self) -> str:
        return f"Agent(name={self.name!r}, tools={sorted(self.tools)})"


def as_response(value: Any, model: Model) -> ModelResponse:
    """A hook's stand-in reply (a response, a message or text) as a `ModelResponse`."""
    if isinstance(value, ModelResponse):
        return value
    message = value if isinstance(value, Message) else Message.assistant(str(value))
    return ModelResponse(
        message=message,
        finish_reason="tool_calls" if message.tool_calls else "stop",
        model_name=model.model_name,
        provider=model.provider_name,
    )


async def _streamed_request(
    agent: Agent, messages: list[Message], settings: ModelSettings | None, run_id: str, emit: Emit
) -> ModelResponse:
    async with agent.model.stream(messages, tools=agent._definitions, settings=settings) as events:
        async for event in events:
            streamed = from_model_event(event, run_id)
            if streamed is not None:
                await emit(streamed)
    return events.response


def _has_system(history: Sequence[Message]) -> bool:
    return bool(history) and history[0].role == "system"


def _as_tool(candidate: Tool | Callable[..., Any]) -> Tool:
    if isinstance(candidate, Tool):
        return candidate
    from ..tools.decorator import tool

    return tool(candidate)
