"""Bounds on size, nesting and time that every parser call enforces.

What is bounded, and how:

* size: ``max_chars`` is checked before any work. The pure-Python paths (``json_repair``,
  partial JSON) get the smaller ``max_repair_chars``, because they cost ~1 µs per character
  and cannot be interrupted once started: capping their input is what bounds their time.
* nesting: for JSON a bracket scan outside strings runs *before* the text reaches
  ``json`` / ``json_repair`` / ``partial_json_parser``; YAML and XML count depth while the
  library builds nodes (loader and tree-builder hooks) and stop at the limit.
* time: a `Deadline` is checked between stages (each candidate, each repair attempt) and, for
  YAML, XML, CSV and key-value text, inside the parse loop every few nodes or rows. A single
  library call on JSON (``json.loads``, one ``json_repair`` run) is not preempted; its time is
  bounded by the size caps above. ``RecursionError`` is a last line of defence, never the plan.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from .errors import ParseError

__all__ = ["DEFAULT_LIMITS", "Deadline", "ParseLimits", "check_json_depth", "check_size"]


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds for one parser call.

    Attributes:
        max_chars: Largest input accepted, in characters.
        max_depth: Deepest nesting of containers (arrays, objects, elements) accepted.
        timeout: Seconds a call may take, checked between stages and inside parse loops.
        max_repair_chars: Largest input handed to the pure-Python JSON repair/partial parsers.
        max_yaml_nodes: Most YAML nodes after expanding aliases (refuses alias bombs).
    """

    max_chars: int = 10_000_000
    max_depth: int = 512
    timeout: float = 2.0
    max_repair_chars: int = 500_000
    max_yaml_nodes: int = 1_000_000

    def deadline(self, format: str) -> Deadline:
        """A deadline starting now, for a call parsing ``format``."""
        return Deadline(self.timeout, format)


DEFAULT_LIMITS = ParseLimits()


class Deadline:
    """The time left for one call; `check` raises `ParseError` once it has passed."""

    __slots__ = ("_end", "_format", "_seconds")

    def __init__(self, seconds: float, format: str) -> None:
        self._seconds = seconds
        self._format = format
        self._end = time.monotonic() + seconds

    def check(self) -> None:
        """Raise `ParseError` if the deadline has passed."""
        if time.monotonic() > self._end:
            raise ParseError(self._format, f"time limit of {self._seconds:g}s exceeded")


def check_size(text: str, limit: int, format: str) -> None:
    """Refuse text longer than ``limit`` characters (and anything that is not a str)."""
    if not isinstance(text, str):
        raise ParseError(format, f"expected str, got {type(text).__name__}")
    if len(text) > limit:
        raise ParseError(format, f"input of {len(text)} characters exceeds the limit of {limit}")


# A double-quoted string (unterminated ones run to the end of the line), or one bracket.
# Strings stop at newlines so a stray quote cannot hide the rest of the text from the scan.
_JSON_TOKEN = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?|[\[\]{}]')


def check_json_depth(text: str, max_depth: int, format: str = "json") -> None:
    """Refuse JSON-like text whose brackets nest deeper than ``max_depth``.

    Brackets inside single-quoted strings are counted too, which only ever over-estimates.
    """
    # Fast path: too few openers to reach the limit, whatever their order (C-speed counts).
    if text.count("[") + text.count("{") <= max_depth:
        return
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise ParseError(format, f"nesting deeper than {max_depth}", match.start())
        elif char in "]}":
            depth = max(depth - 1, 0)
