"""Subscription patterns over dotted event names.

``*`` matches exactly one segment and ``**`` any number of segments, zero included:
``agent.*`` matches ``agent.started`` but not ``agent.run.started``; ``tool.**.failed``
matches ``tool.failed`` and ``tool.call.failed``; ``**`` matches everything. A pattern
compiles once to a matcher; compiled matchers are cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from .errors import EventNameError

__all__ = ["Matcher", "compile_pattern", "is_exact", "matches"]

Matcher = Callable[[str], bool]
"""Tells whether an event name matches a compiled pattern."""

_SEGMENT = re.compile(r"[a-z0-9_]+")
_SEG = r"[a-z0-9_]+"


def is_exact(pattern: str) -> bool:
    """Whether a pattern has no wildcard (it matches one name only)."""
    return "*" not in pattern


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Matcher:
    """Compile a pattern to a matcher; raises `EventNameError` if it is malformed."""
    if not isinstance(pattern, str) or not pattern:
        raise EventNameError(f"a pattern must be a non-empty string, got {pattern!r}")
    tokens: list[str] = []
    for index, segment in enumerate(pattern.split(".")):
        if segment not in ("*", "**") and not _SEGMENT.fullmatch(segment):
            raise EventNameError(
                f"pattern {pattern!r}: segment {index + 1} ({segment!r}) must be *, ** "
                "or a-z, 0-9 and _"
            )
        if segment == "**" and tokens and tokens[-1] == "**":
            continue  # `**.**` means the same as `**`.
        tokens.append(segment)
    if "*" not in pattern:
        return lambda name: name == pattern
    if tokens == ["**"]:
        return lambda name: True
    regex = re.compile(_to_regex(tokens))
    return lambda name: regex.fullmatch(name) is not None


def _to_regex(tokens: list[str]) -> str:
    # Each token but the last carries the dot after it, so that `**` can absorb its
    # own dot and match zero segments without leaving `a..b` behind.
    parts: list[str] = []
    last = len(tokens) - 1
    for index, token in enumerate(tokens):
        if token == "**":
            if index == last:
                # A trailing `**` owns the dot before it: `a.**` matches `a` too.
                if parts:
                    parts[-1] = parts[-1].removesuffix(r"\.")
                parts.append(rf"(?:\.{_SEG})*" if parts else rf"{_SEG}(?:\.{_SEG})*")
            else:
                parts.append(rf"(?:{_SEG}\.)*")
            continue
        piece = _SEG if token == "*" else re.escape(token)
        parts.append(piece if index == last else piece + r"\.")
    return "".join(parts)


def matches(pattern: str, name: str) -> bool:
    """Whether `name` matches `pattern` (compiling and caching the pattern)."""
    return compile_pattern(pattern)(name)
