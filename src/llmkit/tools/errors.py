"""`UnknownToolError`: a tool name that is not there, with the names that are."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..errors import LLMKitError

__all__ = ["UnknownToolError"]

_MAX_LISTED = 30


class UnknownToolError(LLMKitError, LookupError):
    """No tool has this name. `available` holds the names there are, sorted."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.name = name
        self.available = sorted(available)
        close = difflib.get_close_matches(name, self.available, n=3)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        if not self.available:
            listed = "no tools are registered"
        else:
            shown = ", ".join(self.available[:_MAX_LISTED])
            more = len(self.available) - _MAX_LISTED
            listed = f"available: {shown}" + (f" (and {more} more)" if more > 0 else "")
        super().__init__(f"unknown tool {name!r}.{hint} {listed}")
