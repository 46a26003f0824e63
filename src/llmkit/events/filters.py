"""Filters over event fields and payload paths, built in code or declared as data.

    Field("payload.tool") == "add"
    (Field("severity") >= "warning") & ~Field("name").regex(r"\\.retry$")
    from_dict({"and": [{"field": "payload.tool", "op": "eq", "value": "add"}, ...]})

A path is an event field (``name``, ``severity``, ``run_id``…) or ``payload.`` followed by
keys (a digit segment also indexes a list). A missing path makes every test false except
``ne``-style negations built with `not_`. Severities compare by rank, not alphabetically.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import FilterError
from .event import SEVERITY_RANK, Event

__all__ = ["Field", "Filter", "and_", "from_dict", "not_", "or_"]

_FIELDS = frozenset(
    {"id", "name", "category", "severity", "timestamp", "run_id", "parent_run_id", "trace_id"}
)
_MISSING: Any = object()
#: Regexes see at most this many characters, so a hostile value cannot make one crawl.
REGEX_INPUT_LIMIT = 10_000
_REGEX_PATTERN_LIMIT = 1_000

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


class Filter:
    """A test on an event; combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def __call__(self, event: Event) -> bool:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The filter as data that `from_dict` reads back."""
        raise NotImplementedError

    def __and__(self, other: Filter) -> Filter:
        return and_(self, other)

    def __or__(self, other: Filter) -> Filter:
        return or_(self, other)

    def __invert__(self) -> Filter:
        return not_(self)


def _resolver(path: str) -> Callable[[Event], Any]:
    head, _, rest = path.partition(".")
    if head in _FIELDS and not rest:
        return operator.attrgetter(head)
    if head != "payload":
        raise FilterError(
            f"unknown filter path {path!r}: use an event field "
            f"({', '.join(sorted(_FIELDS))}) or payload.<key>…"
        )
    keys = rest.split(".") if rest else []

    def resolve(event: Event) -> Any:
        value: Any = event.payload
        for key in keys:
            if isinstance(value, Mapping):
                value = value.get(key, _MISSING)
            elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            else:
                return _MISSING
            if value is _MISSING:
                return _MISSING
        return value

    return resolve


class _Test(Filter):
    __slots__ = ("_resolve", "_test", "op", "path", "value")

    def __init__(self, path: str, op: str, value: Any, test: Callable[[Any], bool]) -> None:
        self.path, self.op, self.value = path, op, value
        self._resolve = _resolver(path)
        self._test = test

    def __call__(self, event: Event) -> bool:
        found = self._resolve(event)
        if found is _MISSING:
            return False
        try:
            return bool(self._test(found))
        except TypeError:  # `3 < "a"`: incomparable values simply do not match.
            return False

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.path, "op": self.op, "value": self.value}

    def __repr__(self) -> str:
        return f"Field({self.path!r}).{self.op}({self.value!r})"


def _test(path: str, op: str, value: Any) -> Filter:
    """Build the test `op` of `path` against `value`."""
    if op in _COMPARE:
        compare = _COMPARE[op]
        if path == "severity" and op not in ("eq", "ne"):
            if value not in SEVERITY_RANK:
                raise FilterError(f"unknown severity {value!r} in a severity comparison")
            rank = SEVERITY_RANK[value]
            return _Test(path, op, value, lambda v: compare(SEVERITY_RANK.get(v, -1), rank))
        return _Test(path, op, value, lambda v: compare(v, value))
    if op == "contains":
        return _Test(path, op, value, lambda v: value in v)
    if op == "in":
        try:
            options = frozenset(value)
        except TypeError:
            options = None
        if options is not None:
            return _Test(path, op, list(value), lambda v: v in options)
        return _Test(path, op, list(value), lambda v: v in value)
    if op == "regex":
        if not isinstance(value, str) or len(value) > _REGEX_PATTERN_LIMIT:
            raise FilterError(f"a regex must be a string of <= {_REGEX_PATTERN_LIMIT} chars")
        try:
            search = re.compile(value).search
        except re.error as exc:
            raise FilterError(f"invalid regex {value!r}: {exc}") from exc
        return _Test(
            path,
            op,
            value,
            lambda v: isinstance(v, str) and search(v[:REGEX_INPUT_LIMIT]) is not None,
        )
    if op == "exists":
        return _Test(path, op, True, lambda v: True)
    raise FilterError(f"unknown filter op {op!r}")


class _All(Filter):
    __slots__ = ("filters",)

    def __init__(self, filters: tuple[Filter, ...]) -> None:
        self.filters = filters

    def __call__(self, event: Event) -> bool:
        return all(f(event) for f in self.filters)

    def to_dict(self) -> dict[str, Any]:
        return {"and": [f.to_dict() for f in self.filters]}


class _Any(_All):
    __slots__ = ()

    def __call__(self, event: Event) -> bool:
        return any(f(event) for f in self.filters)

    def to_dict(self) -> dict[str, Any]:
        return {"or": [f.to_dict() for f in self.filters]}


class _Not(Filter):
    __slots__ = ("inner",)

    def __init__(self, inner: Filter) -> None:
        self.inner = inner

    def __call__(self, event: Event) -> bool:
        return not self.inner(event)

    def to_dict(self) -> dict[str, Any]:
        return {"not": self.inner.to_dict()}


def _check(filters: Iterable[Filter]) -> tuple[Filter, ...]:
    found = tuple(filters)
    for f in found:
        if not isinstance(f, Filter):
            raise FilterError(f"expected a Filter, got {f!r}")
    return found


def and_(*filters: Filter) -> Filter:
    """True when every filter is (and when there are none)."""
    return _All(_check(filters))


def or_(*filters: Filter) -> Filter:
    """True when any filter is."""
    return _Any(_check(filters))


def not_(inner: Filter) -> Filter:
    """True when `inner` is false (a missing path included)."""
    return _Not(_check([inner])[0])


class Field:
    """A path into an event; its operators build filters: ``Field("payload.n") > 3``."""

    __slots__ = ("path",)
    __hash__ = None  # type: ignore[assignment]  # `==` builds a filter, not a bool.

    def __init__(self, path: str) -> None:
        _resolver(path)  # Fail now on a bad path, not at the first event.
        self.path = path

    def __eq__(self, value: object) -> Filter:  # type: ignore[override]
        return _test(self.path, "eq", value)

    def __ne__(self, value: object) -> Filter:  # type: ignore[override]
        return _test(self.path, "ne", value)

    def __gt__(self, value: Any) -> Filter:
        return _test(self.path, "gt", value)

    def __ge__(self, value: Any) -> Filter:
        return _test(self.path, "ge", value)

    def __lt__(self, value: Any) -> Filter:
        return _test(self.path, "lt", value)

    def __le__(self, value: Any) -> Filter:
        return _test(self.path, "le", value)

    def contains(self, value: Any) -> Filter:
        """The value (a string, list or dict) contains `value`."""
        return _test(self.path, "contains", value)

    def in_(self, options: Iterable[Any]) -> Filter:
        """The value is one of `options`."""
        return _test(self.path, "in", list(options))

    def regex(self, pattern: str) -> Filter:
        """The value is a string in which `pattern` is found (`re.search`)."""
        return _test(self.path, "regex", pattern)

    def exists(self) -> Filter:
        """The path is present (even if its value is None)."""
        return _test(self.path, "exists", True)


def from_dict(data: Mapping[str, Any]) -> Filter:
    """Build a filter declared as data.

    ``{"field": path, "op": "eq|ne|gt|ge|lt|le|contains|in|regex|exists", "value": v}``,
    ``{"and": [...]}``, ``{"or": [...]}`` or ``{"not": {...}}``. Raises `FilterError`.
    """
    if not isinstance(data, Mapping):
        raise FilterError(f"a filter must be an object, got {type(data).__name__}")
    if "and" in data or "or" in data:
        key = "and" if "and" in data else "or"
        items = data[key]
        if not isinstance(items, list):
            raise FilterError(f"{key!r} takes a list of filters")
        built = [from_dict(item) for item in items]
        return and_(*built) if key == "and" else or_(*built)
    if "not" in data:
        return not_(from_dict(data["not"]))
    if "field" not in data or "op" not in data:
        raise FilterError(f"a filter needs 'field' and 'op' (or and/or/not): {dict(data)!r}")
    return _test(str(data["field"]), str(data["op"]), data.get("value"))
