"""Infer a JSON schema from example values.

The result is as loose as the samples allow and no looser: the types seen, the keys
present in every sampled object as ``required``, array items unified into one schema,
``null`` allowed only where ``None`` appeared, and ``integer`` widened to ``number``
when both appear. Keywords that apply to one type only (``properties``, ``items``) sit
next to a ``type`` list, which JSON Schema allows, so a nullable object stays one schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["generate_from_samples", "generate_schema"]

_TYPE_ORDER = ("object", "array", "string", "number", "integer", "boolean", "null")


@dataclass(slots=True)
class _Shape:
    # What the samples at one position have shown so far.
    types: set[str] = field(default_factory=set)
    properties: dict[str, _Shape] = field(default_factory=dict)
    required: list[str] | None = None  # None until an object has been seen
    items: _Shape | None = None  # None until a non-empty array has been seen

    def add(self, value: Any) -> None:
        if value is None:
            self.types.add("null")
        elif isinstance(value, bool):  # before int: bool is an int subclass
            self.types.add("boolean")
        elif isinstance(value, int):
            self.types.add("integer")
        elif isinstance(value, float):
            self.types.add("number")
        elif isinstance(value, str):
            self.types.add("string")
        elif isinstance(value, dict):
            self._add_object(value)
        elif isinstance(value, list | tuple):
            self.types.add("array")
            for item in value:
                self.items = self.items or _Shape()
                self.items.add(item)
        else:
            raise TypeError(f"not a JSON value: {type(value).__name__}")

    def _add_object(self, value: dict[Any, Any]) -> None:
        self.types.add("object")
        keys = [str(key) for key in value]
        if self.required is None:
            self.required = keys
        else:
            # A key is required only if every object sampled here had it.
            self.required = [key for key in self.required if key in keys]
        for key, item in value.items():
            self.properties.setdefault(str(key), _Shape()).add(item)

    def schema(self) -> dict[str, Any]:
        types = set(self.types)
        if "number" in types:
            types.discard("integer")  # every integer is a number
        ordered = [t for t in _TYPE_ORDER if t in types]
        result: dict[str, Any] = {}
        if ordered:
            result["type"] = ordered[0] if len(ordered) == 1 else ordered
        if "object" in types:
            result["properties"] = {key: s.schema() for key, s in self.properties.items()}
            if self.required:
                result["required"] = list(self.required)
        if "array" in types and self.items is not None:
            result["items"] = self.items.schema()
        return result


def generate_schema(sample: Any) -> dict[str, Any]:
    """A JSON schema that the JSON value `sample` (dicts, lists, scalars, None) satisfies.

    Raises:
        TypeError: `sample` holds something that is not a JSON value.
    """
    return generate_from_samples([sample])


def generate_from_samples(samples: Iterable[Any]) -> dict[str, Any]:
    """One JSON schema every sample satisfies; ``{}`` (anything) when there are none.

    Raises:
        TypeError: A sample holds something that is not a JSON value.
    """
    shape = _Shape()
    for sample in samples:
        shape.add(sample)
    return shape.schema()
