"""Turn every failure inside a public parser into `ParseError`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from .errors import ParseError

P = ParamSpec("P")
R = TypeVar("R")


def guarded(format: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a parser so only `ParseError` escapes it.

    Library errors, ``RecursionError``, ``MemoryError`` and ``UnicodeError`` all become
    `ParseError` naming ``format``: callers handle one exception type, whatever the input.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except ParseError:
                raise
            except RecursionError:
                raise ParseError(format, "input nests too deeply") from None
            except MemoryError:
                raise ParseError(format, "input needs too much memory") from None
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"[:300]
                raise ParseError(format, reason, _position(exc)) from exc

        return wrapper

    return decorate


def _position(exc: Exception) -> int | None:
    pos = getattr(exc, "pos", None)  # json.JSONDecodeError
    return pos if isinstance(pos, int) else None
