"""Turn whatever a tool returned into the text sent back to the model."""

from __future__ import annotations

from typing import Any

__all__ = ["serialize_result"]


def serialize_result(value: Any) -> str:
    """Return `value` as text for a tool result message.

    A string is sent as it is; a pydantic model as its JSON; anything else pydantic can
    serialize (dataclasses, dicts, lists, numbers, None, dates) as compact JSON. Values
    JSON cannot hold become their `str()`, nested ones included.
    """
    if isinstance(value, str):
        return value
    # Imported here: pydantic loads only when a tool result is serialized.
    from pydantic import BaseModel
    from pydantic_core import PydanticSerializationError, to_json

    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return to_json(value, fallback=str).decode()
    except (PydanticSerializationError, TypeError, ValueError):
        return str(value)
