"""data_manipulation: formats, conversions, queries, filters, sorting, merging, caps."""

from __future__ import annotations

import json
import time

import pytest

from llmkit.tools import ModelRetry, RunContext
from llmkit.tools.builtin import data_manipulation
from llmkit.tools.builtin.data_filter import compile_condition, filter_rows
from llmkit.tools.builtin.data_formats import MAX_INPUT_CHARS, check_shape, dump, load
from llmkit.tools.builtin.data_manipulation import manipulate
from llmkit.tools.builtin.data_ops import merge, parse_path, query, sort_rows

PEOPLE = {
    "items": [
        {"name": "Ann", "age": 31, "tags": ["admin", "dev"]},
        {"name": "Bob", "age": 20, "tags": ["dev"]},
        {"name": "Cid"},
    ]
}
PEOPLE_JSON = json.dumps(PEOPLE)
PEOPLE_CSV = "name,age,city\nAnn,35,Oslo\nBob,9,Rome\nCid,100,Oslo\n"


# -- formats ------------------------------------------------------------------------------


def test_load_each_format() -> None:
    assert load(PEOPLE_JSON, "json") == PEOPLE
    assert load(PEOPLE_CSV, "csv")[0] == {"name": "Ann", "age": "35", "city": "Oslo"}
    assert load("a: 1\nb: [x, y]\nwhen: 2024-01-02\n", "yaml") == {
        "a": 1,
        "b": ["x", "y"],
        "when": "2024-01-02",  # dates become text: JSON has no date type
    }
    xml = '<r a="1"><i>1</i><i>2</i><x k="v">t</x><empty/></r>'
    assert load(xml, "xml") == {
        "r": {"@a": "1", "i": ["1", "2"], "x": {"@k": "v", "#text": "t"}, "empty": None}
    }


def test_xml_namespaces_are_dropped() -> None:
    xml = '<a:r xmlns:a="urn:x"><a:b>1</a:b></a:r>'
    assert load(xml, "xml") == {"r": {"b": "1"}}


@pytest.mark.parametrize(
    ("text", "format", "message"),
    [
        ('{"a": 1,}', "json", "malformed JSON at line 1, column 9"),
        ("a: [1, 2", "yaml", "malformed YAML"),
        ("<r><a></r>", "xml", "malformed XML at line 1, column 9: mismatched tag"),
        ("[" * 100_000 + "]" * 100_000, "json", "nested too deeply"),
    ],
)
def test_malformed_input(text: str, format: str, message: str) -> None:
    with pytest.raises(ModelRetry, match=message):
        load(text, format)  # type: ignore[arg-type]


def test_yaml_is_safe_load_only() -> None:
    with pytest.raises(ModelRetry, match="malformed YAML"):
        load("!!python/object/apply:os.system ['echo hi']", "yaml")


def test_yaml_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    start = time.monotonic()
    with pytest.raises(ModelRetry, match="data too large"):
        load("\n".join(lines), "yaml")
    assert time.monotonic() - start < 10


def test_xml_billion_laughs_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        "<lolz>&lol3;</lolz>"
    )
    with pytest.raises(ModelRetry, match="DOCTYPE"):
        load(bomb, "xml")


def test_xml_external_entity_is_refused() -> None:
    xxe = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    with pytest.raises(ModelRetry, match="DOCTYPE"):
        load(xxe, "xml")


def test_input_size_cap() -> None:
    with pytest.raises(ModelRetry, match="input too large"):
        load(" " * (MAX_INPUT_CHARS + 1), "json")


def test_shape_check_refuses_cycles() -> None:
    cyclic: list[object] = []
    cyclic.append(cyclic)
    with pytest.raises(ModelRetry, match="too"):
        check_shape(cyclic)


def test_dump_round_trips() -> None:
    for format in ("json", "yaml", "xml"):
        assert load(dump({"r": {"a": "1", "b": ["x", "y"]}}, format), format) == {
            "r": {"a": "1", "b": ["x", "y"]}
        }
    rows = [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]
    assert load(dump(rows, "csv"), "csv") == rows


def test_dump_csv_of_nested_values_and_wrapped_records() -> None:
    text = dump({"items": [{"a": 1, "b": {"c": True}}, {"a": 2, "d": [1]}]}, "csv")
    assert text.splitlines() == ["a,b,d", '1,"{""c"": true}",', "2,,[1]"]


def test_dump_xml_sanitizes_names() -> None:
    assert (
        dump({"1 bad key": {"@x y": 1, "#text": "t"}}, "xml")
        == '<_1_bad_key x_y="1">t</_1_bad_key>'
    )
    assert dump([1, 2], "xml") == "<root><item>1</item><item>2</item></root>"


# -- query, filter, sort, merge ----------------------------------------------------------------


def test_query_paths() -> None:
    assert query(PEOPLE, "items[0].name") == "Ann"
    assert query(PEOPLE, "items[-1].name") == "Cid"
    assert query(PEOPLE, "items[*].name") == ["Ann", "Bob", "Cid"]
    assert query(PEOPLE, "items[*].age") == [31, 20]  # items without the key are skipped
    assert query(PEOPLE, "items[*].tags[0]") == ["admin", "dev"]
    assert query({"odd key": {"x": 1}}, '["odd key"].x') == 1
    assert query(PEOPLE, "") == PEOPLE
    assert query(PEOPLE, "$.items[1].age") == 20


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("items[0].nmae", r"key 'nmae' not found at items\[0\] \(keys: name, age, tags\)"),
        ("items[9]", r"index \[9\] not found at items: a list of 3"),
        ("items.name", "key 'name' not found at items"),
        ("items[0](", "invalid path"),
        ("items[x]", "invalid path"),
    ],
)
def test_query_errors(path: str, message: str) -> None:
    with pytest.raises(ModelRetry, match=message):
        query(PEOPLE, path)


def test_parse_path_refuses_code() -> None:
    for attack in ("__class__()", "items;rm", "a + b"):
        with pytest.raises(ModelRetry, match="invalid path"):
            parse_path(attack)


def test_filter_conditions() -> None:
    rows = load(PEOPLE_CSV, "csv")
    assert [r["name"] for r in filter_rows(rows, "age > 30")] == ["Ann", "Cid"]  # numeric
    assert [r["name"] for r in filter_rows(rows, 'name == "Bob"')] == ["Bob"]
    assert [r["name"] for r in filter_rows(rows, "city = Oslo and age < 50")] == ["Ann"]
    assert [r["name"] for r in filter_rows(rows, "age >= 100 or name startswith B")] == [
        "Bob",
        "Cid",
    ]
    assert [r["name"] for r in filter_rows(PEOPLE["items"], 'tags contains "admin"')] == ["Ann"]
    assert [r["name"] for r in filter_rows(PEOPLE["items"], "age != 31")] == ["Bob"]
    assert filter_rows([{"a": True}, {"a": False}], "a == true") == [{"a": True}]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("age >", "incomplete condition"),
        ("", "incomplete condition"),
        ("age is 3", "expected <field> <op> <value>"),
        ("age > 3 xor b == 1", "expected 'and' or 'or'"),
        ("__import__('os') == 1", "expected <field>"),
    ],
)
def test_filter_condition_errors(condition: str, message: str) -> None:
    with pytest.raises(ModelRetry, match=message):
        compile_condition(condition)


def test_filter_needs_a_list() -> None:
    with pytest.raises(ModelRetry, match="needs a list"):
        filter_rows({"a": 1}, "a == 1")


def test_sort_rows() -> None:
    rows = load(PEOPLE_CSV, "csv")
    assert [r["name"] for r in sort_rows(rows, "age")] == ["Bob", "Ann", "Cid"]  # 9 < 35 < 100
    assert [r["name"] for r in sort_rows(rows, "age", descending=True)] == ["Cid", "Ann", "Bob"]
    assert [r["name"] for r in sort_rows(PEOPLE["items"], "age")] == ["Bob", "Ann", "Cid"]
    assert sort_rows([3, "b", 1, "a", None]) == [1, 3, "a", "b", None]


def test_merge() -> None:
    assert merge({"a": {"b": 1, "l": [1]}, "x": 1}, {"a": {"c": 2, "l": [2]}, "x": 2}) == {
        "a": {"b": 1, "l": [1, 2], "c": 2},
        "x": 2,
    }
    assert merge([1], [2, 3]) == [1, 2, 3]
    assert merge({"a": 1}, [1]) == [1]


# -- the tool --------------------------------------------------------------------------------


def test_manipulate_operations() -> None:
    assert json.loads(manipulate("query", PEOPLE_JSON, query_text="items[*].name")) == [
        "Ann",
        "Bob",
        "Cid",
    ]
    assert manipulate("convert", PEOPLE_CSV, "csv", "json").startswith("[\n  {")
    assert manipulate("filter", PEOPLE_CSV, "csv", query_text="age > 30").splitlines() == [
        "name,age,city",
        "Ann,35,Oslo",
        "Cid,100,Oslo",
    ]
    merged = manipulate("merge", '{"a": 1}', other='{"b": 2}')
    assert json.loads(merged) == {"a": 1, "b": 2}
    assert manipulate("parse", "a: 1\n", "yaml") == "a: 1\n"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operation": "convert", "data": "{}"}, "convert needs to_format"),
        ({"operation": "query", "data": "{}"}, "query needs"),
        ({"operation": "filter", "data": "[]"}, "filter needs"),
        ({"operation": "merge", "data": "{}"}, "merge needs"),
    ],
)
def test_manipulate_missing_arguments(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ModelRetry, match=message):
        manipulate(**kwargs)  # type: ignore[arg-type]


async def test_through_the_tool_interface() -> None:
    ctx = RunContext(deps=None, run_id="t")
    result = await data_manipulation.call(
        ctx,
        {
            "operation": "sort",
            "data": PEOPLE_CSV,
            "format": "csv",
            "to_format": "yaml",
            "key": "age",
            "descending": True,
        },
    )
    assert result.startswith("- name: Cid\n")
    xml = await data_manipulation.call(
        ctx, {"operation": "query", "data": PEOPLE_JSON, "query": "items[0]", "to_format": "xml"}
    )
    assert xml.startswith("<root><name>Ann</name>")
    with pytest.raises(ModelRetry, match="operation"):
        await data_manipulation.call(ctx, {"operation": "eval", "data": "1"})
    with pytest.raises(ModelRetry, match="DOCTYPE"):
        await data_manipulation.call(
            ctx, {"operation": "parse", "data": "<!DOCTYPE x><x/>", "format": "xml"}
        )
    assert data_manipulation.capabilities == frozenset()
