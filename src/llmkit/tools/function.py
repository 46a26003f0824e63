"""`FunctionTool`: a tool made from a plain Python function, sync or async."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Generic, ParamSpec, TypeVar, cast

from ..errors import ConfigError
from ..models.request import ToolDefinition
from ..threads import run_in_thread
from .base import RunContext, Tool, ToolError
from .checks import check_capabilities, check_tool_name
from .docstrings import parse_docstring
from .schema import ArgumentsSchema, build_arguments_schema

__all__ = ["FunctionTool"]

P = ParamSpec("P")
R = TypeVar("R")


class FunctionTool(Tool, Generic[P, R]):
    """A tool that calls `function` with the model's arguments, validated.

    The name defaults to the function's name, the description to the docstring's text
    before its first section, and each argument's description to its entry under `Args:`.
    The JSON schema comes from the signature (through pydantic) and is built once, here.

    A first parameter annotated `RunContext[...]` receives the run's context and is left
    out of the schema. Calling the tool object directly (`tool_obj(...)`) calls the
    function unchanged, so it can be unit-tested like the function it wraps.
    """

    def __init__(
        self,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        capabilities: Iterable[str] = (),
        requires_approval: bool = False,
        category: str | None = None,
        tags: Iterable[str] = (),
        max_retries: int = 1,
        strict: bool | None = None,
    ) -> None:
        self.function = function
        self.name = check_tool_name(name if name is not None else _function_name(function))
        doc = parse_docstring(inspect.getdoc(function))
        self.description = description if description is not None else doc.description
        if timeout is not None and timeout <= 0:
            raise ConfigError(f"tool {self.name!r}: timeout must be positive, got {timeout}")
        if max_retries < 0:
            raise ConfigError(f"tool {self.name!r}: max_retries must be >= 0, got {max_retries}")
        self.timeout = timeout
        self.capabilities = check_capabilities(self.name, capabilities)
        self.requires_approval = requires_approval
        self.category = category
        self.tags: frozenset[str] = frozenset(tags)
        self.max_retries = max_retries
        self.is_async = _is_async(function)
        self.arguments: ArgumentsSchema = build_arguments_schema(
            function, tool_name=self.name, descriptions=doc.arguments
        )
        self._definition = ToolDefinition(
            name=self.name,
            description=self.description,
            parameters=self.arguments.json_schema,
            strict=strict,
        )
        # Introspection (help(), inspect.unwrap) sees the wrapped function.
        self.__wrapped__ = function
        self.__doc__ = function.__doc__

    @property
    def definition(self) -> ToolDefinition:
        """The tool as the model sees it; the same object on every access."""
        return self._definition

    @property
    def takes_context(self) -> bool:
        """Whether the function receives the `RunContext`."""
        return self.arguments.context is not None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the function directly, as if it were not a tool."""
        return self.function(*args, **kwargs)

    async def call(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Any:
        """Validate `arguments`, run the function and return its result as-is.

        A sync function runs in a worker thread so it cannot block the event loop (if it
        returns an awaitable, that is awaited too). When `timeout` passes, the call raises
        `ToolError`; a sync function's thread cannot be stopped, so it keeps running in the
        background until the function returns.

        Raises:
            ModelRetry: The arguments are invalid (the message names each bad field), or
                the function raised it.
            ToolError: The call timed out, or the function raised it.
        """
        return await self._begin(ctx, arguments)

    def start(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Awaitable[Any]:
        """`call` without a coroutine of its own: the function's coroutine, or the future
        of its thread (see `Tool.start`)."""
        if type(self).call is not FunctionTool.call:  # a subclass changed what a call does
            return self.call(ctx, arguments)
        return self._begin(ctx, arguments)

    def _begin(self, ctx: RunContext[Any], arguments: Mapping[str, Any]) -> Awaitable[Any]:
        args, kwargs = self.arguments.bind(self.name, ctx, arguments)
        if self.timeout is None:
            return self._start(args, kwargs)
        return self._call_with_timeout(args, kwargs)

    def _start(self, args: list[Any], kwargs: dict[str, Any]) -> Awaitable[Any]:
        if self.is_async:
            return cast(Awaitable[Any], self.function(*args, **kwargs))
        return run_in_thread(self.function, *args, **kwargs)

    async def _call_with_timeout(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        try:
            async with asyncio.timeout(self.timeout) as scope:
                return await self._start(args, kwargs)
        except TimeoutError:
            # A TimeoutError the function raised itself is its own error, not ours.
            if not scope.expired():
                raise
            raise ToolError(f"tool {self.name!r} timed out after {self.timeout:g} s") from None

    def __repr__(self) -> str:
        return f"FunctionTool({self.name!r}, function={_function_name(self.function)})"


def _function_name(function: Callable[..., Any]) -> str:
    if isinstance(function, functools.partial):
        return _function_name(function.func)
    return str(getattr(function, "__name__", type(function).__name__))


def _is_async(function: Callable[..., Any]) -> bool:
    while isinstance(function, functools.partial):
        function = function.func
    if inspect.iscoroutinefunction(function):
        return True
    call = getattr(function, "__call__", None)  # noqa: B004  # async callable objects
    return call is not None and inspect.iscoroutinefunction(call)
