"""Parsers by format name, and `parse`, which detects the format when it is not given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ._guard import guarded
from .detect import detect_format
from .errors import ParseError
from .json_parse import parse_json
from .limits import DEFAULT_LIMITS, ParseLimits, check_size
from .markdown import parse_markdown
from .tabular import parse_csv, parse_kv
from .xml_parse import parse_xml
from .yaml_parse import parse_yaml

__all__ = ["Parser", "ParserRegistry", "default_registry", "parse", "parsers", "register_parser"]

Parser = Callable[[str, ParseLimits], Any]
"""A parser takes the text and the limits to honour, and returns the parsed value."""


def _text(text: str, limits: ParseLimits) -> str:
    return text


_BUILTINS: dict[str, Parser] = {
    "json": lambda text, limits: parse_json(text, limits=limits),
    "yaml": lambda text, limits: parse_yaml(text, limits=limits),
    "xml": lambda text, limits: parse_xml(text, limits=limits),
    "markdown": lambda text, limits: parse_markdown(text, limits=limits),
    "csv": lambda text, limits: parse_csv(text, limits=limits),
    "kv": lambda text, limits: parse_kv(text, limits=limits),
    "text": _text,
}


class ParserRegistry:
    """Format names mapped to parsers; starts with the built-in formats."""

    def __init__(self) -> None:
        self._parsers: dict[str, Parser] = dict(_BUILTINS)

    @property
    def parsers(self) -> Mapping[str, Parser]:
        """A read-only, live view of the registered parsers."""
        return MappingProxyType(self._parsers)

    def register(self, name: str, parser: Parser) -> None:
        """Add or replace the parser for ``name``."""
        self._parsers[name] = parser

    def parse(
        self, text: str, format: str | None = None, *, limits: ParseLimits = DEFAULT_LIMITS
    ) -> Any:
        """Parse ``text`` as ``format``, detected with `detect_format` when None.

        Raises:
            ParseError: Unknown format, or the parser failed (any error it raises is wrapped).
        """
        name = format or "text"
        try:
            check_size(text, limits.max_chars, name)
            name = format or detect_format(text)
            parser = self._parsers.get(name)
            if parser is None:
                raise ParseError(name, f"no parser registered (known: {sorted(self._parsers)})")
            return guarded(name)(parser)(text, limits)
        except ParseError:
            raise
        except Exception as exc:  # detect_format's own failures on hostile input
            raise ParseError(name, f"{type(exc).__name__}: {exc}"[:300]) from exc


default_registry = ParserRegistry()
parsers = default_registry.parsers
"""The default registry's parsers, by format name (read-only view)."""


def register_parser(name: str, parser: Parser) -> None:
    """Add or replace a parser in the default registry."""
    default_registry.register(name, parser)


def parse(text: str, format: str | None = None, *, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """Parse ``text`` with the default registry; see `ParserRegistry.parse`."""
    return default_registry.parse(text, format, limits=limits)
