"""Parsers that survive anything a model writes: JSON (repaired, partial, streamed), YAML,
XML, Markdown, CSV and ``key: value`` text.

Every public function raises only `ParseError`, and honours `ParseLimits` (size, nesting,
time): see `llmkit.output.limits` for what is bounded and how.
"""

from __future__ import annotations

from .detect import Format, detect_format
from .errors import ParseError
from .json_parse import extract_json, parse_json, repair_json
from .json_partial import PartialJSONParser, parse_partial_json
from .limits import DEFAULT_LIMITS, ParseLimits
from .markdown import CodeBlock, Markdown, code_blocks, lists, parse_markdown, tables
from .registry import (
    Parser,
    ParserRegistry,
    default_registry,
    parse,
    parsers,
    register_parser,
)
from .tabular import parse_csv, parse_kv
from .xml_parse import XMLElement, parse_xml
from .yaml_parse import parse_yaml

__all__ = [
    "DEFAULT_LIMITS",
    "CodeBlock",
    "Format",
    "Markdown",
    "ParseError",
    "ParseLimits",
    "PartialJSONParser",
    "Parser",
    "ParserRegistry",
    "XMLElement",
    "code_blocks",
    "default_registry",
    "detect_format",
    "extract_json",
    "lists",
    "parse",
    "parse_csv",
    "parse_json",
    "parse_kv",
    "parse_markdown",
    "parse_partial_json",
    "parse_xml",
    "parse_yaml",
    "parsers",
    "register_parser",
    "repair_json",
    "tables",
]
