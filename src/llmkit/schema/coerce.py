"""Nudge a value toward a schema before validating it: the repairs models most often need.

`coerce` converts where the intent is clear ("36" for an integer, "yes" for a boolean,
a lone value where a list is expected), fills ``default``s of missing properties and
recurses through objects and arrays. It never raises: what it cannot convert it leaves
alone, so validation afterwards reports it with its path. Nothing is dropped except
properties an object schema forbids with ``additionalProperties: false`` (and that no
``properties``/``patternProperties`` entry names): those are removed, since a model adding
an extra key is noise, not data the caller asked for.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .schema import Schema

__all__ = ["coerce"]

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_NULL = frozenset({"null", "none"})
_MAX_DEPTH = 64  # guards against $ref cycles that do not consume the value
_INTEGER = re.compile(r"[+-]?\d+\Z")


def coerce(value: Any, schema: Mapping[str, Any] | Schema) -> Any:
    """`value` converted toward `schema` where the conversion is unambiguous; never raises.

    The input is not modified; a converted copy is returned.
    """
    root = schema if isinstance(schema, Mapping) else schema.json_schema
    return _Coercer(root).coerce(value, root, 0)


class _Coercer:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def coerce(self, value: Any, schema: Any, depth: int) -> Any:
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return value
        try:
            return self._coerce(value, schema, depth + 1)
        except Exception:  # a bad pattern, an odd subclass: leave the value to validation
            return value

    def _coerce(self, value: Any, schema: Mapping[str, Any], depth: int) -> Any:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self._resolve(ref)
            if target is not None:
                value = self.coerce(value, target, depth)
        for sub in schema.get("allOf", ()):
            value = self.coerce(value, sub, depth)
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                value = self._coerce_choice(value, schema[keyword], depth)
        types = _types(schema)
        if types:
            value = self._coerce_type(value, types, schema, depth)
        if "enum" in schema:
            value = _match_enum(value, schema["enum"])
        if isinstance(value, dict) and ("object" in types or "properties" in schema):
            value = self._coerce_object(value, schema, depth)
        elif isinstance(value, list) and ("array" in types or "items" in schema):
            value = self._coerce_array(value, schema, depth)
        return value

    def _coerce_choice(self, value: Any, branches: Any, depth: int) -> Any:
        if not isinstance(branches, list):
            return value
        # A branch the value already fits wins (so Optional[int] keeps None); then the
        # first branch a conversion makes it fit.
        for branch in branches:
            if _fits(value, self._deref(branch)):
                return self.coerce(value, branch, depth)
        for branch in branches:
            converted = self.coerce(value, branch, depth)
            if _fits(converted, self._deref(branch)):
                return converted
        return value

    def _coerce_type(
        self, value: Any, types: list[str], schema: Mapping[str, Any], depth: int
    ) -> Any:
        if isinstance(value, float) and "integer" in types and "number" not in types:
            # 3.0 is a valid JSON integer, but typed consumers (pydantic strict) want 3.
            return int(value) if value.is_integer() else value
        if any(_is_type(value, t) for t in types):
            return value.strip() if isinstance(value, str) and "string" in types else value
        for target in types:
            converted = _convert(value, target)
            if converted is not _NO:
                return converted
        if "array" in types and value is not None and not isinstance(value, list):
            return [value]  # items are coerced with the array below
        return value

    def _coerce_object(self, value: dict[str, Any], schema: Mapping[str, Any], depth: int) -> Any:
        properties = schema.get("properties") or {}
        patterns = schema.get("patternProperties") or {}
        additional = schema.get("additionalProperties", True)
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key in properties:
                result[key] = self.coerce(item, properties[key], depth)
                continue
            matching = [sub for pattern, sub in patterns.items() if re.search(pattern, key)]
            if matching:
                for sub in matching:
                    item = self.coerce(item, sub, depth)
                result[key] = item
            elif additional is False:
                continue  # documented: forbidden extras are removed
            else:
                result[key] = self.coerce(item, additional, depth)
        for key, sub in properties.items():
            target = self._deref(sub)
            if key not in result and isinstance(target, Mapping) and "default" in target:
                result[key] = copy.deepcopy(target["default"])
        return result

    def _coerce_array(self, value: list[Any], schema: Mapping[str, Any], depth: int) -> Any:
        prefix = schema.get("prefixItems") or []
        items = schema.get("items")
        result = []
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else items
            result.append(self.coerce(item, sub, depth))
        return result

    def _deref(self, schema: Any) -> Any:
        if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            target = self._resolve(schema["$ref"])
            if target is not None and len(schema) == 1:
                return target
        return schema

    def _resolve(self, ref: str) -> Any:
        # Only local references ("#/$defs/Item", as pydantic writes them) are followed.
        if not ref.startswith("#"):
            return None
        node: Any = self.root
        for raw in ref[1:].split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node


class _NoConversion:
    pass


_NO: Any = _NoConversion()


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    return []


def _is_type(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    return False


def _fits(value: Any, schema: Any) -> bool:
    # A cheap type-level check for choosing among anyOf/oneOf branches.
    if not isinstance(schema, Mapping):
        return schema is not False
    types = _types(schema)
    if types:
        return any(_is_type(value, t) for t in types)
    if "const" in schema:
        return bool(value == schema["const"])
    if "enum" in schema:
        return value in schema["enum"]
    return "properties" not in schema or isinstance(value, dict)


def _convert(value: Any, target: str) -> Any:
    if isinstance(value, str):
        text = value.strip()
        lowered = text.lower()
        if target == "integer":
            if _INTEGER.match(text):
                return int(text)
            number = _to_float(text)
            return int(number) if number is not None and number.is_integer() else _NO
        if target == "number":
            if _INTEGER.match(text):
                return int(text)
            number = _to_float(text)
            return number if number is not None else _NO
        if target == "boolean":
            return True if lowered in _TRUE else False if lowered in _FALSE else _NO
        if target == "null":
            return None if lowered in _NULL else _NO
        return _NO
    if isinstance(value, bool):
        return _NO  # True is not 1 here: a model writing true meant a boolean
    if isinstance(value, int | float):
        if target == "string":
            return str(value)
        if target == "boolean" and value in (0, 1):
            return bool(value)
        if target == "integer" and isinstance(value, float) and value.is_integer():
            return int(value)
    return _NO


def _to_float(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None  # "nan" and "inf" stay strings


def _match_enum(value: Any, options: Any) -> Any:
    if not isinstance(options, list) or value in options:
        return value
    # "Red" for "red", "2" for 2: accept a spelling only when exactly one option matches.
    wanted = str(value).strip().casefold()
    matches = [o for o in options if str(o).casefold() == wanted and not isinstance(o, bool)]
    return matches[0] if len(matches) == 1 else value
