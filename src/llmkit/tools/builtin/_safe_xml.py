"""Parse untrusted XML without DTDs, entities or external references.

`defusedxml` is not a dependency, and the stdlib parsers expand entities declared in a
DTD (billion laughs, quadratic blowup) when given one. So this builds an ElementTree
from expat events itself and refuses any document that has a DOCTYPE at all, before a
single entity is declared: the same stance as ``defusedxml``'s ``forbid_dtd=True``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import NoReturn
from xml.parsers import expat

from ..base import ModelRetry

__all__ = ["MAX_XML_DEPTH", "MAX_XML_ELEMENTS", "local_name", "parse_xml"]

MAX_XML_DEPTH = 200
MAX_XML_ELEMENTS = 200_000


class _Refused(Exception):
    """Raised inside an expat handler to stop the parse; turned into `ModelRetry`."""


def parse_xml(
    text: str, *, max_depth: int = MAX_XML_DEPTH, max_elements: int = MAX_XML_ELEMENTS
) -> ET.Element:
    """Parse `text` into an element tree, refusing DTDs and documents too deep or too big.

    Tags keep their namespace as ElementTree spells it (``{uri}local``).

    Raises:
        ModelRetry: The XML is malformed (the message gives line and column), has a
            DOCTYPE, or exceeds `max_depth` / `max_elements`.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    # Never read parameter entities or the external DTD subset, even if a handler asks.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0
    elements = 0

    def refuse_dtd(*_: object) -> NoReturn:
        raise _Refused("XML with a DOCTYPE (DTD) is refused: entities could expand without bound")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, elements
        depth += 1
        elements += 1
        if depth > max_depth:
            raise _Refused(f"XML nested deeper than {max_depth} elements")
        if elements > max_elements:
            raise _Refused(f"XML has more than {max_elements} elements")
        builder.start(_fix_name(name), {_fix_name(k): v for k, v in attrs.items()})

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(_fix_name(name))

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.UnparsedEntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
    except _Refused as exc:
        raise ModelRetry(str(exc)) from None
    except expat.ExpatError as exc:
        raise ModelRetry(
            f"malformed XML at line {exc.lineno}, column {exc.offset + 1}: "
            f"{expat.ErrorString(exc.code)}"
        ) from None
    return builder.close()


def local_name(tag: str) -> str:
    """`tag` without its ``{namespace}`` prefix."""
    return tag.rpartition("}")[2]


def _fix_name(name: str) -> str:
    # expat gives "uri}local" for namespaced names; ElementTree spells them "{uri}local".
    return "{" + name if "}" in name else name
