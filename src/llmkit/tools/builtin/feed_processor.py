"""`feed_processor`: read an RSS, Atom or JSON Feed document into titles, links and items."""

from __future__ import annotations

from typing import Any

from ..base import ModelRetry
from ..decorator import tool
from .feed_parsers import parse_feed

__all__ = ["MAX_ITEMS", "feed_processor", "process_feed"]

MAX_ITEMS = 100


def process_feed(source: str, max_items: int = 20) -> dict[str, Any]:
    """Parse the feed text `source`, keeping its first `max_items` items.

    Raises:
        ModelRetry: `max_items` is out of range, or the feed cannot be read.
    """
    if not 1 <= max_items <= MAX_ITEMS:
        raise ModelRetry(f"max_items must be between 1 and {MAX_ITEMS}, got {max_items}")
    return parse_feed(source, max_items)


@tool(category="data", tags=("builtin", "feeds"), timeout=30)
def feed_processor(source: str, max_items: int = 20) -> dict[str, Any]:
    """Read an RSS 2.0/1.0, Atom or JSON Feed document into its title, link and items.

    Each item has title, link, published (ISO 8601 when readable), summary (plain text,
    at most 1,000 characters) and id. XML feeds with a DOCTYPE are refused.

    Args:
        source: The feed's text (XML or JSON), not a URL: this tool fetches nothing.
        max_items: How many items to return, from the top of the feed (1-100).
    """
    # Fetching URLs will come through the network policy; until then callers pass text.
    return process_feed(source, max_items)
