"""JSON in model replies: found in prose or code fences, repaired when broken."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ._guard import guarded
from .errors import ParseError
from .limits import DEFAULT_LIMITS, Deadline, ParseLimits, check_json_depth, check_size
from .markdown import code_blocks

__all__ = ["extract_json", "parse_json", "repair_json"]

_JSON_FENCES = {"", "json", "json5", "jsonc", "javascript", "js"}
# Top-level words json_repair turns into JSON literals (Python's and JSON's spellings).
_LITERAL = re.compile(r"(?:true|false|null|True|False|None)\s*\Z")
_MISSING = object()


def _raw_repair(text: str) -> str:
    from json_repair import repair_json as library_repair

    return library_repair(text, ensure_ascii=False)


def _fenced(text: str, limits: ParseLimits) -> list[str]:
    if "```" not in text and "~~~" not in text:
        return []
    blocks = code_blocks(text, limits=limits)
    return [b.code.strip() for b in blocks if b.language in _JSON_FENCES and b.code.strip()]


def _balanced_end(text: str, start: int, deadline: Deadline) -> int:
    # Where the value opened at `start` closes (brackets outside strings), or len(text).
    depth = 0
    for count, match in enumerate(_BRACKETS.finditer(text, start)):
        if count % 65536 == 0:
            deadline.check()
        char = match.group()
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return match.end()
    return len(text)


# An unterminated string runs to the end, so the scan stays linear whatever the quoting.
_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')


def _candidates(text: str, limits: ParseLimits, deadline: Deadline) -> Iterator[str]:
    """Where the JSON may be, most likely first: whole text, fenced blocks, first bracket."""
    stripped = text.strip()
    if stripped:
        yield stripped
    yield from _fenced(text, limits)
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if starts:
        start = min(starts)
        span = text[start : _balanced_end(text, start, deadline)].strip()
        if span != stripped:
            yield span
        rest = text[start:].strip()
        if rest not in (span, stripped):
            yield rest  # truncated or followed by prose the span scan misread


def _strict(candidate: str, limits: ParseLimits) -> Any:
    check_json_depth(candidate, limits.max_depth)
    try:
        return json.loads(candidate)
    except ValueError:
        return _MISSING


def _repairable(candidate: str) -> bool:
    return candidate[:1] in "{[\"'" or bool(_LITERAL.match(candidate))


def _repair(candidate: str, limits: ParseLimits, deadline: Deadline) -> str:
    if len(candidate) > limits.max_repair_chars:
        raise ParseError(
            "json",
            f"{len(candidate)} characters is more than the repair limit of "
            f"{limits.max_repair_chars}",
        )
    check_json_depth(candidate, limits.max_depth)
    deadline.check()
    repaired = _raw_repair(candidate)
    deadline.check()
    return repaired


@guarded("json")
def parse_json(text: str, *, repair: bool = True, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """The JSON value in ``text``: the whole text, a ```json block, or the first bracket in prose.

    Valid JSON is decoded as is. With ``repair``, broken JSON (trailing commas, single quotes,
    unquoted keys, comments, Python literals, missing closers) is fixed with ``json_repair``.

    Raises:
        ParseError: No JSON value was found, or a `ParseLimits` bound was broken.
    """
    check_size(text, limits.max_chars, "json")
    deadline = limits.deadline("json")
    candidates = list(_candidates(text, limits, deadline))
    for candidate in candidates:
        deadline.check()
        value = _strict(candidate, limits)
        if value is not _MISSING:
            return value
    if repair:
        for candidate in candidates:
            if not _repairable(candidate):
                continue
            repaired = _repair(candidate, limits, deadline)
            if repaired:
                return json.loads(repaired)
    if not text.strip():
        raise ParseError("json", "the text is empty")
    raise ParseError("json", "no JSON value found")


@guarded("json")
def repair_json(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> str:
    """``text`` as valid JSON: the first value found, repaired, in canonical ``json.dumps`` form.

    Idempotent: repairing the result again returns it unchanged.

    Raises:
        ParseError: Nothing in ``text`` can be read as JSON, or a limit was broken.
    """
    check_size(text, limits.max_chars, "json")
    deadline = limits.deadline("json")
    fenced = _fenced(text, limits)
    candidate = fenced[0] if fenced else text
    repaired = _repair(candidate, limits, deadline)
    if not repaired:
        raise ParseError("json", "no JSON value found")
    return repaired


def extract_json(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """The first JSON value in a reply, repaired if needed (`parse_json` with repair on).

    Drop-in for ``llmkit.agents.output.extract_json``, raising `ParseError` instead.
    """
    return parse_json(text, repair=True, limits=limits)
