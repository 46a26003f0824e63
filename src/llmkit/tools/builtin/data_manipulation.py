"""`data_manipulation`: parse, convert, query, filter, sort and merge JSON/CSV/YAML/XML."""

from __future__ import annotations

from typing import Any, Literal

from ..base import ModelRetry
from ..decorator import tool
from .data_filter import filter_rows
from .data_formats import Format, dump, load
from .data_ops import merge, query, sort_rows

__all__ = ["Operation", "data_manipulation", "manipulate"]

Operation = Literal["parse", "convert", "query", "filter", "sort", "merge"]


def manipulate(
    operation: Operation,
    data: str,
    format: Format = "json",
    to_format: Format | None = None,
    query_text: str | None = None,
    key: str | None = None,
    descending: bool = False,
    other: str | None = None,
) -> str:
    """Run `operation` on `data` (text in `format`) and write the result in `to_format`.

    Raises:
        ModelRetry: The input is malformed or too large, an argument the operation
            needs is missing, or the operation fails (the message says how to fix it).
    """
    value = load(data, format)
    result: Any
    if operation in ("parse", "convert"):
        if operation == "convert" and to_format is None:
            raise ModelRetry("convert needs to_format (json, csv, yaml or xml)")
        result = value
    elif operation == "query":
        result = query(value, _needed(query_text, "query", "a path like items[0].name"))
    elif operation == "filter":
        condition = _needed(query_text, "filter", "a condition in query, like age > 30")
        result = filter_rows(value, condition)
    elif operation == "sort":
        result = sort_rows(value, key, descending=descending)
    elif operation == "merge":
        second = _needed(other, "merge", "the second document in other (same format)")
        result = merge(value, load(second, format))
    else:
        raise ModelRetry(
            f"unknown operation {operation!r}: use parse, convert, query, filter, sort or merge"
        )
    return dump(result, to_format or format)


def _needed(value: str | None, operation: str, what: str) -> str:
    if value is None or not value.strip():
        raise ModelRetry(f"{operation} needs {what}")
    return value


@tool(category="data", tags=("builtin",), timeout=30)
def data_manipulation(
    operation: Operation,
    data: str,
    format: Format = "json",
    to_format: Format | None = None,
    query: str | None = None,
    key: str | None = None,
    descending: bool = False,
    other: str | None = None,
) -> str:
    """Parse, convert, query, filter, sort or merge structured data given as text.

    Returns the result as text in to_format (or format). XML maps to objects with
    attributes as "@name", mixed text as "#text" and repeated elements as lists; XML
    with a DOCTYPE is refused. Inputs are limited to 5,000,000 characters.

    Args:
        operation: parse (read and re-write), convert (to to_format), query (value at
            the path in query), filter (records matching the condition in query), sort
            (records by key), merge (deep-merge data with other: objects by key, arrays
            concatenated).
        data: The input document.
        format: The input's format (also of other); CSV is read as a list of records.
        to_format: The result's format; defaults to format.
        query: For query, a path like items[0].name or items[*].name. For filter, a
            condition like age > 30, name == "Ann", tags contains "x", joined with
            and / or; operators ==, !=, >, >=, <, <=, contains, startswith, endswith.
        key: For sort, the path of the field to sort by; omit to sort plain values.
        descending: For sort, largest first.
        other: For merge, the second document, in the same format as data.
    """
    return manipulate(operation, data, format, to_format, query, key, descending, other)
