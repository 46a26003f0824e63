"""`Tool`: what an agent can call. `RunContext`: what a tool may know about the run."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ..errors import LLMKitError
from ..messages import Message, Usage
from ..models.request import ToolDefinition

if TYPE_CHECKING:
    from ..policy.policy import Policy

__all__ = [
    "Capability",
    "ModelRetry",
    "RunContext",
    "Tool",
    "ToolError",
]

Capability = Literal["fs.read", "fs.write", "net", "process"]
"""What a tool needs from the machine; a `Policy` grants or refuses each."""

DepsT = TypeVar("DepsT")


class ToolError(LLMKitError):
    """A tool failed in a way the model should hear about (sent back as an error result)."""


class ModelRetry(ToolError):
    """Raised by a tool (or output validator) to ask the model to try again with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True, kw_only=True)
class RunContext(Generic[DepsT]):
    """The run as a tool sees it: dependencies, usage so far, the messages, the run id,
    and the policy whose workspace, network and process rules the built-in tools obey."""

    deps: DepsT
    run_id: str
    usage: Usage = field(default_factory=Usage)
    messages: list[Message] = field(default_factory=list)
    tool_call_id: str | None = None
    retry: int = 0
    policy: Policy | None = None


class Tool(ABC):
    """Something a model can call by name with JSON arguments.

    The definition (name, description, JSON schema) is built once, when the tool is made.
    """

    name: str
    description: str
    capabilities: frozenset[str] = frozenset()
    timeout: float | None = None
    max_retries: int = 1
    requires_approval: bool = False
    category: str | None = None
    tags: frozenset[str] = frozenset()

    @property
    @abstractmethod
    def definition(self) -> ToolDefinition:
        """The tool as the model sees it."""

    @abstractmethod
    async def call(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Any:
        """Validate `arguments` against the schema and run the tool.

        Raises `ModelRetry` (or `ToolError`) for failures the model should see.
        """

    def start(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Awaitable[Any]:
        """Begin `call` and return what to await for its result.

        The dispatcher uses this. A tool that can begin without a coroutine of its own
        (a sync function handed to a thread) overrides it, so thousands of runs waiting on
        it hold one frame fewer each. Errors may raise here or when awaited.
        """
        return self.call(ctx, arguments)
