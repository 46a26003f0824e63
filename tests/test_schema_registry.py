"""`SchemaRegistry`: named schemas from code and files, with `$ref` between them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmkit.schema import SchemaError, SchemaRegistry, ValidationFailed

ADDRESS_YAML = """\
title: PostalAddress
type: object
properties:
  city: {type: string}
  zip: {type: string}
required: [city]
"""
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "home": {"$ref": "address.yaml"},
        "work": {"$ref": "address"},
        "tags": {"$ref": "common#/$defs/tags"},
    },
    "required": ["name"],
}


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    (tmp_path / "address.yaml").write_text(ADDRESS_YAML)
    (tmp_path / "person.json").write_text(json.dumps(PERSON))
    (tmp_path / "common.yml").write_text("$defs:\n  tags: {type: array, items: {type: string}}\n")
    (tmp_path / "notes.txt").write_text("not a schema")
    return tmp_path


def test_load_dir_registers_json_and_yaml_by_stem(schema_dir: Path) -> None:
    registry = SchemaRegistry()
    assert registry.load_dir(schema_dir) == ["address", "common", "person"]
    assert "person" in registry and "notes" not in registry
    assert len(registry) == 3 and list(registry) == registry.names


def test_cross_file_refs_resolve_with_paths_in_errors(schema_dir: Path) -> None:
    registry = SchemaRegistry()
    registry.load_dir(schema_dir)
    person = registry.get("person")
    good = {"name": "Ada", "home": {"city": "London"}, "work": {"city": "Cambridge"}}
    assert person.validate({**good, "tags": ["math"]})
    with pytest.raises(ValidationFailed) as info:
        registry.validate("person", {"name": "Ada", "home": {}, "work": {"city": 1}, "tags": [2]})
    assert [issue.path for issue in info.value.errors] == ["home", "tags[0]", "work.city"]
    assert registry.get("person") is person  # built once


def test_names_from_titles(schema_dir: Path) -> None:
    registry = SchemaRegistry()
    assert registry.load_file(schema_dir / "address.yaml", name_by="title") == "PostalAddress"
    assert registry.load_file(schema_dir / "common.yml", name_by="title") == "common"  # no title
    registry.register("person", {"properties": {"home": {"$ref": "PostalAddress"}}})
    assert not registry.get("person").is_valid({"home": {}})
    registry.register("other", {"properties": {"home": {"$ref": "address.yaml"}}})  # file name
    assert registry.get("other").is_valid({"home": {"city": "X"}})


def test_refs_by_id_and_code_registration() -> None:
    registry = SchemaRegistry()
    registry.register("money", {"$id": "https://example.com/money", "type": "number", "minimum": 0})
    registry.register("price", {"type": "object", "properties": {"eur": {"$ref": "money"}}})
    registry.register("cost", {"properties": {"v": {"$ref": "https://example.com/money"}}})
    assert not registry.get("price").is_valid({"eur": -1})
    assert not registry.get("cost").is_valid({"v": -1})
    with pytest.raises(SchemaError, match="already registered"):
        registry.register("money", {"type": "string"})
    registry.register("money", {"type": "string"}, replace=True)
    assert registry.get("price").is_valid({"eur": "ten"})


def test_unresolvable_ref_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text(json.dumps({"properties": {"a": {"$ref": "nowhere"}}}))
    registry = SchemaRegistry()
    registry.load_dir(tmp_path)
    with pytest.raises(SchemaError) as info:
        registry.get("broken")
    assert info.value.keyword == "$ref"
    assert str(info.value).startswith(str(tmp_path / "broken.json"))
    assert "nowhere" in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", "{not json", "cannot parse"),
        ("bad.yaml", "type: [", "cannot parse"),
        ("list.json", "[1, 2]", "must hold an object"),
        ("invalid.yml", "type: integr", "invalid schema at type"),
    ],
)
def test_file_errors_name_the_file(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SchemaError, match=message) as info:
        SchemaRegistry().load_file(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)


def test_duplicate_names_across_files_and_missing_things(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"title": "same"}')
    (tmp_path / "b.yaml").write_text("title: same")
    with pytest.raises(SchemaError, match=r"'same' is already registered \(from .*a\.json\)"):
        SchemaRegistry().load_dir(tmp_path, name_by="title")
    with pytest.raises(SchemaError, match="cannot read"):
        SchemaRegistry().load_file(tmp_path / "missing.json")
    with pytest.raises(SchemaError, match="not a directory"):
        SchemaRegistry().load_dir(tmp_path / "a.json")
    with pytest.raises(KeyError, match="no schema named 'x'"):
        SchemaRegistry().get("x")
