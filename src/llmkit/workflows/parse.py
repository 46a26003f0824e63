"""Turn plain data (parsed YAML/JSON) into definition dataclasses, checking types.

Field types are read from the dataclasses' annotations, so a new step field needs no
parser change.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin, get_type_hints

from .definition import STEP_KINDS, CircuitBreaker, Retry, Step, StepBase, Workflow, yaml_key
from .errors import WorkflowDefinitionError

__all__ = ["parse_step", "parse_workflow"]

_UNIONS = (Union, types.UnionType)
_OPTIONS = (Retry, CircuitBreaker)  # mappings nested in a step


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    # Resolved once per class: the annotations are strings (postponed evaluation).
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str, step_id: str | None, field: str | None) -> Exception:
        return WorkflowDefinitionError(message, source=self.source, step_id=step_id, field=field)

    def step(self, data: Any, parent: str | None, field: str) -> Step:
        if not isinstance(data, Mapping):
            raise self.error(f"a step must be a mapping, not {_name(data)}", parent, field)
        step_id = data.get("id")
        if not isinstance(step_id, str):
            raise self.error("a step needs a string 'id'", parent, field)
        kind = data.get("kind")
        if kind is None:
            raise self.error("missing required field", step_id, "kind")
        cls = STEP_KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            known = ", ".join(sorted(STEP_KINDS))
            raise self.error(f"unknown step kind {kind!r} (known: {known})", step_id, "kind")
        rest = {k: v for k, v in data.items() if k != "kind"}
        built: Step = self.build(cls, rest, step_id)
        return built

    def build(
        self, cls: type[Any], data: Mapping[str, Any], step_id: str | None, prefix: str = ""
    ) -> Any:
        hints = _hints(cls)
        fields = {yaml_key(f.name): f for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(str(k) for k in data if k not in fields)
        if unknown:
            where = prefix + unknown[0]
            raise self.error(f"unknown field(s) {', '.join(unknown)}", step_id, where)
        values: dict[str, Any] = {}
        for key, f in fields.items():
            if key not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise self.error("missing required field", step_id, prefix + key)
                continue
            values[f.name] = self.convert(data[key], hints[f.name], step_id, prefix + key)
        return cls(**values)

    def convert(self, value: Any, hint: Any, step_id: str | None, field: str) -> Any:
        if hint is Any:
            return value
        origin = get_origin(hint)
        if origin in _UNIONS:
            args = get_args(hint)
            if value is None and type(None) in args:
                return None
            if _is_step(hint):
                return self.step(value, step_id, field)
            options = [a for a in args if a is not type(None)]
            if len(options) == 1:  # `X | None`: report what is wrong inside X
                return self.convert(value, options[0], step_id, field)
            for arg in args:
                if arg is type(None):
                    continue
                try:
                    return self.convert(value, arg, step_id, field)
                except WorkflowDefinitionError:
                    continue
            return self.wrong(value, hint, step_id, field)
        if origin is tuple:
            item_hint = get_args(hint)[0]
            if field == "compensate" and isinstance(value, Mapping):
                value = [value]  # one compensation step needs no list around it
            if not isinstance(value, list):
                want = "a list of steps" if _is_step(item_hint) else "a list of strings"
                return self.wrong(value, want, step_id, field)
            return tuple(self.convert(item, item_hint, step_id, field) for item in value)
        if origin is list:
            if not isinstance(value, list):
                return self.wrong(value, "a list", step_id, field)
            [item_hint] = get_args(hint)
            return [self.convert(item, item_hint, step_id, field) for item in value]
        if origin is dict:
            if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                return self.wrong(value, "a mapping", step_id, field)
            return dict(value)
        if hint in _OPTIONS:
            if not isinstance(value, Mapping):
                return self.wrong(value, "a mapping", step_id, field)
            # YAML 1.1 reads a bare `on:` key as the boolean true.
            value = {("on" if key is True else key): item for key, item in value.items()}
            return self.build(hint, value, step_id, prefix=f"{field}.")
        if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if hint is int and isinstance(value, bool):
            return self.wrong(value, hint, step_id, field)
        if isinstance(hint, type) and isinstance(value, hint):
            return value
        return self.wrong(value, hint, step_id, field)

    def wrong(self, value: Any, expected: Any, step_id: str | None, field: str) -> Any:
        want = expected if isinstance(expected, str) else _type_name(expected)
        raise self.error(f"expected {want}, got {_name(value)}", step_id, field)


def _is_step(hint: Any) -> bool:
    """Whether `hint` is `Step` (a union of step classes), optionally with None."""
    if isinstance(hint, type):
        return issubclass(hint, StepBase)
    args = [a for a in get_args(hint) if a is not type(None)]
    return get_origin(hint) in _UNIONS and all(_is_step(a) for a in args)


def _name(value: Any) -> str:
    return type(value).__name__


def _type_name(hint: Any) -> str:
    if get_origin(hint) in _UNIONS:
        return " or ".join(_type_name(a) for a in get_args(hint))
    return getattr(hint, "__name__", str(hint))


def parse_step(data: Any, *, source: str = "<definition>") -> Step:
    """One step from plain data."""
    return _Parser(source).step(data, None, "steps")


def parse_workflow(data: Any, *, source: str = "<definition>") -> Workflow:
    """A `Workflow` from plain data (no semantic validation: see `validate_workflow`)."""
    parser = _Parser(source)
    if not isinstance(data, Mapping):
        raise parser.error(f"a workflow must be a mapping, not {_name(data)}", None, None)
    workflow: Workflow = parser.build(Workflow, data, None)
    return workflow
