"""Read RSS 2.0 (and 1.0), Atom and JSON Feed text into one plain shape.

Every feed becomes ``{"title", "link", "items": [{"title", "link", "published",
"summary", "id"}]}``; a value the feed lacks is None. Dates are ISO 8601 when they can
be read (RSS uses RFC 822 dates), otherwise kept as given. Summaries lose their HTML
tags and are cut to `MAX_SUMMARY_CHARS`, since they go to a model, not a browser.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from ..base import ModelRetry
from ._safe_xml import local_name, parse_xml

__all__ = ["MAX_FEED_CHARS", "MAX_SUMMARY_CHARS", "parse_feed"]

MAX_FEED_CHARS = 5_000_000
MAX_SUMMARY_CHARS = 1_000

_ATOM = "{http://www.w3.org/2005/Atom}"
_SPACES = re.compile(r"\s+")

Item = dict[str, str | None]


def parse_feed(text: str, max_items: int) -> dict[str, Any]:
    """Parse feed `text` (RSS, Atom or JSON Feed) keeping at most `max_items` items.

    Raises:
        ModelRetry: The text is too large, malformed (with line and column for XML),
            has a DOCTYPE, or is not a feed of a known kind.
    """
    if len(text) > MAX_FEED_CHARS:
        raise ModelRetry(f"feed too large: {len(text)} characters (limit {MAX_FEED_CHARS})")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ModelRetry("empty feed: pass the feed's text (RSS, Atom or JSON Feed)")
    if stripped.startswith("{"):
        return _json_feed(stripped, max_items)
    root = parse_xml(stripped)
    kind = local_name(root.tag)
    if kind == "rss":
        channel = root.find("channel")
        if channel is None:
            raise ModelRetry("RSS feed without a <channel> element")
        return _rss(channel, channel.findall("item"), max_items)
    if kind == "RDF":  # RSS 1.0: items are the channel's siblings
        channel = _child(root, "channel")
        items = [el for el in root if local_name(el.tag) == "item"]
        return _rss(channel if channel is not None else root, items, max_items)
    if root.tag == f"{_ATOM}feed":
        return _atom(root, max_items)
    raise ModelRetry(
        f"not a feed: the root element is <{kind}>; expected <rss>, <feed> (Atom), "
        "<rdf:RDF> or a JSON Feed object"
    )


def _rss(channel: ET.Element, items: list[ET.Element], max_items: int) -> dict[str, Any]:
    return {
        "title": _text(channel, "title"),
        "link": _text(channel, "link"),
        "items": [
            {
                "title": _text(item, "title"),
                "link": _text(item, "link"),
                "published": _rfc822(_text(item, "pubDate") or _text(item, "date")),
                "summary": _summary(_text(item, "description") or _text(item, "encoded")),
                "id": _text(item, "guid") or _text(item, "link"),
            }
            for item in items[:max_items]
        ],
    }


def _atom(feed: ET.Element, max_items: int) -> dict[str, Any]:
    entries = feed.findall(f"{_ATOM}entry")
    return {
        "title": _text(feed, "title"),
        "link": _atom_link(feed),
        "items": [
            {
                "title": _text(entry, "title"),
                "link": _atom_link(entry),
                "published": _iso(_text(entry, "published") or _text(entry, "updated")),
                "summary": _summary(_text(entry, "summary") or _text(entry, "content")),
                "id": _text(entry, "id"),
            }
            for entry in entries[:max_items]
        ],
    }


def _json_feed(text: str, max_items: int) -> dict[str, Any]:
    try:
        feed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelRetry(
            f"malformed JSON Feed at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ModelRetry("malformed JSON Feed: nested too deeply") from None
    if not isinstance(feed, dict) or "jsonfeed.org" not in str(feed.get("version", "")):
        raise ModelRetry(
            'not a JSON Feed: expected an object with "version": ".../jsonfeed.org/..."'
        )
    items = feed.get("items")
    if not isinstance(items, list):
        raise ModelRetry('JSON Feed without an "items" list')
    return {
        "title": _str(feed.get("title")),
        "link": _str(feed.get("home_page_url") or feed.get("feed_url")),
        "items": [
            {
                "title": _str(item.get("title")),
                "link": _str(item.get("url") or item.get("external_url")),
                "published": _iso(_str(item.get("date_published") or item.get("date_modified"))),
                "summary": _summary(
                    _str(
                        item.get("summary") or item.get("content_text") or item.get("content_html")
                    )
                ),
                "id": _str(item.get("id")),
            }
            for item in items[:max_items]
            if isinstance(item, dict)
        ],
    }


def _child(element: ET.Element, name: str) -> ET.Element | None:
    # An un-namespaced match first (RSS <link>, not <atom:link>), then by local name:
    # RSS 1.0, Dublin Core and content:encoded use namespaces.
    exact = element.find(name)
    if exact is not None:
        return exact
    for child in element:
        if local_name(child.tag) == name:
            return child
    return None


def _text(element: ET.Element, name: str) -> str | None:
    child = _child(element, name)
    if child is None:
        return None
    text = "".join(child.itertext()).strip()
    return text or None


def _atom_link(element: ET.Element) -> str | None:
    links = [child for child in element if child.tag == f"{_ATOM}link"]
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href")
    return links[0].get("href") if links else None


def _rfc822(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return _iso(value)


def _iso(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return value  # unreadable: the model still sees what the feed said


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _summary(value: str | None) -> str | None:
    if value is None:
        return None
    stripper = _TagStripper()
    stripper.feed(value)
    stripper.close()
    text = _SPACES.sub(" ", "".join(stripper.parts)).strip()
    if len(text) > MAX_SUMMARY_CHARS:
        text = text[: MAX_SUMMARY_CHARS - 1].rstrip() + "…"
    return text or None


class _TagStripper(HTMLParser):
    """Keep an HTML fragment's text; drop tags, scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "br", "li", "div"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)
