"""`@tool`: make a `FunctionTool` from a function, bare or with options."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar, overload

from .function import FunctionTool

__all__ = ["tool"]

P = ParamSpec("P")
R = TypeVar("R")


@overload
def tool(function: Callable[P, R], /) -> FunctionTool[P, R]: ...


@overload
def tool(
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
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None,
    /,
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
) -> FunctionTool[P, R] | Callable[[Callable[P, R]], FunctionTool[P, R]]:
    """Make `function` a tool; use as ``@tool`` or ``@tool(name=..., timeout=...)``.

    The result is a `FunctionTool` that is still callable like the original function.
    The options are those of `FunctionTool`.

    Example:
        >>> @tool(timeout=5)
        ... def add(a: int, b: int) -> int:
        ...     '''Add two numbers.'''
        ...     return a + b
        >>> add(2, 3), add.definition.name
        (5, 'add')
    """

    def make(func: Callable[P, R]) -> FunctionTool[P, R]:
        return FunctionTool(
            func,
            name=name,
            description=description,
            timeout=timeout,
            capabilities=capabilities,
            requires_approval=requires_approval,
            category=category,
            tags=tags,
            max_retries=max_retries,
            strict=strict,
        )

    if function is not None:
        return make(function)
    return make
