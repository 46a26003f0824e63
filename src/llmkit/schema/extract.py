"""Pull the fields a schema names out of a model's free-form reply.

Models wrap JSON in prose and code fences, leave trailing commas, use single quotes, or
skip JSON and write ``Name: Ada`` lines. `extract` tries, in order: JSON in the text
(strict, then repaired by json_repair), then ``key: value`` lines; keys match property
names ignoring case, spaces, hyphens and underscores. The result is coerced and then
validated, so whatever is still missing or wrong is named in one `ValidationFailed`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .coerce import coerce
from .errors import SchemaIssue, ValidationFailed
from .schema import Schema

__all__ = ["extract"]

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n(.*?)```", re.S)
_LINE = re.compile(r"^[ \t]*(?:[-*+•][ \t]+)?\**([A-Za-z_][\w \-]{0,63}?)\**[ \t]*[:=][ \t]*(.*)$")


def extract(text: str, schema: Mapping[str, Any] | Schema) -> dict[str, Any]:
    """The object `schema` describes, read from `text`, coerced and validated.

    Raises:
        ValidationFailed: The text holds no usable fields, or what it holds does not
            validate (missing required fields are named).
        SchemaError: `schema` is not a valid schema.
    """
    checked = schema if isinstance(schema, Schema) else Schema(schema)
    root = checked.json_schema
    properties = root.get("properties") or {}
    names = {_normalize(name): name for name in properties}
    data = _from_json(text, names) or {}
    data = {names.get(_normalize(key), key): item for key, item in data.items()}
    for key, item in _from_lines(text, names, properties):
        data.setdefault(key, item)  # lines fill gaps; they never override JSON
    if not data:
        wanted = ", ".join(properties) or "the fields"
        raise ValidationFailed(
            [SchemaIssue("(root)", f"no JSON object or 'key: value' lines with {wanted}", "")]
        )
    result: dict[str, Any] = checked.validate(coerce(data, root))
    return result


def _normalize(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).casefold()


def _candidates(text: str) -> Iterator[str]:
    stripped = text.strip()
    yield stripped
    for match in _FENCE.finditer(text):
        yield match.group(1).strip()
    start = text.find("{")
    if start >= 0:
        yield _balanced(text, start)


def _from_json(text: str, names: dict[str, str]) -> dict[str, Any] | None:
    candidates = [c for c in _candidates(text) if c]
    # Strict parsing first: repair can "succeed" on prose and return something odd.
    for parse in (_strict, _repaired):
        for candidate in candidates:
            value = parse(candidate)
            if isinstance(value, dict) and _relevant(value, names):
                return value
    return None


def _relevant(value: dict[str, Any], names: dict[str, str]) -> bool:
    # An unrelated object in the prose (an example, a config) should not win.
    return not names or any(_normalize(str(key)) in names for key in value)


def _strict(candidate: str) -> Any:
    try:
        return json.loads(candidate)
    except ValueError:
        return None


def _repaired(candidate: str) -> Any:
    if "{" not in candidate:
        return None  # repair turns bare prose into strings, never into an object we want
    try:
        import json_repair

        return json_repair.loads(candidate)
    except Exception:  # json_repair's own failures must not escape as foreign errors
        return None


def _from_lines(
    text: str, names: dict[str, str], properties: Mapping[str, Any]
) -> Iterator[tuple[str, Any]]:
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        name = names.get(_normalize(match.group(1)))
        if name is None:
            continue
        yield name, _line_value(match.group(2), properties.get(name))


def _line_value(raw: str, schema: Any) -> Any:
    text = raw.strip().rstrip(",").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        return text[1:-1]
    if text[:1] in "[{":
        parsed = _strict(text)
        if parsed is not None:
            return parsed
    if isinstance(schema, Mapping) and schema.get("type") == "array" and "," in text:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _balanced(text: str, start: int) -> str:
    # The first bracketed value from `start`, scanning outside strings; the rest of the
    # text when it never closes (json_repair can close it).
    depth, quote, escaped = 0, "", False
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char == '"':
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return text[start:]
