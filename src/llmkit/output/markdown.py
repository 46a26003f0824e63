"""Markdown structure in model replies: fenced code blocks, pipe tables and lists."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._guard import guarded
from .limits import DEFAULT_LIMITS, ParseLimits, check_size

__all__ = ["CodeBlock", "Markdown", "code_blocks", "lists", "parse_markdown", "tables"]


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """One fenced code block; ``language`` is "" when the fence names none."""

    language: str
    code: str


@dataclass(frozen=True, slots=True)
class Markdown:
    """The structure `parse_markdown` finds in a reply."""

    code_blocks: list[CodeBlock] = field(default_factory=list)
    tables: list[list[dict[str, str]]] = field(default_factory=list)
    lists: list[list[str]] = field(default_factory=list)


# The opening fence, its info string, the body, then a closing fence of the same kind or the
# end of text (a reply cut off mid-block still yields its block).
_FENCE = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n(?P<code>.*?)"
    r"(?:^[ \t]{0,3}(?P=fence)[ \t]*$|\Z)",
    re.M | re.S,
)
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)*\|?\s*$")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?P<item>\S.*)$")


@guarded("markdown")
def code_blocks(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> list[CodeBlock]:
    """Every fenced code block (``` or ~~~), in order; an unclosed last block runs to the end."""
    check_size(text, limits.max_chars, "markdown")
    blocks = []
    for match in _FENCE.finditer(text):
        language = match.group("info").strip().split(" ")[0].lower()
        code = match.group("code")
        blocks.append(CodeBlock(language, code[:-1] if code.endswith("\n") else code))
    return blocks


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body.removeprefix("|")
    body = body.removesuffix("|")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", body)]


@guarded("markdown")
def tables(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> list[list[dict[str, str]]]:
    """Every pipe table (header row, separator row, body rows) as a list of row dicts.

    Short rows are padded with "" and extra cells dropped, as Markdown renderers do.
    """
    check_size(text, limits.max_chars, "markdown")
    lines = _outside_fences(text).split("\n")
    found: list[list[dict[str, str]]] = []
    index = 0
    while index < len(lines) - 1:
        header, separator = lines[index], lines[index + 1]
        if "|" in header and _TABLE_SEPARATOR.match(separator) and "-" in separator:
            names = _cells(header)
            rows: list[dict[str, str]] = []
            index += 2
            while index < len(lines) and "|" in lines[index] and lines[index].strip():
                cells = _cells(lines[index])
                cells += [""] * (len(names) - len(cells))
                rows.append(dict(zip(names, cells, strict=False)))
                index += 1
            found.append(rows)
        else:
            index += 1
    return found


@guarded("markdown")
def lists(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> list[list[str]]:
    """Every run of consecutive list items (``-``, ``*``, ``+``, ``1.``, ``1)``).

    Nested items are flattened into their run, in document order.
    """
    check_size(text, limits.max_chars, "markdown")
    found: list[list[str]] = []
    current: list[str] = []
    for line in _outside_fences(text).split("\n"):
        match = _LIST_ITEM.match(line)
        if match:
            current.append(match.group("item").strip())
        elif current and line.strip():
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


@guarded("markdown")
def parse_markdown(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> Markdown:
    """The code blocks, tables and lists of a Markdown reply."""
    return Markdown(
        code_blocks(text, limits=limits), tables(text, limits=limits), lists(text, limits=limits)
    )


def _outside_fences(text: str) -> str:
    # Tables and lists inside code blocks are code, not structure.
    return _FENCE.sub("", text) if "```" in text or "~~~" in text else text
