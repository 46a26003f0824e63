"""Truncated and streamed JSON: the value that is complete so far."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

from ._guard import guarded
from .errors import ParseError
from .limits import DEFAULT_LIMITS, ParseLimits, check_json_depth, check_size

__all__ = ["PartialJSONParser", "parse_partial_json"]

# A bare word at the start is JSON only while it can still become a literal.
_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")
_OPENING_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n", re.M)
_NUMBER_START = re.compile(r"-?(?:\d|\Z)")
_NUMBER_OR_WORD = re.compile(r"-?[A-Za-z0-9.+-]*")


def _ensure_json(text: str) -> str:
    # partial_json_parser ships no type hints: keep its untyped surface inside this function.
    partial_json_parser: Any = importlib.import_module("partial_json_parser")
    # Numbers are left out of the partial forms: "12" may be the start of "123", so an
    # unfinished number is dropped rather than reported with a value it will not have.
    allow = partial_json_parser.Allow.ALL & ~partial_json_parser.Allow.NUM
    completed: str = partial_json_parser.ensure_json(text, allow)
    return completed


def _locate(text: str) -> str | None:
    """The part of a (possibly unfinished) reply where its JSON starts, or None if not yet."""
    fence = _OPENING_FENCE.search(text)
    if fence:
        body = text[fence.end() :]
        closing = re.search(rf"^[ \t]*{re.escape(fence.group(1))}", body, re.M)
        return body[: closing.start()] if closing else body
    stripped = text.lstrip()
    if not stripped or stripped.startswith(("`", "~")):
        return None  # nothing yet, or a fence whose first line has not finished
    if stripped[:1] in '{["' or _NUMBER_START.match(stripped):
        return stripped
    word = _NUMBER_OR_WORD.match(stripped)
    if word and any(lit.startswith(word.group()) for lit in _LITERALS) and word.group():
        return stripped
    starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
    return stripped[min(starts) :] if starts else None


@guarded("json")
def parse_partial_json(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """The value complete so far in truncated JSON, or None when nothing has started yet.

    Leading prose and an opening ```json fence are skipped. Unfinished strings are cut where
    they stop, unfinished keys and numbers are left out, open containers are closed; whatever
    follows the first complete value is ignored.

    Raises:
        ParseError: The text is not the beginning of a JSON value, or a limit was broken.
    """
    check_size(text, limits.max_chars, "json")
    candidate = _locate(text)
    if candidate is None or not candidate.strip():
        return None
    check_json_depth(candidate, limits.max_depth)
    deadline = limits.deadline("json")
    try:
        return json.loads(candidate)  # already complete: no guessing needed
    except ValueError:
        pass
    if len(candidate) > limits.max_repair_chars:
        raise ParseError("json", f"partial JSON longer than {limits.max_repair_chars} characters")
    deadline.check()
    try:
        completed = _ensure_json(candidate)
    except Exception as exc:
        if type(exc).__name__ == "PartialJSON":
            return None  # e.g. a lone "-": a value has begun but nothing is complete
        raise ParseError("json", f"not the start of a JSON value ({exc})") from exc
    deadline.check()
    value, _end = json.JSONDecoder().raw_decode(completed.strip())
    return value


class PartialJSONParser:
    """Feed a streamed reply chunk by chunk; each `feed` returns the latest complete value.

    Each feed re-reads the whole buffer, so a stream costs O(n²) in its length; chunks that
    are only whitespace are skipped. The buffer is bounded by ``limits.max_chars``.
    """

    def __init__(self, *, limits: ParseLimits = DEFAULT_LIMITS) -> None:
        self._limits = limits
        self._chunks: list[str] = []
        self._size = 0
        self._value: Any = None

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return "".join(self._chunks)

    @property
    def value(self) -> Any:
        """The latest value (None before any is complete)."""
        return self._value

    def feed(self, chunk: str) -> Any | None:
        """Add ``chunk``; return the value complete so far (None while nothing is).

        Raises:
            ParseError: The buffer is not JSON or broke a limit.
        """
        check_size(chunk, self._limits.max_chars, "json")
        if self._size + len(chunk) > self._limits.max_chars:
            raise ParseError("json", f"stream exceeds the limit of {self._limits.max_chars}")
        self._chunks.append(chunk)
        self._size += len(chunk)
        if chunk.strip():
            value = parse_partial_json(self.text, limits=self._limits)
            if value is not None:
                self._value = value
        return self._value

    def close(self) -> Any:
        """The final value of the finished stream, repaired if needed (see `parse_json`)."""
        from .json_parse import parse_json

        self._value = parse_json(self.text, limits=self._limits)
        return self._value
