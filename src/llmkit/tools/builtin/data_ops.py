"""Query, sort and merge plain data; paths are a small grammar parsed by hand.

Paths: ``items[0].name``, ``items[*].name`` (``[*]`` maps the rest of the path over a
list), ``["odd key"]``, ``items[-1]``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..base import ModelRetry

__all__ = [
    "MISSING",
    "as_number",
    "describe",
    "merge",
    "parse_path",
    "query",
    "sort_rows",
    "sort_text",
    "unquote",
    "walk",
]

_MAX_PATH_CHARS = 1_000

_PATH_TOKEN = re.compile(
    r"""\.?(?P<key>[A-Za-z_$@][\w$@-]*)
      | \[\s*(?P<index>-?\d+|\*)\s*\]
      | \[\s*(?P<quoted>"(?:[^"\\]|\\.)*"|'[^']*')\s*\]""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")
_WILDCARD = object()
MISSING = object()

Path = list[object]  # keys (str), indexes (int) and the wildcard marker


def parse_path(path: str) -> Path:
    """Split a path like ``items[*].name`` into keys, indexes and wildcards.

    Raises:
        ModelRetry: The path is malformed (names the position).
    """
    path = path.strip()
    if len(path) > _MAX_PATH_CHARS:
        raise ModelRetry(f"path too long ({len(path)} characters, limit {_MAX_PATH_CHARS})")
    if path in ("", ".", "@", "$"):
        return []
    parts: Path = []
    index = 1 if path[0] in "$@" and path[1:2] in (".", "[") else 0
    while index < len(path):
        match = _PATH_TOKEN.match(path, index)
        if match is None or match.end() == index:
            raise ModelRetry(
                f"invalid path {path!r} at position {index + 1} ({path[index : index + 10]!r}); "
                'use keys and indexes like items[0].name, items[*].name or ["a key"]'
            )
        if match["key"] is not None:
            parts.append(match["key"])
        elif match["index"] == "*":
            parts.append(_WILDCARD)
        elif match["index"] is not None:
            parts.append(int(match["index"]))
        else:
            parts.append(unquote(match["quoted"]))
        index = match.end()
    return parts


def query(data: Any, path: str) -> Any:
    """The value at `path` in `data`; after ``[*]`` a list (items lacking the rest skipped).

    Raises:
        ModelRetry: A key or index is missing (names it, where, and what is there).
    """
    return walk(data, parse_path(path), "", strict=True)


def walk(value: Any, parts: Path, where: str, *, strict: bool) -> Any:
    """The value at `parts`; when not `strict`, `MISSING` instead of an error."""
    for position, part in enumerate(parts):
        if part is _WILDCARD:
            if not isinstance(value, (list, dict)):
                if not strict:
                    return MISSING
                raise ModelRetry(
                    f"[*] at {where or 'the top'} needs a list, found {describe(value)}"
                )
            items = value if isinstance(value, list) else list(value.values())
            rest = parts[position + 1 :]
            results = [walk(item, rest, f"{where}[*]", strict=False) for item in items]
            return [item for item in results if item is not MISSING]
        if isinstance(part, int):
            if not isinstance(value, list) or not -len(value) <= part < len(value):
                if not strict:
                    return MISSING
                size = f"a list of {len(value)}" if isinstance(value, list) else describe(value)
                raise ModelRetry(f"index [{part}] not found at {where or 'the top'}: {size}")
            value = value[part]
            where = f"{where}[{part}]"
        else:
            key = str(part)
            if not isinstance(value, dict) or key not in value:
                if not strict:
                    return MISSING
                found = (
                    f"keys: {', '.join(map(str, list(value)[:20]))}"
                    if isinstance(value, dict)
                    else f"found {describe(value)}"
                )
                raise ModelRetry(f"key {key!r} not found at {where or 'the top'} ({found})")
            value = value[key]
            where = f"{where}.{key}" if where else key
    return value


def sort_rows(rows: Any, key: str | None = None, *, descending: bool = False) -> list[Any]:
    """`rows` sorted by the value at `key` (or by the items themselves); missing last.

    Values that read as numbers (also the strings CSV gives) sort as numbers, before text.

    Raises:
        ModelRetry: `rows` is not a list, or `key` is not a valid path.
    """
    if not isinstance(rows, list):
        raise ModelRetry(f"sort needs a list, got {describe(rows)}; query a list first")
    parts = parse_path(key) if key else []
    present: list[tuple[tuple[int, float, str], Any]] = []
    missing: list[Any] = []
    for row in rows:
        value = walk(row, parts, "", strict=False)
        if value is MISSING or value is None:
            missing.append(row)
        else:
            number = as_number(value)
            sort_key = (0, number, "") if number is not None else (1, 0.0, sort_text(value))
            present.append((sort_key, row))
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [row for _, row in present] + missing


def merge(base: Any, other: Any) -> Any:
    """Deep-merge: objects key by key (recursively), arrays concatenated, else `other` wins."""
    if isinstance(base, dict) and isinstance(other, dict):
        merged = dict(base)
        for key, value in other.items():
            merged[key] = merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(base, list) and isinstance(other, list):
        return base + other
    return other


def as_number(value: Any) -> float | None:
    """`value` as a float if it is or reads as a number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    # A strict pattern, not float(): that also reads "nan", "inf" and "1_000".
    if isinstance(value, str) and len(value) < 100 and _NUMBER.fullmatch(value):
        return float(value)
    return None


def sort_text(value: Any) -> str:
    """`value` as text to compare: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def unquote(quoted: str) -> str:
    """The string in a single- or double-quoted literal."""
    if quoted.startswith('"'):
        try:
            result: str = json.loads(quoted)
        except json.JSONDecodeError:
            raise ModelRetry(f"invalid quoted string {quoted!r}") from None
        return result
    return quoted[1:-1]


def describe(value: Any) -> str:
    """What `value` is, for error messages: "a list", "an object", "a str ('x')"."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"a {type(value).__name__} ({str(value)[:40]!r})"
