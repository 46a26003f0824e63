"""`Param`: one parameter of a bridge method, checked cheaply on every script call.

The checks are plain ``isinstance`` tests picked once per parameter, not a validation
library per call: a bridge call must stay within a few microseconds.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import BridgeArgumentError

__all__ = ["REQUIRED", "Param", "params_of", "type_name"]

REQUIRED: Any = inspect.Parameter.empty

# Python annotation -> (name in docs, accepted types).
_SIMPLE: dict[Any, tuple[str, tuple[type, ...]]] = {
    str: ("string", (str,)),
    int: ("integer", (int,)),
    float: ("number", (int, float)),
    bool: ("boolean", (bool,)),
    dict: ("table", (dict,)),
    list: ("array", (list,)),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """A bridge method parameter: its name, its type as docs show it, its default."""

    name: str
    type_name: str
    accepts: tuple[type, ...] | None  # None: any value
    optional: bool
    default: Any = REQUIRED
    exact: frozenset[type] = frozenset()  # types accepted as they are: the fast path

    def check(self, method: str, value: Any) -> Any:
        """`value` when it fits (an integral float counts as an integer), else raise.

        Raises:
            BridgeArgumentError: Naming the method, the parameter and what was expected.
        """
        if type(value) in self.exact:
            return value
        if value is None:
            if self.optional or self.default is not REQUIRED:
                return self.default if self.default is not REQUIRED else None
            raise BridgeArgumentError(f"{method}: argument {self.name!r} is required")
        accepts = self.accepts
        if accepts is None or (isinstance(value, accepts) and not _bool_as_number(accepts, value)):
            return value
        if accepts == (int,) and isinstance(value, float) and value.is_integer():
            return int(value)
        raise BridgeArgumentError(
            f"{method}: argument {self.name!r} must be {self.type_name}, got {type_name(value)}"
        )


def _bool_as_number(accepts: tuple[type, ...], value: Any) -> bool:
    return isinstance(value, bool) and bool not in accepts


def type_name(value: Any) -> str:
    """A value's type as a script author would call it."""
    from .callbacks import ScriptFunction

    if value is None:
        return "nil"
    if isinstance(value, ScriptFunction):
        return "function"
    for name, accepts in _SIMPLE.values():
        if type(value) in accepts and not (isinstance(value, bool) and bool not in accepts):
            return name
    return type(value).__name__


def params_of(function: Callable[..., Any]) -> tuple[Param, ...]:
    """The parameters of a bridge method (its signature after ``self``)."""
    hints = typing.get_type_hints(function)
    params = []
    for parameter in list(inspect.signature(function).parameters.values())[1:]:
        name, accepts, optional = _annotation(hints.get(parameter.name, Any))
        params.append(
            Param(
                name=parameter.name,
                type_name=name,
                accepts=accepts,
                optional=optional,
                default=parameter.default,
                exact=frozenset(accepts) if accepts is not None else frozenset(),
            )
        )
    return tuple(params)


def _annotation(annotation: Any) -> tuple[str, tuple[type, ...] | None, bool]:
    from .callbacks import ScriptFunction

    optional = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            names = [_annotation(m) for m in members]
            accepts = tuple(t for _, ts, _ in names for t in ts or ())
            joined = " or ".join(n for n, _, _ in names)
            return joined, (accepts or None), optional
        annotation = members[0]
    if annotation is ScriptFunction:
        return "function", (ScriptFunction,), optional
    origin = typing.get_origin(annotation) or annotation
    if origin in _SIMPLE:
        name, accepts = _SIMPLE[origin]
        return name, accepts, optional
    return "any", None, optional
