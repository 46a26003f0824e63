"""Examples for every format of llmkit.output, every JSON repair, and the error contract."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmkit.errors import LLMKitError
from llmkit.output import (
    CodeBlock,
    ParseError,
    ParseLimits,
    ParserRegistry,
    PartialJSONParser,
    code_blocks,
    detect_format,
    extract_json,
    lists,
    parse,
    parse_csv,
    parse_json,
    parse_kv,
    parse_partial_json,
    parse_xml,
    parse_yaml,
    parsers,
    repair_json,
    tables,
)

# --- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ('{"a": 1, "b": [1, 2,],}', {"a": 1, "b": [1, 2]}),  # trailing commas
        ("{'a': 'x', 'b': ['y']}", {"a": "x", "b": ["y"]}),  # single quotes
        ('{a: 1, b_c: "x"}', {"a": 1, "b_c": "x"}),  # unquoted keys
        ('{"a": 1, // why\n "b": 2 /* note */}', {"a": 1, "b": 2}),  # comments
        ('{"a": True, "b": False, "c": None}', {"a": True, "b": False, "c": None}),  # Python
        ('{"a": [1, {"b": "c"', {"a": [1, {"b": "c"}]}),  # missing closers
    ],
)
def test_parse_json_repairs(broken: str, expected: Any) -> None:
    assert parse_json(broken) == expected
    assert json.loads(repair_json(broken)) == expected


def test_parse_json_without_repair_refuses_broken_json() -> None:
    with pytest.raises(ParseError) as info:
        parse_json("{'a': 1}", repair=False)
    assert info.value.format == "json"


def test_parse_json_in_prose_and_fences() -> None:
    assert parse_json('Sure! Here it is: {"a": [1, 2]} Hope that helps.') == {"a": [1, 2]}
    fenced = 'Result:\n```json\n{"ok": true}\n```\nDone.'
    assert parse_json(fenced) == {"ok": True}
    assert parse_json("```\n[1, 2]\n```") == [1, 2]
    assert parse_json("Broken: ```json\n{'ok': True,}\n```") == {"ok": True}
    assert parse_json("The list [1, 2, 3] is it.") == [1, 2, 3]


def test_extract_json_is_the_agent_compatible_entry_point() -> None:
    assert extract_json('{"x": 1}') == {"x": 1}
    assert extract_json("answer: {'x': 1,}") == {"x": 1}
    with pytest.raises(ParseError):
        extract_json("no json here")
    with pytest.raises(ParseError, match="empty"):
        extract_json("   ")


def test_parse_error_is_an_llmkit_error_with_details() -> None:
    with pytest.raises(LLMKitError) as info:
        parse_json("nothing", repair=False)
    error = info.value
    assert isinstance(error, ParseError)
    assert error.format == "json"
    assert error.reason
    assert "json" in str(error)


def test_repair_json_returns_canonical_json_and_refuses_nothing() -> None:
    assert repair_json("{'b': 1,}") == '{"b": 1}'
    assert repair_json("```json\n[1, 2,]\n```") == "[1, 2]"
    with pytest.raises(ParseError):
        repair_json("just words")


# --- partial JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", None),
        ("Sure, here", None),
        ("```json\n", None),
        ('{"name": "Ad', {"name": "Ad"}),
        ('{"name": "Ada", "ag', {"name": "Ada"}),
        ('{"n": 12', {}),  # the number may still grow: left out
        ('{"n": 12,', {"n": 12}),
        ('[1, 2, {"a": tr', [1, 2, {"a": True}]),
        ('```json\n{"a": [1, 2', {"a": [1]}),
        ('Here: {"a": "b"} and more', {"a": "b"}),
    ],
)
def test_parse_partial_json(prefix: str, expected: Any) -> None:
    assert parse_partial_json(prefix) == expected


def test_partial_parser_fed_chunks_gives_growing_values() -> None:
    document = {"title": "Streams", "tags": ["a", "bb", "ccc"], "meta": {"n": 3, "ok": True}}
    text = "Here you go:\n```json\n" + json.dumps(document, indent=2) + "\n```"
    parser = PartialJSONParser()
    seen: list[Any] = []
    for start in range(0, len(text), 7):
        value = parser.feed(text[start : start + 7])
        if value is not None and (not seen or value != seen[-1]):
            seen.append(value)
    assert seen[-1] == document
    assert parser.value == document
    assert parser.close() == document
    assert len(seen) > 5
    sizes = [len(json.dumps(value)) for value in seen]
    assert sizes == sorted(sizes)


def test_partial_parser_refuses_garbage_and_oversized_streams() -> None:
    with pytest.raises(ParseError):
        parse_partial_json("{]")
    parser = PartialJSONParser(limits=ParseLimits(max_chars=10))
    parser.feed('{"a": ')
    with pytest.raises(ParseError, match="limit"):
        parser.feed('"long value"}')


# --- YAML, XML ------------------------------------------------------------------------------


def test_parse_yaml() -> None:
    text = "name: Ada\ntags:\n  - x\n  - y\nnested:\n  ok: true\n"
    assert parse_yaml(text) == {"name": "Ada", "tags": ["x", "y"], "nested": {"ok": True}}
    assert parse_yaml("Here:\n```yaml\na: 1\n```") == {"a": 1}


def test_yaml_refuses_python_tags_alias_bombs_and_recursion() -> None:
    with pytest.raises(ParseError) as info:
        parse_yaml("!!python/object/apply:os.system ['echo hi']")
    assert info.value.format == "yaml"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=False)
    )
    with pytest.raises(ParseError, match="aliases"):
        parse_yaml(bomb)
    with pytest.raises(ParseError, match="recursive"):
        parse_yaml("&a [*a]")
    with pytest.raises(ParseError, match="nesting"):
        parse_yaml("a:\n" + "[" * 600)


def test_parse_xml_to_dicts() -> None:
    tree = parse_xml('Here it is: <root id="1">hi<item>x</item>after<empty/></root>')
    assert tree["tag"] == "root"
    assert tree["attrib"] == {"id": "1"}
    assert tree["text"] == "hi"
    assert [child["tag"] for child in tree["children"]] == ["item", "empty"]
    assert tree["children"][0]["text"] == "x"
    assert tree["children"][0]["tail"] == "after"
    assert parse_xml("```xml\n<a/>\n```")["tag"] == "a"


def test_xml_refuses_entity_bombs_dtds_and_depth() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
    )
    with pytest.raises(ParseError) as info:
        parse_xml(bomb)
    assert info.value.format == "xml"
    with pytest.raises(ParseError, match="nesting"):
        parse_xml("<a>" * 1000 + "</a>" * 1000)
    with pytest.raises(ParseError) as mismatched:
        parse_xml("<a><b></a>")
    assert mismatched.value.position == 8


# --- Markdown, CSV, key-value ---------------------------------------------------------------

MARKDOWN = """# Report

Some text.

```python
print("hi")
```

| name | age |
|------|----:|
| Ada  | 36  |
| Bob  |     |

- first
- second
  - nested

1. one
2) two

~~~
plain
~~~
"""


def test_markdown_code_blocks_tables_lists() -> None:
    assert code_blocks(MARKDOWN) == [CodeBlock("python", 'print("hi")'), CodeBlock("", "plain")]
    assert tables(MARKDOWN) == [[{"name": "Ada", "age": "36"}, {"name": "Bob", "age": ""}]]
    assert lists(MARKDOWN) == [["first", "second", "nested", "one", "two"]]
    assert code_blocks("```json\n{}") == [CodeBlock("json", "{}")]  # cut-off reply


def test_parse_csv_sniffs_the_delimiter() -> None:
    assert parse_csv("a,b\n1,2\n3,4\n") == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert parse_csv("a;b\n1;2\n") == [{"a": "1", "b": "2"}]
    assert parse_csv("a\tb\n1\t\n") == [{"a": "1", "b": ""}]
    assert parse_csv('```csv\nx,y\n"1,5",2\n```') == [{"x": "1,5", "y": "2"}]
    with pytest.raises(ParseError) as info:
        parse_csv("a,b\n1,2,3\n")
    assert info.value.format == "csv"


def test_parse_kv() -> None:
    text = "name: Ada\n# comment\n\nanswer = no\nurl: https://example.com/x"
    assert parse_kv(text) == {"name": "Ada", "answer": "no", "url": "https://example.com/x"}
    with pytest.raises(ParseError) as info:
        parse_kv("name: Ada\nthis is prose")
    assert info.value.format == "kv"
    assert info.value.position == 10


# --- detection and the registry -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', "json"),
        ("[1, 2]", "json"),
        ('```json\n{"a": 1}\n```', "json"),
        ('The answer is {"a": 1}.', "json"),
        ("a:\n  b: 1\n  c: [2]\n", "yaml"),
        ("---\na: 1\n", "yaml"),
        ("```yaml\na: 1\n```", "yaml"),
        ("<root><a/></root>", "xml"),
        ("# Title\n\nSome *text*.", "markdown"),
        ("Intro\n\n- one\n- two", "markdown"),
        ("a,b,c\n1,2,3\n4,5,6", "csv"),
        ("name: Ada\nage: 36", "kv"),
        ("name = Ada\nage = 36", "kv"),
        ("Just a plain sentence.", "text"),
        ("", "text"),
        ("[link](https://example.com) here", "markdown"),
    ],
)
def test_detect_format(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_parse_detects_then_parses() -> None:
    assert parse('{"a": 1}') == {"a": 1}
    assert parse("a:\n  b: 1\n") == {"a": {"b": 1}}
    assert parse("name: Ada") == {"name": "Ada"}
    assert parse("a,b\n1,2") == [{"a": "1", "b": "2"}]
    assert parse("hello") == "hello"
    assert parse("a: 1", format="yaml") == {"a": 1}
    assert set(parsers) >= {"json", "yaml", "xml", "markdown", "csv", "kv", "text"}


def test_registry_custom_parsers_and_unknown_formats() -> None:
    registry = ParserRegistry()
    registry.register("upper", lambda text, limits: text.upper())
    registry.register("broken", lambda text, limits: 1 / 0)
    assert registry.parse("abc", "upper") == "ABC"
    assert "upper" not in parsers  # registries are independent
    with pytest.raises(ParseError) as info:
        registry.parse("abc", "broken")
    assert info.value.format == "broken"
    with pytest.raises(ParseError, match="no parser"):
        registry.parse("abc", "toml")


@pytest.mark.parametrize("format", ["json", "yaml", "xml", "csv", "kv"])
def test_bad_input_names_the_format(format: str) -> None:
    bad = {"json": "no json at all", "yaml": "a: [", "xml": "<a>", "csv": "", "kv": "no separator"}
    with pytest.raises(ParseError) as info:
        parse(bad[format], format=format)
    assert info.value.format == format


def test_deadline_is_enforced_inside_parse_loops() -> None:
    expired = ParseLimits(timeout=-1)
    with pytest.raises(ParseError, match="time limit"):
        parse_yaml("\n".join(f"k{i}: {i}" for i in range(3000)), limits=expired)
    with pytest.raises(ParseError, match="time limit"):
        parse_json("{'a': 1}", limits=expired)
    with pytest.raises(ParseError, match="time limit"):
        parse_xml("<r>" + "<a/>" * 3000 + "</r>", limits=expired)
