"""XML replies as plain dicts, parsed with defusedxml (no entities, no DTDs)."""

from __future__ import annotations

import importlib
from typing import Any, TypedDict
from xml.etree.ElementTree import Element, TreeBuilder
from xml.etree.ElementTree import ParseError as ExpatParseError

from ._guard import guarded
from .errors import ParseError
from .limits import DEFAULT_LIMITS, Deadline, ParseLimits, check_size
from .markdown import code_blocks

__all__ = ["XMLElement", "parse_xml"]

_CHECK_EVERY = 1024


class XMLElement(TypedDict):
    """One element: ``tail`` is the text after its end tag, inside the parent."""

    tag: str
    attrib: dict[str, str]
    text: str
    tail: str
    children: list[XMLElement]


class _BoundedBuilder(TreeBuilder):
    # Depth and time are checked as expat reports each start tag, so a deep or huge document
    # stops where it breaks the limit instead of being built first.
    def __init__(self, limits: ParseLimits, deadline: Deadline) -> None:
        super().__init__()
        self._max_depth = limits.max_depth
        self._deadline = deadline
        self._depth = 0
        self._count = 0

    def start(self, tag: Any, attrs: Any) -> Element:
        self._depth += 1
        self._count += 1
        if self._depth > self._max_depth:
            raise ParseError("xml", f"nesting deeper than {self._max_depth}")
        if self._count % _CHECK_EVERY == 0:
            self._deadline.check()
        return super().start(tag, attrs)

    def end(self, tag: Any) -> Element:
        self._depth -= 1
        return super().end(tag)


def _defused_parser(target: TreeBuilder) -> Any:
    # defusedxml ships no type hints; the parser is used only through feed() and close().
    module = importlib.import_module("defusedxml.ElementTree")
    return module.DefusedXMLParser(target=target, forbid_dtd=True)


def _to_dict(root: Element) -> XMLElement:
    # Iterative, so converting a document at the depth limit needs no deep Python stack.
    def convert(element: Element) -> XMLElement:
        return {
            "tag": str(element.tag),
            "attrib": dict(element.attrib),
            "text": element.text or "",
            "tail": element.tail or "",
            "children": [],
        }

    top = convert(root)
    top["tail"] = ""
    stack = [(root, top)]
    while stack:
        element, converted = stack.pop()
        for child in element:
            child_dict = convert(child)
            converted["children"].append(child_dict)
            stack.append((child, child_dict))
    return top


def _locate(text: str, limits: ParseLimits) -> str:
    if "```" in text or "~~~" in text:
        for block in code_blocks(text, limits=limits):
            if block.language in ("xml", "html", "svg"):
                return block.code.strip()
    stripped = text.strip()
    if stripped.startswith("<"):
        return stripped
    start, end = stripped.find("<"), stripped.rfind(">")
    return stripped[start : end + 1] if 0 <= start < end else stripped


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(part) + 1 for part in lines[: max(line - 1, 0)]) + column


@guarded("xml")
def parse_xml(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> XMLElement:
    """The root element of an XML reply (or of its ```xml block, or of the tags in prose).

    Raises:
        ParseError: Malformed XML, any DTD or entity declaration (entity bombs), or a broken
            limit.
    """
    check_size(text, limits.max_chars, "xml")
    deadline = limits.deadline("xml")
    source = _locate(text, limits)
    builder = _BoundedBuilder(limits, deadline)
    parser = _defused_parser(builder)
    try:
        parser.feed(source)
        root: Element = parser.close()
    except ExpatParseError as exc:
        line, column = exc.position
        raise ParseError("xml", str(exc), _offset(source, line, column)) from None
    deadline.check()
    return _to_dict(root)
