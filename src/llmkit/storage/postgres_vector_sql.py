"""SQL pieces of the pgvector store: metadata filters over ``jsonb`` and vector literals."""

from __future__ import annotations

import json
from typing import Any

from ..memory.vector_filters import Condition

__all__ = ["postgres_where", "vector_literal"]

_SQL_OPS = {"$eq": "=", "$ne": "<>", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def postgres_where(conditions: list[Condition], column: str) -> tuple[str, list[Any]]:
    """SQL (``AND``-joined, or ``TRUE``) and parameters testing `column`, a jsonb column.

    Values compare as jsonb, so numbers compare as numbers and strings as strings, as
    SQLite's ``json_extract`` does; a missing key behaves like JSON null.
    """
    clauses: list[str] = []
    params: list[Any] = []
    for c in conditions:
        field = f"({column} -> %s)"
        missing = f"({field} IS NULL OR {field} = 'null'::jsonb)"
        if c.op == "$in":
            clauses.append(f"{field} = ANY(%s::jsonb[])")
            params.extend([c.key, [json.dumps(v) for v in c.values]])
        elif c.values[0] is None:
            clauses.append(f"NOT {missing}" if c.op == "$ne" else missing)
            params.extend([c.key, c.key])
        elif c.op == "$ne":
            # A record without the key does not equal the value either.
            clauses.append(f"({field} IS NULL OR {field} <> %s::jsonb)")
            params.extend([c.key, c.key, json.dumps(c.values[0])])
        elif c.op == "$eq":
            clauses.append(f"{field} = %s::jsonb")
            params.extend([c.key, json.dumps(c.values[0])])
        else:
            # jsonb orders all strings below all numbers; compare like types only.
            kind = "string" if isinstance(c.values[0], str) else "number"
            clauses.append(
                f"(jsonb_typeof({field}) = '{kind}' AND {field} {_SQL_OPS[c.op]} %s::jsonb)"
            )
            params.extend([c.key, c.key, json.dumps(c.values[0])])
    return (" AND ".join(clauses) or "TRUE"), params


def vector_literal(vector: Any) -> str:
    """A float32 numpy vector as pgvector's text form, ``[0.1,0.2,…]``."""
    return "[" + ",".join(map(repr, vector.tolist())) + "]"
