"""One agent run's state, and the steps of the loop that change it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from ..hooks.registry import HookContext, make_context
from ..messages import Message, ToolCallPart, ToolResultPart, Usage
from ..models.request import ModelResponse
from ..tools.base import RunContext
from .approval import Decision, EditArguments, PausedRun, Reject, ResumeError
from .dispatch import RetriesExhausted, ToolDispatcher
from .events import ToolResultEvent
from .limits import LimitExceeded
from .output import OutputInvalid, OutputSpec
from .result import RunResult

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["INVALID", "Run", "add_usage", "deadline_scope", "final_output"]

INVALID = object()  # try_output's marker for "did not validate"


def final_output(output: OutputSpec, call: ToolCallPart) -> Any:
    if call.arguments is None:
        raise OutputInvalid(f"invalid arguments: {call.invalid_reason}")
    return output.from_tool_arguments(call.arguments)


class Run:
    """One run's state: messages, usage, budgets spent, and what the loop does with them."""

    # Thousands of runs may be in flight at once: keep each one's state small.
    __slots__ = (
        "agent",
        "ctx",
        "deadline",
        "decisions",
        "dispatcher",
        "handoff",
        "last_output_error",
        "messages",
        "output_failures",
        "pending_results",
        "run_id",
        "start_index",
        "steps",
        "tool_rounds",
        "usage",
    )

    def __init__(self, agent: Agent, messages: list[Message], deps: Any) -> None:
        limits = agent.limits
        self.agent = agent
        self.messages = messages
        self.run_id = uuid.uuid4().hex
        self.usage = Usage()
        self.steps = 0
        self.tool_rounds = 0  # replies whose tool calls were run
        self.start_index = 0
        self.output_failures = 0
        self.last_output_error = ""
        self.pending_results: list[ToolResultPart] = []
        self.handoff: Agent | None = None  # set by a reply that hands the run off
        self.decisions: dict[str, Decision] = {}
        self.deadline = (
            None if limits.max_seconds is None else time.monotonic() + limits.max_seconds
        )
        self.dispatcher = ToolDispatcher(
            agent.tools,
            max_tool_calls=limits.max_tool_calls,
            policy=agent.policy,
            hooks=agent.hooks,
            agent_name=agent.name,
        )
        self.ctx: RunContext[Any] = RunContext(
            deps=deps, run_id=self.run_id, usage=self.usage, messages=messages
        )

    def hand_off(self, target: Agent) -> None:
        """Continue the same conversation with `target`'s model, instructions and tools."""
        self.agent = target
        self.handoff = None
        self.dispatcher.tools = target.tools
        self.dispatcher.hooks = target.hooks
        self.dispatcher.agent_name = target.name
        if self.messages and self.messages[0].role == "system":
            self.messages.pop(0)
            self.start_index = max(0, self.start_index - 1)
        if target._instructions:
            self.messages.insert(0, Message.system(target._instructions))
            self.start_index += 1

    def hook_context(self, point: str, value: Any, model: str | None = None) -> HookContext:
        """The context hooks at `point` see for this run."""
        return make_context(point, value, self.agent.name, self.run_id, None, model, {})

    def stop(self, limit: str, message: str) -> LimitExceeded:
        return LimitExceeded(
            message, limit=limit, messages=self.messages, usage=self.usage, run_id=self.run_id
        )

    def record(self, response: ModelResponse) -> None:
        """Add a reply to the conversation and check the token budgets."""
        add_usage(self.usage, response.usage)
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

    def pause(self, pending: list[ToolCallPart]) -> RunResult[Any]:
        """End this leg of the run waiting for decisions on `pending`."""
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
        return result

    @classmethod
    def resumed(
        cls, agent: Agent, paused: PausedRun, decisions: Mapping[str, Decision], deps: Any
    ) -> Run:
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
        run.tool_rounds = sum(1 for m in paused.messages if m.role == "tool")
        run.start_index = paused.start_index
        run.dispatcher.calls_made = paused.tool_calls_made
        run.decisions = dict(decisions)
        return run

    def try_output(self, validate: Callable[..., Any], *args: Any) -> Any:
        """The validated output, or `INVALID` after counting the failure against the budget."""
        try:
            return validate(*args)
        except OutputInvalid as exc:
            self.last_output_error = str(exc)
            self.output_failures += 1
            if self.output_failures > self.agent.output_retries:
                raise self.stop("output_retries", f"the output failed validation: {exc}") from None
            return INVALID

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

    def calls_to_run(self, calls: Sequence[ToolCallPart]) -> Sequence[ToolCallPart]:
        """The calls to run now, after the decisions of a resumed run; raises
        `LimitExceeded` if they would break the tool-call budget."""
        if self.decisions:
            calls, refused = self._apply_decisions(calls)
            self.pending_results.extend(refused)
        dispatcher = self.dispatcher
        if calls and dispatcher.would_exceed(len(calls)):
            raise self.stop(
                "max_tool_calls",
                f"the model asked for tool call {dispatcher.calls_made + len(calls)}, "
                f"over max_tool_calls={self.agent.limits.max_tool_calls}",
            )
        return calls

    def add_tool_results(self, ran: ToolResultPart | list[ToolResultPart]) -> list[ToolResultPart]:
        """Append the results of the calls that ran (and of those that did not) as one
        message; returns them."""
        results = [ran] if isinstance(ran, ToolResultPart) else ran
        if self.pending_results:
            results = [*results, *self.pending_results]
            self.pending_results = []
        self.messages.append(Message.tool_results(results))
        return results

    def result_events(
        self, calls: Sequence[ToolCallPart], results: Sequence[ToolResultPart]
    ) -> list[ToolResultEvent]:
        """A `ToolResultEvent` per call that ran."""
        by_id = {c.id: c for c in calls}
        return [
            ToolResultEvent(call=by_id[part.tool_call_id], result=part, run_id=self.run_id)
            for part in results
            if part.tool_call_id in by_id
        ]

    def limit_error(self, exc: Exception, deadline: AbstractAsyncContextManager[Any]) -> Exception:
        """What the run raises for `exc`: the run's deadline passing and a tool's retries
        running out are `LimitExceeded` (carrying the run so far); anything else is itself."""
        expired = isinstance(deadline, asyncio.Timeout) and deadline.expired()
        if isinstance(exc, TimeoutError) and expired:
            return self.stop("max_seconds", f"the run took over {self.agent.limits.max_seconds} s")
        if isinstance(exc, RetriesExhausted):
            return self.stop(f"tool_retries:{exc.name}", str(exc))
        return exc


def add_usage(total: Usage, more: Usage) -> None:
    # In place: the RunContext handed to tools shares this object and sees usage so far.
    total.input_tokens += more.input_tokens
    total.output_tokens += more.output_tokens
    total.cache_read_tokens += more.cache_read_tokens
    total.requests += more.requests or 1


_NO_DEADLINE = nullcontext()  # stateless, so one serves every run


def deadline_scope(deadline: float | None) -> AbstractAsyncContextManager[Any]:
    if deadline is None:
        return _NO_DEADLINE
    return asyncio.timeout_at(asyncio.get_running_loop().time() + deadline - time.monotonic())
