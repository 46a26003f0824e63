"""Read a Google-style docstring: the description and each argument's description."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["ParsedDocstring", "parse_docstring"]

_ARGS_HEADERS = frozenset({"args", "arguments", "parameters", "params", "keyword args"})
_SECTION = re.compile(r"^([A-Z][A-Za-z ]*):\s*$")
# `name (type): text`, `name: text`, also `*args:`; the type in parentheses is ignored
# because the signature's annotation is the one that counts.
_ARG = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(slots=True)
class ParsedDocstring:
    """What a tool's docstring tells the model."""

    description: str = ""
    arguments: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Split `doc` into its description (the text before the first section) and `Args:`.

    Args:
        doc: The raw docstring, or None.

    Returns:
        The description with paragraphs kept and lines within a paragraph joined, and a
        map of argument name to description (continuation lines joined).
    """
    if not doc:
        return ParsedDocstring()
    lines = inspect.cleandoc(doc).splitlines()
    first_section = next((i for i, line in enumerate(lines) if _SECTION.match(line)), len(lines))
    description = _join_paragraphs(lines[:first_section])
    arguments: dict[str, str] = {}
    i = first_section
    while i < len(lines):
        header = _SECTION.match(lines[i])
        i += 1
        if header is None:
            continue
        body: list[str] = []
        # A section's body is every following line that is indented or blank.
        while i < len(lines) and (not lines[i].strip() or lines[i][:1].isspace()):
            body.append(lines[i])
            i += 1
        if header.group(1).strip().lower() in _ARGS_HEADERS:
            arguments.update(_parse_args(body))
    return ParsedDocstring(description=description, arguments=arguments)


def _parse_args(body: list[str]) -> dict[str, str]:
    indents = [len(line) - len(line.lstrip()) for line in body if line.strip()]
    if not indents:
        return {}
    base = min(indents)
    result: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        match = _ARG.match(line.strip()) if indent == base else None
        if match is not None:
            current = result.setdefault(match.group(1), [])
            if match.group(2):
                current.append(match.group(2).strip())
        elif current is not None:
            current.append(line.strip())
    return {name: " ".join(parts) for name, parts in result.items()}


def _join_paragraphs(lines: list[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return "\n\n".join(paragraphs)
