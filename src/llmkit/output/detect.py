"""Guess which format a model reply is written in."""

from __future__ import annotations

import json
import re
from typing import Literal

from .markdown import code_blocks

__all__ = ["Format", "detect_format"]

Format = Literal["json", "yaml", "xml", "markdown", "csv", "kv", "text"]

_SAMPLE_LINES = 50  # the head of a reply is enough to tell its format
_FENCE_LANGUAGES: dict[str, Format] = {
    "json": "json",
    "yaml": "yaml",
    "yml": "yaml",
    "xml": "xml",
    "csv": "csv",
}
_JSON_START = re.compile(r'\s*(?:[{]|\[\s*(?:[\[{"\]\d-]|true|false|null))')
_KV = re.compile(r"^[A-Za-z_][\w .-]{0,60}?\s*(?::|=)(?:\s|$)")
_YAML_KEY = re.compile(r"^(?P<indent>\s*)(?:- )?[\w\"' .-]{1,80}:(?:\s|$)")
_YAML_ITEM = re.compile(r"^\s*- ")
# Bounded repeats only: this runs on untrusted text, and an unbounded `\[[^\]]+\]` would go
# quadratic on a long line of "[".
_MARKDOWN = re.compile(
    r"^(?:#{1,6} \S|[ \t]*(?:[-*+]|\d{1,9}[.)]) \S|[ \t]*\|[^\n]*\|[ \t]*$|> )"
    r"|\*\*\S|\[[^\]\n]{1,200}\]\([^)\s]{1,500}\)",
    re.M,
)


def _is_csv(lines: list[str]) -> bool:
    if len(lines) < 2:
        return False
    for delimiter in ",;\t|":
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() >= 1:
            return True
    return False


def _is_yaml(text: str, lines: list[str]) -> bool:
    if text.startswith("---"):
        return True
    structured = [line for line in lines if _YAML_KEY.match(line) or _YAML_ITEM.match(line)]
    nested = any(line[:1] in " \t" or _YAML_ITEM.match(line) for line in structured)
    return len(structured) == len(lines) and nested


def detect_format(text: str) -> Format:
    """The likely format of ``text``: a sole fenced block names its own, then shape decides.

    Flat ``key: value`` lines are "kv" rather than YAML, so values stay strings; YAML needs
    nesting, list items or a ``---`` start. Text that fits nothing is "text".
    """
    stripped = text.strip() if isinstance(text, str) else ""
    if not stripped:
        return "text"
    if stripped.startswith(("```", "~~~")):
        blocks = code_blocks(stripped)
        if len(blocks) == 1 and blocks[0].language in _FENCE_LANGUAGES:
            return _FENCE_LANGUAGES[blocks[0].language]
    if _JSON_START.match(stripped) or (stripped.startswith('"') and stripped.endswith('"')):
        return "json"
    if stripped.startswith("<") and stripped.endswith(">"):
        return "xml"
    lines = [line for line in stripped.split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES] if line.strip()]
    if _is_yaml(stripped, lines):
        return "yaml"
    keyed = [line for line in lines if not line.lstrip().startswith("#")]
    if keyed and all(_KV.match(line.strip()) for line in keyed):
        return "kv"
    if _MARKDOWN.search(stripped[:100_000]) or "```" in stripped:
        return "markdown"
    if _is_csv(lines[:20]):
        return "csv"
    if _embedded_json(stripped):
        return "json"
    return "text"


def _embedded_json(text: str) -> bool:
    # Prose around one JSON object: "Here you go: {...}". Decoding is the cheapest sure test.
    start = text.find("{")
    if start < 0:
        return False
    try:
        json.JSONDecoder().raw_decode(text[start : start + 1_000_000])
    except (ValueError, RecursionError):
        return False
    return True
