"""CSV tables and ``key: value`` / ``key = value`` lines."""

from __future__ import annotations

import csv
import io
import re

from ._guard import guarded
from .errors import ParseError
from .limits import DEFAULT_LIMITS, ParseLimits, check_size
from .markdown import code_blocks

__all__ = ["parse_csv", "parse_kv"]

_DELIMITERS = ",;\t|"
_SNIFF_SAMPLE = 16_384  # the sniffer's regexes are slow on big samples; the head is enough
_CHECK_EVERY = 1024
_KV_LINE = re.compile(r"^\s*(?P<key>[^\s:=#][^:=]*?)\s*(?::|=)\s?(?P<value>.*?)\s*$")


def _unfenced(text: str, languages: tuple[str, ...], limits: ParseLimits) -> str:
    if "```" in text or "~~~" in text:
        for block in code_blocks(text, limits=limits):
            if block.language in languages:
                return block.code
    return text.strip("\n")


def _sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample (",", ";", tab or "|"); "," when unsure."""
    try:
        return csv.Sniffer().sniff(sample[:_SNIFF_SAMPLE], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


@guarded("csv")
def parse_csv(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> list[dict[str, str]]:
    """Rows of a CSV table with a header line, as dicts; the delimiter is sniffed.

    Short rows are padded with "" (models drop trailing empty cells); blank lines are skipped.

    Raises:
        ParseError: No header, a row with more cells than the header, or a broken limit.
    """
    check_size(text, limits.max_chars, "csv")
    deadline = limits.deadline("csv")
    source = _unfenced(text, ("csv", "tsv"), limits)
    reader = csv.reader(io.StringIO(source), delimiter=_sniff_delimiter(source))
    header = next(reader, None)
    if not header:
        raise ParseError("csv", "no header row")
    names = [name.strip() for name in header]
    rows: list[dict[str, str]] = []
    for count, cells in enumerate(reader, start=2):
        if count % _CHECK_EVERY == 0:
            deadline.check()
        if not cells:
            continue
        if len(cells) > len(names):
            raise ParseError("csv", f"row {count} has {len(cells)} cells for {len(names)} columns")
        cells += [""] * (len(names) - len(cells))
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


@guarded("kv")
def parse_kv(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> dict[str, str]:
    """``key: value`` and ``key = value`` lines as a dict of strings; later keys win.

    Blank lines and ``#`` comment lines are skipped. Values stay strings: no YAML-style
    guessing (``no`` stays "no").

    Raises:
        ParseError: A line that is neither blank, a comment, nor ``key: value``.
    """
    check_size(text, limits.max_chars, "kv")
    deadline = limits.deadline("kv")
    result: dict[str, str] = {}
    offset = 0
    for number, line in enumerate(
        _unfenced(text, ("ini", "env", "properties"), limits).split("\n"), start=1
    ):
        if number % _CHECK_EVERY == 0:
            deadline.check()
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            match = _KV_LINE.match(line)
            if not match:
                raise ParseError("kv", f"line {number} is not `key: value`", offset)
            result[match.group("key")] = match.group("value")
        offset += len(line) + 1
    return result
