"""Schema inference from sample values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.schema import Schema, generate_from_samples, generate_schema

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (None, {"type": "null"}),
        (True, {"type": "boolean"}),
        (3, {"type": "integer"}),
        (3.5, {"type": "number"}),
        ("s", {"type": "string"}),
        ([], {"type": "array"}),
        ([1, 2.5], {"type": "array", "items": {"type": "number"}}),
        ([1, None], {"type": "array", "items": {"type": ["integer", "null"]}}),
        ({}, {"type": "object", "properties": {}}),
        (
            {"name": "Ada", "tags": ["x"], "boss": {"id": 1}},
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "boss": {
                        "type": "object",
                        "properties": {"id": {"type": "integer"}},
                        "required": ["id"],
                    },
                },
                "required": ["name", "tags", "boss"],
            },
        ),
    ],
)
def test_generate_schema_from_one_sample(sample: Any, expected: dict[str, Any]) -> None:
    assert generate_schema(sample) == expected


def test_array_items_are_unified_and_keys_required_only_when_always_present() -> None:
    schema = generate_schema([{"a": 1, "b": "x"}, {"a": 2.5, "c": None}, None])
    assert schema["items"] == {
        "type": ["object", "null"],
        "properties": {
            "a": {"type": "number"},
            "b": {"type": "string"},
            "c": {"type": "null"},
        },
        "required": ["a"],
    }


def test_generate_from_samples_merges_and_allows_null_where_seen() -> None:
    schema = generate_from_samples([{"id": 1, "note": "x"}, {"id": 2, "note": None}])
    assert schema["properties"]["note"] == {"type": ["string", "null"]}
    assert schema["required"] == ["id", "note"]
    assert generate_from_samples([]) == {}


def test_non_json_values_are_rejected() -> None:
    with pytest.raises(TypeError, match="set"):
        generate_schema({"a": {1, 2}})


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_generated_schema_validates_its_sample(sample: Any) -> None:
    schema = generate_schema(sample)
    Schema(schema).validate(sample)


@settings(max_examples=100, deadline=None)
@given(st.lists(JSON_VALUES, min_size=1, max_size=4))
def test_merged_schema_validates_every_sample(samples: list[Any]) -> None:
    schema = Schema(generate_from_samples(samples))
    for sample in samples:
        schema.validate(sample)
