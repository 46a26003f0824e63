"""`Schema`: checking schemas, validating with paths, and schemas built from Python types."""

from __future__ import annotations

import dataclasses
import enum
import subprocess
import sys
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from llmkit.errors import LLMKitError
from llmkit.schema import Schema, SchemaError, SchemaIssue, ValidationFailed, format_path

ORDER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "price": {"minimum": 0}},
                "required": ["name"],
            },
        },
    },
    "required": ["id"],
}


def _issues(schema: Schema, value: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        schema.validate(value)
    return [(issue.path, issue.validator) for issue in info.value.errors]


def test_valid_value_is_returned_unchanged() -> None:
    value = {"id": 1, "items": [{"name": "pen", "price": 2}]}
    assert Schema(ORDER).validate(value) is value
    assert Schema(ORDER).is_valid(value)


def test_errors_carry_paths_sorted_and_render_one_per_line() -> None:
    value = {"items": [{"name": "a", "price": 1}] * 2 + [{"price": -1}] + [{"name": 3}] * 8}
    with pytest.raises(ValidationFailed) as info:
        Schema(ORDER).validate(value)
    paths = [issue.path for issue in info.value.errors]
    # Numeric order, not text order: items[10] comes after items[2].
    assert paths[:4] == ["(root)", "items[2]", "items[2].price", "items[3].name"]
    assert paths[-1] == "items[10].name"
    text = str(info.value).splitlines()
    assert "- items[2].price: -1 is less than the minimum of 0" in text
    assert "- (root): 'id' is a required property" in text
    assert isinstance(info.value, LLMKitError)
    assert not Schema(ORDER).is_valid(value)


def test_errors_are_capped_with_a_count_of_the_rest() -> None:
    schema = Schema({"type": "array", "items": {"type": "string"}}, max_errors=3)
    with pytest.raises(ValidationFailed) as info:
        schema.validate(list(range(10)))
    assert len(info.value.errors) == 3
    assert info.value.total == 10
    assert str(info.value).splitlines()[-1] == "- ... and 7 more"


def test_draft_2020_12_prefix_items_defs_and_unevaluated_properties() -> None:
    schema = Schema(
        {
            "$defs": {"point": {"type": "array", "prefixItems": [{"type": "number"}] * 2}},
            "type": "object",
            "properties": {"at": {"$ref": "#/$defs/point"}},
            "allOf": [{"properties": {"label": {"type": "string"}}}],
            "unevaluatedProperties": False,
        }
    )
    assert schema.is_valid({"at": [1, 2.5], "label": "x"})
    assert _issues(schema, {"at": [1, "two"], "colour": "red"}) == [
        ("(root)", "unevaluatedProperties"),
        ("at[1]", "type"),
    ]


def test_any_of_names_the_closest_branch() -> None:
    schema = Schema({"anyOf": [{"type": "string"}, {"properties": {"n": {"type": "integer"}}}]})
    with pytest.raises(ValidationFailed, match=r"closest match: n: 'x' is not of type 'integer'"):
        schema.validate({"n": "x"})


def test_paths_quote_keys_that_are_not_identifiers() -> None:
    assert format_path(["a", 0, "first name"]) == 'a[0]["first name"]'
    assert format_path([]) == "(root)"
    assert str(SchemaIssue("a.b", "bad", "type")) == "- a.b: bad"


def test_schema_keyword_picks_the_draft() -> None:
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]}
    assert not Schema(draft7).is_valid([1])  # tuple form of items only exists before 2019-09
    with pytest.raises(SchemaError):
        Schema({"items": [{"type": "string"}]})  # the 2020-12 default rejects it


@pytest.mark.parametrize(
    ("schema", "keyword", "path"),
    [
        ({"type": "integr"}, "type", "type"),
        ({"properties": {"age": {"minimum": "zero"}}}, "minimum", "properties.age.minimum"),
        ({"required": "name"}, "required", "required"),
        ({"$schema": "https://example.com/nope", "type": "string"}, "$schema", "(root)"),
        ({"properties": {"a": {"$ref": "#/$defs/missing"}}}, "$ref", "properties.a.$ref"),
    ],
)
def test_bad_schema_raises_schema_error_naming_keyword_and_path(
    schema: dict[str, Any], keyword: str, path: str
) -> None:
    with pytest.raises(SchemaError) as info:
        Schema(schema)
    assert info.value.keyword == keyword
    assert info.value.path == path
    assert isinstance(info.value, LLMKitError)


def test_non_mapping_schema_is_rejected() -> None:
    with pytest.raises(SchemaError, match="JSON object"):
        Schema([1, 2])  # type: ignore[arg-type]


def test_schema_is_copied_at_construction() -> None:
    raw: dict[str, Any] = {"type": "string"}
    schema = Schema(raw)
    raw["type"] = "integer"
    assert schema.is_valid("text")
    assert schema.json_schema == {"type": "string"}


def test_formats_are_checked_only_on_request() -> None:
    raw = {"type": "string", "format": "date"}
    assert Schema(raw).is_valid("not a date")
    assert not Schema(raw, check_formats=True).is_valid("not a date")


# --- from_type ---------------------------------------------------------------------------


class Item(BaseModel):
    name: str
    price: float = 0.0


class Order(BaseModel):
    id: int
    items: list[Item]


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str
    year: int


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@pytest.mark.parametrize(
    ("python_type", "value", "expected"),
    [
        (Order, {"id": 1, "items": [{"name": "pen"}]}, Order(id=1, items=[Item(name="pen")])),
        (Point, {"x": 1, "y": 2}, Point(1, 2)),
        (Movie, {"title": "Up", "year": 2009}, {"title": "Up", "year": 2009}),
        (int, 3, 3),
        (str, "s", "s"),
        (bool, True, True),
        (list[int], [1, 2], [1, 2]),
        (dict[str, float], {"a": 1.5}, {"a": 1.5}),
        (Literal["a", "b"], "b", "b"),
        (int | None, None, None),
        (Colour, "red", Colour.RED),
    ],
)
def test_from_type_validates_and_returns_typed_values(
    python_type: Any, value: Any, expected: Any
) -> None:
    schema = Schema.from_type(python_type)
    assert schema.python_type is python_type
    assert schema.validate(value) == value  # the JSON view: unchanged
    result = schema.validate_python(value)
    assert result == expected
    assert type(result) is type(expected)


def test_from_type_errors_have_paths_for_both_views() -> None:
    schema = Schema.from_type(Order)
    bad = {"id": "x", "items": [{"name": "pen"}, {"price": 1}]}
    with pytest.raises(ValidationFailed) as info:
        schema.validate(bad)
    json_issues = [i.path for i in info.value.errors]
    with pytest.raises(ValidationFailed) as info:
        schema.validate_python(bad)
    python_issues = [i.path for i in info.value.errors]
    assert json_issues == ["id", "items[1]"]
    assert python_issues == ["id", "items[1].name"]
    assert "- items[1].name: Field required" in str(info.value)


def test_from_type_rejects_types_without_a_schema() -> None:
    with pytest.raises(SchemaError, match="cannot build a JSON schema"):
        Schema.from_type(object())


def test_dict_schema_validate_python_is_validate() -> None:
    schema = Schema({"type": "integer"})
    assert schema.python_type is None
    assert schema.validate_python(4) == 4
    with pytest.raises(ValidationFailed):
        schema.validate_python("4")


def test_import_does_not_load_jsonschema_or_pydantic() -> None:
    code = (
        "import sys, llmkit, llmkit.schema; "
        "print(','.join(m for m in ('jsonschema', 'pydantic', 'referencing', 'json_repair')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
