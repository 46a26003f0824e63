"""`extract`: an object out of messy model output, coerced and validated."""

from __future__ import annotations

from typing import Any

import pytest

from llmkit.schema import Schema, ValidationFailed, extract

PERSON: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "first_name": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name", "age"],
}


def test_json_in_a_code_fence_inside_prose() -> None:
    text = 'Sure! Here is the data:\n```json\n{"name": "Ada", "age": "36"}\n```\nAnything else?'
    assert extract(text, PERSON) == {"name": "Ada", "age": 36}


def test_json_object_in_prose_without_a_fence() -> None:
    text = 'The answer is {"name": "Ada", "age": 36} as requested. {"unrelated": 1}'
    assert extract(text, PERSON) == {"name": "Ada", "age": 36}


def test_key_value_lines() -> None:
    assert extract("Name: Ada\nAge: 36", PERSON) == {"name": "Ada", "age": 36}


def test_key_value_lines_ignore_case_spaces_and_markdown() -> None:
    text = "Here you go:\n- **First Name**: Ada\n* NAME = 'Lovelace'\nAGE: 36,\nLanguages: en, fr"
    assert extract(text, PERSON) == {
        "name": "Lovelace",
        "age": 36,
        "first_name": "Ada",
        "languages": ["en", "fr"],
    }


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "Ada", "age": 36,}',
        "{'name': 'Ada', 'age': 36}",
        "Result:\n```\n{'name': 'Ada', 'age': 36,}\n```",
        '{"name": "Ada", "age": 36',
    ],
)
def test_broken_json_is_repaired(text: str) -> None:
    assert extract(text, PERSON) == {"name": "Ada", "age": 36}


def test_json_keys_are_matched_to_property_names() -> None:
    assert extract('{"Name": "Ada", "Age": 36, "first name": "A"}', PERSON) == {
        "name": "Ada",
        "age": 36,
        "first_name": "A",
    }


def test_lines_fill_fields_the_json_lacks() -> None:
    assert extract('{"name": "Ada"}\nAge: 36', PERSON) == {"name": "Ada", "age": 36}


def test_missing_required_fields_are_named() -> None:
    with pytest.raises(ValidationFailed) as info:
        extract("Name: Ada", PERSON)
    assert str(info.value) == "- (root): 'age' is a required property"


def test_nothing_found_names_the_fields() -> None:
    with pytest.raises(ValidationFailed, match="name, age, first_name, languages"):
        extract("I cannot help with that.", PERSON)


def test_wrong_values_are_reported_with_paths() -> None:
    with pytest.raises(ValidationFailed, match=r"- age: 'old' is not of type 'integer'"):
        extract("Name: Ada\nAge: old", PERSON)


def test_accepts_a_schema_object() -> None:
    assert extract("name: Ada\nage: 1", Schema(PERSON)) == {"name": "Ada", "age": 1}
