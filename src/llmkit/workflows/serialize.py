"""`workflow_to_dict`: a definition back to the plain data `parse_workflow` reads.

Fields left at their defaults are omitted, so the output reads like a hand-written file;
``parse_workflow(workflow_to_dict(w)) == w`` for every definition. It walks the dataclass
fields, so a new step field serialises without a change here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .definition import StepBase, Workflow, yaml_key

__all__ = ["workflow_to_dict"]


def workflow_to_dict(workflow: Workflow) -> dict[str, Any]:
    """`workflow` as JSON-ready data (YAML keys, ``kind`` on every step)."""
    return _fields(workflow)


def _fields(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if isinstance(obj, StepBase):
        data["kind"] = obj.kind
    for f in dataclasses.fields(obj):
        if not f.init:
            continue
        value = getattr(obj, f.name)
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        if f.default_factory is not dataclasses.MISSING and value == f.default_factory():
            continue
        data[yaml_key(f.name)] = _value(value)
    return data


def _value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, tuple | list):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _value(item) for key, item in value.items()}
    return value
