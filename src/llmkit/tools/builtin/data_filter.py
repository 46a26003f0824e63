"""Filter records by a condition: a small grammar parsed by hand, never evaluated.

Conditions: ``<path> <op> <value>`` with ``==`` (or ``=``), ``!=``, ``>``, ``>=``, ``<``,
``<=``, ``contains``, ``startswith``, ``endswith``, joined by ``and`` / ``or`` (``and``
binds tighter; no parentheses). Values: quoted strings, numbers, true, false, null, or a
bare word as text. Text that reads as a number compares as one (CSV values are text).
"""

from __future__ import annotations

import re
from typing import Any

from ..base import ModelRetry
from .data_ops import MISSING, Path, as_number, describe, parse_path, sort_text, unquote, walk

__all__ = ["compile_condition", "filter_rows"]

_MAX_CONDITION_CHARS = 1_000
_COND_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'[^']*')
      | (?P<op>==|!=|>=|<=|>|<|=)
      | (?P<word>[^\s"'=!<>]+))""",
    re.VERBOSE,
)
_WORD_OPS = frozenset({"contains", "startswith", "endswith"})


def compile_condition(condition: str) -> list[list[tuple[Path, str, Any]]]:
    """Parse `condition` into OR-groups of AND-ed ``(path, op, value)`` tests.

    Raises:
        ModelRetry: The condition is malformed (names the token and what was expected).
    """
    tokens = _condition_tokens(condition)
    groups: list[list[tuple[Path, str, Any]]] = [[]]
    index = 0
    while True:
        if index + 3 > len(tokens):
            got = " ".join(t for _, t in tokens[index:]) or "the end"
            raise ModelRetry(
                f"incomplete condition near {got!r}: use <field> <op> <value>, e.g. "
                'age > 30, name == "Ann" or tags contains "x" (join with and / or)'
            )
        (field_kind, field), (op_kind, op), (value_kind, raw) = tokens[index : index + 3]
        op = "==" if op == "=" else op.lower()
        if field_kind != "word" or not (op_kind == "op" or op in _WORD_OPS):
            raise ModelRetry(f"expected <field> <op> <value>, got {field!r} {op!r} {raw!r}")
        groups[-1].append((parse_path(field), op, _literal(value_kind, raw)))
        index += 3
        if index == len(tokens):
            return groups
        joiner = tokens[index][1].lower()
        if joiner == "or":
            groups.append([])
        elif joiner != "and":
            raise ModelRetry(f"expected 'and' or 'or' after {raw!r}, got {tokens[index][1]!r}")
        index += 1


def filter_rows(rows: Any, condition: str) -> list[Any]:
    """The items of `rows` for which `condition` holds.

    Raises:
        ModelRetry: `rows` is not a list, or the condition is malformed.
    """
    if not isinstance(rows, list):
        raise ModelRetry(
            f"filter needs a list of records, got {describe(rows)}; query a list first"
        )
    groups = compile_condition(condition)
    return [
        row
        for row in rows
        if any(all(_test(row, path, op, value) for path, op, value in group) for group in groups)
    ]


def _condition_tokens(condition: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    index = 0
    text = condition.strip()
    if len(text) > _MAX_CONDITION_CHARS:
        raise ModelRetry(
            f"condition too long ({len(text)} characters, limit {_MAX_CONDITION_CHARS})"
        )
    while index < len(text):
        match = _COND_TOKEN.match(text, index)
        if match is None or match.lastgroup is None:
            raise ModelRetry(f"cannot read the condition at position {index + 1}: {text[index:]!r}")
        tokens.append((match.lastgroup, match[match.lastgroup]))
        index = match.end()
    return tokens


def _literal(kind: str, raw: str) -> Any:
    if kind == "string":
        return unquote(raw)
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    number = as_number(raw)
    return number if number is not None else raw


def _test(row: Any, path: Path, op: str, expected: Any) -> bool:
    actual = walk(row, path, "", strict=False)
    if actual is MISSING:
        return False
    if op in _WORD_OPS:
        if op == "contains":
            if isinstance(actual, list):
                return expected in actual or str(expected) in map(str, actual)
            return str(expected) in str(actual)
        text = str(actual)
        return (
            text.startswith(str(expected)) if op == "startswith" else text.endswith(str(expected))
        )
    left, right = _comparable(actual, expected)
    try:
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op == ">":
            return bool(left > right)
        if op == ">=":
            return bool(left >= right)
        if op == "<":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False  # e.g. a number against a list: not a match, not an error


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any]:
    # CSV gives every value as text: "35" > 30 should compare numbers.
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        number = as_number(actual)
        if number is not None:
            return number, expected
    if isinstance(expected, bool) and isinstance(actual, str):
        return actual.lower(), str(expected).lower()
    if isinstance(expected, str) and not isinstance(actual, str) and actual is not None:
        return sort_text(actual), expected
    return actual, expected
