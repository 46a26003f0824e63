"""`coerce`: clear-intent conversions toward a schema, never an exception."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.schema import Schema, coerce

INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
STR = {"type": "string"}


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("36", INT, 36),
        (" -7 ", INT, -7),
        ("3.0", INT, 3),
        (3.0, INT, 3),
        ("3.5", INT, "3.5"),  # not an integer: left for validation to report
        ("abc", INT, "abc"),
        ("2.5", NUM, 2.5),
        ("10", NUM, 10),
        ("nan", NUM, "nan"),
        ("inf", NUM, "inf"),
        ("yes", BOOL, True),
        ("No", BOOL, False),
        ("TRUE", BOOL, True),
        ("false", BOOL, False),
        ("1", BOOL, True),
        ("0", BOOL, False),
        (1, BOOL, True),
        ("maybe", BOOL, "maybe"),
        (True, INT, True),  # a boolean is not silently a number
        (42, STR, "42"),
        (1.5, STR, "1.5"),
        ("  padded  ", STR, "padded"),
        (None, STR, None),
        ("null", {"type": ["integer", "null"]}, None),
        ("5", {"type": ["integer", "null"]}, 5),
        ("x", {"type": "array", "items": STR}, ["x"]),
        ("7", {"type": "array", "items": INT}, [7]),
        (["1", "2"], {"type": "array", "items": INT}, [1, 2]),
        (
            ["1", "2", "yes"],
            {"type": "array", "prefixItems": [STR, INT], "items": BOOL},
            ["1", 2, True],
        ),
        ("Red", {"enum": ["red", "blue"]}, "red"),
        ("2", {"enum": [1, 2]}, 2),
        ("5", {"anyOf": [INT, {"type": "null"}]}, 5),
        (None, {"anyOf": [INT, {"type": "null"}]}, None),
        ("5", {"oneOf": [BOOL, NUM]}, 5),
        ({"a": "1"}, {"type": "object", "additionalProperties": INT}, {"a": 1}),
        ("x", {"not": INT}, "x"),
        ("x", {}, "x"),
    ],
)
def test_coercion_table(value: Any, schema: dict[str, Any], expected: Any) -> None:
    result = coerce(value, schema)
    assert result == expected
    assert type(result) is type(expected)


def test_objects_recurse_fill_defaults_and_keep_unknown_keys() -> None:
    schema = {
        "type": "object",
        "properties": {
            "age": INT,
            "address": {
                "type": "object",
                "properties": {"zip": STR, "country": {"type": "string", "default": "UK"}},
            },
            "tags": {"type": "array", "items": STR, "default": []},
        },
    }
    value = {"age": "36", "address": {"zip": 12345}, "extra": "kept"}
    before = copy.deepcopy(value)
    assert coerce(value, schema) == {
        "age": 36,
        "address": {"zip": "12345", "country": "UK"},
        "extra": "kept",
        "tags": [],
    }
    assert value == before  # the input is not modified


def test_additional_properties_false_removes_extras_but_keeps_pattern_properties() -> None:
    schema = {
        "type": "object",
        "properties": {"a": INT},
        "patternProperties": {"^x-": INT},
        "additionalProperties": False,
    }
    assert coerce({"a": "1", "x-n": "2", "junk": 3}, schema) == {"a": 1, "x-n": 2}


def test_local_refs_are_followed_as_pydantic_writes_them() -> None:
    class Item(BaseModel):
        qty: int
        note: str = "none"

    class Cart(BaseModel):
        items: list[Item]
        first: Item | None = None

    schema = Schema.from_type(Cart)
    value = coerce({"items": [{"qty": "2"}, {"qty": 3}], "first": {"qty": "1"}}, schema)
    assert value == {
        "items": [{"qty": 2, "note": "none"}, {"qty": 3, "note": "none"}],
        "first": {"qty": 1, "note": "none"},
    }
    assert schema.validate(value) == value


def test_never_raises_on_odd_input() -> None:
    schema = {"type": "object", "patternProperties": {"(": INT}, "properties": {"a": INT}}
    assert coerce({"b": 1}, schema) == {"b": 1}  # a broken pattern leaves the value alone
    loop = {"$defs": {"x": {"$ref": "#/$defs/x"}}, "$ref": "#/$defs/x"}
    assert coerce("v", loop) == "v"
    assert coerce(object, {"type": "string"}) is object
    assert coerce("v", {"$ref": "https://example.com/remote"}) == "v"
