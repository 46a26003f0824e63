"""feed_processor: RSS, Atom and JSON Feed samples, caps, malformed and hostile XML."""

from __future__ import annotations

import json
import time

import pytest

from llmkit.tools import ModelRetry, RunContext
from llmkit.tools.builtin import feed_processor
from llmkit.tools.builtin.feed_parsers import MAX_SUMMARY_CHARS, parse_feed
from llmkit.tools.builtin.feed_processor import process_feed

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>Example News</title>
    <atom:link href="https://example.com/feed.xml" rel="self" type="application/rss+xml"/>
    <link>https://example.com/</link>
    <description>All the news</description>
    <item>
      <title>First &amp; foremost</title>
      <link>https://example.com/1</link>
      <pubDate>Tue, 02 Jan 2024 10:30:00 +0000</pubDate>
      <guid isPermaLink="false">tag:example.com,2024:1</guid>
      <description><![CDATA[<p>Hello <b>world</b></p><script>alert(1)</script>]]></description>
    </item>
    <item>
      <title>Second</title>
      <link>https://example.com/2</link>
      <pubDate>not a date</pubDate>
      <content:encoded><![CDATA[<div>Full text</div>]]></content:encoded>
    </item>
    <item><title>Third</title></item>
  </channel>
</rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example Blog</title>
  <link href="https://blog.example.com/atom.xml" rel="self"/>
  <link href="https://blog.example.com/"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-01-03T18:30:02Z</updated>
  <entry>
    <title type="html">Atom &lt;b&gt;Powered&lt;/b&gt; Robots</title>
    <link rel="alternate" href="https://blog.example.com/robots"/>
    <link rel="edit" href="https://blog.example.com/edit/1"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <published>2024-01-03T18:30:02+01:00</published>
    <updated>2024-01-04T00:00:00Z</updated>
    <summary>Some text.</summary>
  </entry>
  <entry>
    <title>Only updated</title>
    <link href="https://blog.example.com/2"/>
    <id>urn:2</id>
    <updated>2024-01-05T00:00:00+00:00</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Rich</p></div></content>
  </entry>
</feed>"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "My JSON Feed",
        "home_page_url": "https://json.example.org/",
        "feed_url": "https://json.example.org/feed.json",
        "items": [
            {
                "id": "2",
                "content_text": "This is a second item.",
                "url": "https://json.example.org/second-item",
                "date_published": "2024-01-02T10:00:00-05:00",
            },
            {
                "id": "1",
                "title": "First",
                "content_html": "<p>Hello, world!</p>",
                "url": "https://json.example.org/initial-post",
            },
        ],
    }
)


def test_rss() -> None:
    feed = parse_feed(RSS, 20)
    assert feed["title"] == "Example News"
    assert feed["link"] == "https://example.com/"  # not the atom:link
    first, second, third = feed["items"]
    assert first == {
        "title": "First & foremost",
        "link": "https://example.com/1",
        "published": "2024-01-02T10:30:00+00:00",
        "summary": "Hello world",  # tags and scripts gone
        "id": "tag:example.com,2024:1",
    }
    assert second["published"] == "not a date"  # kept as the feed said
    assert second["summary"] == "Full text"
    assert second["id"] == "https://example.com/2"  # no guid: the link
    assert third == {"title": "Third", "link": None, "published": None, "summary": None, "id": None}


def test_rss_1_0() -> None:
    rdf = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://x.org/"><title>RDF</title><link>https://x.org/</link></channel>
      <item rdf:about="https://x.org/a"><title>A</title><link>https://x.org/a</link>
        <dc:date>2024-01-01T00:00:00Z</dc:date></item>
    </rdf:RDF>"""
    feed = parse_feed(rdf, 5)
    assert feed["title"] == "RDF"
    assert feed["items"][0]["title"] == "A"
    assert feed["items"][0]["published"] == "2024-01-01T00:00:00+00:00"


def test_atom() -> None:
    feed = parse_feed(ATOM, 20)
    assert feed["title"] == "Example Blog"
    assert feed["link"] == "https://blog.example.com/"
    first, second = feed["items"]
    assert first == {
        "title": "Atom <b>Powered</b> Robots",
        "link": "https://blog.example.com/robots",
        "published": "2024-01-03T18:30:02+01:00",
        "summary": "Some text.",
        "id": "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
    }
    assert second["published"] == "2024-01-05T00:00:00+00:00"
    assert second["summary"] == "Rich"


def test_json_feed() -> None:
    feed = parse_feed(JSON_FEED, 20)
    assert feed["title"] == "My JSON Feed"
    assert feed["link"] == "https://json.example.org/"
    assert feed["items"][0] == {
        "title": None,
        "link": "https://json.example.org/second-item",
        "published": "2024-01-02T10:00:00-05:00",
        "summary": "This is a second item.",
        "id": "2",
    }
    assert feed["items"][1]["summary"] == "Hello, world!"


def test_max_items() -> None:
    assert len(parse_feed(RSS, 2)["items"]) == 2
    assert len(process_feed(ATOM, max_items=1)["items"]) == 1
    for bad in (0, 101):
        with pytest.raises(ModelRetry, match="max_items must be between 1 and 100"):
            process_feed(RSS, bad)


def test_long_summary_is_cut() -> None:
    rss = RSS.replace("Hello <b>world</b>", "word " * 1_000)
    summary = parse_feed(rss, 1)["items"][0]["summary"]
    assert len(summary) == MAX_SUMMARY_CHARS and summary.endswith("…")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<rss><channel><item></channel></rss>", "malformed XML at line 1"),
        ("<rss", "malformed XML"),
        ("", "empty feed"),
        ("<html><body/></html>", r"not a feed: the root element is <html>"),
        ("<rss/>", "without a <channel>"),
        ('{"version": 1', "malformed JSON Feed at line 1"),
        ('{"title": "x"}', "not a JSON Feed"),
        ('{"version": "https://jsonfeed.org/version/1.1"}', 'without an "items" list'),
    ],
)
def test_bad_feeds(text: str, message: str) -> None:
    with pytest.raises(ModelRetry, match=message):
        parse_feed(text, 10)


def test_billion_laughs_is_refused_without_expanding() -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]>'
        "<rss><channel><title>&lol9;</title></channel></rss>"
    )
    start = time.monotonic()
    with pytest.raises(ModelRetry, match="DOCTYPE"):
        parse_feed(bomb, 10)
    assert time.monotonic() - start < 1


def test_external_entities_are_refused() -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<rss><channel><title>&xxe;</title></channel></rss>"
    )
    with pytest.raises(ModelRetry, match="DOCTYPE"):
        parse_feed(xxe, 10)


def test_deep_xml_is_refused() -> None:
    with pytest.raises(ModelRetry, match="nested deeper"):
        parse_feed("<rss>" + "<a>" * 1_000 + "</a>" * 1_000 + "</rss>", 10)


async def test_through_the_tool_interface() -> None:
    ctx = RunContext(deps=None, run_id="t")
    feed = await feed_processor.call(ctx, {"source": ATOM, "max_items": 1})
    assert [item["title"] for item in feed["items"]] == ["Atom <b>Powered</b> Robots"]
    with pytest.raises(ModelRetry, match="malformed XML"):
        await feed_processor.call(ctx, {"source": "<feed"})
    assert feed_processor.capabilities == frozenset()  # asked of the policy only for a URL
    assert "net" in feed_processor.definition.parameters["properties"]["url"]["description"]


async def test_feed_from_a_url_goes_through_the_network_policy() -> None:
    from llmkit.policy import NetworkPolicy, Policy, PolicyError
    from tests.servers import LoopbackServer, RawReply

    with LoopbackServer(
        lambda request: RawReply(200, ATOM.encode(), content_type="application/atom+xml")
    ) as server:
        url = f"{server.url}/feed.xml"
        with pytest.raises(PolicyError, match="net"):
            await feed_processor.call(RunContext(deps=None, run_id="t"), {"url": url})
        assert server.requests == []
        allowed = Policy(network=NetworkPolicy(["127.0.0.1"]))
        feed = await feed_processor.call(
            RunContext(deps=None, run_id="t", policy=allowed), {"url": url, "max_items": 1}
        )
        assert feed["items"][0]["title"] == "Atom <b>Powered</b> Robots"
    with pytest.raises(ModelRetry, match="either"):
        await feed_processor.call(RunContext(deps=None, run_id="t"), {})
