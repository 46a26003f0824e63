"""The JSON Schema of a workflow definition, built from the definition classes.

It is derived from the same dataclass annotations the parser reads, so the published schema
(docs/workflow.schema.json, ``llmkit workflow schema``) cannot drift from what the loader
accepts. Editors use it for completion and checks; the loader still validates more (step
references, cycles, expressions) than a schema can say.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

from .definition import STEP_KINDS, CircuitBreaker, Retry, StepBase, Workflow, yaml_key

__all__ = ["SCHEMA_ID", "workflow_json_schema"]

SCHEMA_ID = "https://llmkit.dev/schemas/workflow.schema.json"

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    Any: {},
}
_OPTIONS = {Retry: "Retry", CircuitBreaker: "CircuitBreaker"}


def workflow_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a workflow YAML or JSON file follows."""
    defs: dict[str, Any] = {name: _object(cls) for cls, name in _OPTIONS.items()}
    for kind, cls in sorted(STEP_KINDS.items()):
        defs[cls.__name__] = _object(cls, kind=kind)
    defs["Step"] = {
        "description": "One step; `kind` selects which fields it takes.",
        "type": "object",
        "required": ["id", "kind"],
        "properties": {"kind": {"enum": sorted(STEP_KINDS)}},
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}},
                "then": {"$ref": f"#/$defs/{cls.__name__}"},
            }
            for kind, cls in sorted(STEP_KINDS.items())
        ],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "llmkit workflow",
        **_object(Workflow),
        "$defs": defs,
    }


def _object(cls: type, *, kind: str | None = None) -> dict[str, Any]:
    hints = get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    if kind is not None:
        properties["kind"] = {"const": kind}
        required.append("kind")
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        key = yaml_key(f.name)
        properties[key] = _type(hints[f.name], field=key)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(key)
    schema: dict[str, Any] = {
        "description": _summary(cls),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return schema


def _type(hint: Any, *, field: str) -> dict[str, Any]:
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    if hint in _OPTIONS:
        return {"$ref": f"#/$defs/{_OPTIONS[hint]}"}
    if isinstance(hint, type) and issubclass(hint, StepBase):
        return {"$ref": "#/$defs/Step"}
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if _is_step_union(args):
            return {"$ref": "#/$defs/Step"}
        return {"anyOf": [_null() if a is type(None) else _type(a, field=field) for a in args]}
    if origin in (tuple, list):
        items = _type(args[0], field=field)
        array = {"type": "array", "items": items}
        if field == "compensate":  # one compensation step needs no list around it
            return {"anyOf": [items, array]}
        return array
    if origin is dict:
        return {"type": "object"}
    raise TypeError(f"no JSON Schema for field {field!r} of type {hint!r}")


def _is_step_union(args: tuple[Any, ...]) -> bool:
    steps = [a for a in args if a is not type(None)]
    return all(isinstance(a, type) and issubclass(a, StepBase) for a in steps)


def _null() -> dict[str, Any]:
    return {"type": "null"}


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return " ".join(doc.split("\n\n")[0].split())
