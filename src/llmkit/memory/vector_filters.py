"""Metadata filters: a small JSON language that every vector store backend compiles.

``{"lang": "en"}`` is equality; an operator object compares: ``{"year": {"$gte": 2020}}``,
``{"tag": {"$in": ["a", "b"]}}``, ``{"lang": {"$ne": "fr"}}``. All conditions must hold.
`parse_filter` checks a filter once and turns it into `Condition` values, which a backend
turns into its own query (SQLite `json_extract`, PostgreSQL ``jsonb``…).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .vector_errors import InvalidFilterError

__all__ = ["Condition", "MetadataFilter", "Operator", "parse_filter", "sqlite_where"]

MetadataFilter = Mapping[str, Any]
Operator = Literal["$eq", "$ne", "$in", "$gt", "$gte", "$lt", "$lte"]
Scalar = str | int | float | bool | None

_OPERATORS: frozenset[str] = frozenset({"$eq", "$ne", "$in", "$gt", "$gte", "$lt", "$lte"})
_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
_SQL_OPS = {"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


@dataclass(slots=True, kw_only=True, frozen=True)
class Condition:
    """One checked condition: metadata `key` compared with `values` by `op`."""

    key: str
    op: Operator
    values: tuple[Scalar, ...]


def parse_filter(where: MetadataFilter | None) -> list[Condition]:
    """The conditions of `where`; raises `InvalidFilterError` naming what is wrong."""
    if where is None:
        return []
    if not isinstance(where, Mapping):
        raise InvalidFilterError(f"a filter must be a mapping, got {type(where).__name__}")
    return [_condition(key, test) for key, test in where.items()]


def _condition(key: object, test: Any) -> Condition:
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidFilterError(f"filter key {key!r} must be 1-128 letters, digits, '_' or '-'")
    if not isinstance(test, Mapping):
        return Condition(key=key, op="$eq", values=(_scalar(key, test),))
    if len(test) != 1:
        raise InvalidFilterError(f"filter on {key!r} must have exactly one operator")
    ((op, operand),) = test.items()
    if op not in _OPERATORS:
        raise InvalidFilterError(
            f"unknown filter operator {op!r} on {key!r}; use one of {sorted(_OPERATORS)}"
        )
    if op == "$in":
        if not isinstance(operand, list | tuple) or not operand:
            raise InvalidFilterError(f"$in on {key!r} needs a non-empty list")
        return Condition(key=key, op="$in", values=tuple(_scalar(key, v) for v in operand))
    value = _scalar(key, operand)
    if op in ("$gt", "$gte", "$lt", "$lte") and not isinstance(value, int | float | str):
        raise InvalidFilterError(f"{op} on {key!r} needs a number or a string")
    return Condition(key=key, op=op, values=(value,))


def _scalar(key: str, value: Any) -> Scalar:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise InvalidFilterError(
        f"filter value for {key!r} must be a string, number, boolean or null, "
        f"got {type(value).__name__}"
    )


def sqlite_where(conditions: list[Condition], column: str) -> tuple[str, list[Any]]:
    """SQL (``AND``-joined, or ``1``) and parameters testing `column`, a JSON text column."""
    clauses: list[str] = []
    params: list[Any] = []
    for c in conditions:
        field = f"json_extract({column}, '$.\"{c.key}\"')"
        if c.op == "$in":
            clauses.append(f"{field} IN ({', '.join('?' * len(c.values))})")
            params.extend(c.values)
        elif c.values[0] is None:
            clauses.append(f"{field} IS {'NOT ' if c.op == '$ne' else ''}NULL")
        elif c.op == "$ne":
            # A record without the key does not equal the value either.
            clauses.append(f"({field} IS NULL OR {field} != ?)")
            params.append(c.values[0])
        else:
            clauses.append(f"{field} {_SQL_OPS[c.op]} ?")
            params.append(c.values[0])
    return (" AND ".join(clauses) or "1"), params
