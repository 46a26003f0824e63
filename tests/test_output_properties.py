"""Properties of llmkit.output on generated input, and regressions for hostile input.

The prefix property uses "contained in" (`_contained`): a partial result ``p`` is contained in
the full value ``f`` when

* ``f`` is a dict: ``p`` is a dict whose keys are some of ``f``'s, each value contained;
* ``f`` is a list: ``p`` is a list no longer than ``f``, each item contained in the item at
  the same index;
* ``f`` is a str: ``p`` is a prefix of ``f`` (its last character may be the high half of a
  surrogate pair ``f`` spells as two escapes);
* otherwise ``p == f``, except that a bare top-level number may be a shorter number (the
  text ``12`` may be the start of ``123``: nothing can tell yet).

``None`` (nothing complete yet) is contained in anything at the top level.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmkit.output import (
    ParseError,
    ParseLimits,
    detect_format,
    parse,
    parse_json,
    parse_partial_json,
    repair_json,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = 2.0  # seconds: generous for slow CI machines, far below an unbounded parse

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)

# Arbitrary text, biased towards the characters that steer the parsers, NUL and lone surrogates.
_pieces = st.sampled_from(
    [*"{}[]\"':,`<>-#|=\n\t ", "\x00", "\ud800", "\udfff", "```json\n", "true", "'a'", "//"]
)
hostile_text = st.lists(st.text(max_size=8) | _pieces, max_size=40).map("".join)


def _contained(partial: Any, full: Any, *, top: bool = False) -> bool:
    if partial is None and top:
        return True
    if isinstance(full, dict):
        return isinstance(partial, dict) and all(
            key in full and _contained(value, full[key]) for key, value in partial.items()
        )
    if isinstance(full, list):
        return (
            isinstance(partial, list)
            and len(partial) <= len(full)
            and all(_contained(p, f) for p, f in zip(partial, full, strict=False))
        )
    if isinstance(full, str):
        if not isinstance(partial, str):
            return False
        if partial and "\ud800" <= partial[-1] <= "\udbff":
            partial = partial[:-1]
        return full.startswith(partial)
    if top and type(full) in (int, float) and type(partial) in (int, float):
        return True
    return type(partial) is type(full) and partial == full


@SETTINGS
@given(json_values, st.sampled_from([None, 2]))
def test_valid_json_round_trips(value: Any, indent: int | None) -> None:
    assert parse_json(json.dumps(value, indent=indent)) == value


@SETTINGS
@given(hostile_text)
def test_repair_is_idempotent(text: str) -> None:
    try:
        once = repair_json(text)
    except ParseError:
        return
    assert repair_json(once) == once


def _only_parse_error(fn: Callable[[str], Any], text: str) -> None:
    start = time.perf_counter()
    with contextlib.suppress(ParseError):
        fn(text)
    assert time.perf_counter() - start < FAST


@SETTINGS
@given(hostile_text)
def test_only_parse_error_escapes(text: str) -> None:
    for fn in (parse, parse_json, parse_partial_json, repair_json, detect_format):
        _only_parse_error(fn, text)
    for format in ("json", "yaml", "xml", "markdown", "csv", "kv", "text"):
        _only_parse_error(lambda t, f=format: parse(t, format=f), text)


@SETTINGS
@given(json_values, st.sampled_from([None, 1]))
def test_every_prefix_parses_and_is_contained(value: Any, indent: int | None) -> None:
    document = json.dumps(value, indent=indent)
    for end in range(len(document) + 1):
        partial = parse_partial_json(document[:end])
        assert _contained(partial, value, top=True), (document[:end], partial)
    assert parse_partial_json(document) == value


# --- regressions ----------------------------------------------------------------------------

NESTED = "[" * 100_000
BIG = 10_000_000


def _timed_parse_error(fn: Callable[[], Any]) -> ParseError:
    start = time.perf_counter()
    with pytest.raises(ParseError) as info:
        fn()
    assert time.perf_counter() - start < FAST
    return info.value


@pytest.mark.parametrize(
    "fn", [parse, parse_json, parse_partial_json, repair_json], ids=lambda f: f.__name__
)
def test_deep_nesting_is_refused_quickly(fn: Callable[[str], Any]) -> None:
    error = _timed_parse_error(lambda: fn(NESTED))
    assert "nesting" in error.reason


@pytest.mark.parametrize("format", ["yaml", "xml", "markdown", "csv", "kv", "text"])
def test_deep_nesting_in_every_format(format: str) -> None:
    text = "<a>" * 100_000 if format == "xml" else NESTED
    start = time.perf_counter()
    with contextlib.suppress(ParseError):
        parse(text, format=format)
    assert time.perf_counter() - start < FAST


def test_ten_megabytes_within_the_default_limit_is_quick() -> None:
    string = "x" * (BIG - 2)
    start = time.perf_counter()
    assert parse_json(json.dumps(string)) == string
    assert time.perf_counter() - start < FAST
    # Broken JSON of that size is past the repair cap: refused, not repaired for minutes.
    _timed_parse_error(lambda: parse_json("{'a': '" + "x" * (BIG - 10)))
    _timed_parse_error(lambda: parse_partial_json('{"a": "' + "x" * (BIG - 10)))
    _timed_parse_error(lambda: parse_json("word " * (BIG // 5)))
    start = time.perf_counter()
    for text in ("word " * (BIG // 5), "[]" * (BIG // 2)):
        with contextlib.suppress(ParseError):
            parse(text)
    assert time.perf_counter() - start < 2 * FAST


def test_over_the_size_limit_is_refused() -> None:
    small = ParseLimits(max_chars=1000)
    text = json.dumps("x" * 5000)
    for fn in (parse, parse_json, parse_partial_json, repair_json):
        error = _timed_parse_error(lambda f=fn: f(text, limits=small))
        assert "limit" in error.reason


@pytest.mark.parametrize("text", ["\x00", '{"a": "\x00"}', "a\x00b: c", "\ud800", '"\ud800"'])
def test_nul_bytes_and_lone_surrogates(text: str) -> None:
    for fn in (parse, parse_json, parse_partial_json, repair_json):
        _only_parse_error(fn, text)
    for format in ("json", "yaml", "xml", "markdown", "csv", "kv"):
        _only_parse_error(lambda t, f=format: parse(t, format=f), text)


def test_escaped_lone_surrogate_is_kept() -> None:
    assert parse_json('"\\ud800"') == "\ud800"
    assert parse_partial_json('["\\ud800"') == ["\ud800"]
