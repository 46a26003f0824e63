"""`feed_processor`: read an RSS, Atom or JSON Feed document into titles, links and items."""

from __future__ import annotations

import asyncio
from typing import Any

from ...policy.safe_http import fetch
from ..base import ModelRetry, RunContext
from ..decorator import tool
from ._policy import network_of
from .feed_parsers import parse_feed

__all__ = ["MAX_ITEMS", "feed_processor", "process_feed"]

MAX_ITEMS = 100
MAX_FEED_BYTES = 5_000_000


def process_feed(source: str, max_items: int = 20) -> dict[str, Any]:
    """Parse the feed text `source`, keeping its first `max_items` items.

    Raises:
        ModelRetry: `max_items` is out of range, or the feed cannot be read.
    """
    if not 1 <= max_items <= MAX_ITEMS:
        raise ModelRetry(f"max_items must be between 1 and {MAX_ITEMS}, got {max_items}")
    return parse_feed(source, max_items)


@tool(category="data", tags=("builtin", "feeds"), timeout=30)
async def feed_processor(
    ctx: RunContext[Any],
    source: str | None = None,
    url: str | None = None,
    max_items: int = 20,
) -> dict[str, Any]:
    """Read an RSS 2.0/1.0, Atom or JSON Feed document into its title, link and items.

    Each item has title, link, published (ISO 8601 when readable), summary (plain text,
    at most 1,000 characters) and id. XML feeds with a DOCTYPE are refused.

    Args:
        source: The feed's text (XML or JSON).
        url: Or the feed's URL, fetched through the run's network policy (needs "net").
        max_items: How many items to return, from the top of the feed (1-100).
    """
    if (source is None) == (url is None):
        raise ModelRetry("give either `source` (the feed text) or `url`, not both")
    if url is not None:
        # Only this branch touches the network, so the tool itself declares no capability:
        # the policy is asked here, when a URL is actually given.
        response = await fetch(network_of(ctx), "GET", url, max_bytes=MAX_FEED_BYTES)
        if response.status_code >= 400:
            raise ModelRetry(f"fetching {url} failed with HTTP {response.status_code}")
        source = response.text
    assert source is not None
    return await asyncio.to_thread(process_feed, source, max_items)
