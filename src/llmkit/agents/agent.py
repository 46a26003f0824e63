"""`Agent`: a model, instructions and tools, run in a loop until the model answers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..messages import Message, ToolCallPart, ToolResultPart, Usage
from ..models.base import Model
from ..models.request import ModelResponse, ModelSettings
from ..policy.policy import Policy
from ..sync import run_sync
from ..tools.base import RunContext, Tool
from .approval import Decision, EditArguments, PausedRun, Reject, ResumeError
from .delegation import AgentTool, handoff_definition, handoff_tool_name
from .dispatch import RetriesExhausted, ToolDispatcher, tools_by_name
from .limits import LimitExceeded, UsageLimits
from .output import OUTPUT_TOOL, OutputInvalid, OutputSpec, OutputStrategy
from .result import AgentEvent, RunFinished, RunResult, ToolResultEvent

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
        limits: Budgets for steps, tool calls, tokens and wall time; they span hand-offs.
        settings: Model settings sent with every request.
        name: A name for logs, delegation and events.
        description: What the agent does, shown to models that delegate to it.
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
        limits: UsageLimits | None = None,
        settings: ModelSettings | None = None,
        name: str = "agent",
        description: str = "",
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
        self.handoffs = {handoff_tool_name(a): a for a in handoffs}
        self.policy = policy or Policy()
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
        if conversation is not None:
            history = [*await conversation.history(), *history]
        result: RunResult[Any] | None = None
        async for event in self._iterate(input, history, deps, stream=False):
            if isinstance(event, RunFinished):
                result = event.result
        assert result is not None  # _iterate always ends with RunFinished or raises
        if conversation is not None and result.paused is None:
            await conversation.add(*result.new_messages())
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
        self, input: AgentInput, *, history: Sequence[Message] = (), deps: Any = None
    ) -> AsyncIterator[AgentEvent]:
        """Run while yielding the model's stream events, tool results and `RunFinished`."""
        return self._iterate(input, history, deps, stream=True)

    async def resume(
        self, paused: PausedRun, decisions: Mapping[str, Decision], *, deps: Any = None
    ) -> RunResult[Any]:
        """Continue a paused run with a decision for each pending call (keyed by call id)."""
        agent = self._find(paused.agent)
        run = _Run.resumed(agent, paused, decisions, deps)
        result: RunResult[Any] | None = None
        async for event in self._iterate("", (), deps, stream=False, resume=run):
            if isinstance(event, RunFinished):
                result = event.result
        assert result is not None
        return result

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

    async def _iterate(
        self,
        input: AgentInput,
        history: Sequence[Message],
        deps: Any,
        *,
        stream: bool,
        resume: _Run | None = None,
    ) -> AsyncIterator[AgentEvent]:
        if resume is None:
            run = _Run(self, self._start(input, history), deps)
            run.start_index = len(history) + (
                1 if self._instructions and not _has_system(history) else 0
            )
            replay: Message | None = None
        else:
            run, replay = resume, resume.messages[-1]
        limits = self.limits
        while True:
            agent = run.agent  # changes when the conversation is handed off
            if replay is not None:  # resuming: decide on the reply the run paused at
                message, replay = replay, None
                async for event in self._act(run, agent, message):
                    yield event
                if run.finished:
                    return
                continue
            model = agent.model
            if limits.max_steps is not None and run.steps >= limits.max_steps:
                raise run.stop("max_steps", f"the run made {run.steps} model requests (max_steps)")
            run.steps += 1
            try:
                async with _deadline(run.deadline):
                    if stream:
                        async with model.stream(
                            run.messages, tools=agent._definitions, settings=agent._settings
                        ) as events:
                            async for event in events:
                                yield event
                        response: ModelResponse = events.response
                    else:
                        response = await model.request(
                            run.messages, tools=agent._definitions, settings=agent._settings
                        )
            except TimeoutError:
                raise run.stop("max_seconds", f"the run took over {limits.max_seconds} s") from None
            run.record(response)
            async for event in self._act(run, agent, response.message):
                yield event
            if run.finished:
                return

    async def _act(self, run: _Run, agent: Agent, message: Message) -> AsyncIterator[AgentEvent]:
        """Do what a reply asks: finish, retry the output, hand off, pause, or run tools."""
        calls = message.tool_calls
        output = agent._output
        if output is not None and output.strategy == "tool":
            final = next((c for c in calls if c.name == OUTPUT_TOOL), None)
            if final is not None:
                outcome = run.try_output(_final_output, output, final)
                if outcome is not _INVALID:
                    run.close_calls(calls, final)
                    yield run.finish(outcome)
                    return
                calls = [c for c in calls if c is not final]
                run.pending_results.append(run.invalid_output_result(final))
            elif not calls:
                run.retry_output(f"Give your answer by calling the {OUTPUT_TOOL} tool.", count=True)
                return
        elif not calls:
            if output is None:
                yield run.finish(message.text)
                return
            outcome = run.try_output(output.from_text, message.text)
            if outcome is not _INVALID:
                yield run.finish(outcome)
                return
            run.retry_output(
                f"Your answer is not valid:\n{run.last_output_error}\nAnswer again with JSON "
                "that matches the schema.",
                count=False,  # try_output counted it
            )
            return
        pending = [
            c for c in calls if c.name in agent._approval_needed and c.id not in run.decisions
        ]
        if pending:
            run.pending_results = []  # recomputed from the same reply on resume
            yield run.pause(pending)
            return
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
        async for tool_event in run.dispatch(calls):
            yield tool_event
        if handoff is not None:
            run.hand_off(agent.handoffs[handoff.name])

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


_INVALID = object()  # try_output's marker for "did not validate"


def _final_output(output: OutputSpec, call: ToolCallPart) -> Any:
    if call.arguments is None:
        raise OutputInvalid(f"invalid arguments: {call.invalid_reason}")
    return output.from_tool_arguments(call.arguments)


class _Run:
    """One run's state: messages, usage, budgets spent, and what the loop does with them."""

    # Thousands of runs may be in flight at once: keep each one's state small.
    __slots__ = (
        "agent",
        "ctx",
        "deadline",
        "decisions",
        "dispatcher",
        "finished",
        "last_output_error",
        "messages",
        "output_failures",
        "pending_results",
        "run_id",
        "start_index",
        "steps",
        "usage",
    )

    def __init__(self, agent: Agent, messages: list[Message], deps: Any) -> None:
        limits = agent.limits
        self.agent = agent
        self.messages = messages
        self.run_id = uuid.uuid4().hex
        self.usage = Usage()
        self.steps = 0
        self.start_index = 0
        self.output_failures = 0
        self.last_output_error = ""
        self.pending_results: list[ToolResultPart] = []
        self.decisions: dict[str, Decision] = {}
        self.finished = False
        self.deadline = (
            None if limits.max_seconds is None else time.monotonic() + limits.max_seconds
        )
        self.dispatcher = ToolDispatcher(
            agent.tools, max_tool_calls=limits.max_tool_calls, policy=agent.policy
        )
        self.ctx: RunContext[Any] = RunContext(
            deps=deps, run_id=self.run_id, usage=self.usage, messages=messages
        )

    def hand_off(self, target: Agent) -> None:
        """Continue the same conversation with `target`'s model, instructions and tools."""
        self.agent = target
        self.dispatcher.tools = target.tools
        if self.messages and self.messages[0].role == "system":
            self.messages.pop(0)
            self.start_index = max(0, self.start_index - 1)
        if target._instructions:
            self.messages.insert(0, Message.system(target._instructions))
            self.start_index += 1

    def stop(self, limit: str, message: str) -> LimitExceeded:
        return LimitExceeded(
            message, limit=limit, messages=self.messages, usage=self.usage, run_id=self.run_id
        )

    def record(self, response: ModelResponse) -> None:
        """Add a reply to the conversation and check the token budgets."""
        _add_usage(self.usage, response.usage)
        self.messages.append(response.message)
        limits, usage = self.agent.limits, self.usage
        if limits.max_input_tokens is not None and usage.input_tokens > limits.max_input_tokens:
            raise self.stop("max_input_tokens", f"{usage.input_tokens} input tokens used")
        if limits.max_output_tokens is not None and usage.output_tokens > limits.max_output_tokens:
            raise self.stop("max_output_tokens", f"{usage.output_tokens} output tokens used")

    def result(self, output: Any) -> RunResult[Any]:
        return RunResult(
            output=output,
            messages=self.messages,
            usage=self.usage,
            run_id=self.run_id,
            new_message_index=self.start_index,
        )

    def finish(self, output: Any) -> RunFinished:
        self.finished = True
        return RunFinished(result=self.result(output))

    def pause(self, pending: list[ToolCallPart]) -> RunFinished:
        """End this leg of the run waiting for decisions on `pending`."""
        self.finished = True
        result = self.result(None)
        result.paused = PausedRun(
            run_id=self.run_id,
            agent=self.agent.name,
            messages=self.messages,
            usage=self.usage,
            pending=pending,
            steps=self.steps,
            tool_calls_made=self.dispatcher.calls_made,
            start_index=self.start_index,
        )
        return RunFinished(result=result)

    @classmethod
    def resumed(
        cls, agent: Agent, paused: PausedRun, decisions: Mapping[str, Decision], deps: Any
    ) -> _Run:
        """The state of a paused run, with the decisions on its pending calls."""
        pending = {c.id for c in paused.pending}
        missing = pending - set(decisions)
        unknown = set(decisions) - pending
        if missing or unknown:
            raise ResumeError(
                f"decisions must cover exactly the pending calls {sorted(pending)}; "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        run = cls(agent, paused.messages, deps)
        run.run_id = paused.run_id
        run.ctx.run_id = paused.run_id
        run.usage = run.ctx.usage = paused.usage
        run.steps = paused.steps
        run.start_index = paused.start_index
        run.dispatcher.calls_made = paused.tool_calls_made
        run.decisions = dict(decisions)
        return run

    def try_output(self, validate: Callable[..., Any], *args: Any) -> Any:
        """The validated output, or `_INVALID` after counting the failure against the budget."""
        try:
            return validate(*args)
        except OutputInvalid as exc:
            self.last_output_error = str(exc)
            self.output_failures += 1
            if self.output_failures > self.agent.output_retries:
                raise self.stop("output_retries", f"the output failed validation: {exc}") from None
            return _INVALID

    def retry_output(self, prompt: str, *, count: bool) -> None:
        """Ask again: the reply was text where the output tool was required, or invalid."""
        if count:
            self.output_failures += 1
            if self.output_failures > self.agent.output_retries:
                raise self.stop("output_retries", "the model did not give the required output")
        self.messages.append(Message.user(prompt))

    def invalid_output_result(self, call: ToolCallPart) -> ToolResultPart:
        return ToolResultPart(
            tool_call_id=call.id,
            name=call.name,
            content=f"The answer is not valid:\n{self.last_output_error}\nCall it again, fixed.",
            is_error=True,
        )

    def close_calls(self, calls: Sequence[ToolCallPart], final: ToolCallPart) -> None:
        """Answer every call of the final reply, so the history stays valid for providers."""
        self.messages.append(
            Message.tool_results(
                ToolResultPart(
                    tool_call_id=c.id,
                    name=c.name,
                    content="Final result received." if c is final else "Not run: the run ended.",
                )
                for c in calls
            )
        )

    def _apply_decisions(
        self, calls: Sequence[ToolCallPart]
    ) -> tuple[list[ToolCallPart], list[ToolResultPart]]:
        """Calls to run (edited ones with their new arguments) and results of rejected ones."""
        to_run: list[ToolCallPart] = []
        refused: list[ToolResultPart] = []
        for call in calls:
            decision = self.decisions.pop(call.id, None)
            if isinstance(decision, Reject):
                refused.append(
                    ToolResultPart(
                        tool_call_id=call.id,
                        name=call.name,
                        content=f"Not run: {decision.reason}",
                        is_error=True,
                    )
                )
            elif isinstance(decision, EditArguments):
                # The history shows what actually ran, so the model is not misled.
                call.arguments, call.raw_arguments, call.invalid_reason = (
                    dict(decision.arguments),
                    None,
                    None,
                )
                to_run.append(call)
            else:
                to_run.append(call)
        return to_run, refused

    async def dispatch(self, calls: Sequence[ToolCallPart]) -> AsyncIterator[AgentEvent]:
        """Run the calls within the budgets; append and yield their results."""
        limits, dispatcher = self.agent.limits, self.dispatcher
        results = self.pending_results
        self.pending_results = []
        if self.decisions:
            calls, refused = self._apply_decisions(calls)
            results = [*results, *refused]
        if calls:
            if dispatcher.would_exceed(len(calls)):
                raise self.stop(
                    "max_tool_calls",
                    f"the model asked for tool call {dispatcher.calls_made + len(calls)}, "
                    f"over max_tool_calls={limits.max_tool_calls}",
                )
            try:
                async with _deadline(self.deadline):
                    results = [*await dispatcher.run(self.ctx, calls), *results]
            except TimeoutError:
                raise self.stop(
                    "max_seconds", f"the run took over {limits.max_seconds} s"
                ) from None
            except RetriesExhausted as exc:
                raise self.stop(f"tool_retries:{exc.name}", str(exc)) from None
        self.messages.append(Message.tool_results(results))
        by_id = {c.id: c for c in calls}
        for part in results:
            call = by_id.get(part.tool_call_id)
            if call is not None:
                yield ToolResultEvent(call=call, result=part)


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
