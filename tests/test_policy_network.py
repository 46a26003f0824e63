"""Network policy: SSRF spellings, allowlist, pinned connections, redirects, size cap."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

import pytest

from llmkit.policy import (
    NetworkDenied,
    NetworkPolicy,
    ResponseTooLarge,
    fetch,
    safe_async_client,
)
from llmkit.policy.addresses import forbidden_reason, parse_ip_host
from tests.servers import JsonReply, LoopbackServer, RawReply, RecordedRequest

LOOPBACK_SPELLINGS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://127.0.0.1./",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://localhost/",
    "http://LOCALHOST./",
]
OTHER_FORBIDDEN = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",  # 169.254.169.254
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[64:ff9b::7f00:1]/",  # NAT64 wrapping 127.0.0.1
]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    async def handler(request: RecordedRequest) -> JsonReply:
        return JsonReply(200, {"path": request.path, "host": request.headers.get("host")})

    with LoopbackServer(handler) as srv:
        yield srv


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS + OTHER_FORBIDDEN)
def test_forbidden_addresses_are_refused_in_every_spelling(url: str) -> None:
    # "*" allows every host name: the refusal must come from the address check.
    with pytest.raises(NetworkDenied):
        NetworkPolicy(["*"]).check_url(url)


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS + OTHER_FORBIDDEN)
async def test_forbidden_addresses_are_refused_by_the_client(url: str) -> None:
    import httpx

    async with safe_async_client(NetworkPolicy(["*"])) as client:
        # httpx itself rejects a few spellings (InvalidURL); either way nothing connects.
        with pytest.raises((NetworkDenied, httpx.InvalidURL)):
            await client.get(url)


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("1.2.65535", "1.2.255.255"),
        ("[::1]", "::1"),
    ],
)
def test_numeric_spellings_normalise(spelling: str, address: str) -> None:
    assert parse_ip_host(spelling) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "host", ["example.com", "1.2.3.4.5", "08.1.1.1", "256.1.1.1", "0x", "1..2"]
)
def test_non_numeric_hosts_are_names(host: str) -> None:
    assert parse_ip_host(host) is None or host == "0x"


def test_public_address_is_allowed() -> None:
    assert forbidden_reason(ipaddress.ip_address("93.184.216.34")) is None
    target = NetworkPolicy(["93.184.216.34"]).check_url("https://93.184.216.34/x")
    assert (target.address, target.port, target.scheme) == ("93.184.216.34", 443, "https")


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "//x"])
def test_only_http_schemes(url: str) -> None:
    with pytest.raises(NetworkDenied):
        NetworkPolicy(["*"]).check_url(url)


def test_allowlist_and_wildcards() -> None:
    policy = NetworkPolicy(["api.example.com", "*.example.org", "1.2.3.4"])
    assert policy.host_allowed("api.example.com")
    assert policy.host_allowed("API.Example.COM.")
    assert policy.host_allowed("a.example.org")
    assert policy.host_allowed("a.b.example.org")
    assert policy.host_allowed("0x01020304")  # the same address as 1.2.3.4
    assert not policy.host_allowed("example.org")
    assert not policy.host_allowed("evilexample.org")
    assert not policy.host_allowed("example.org.evil.com")
    assert not policy.host_allowed("www.example.com")
    assert not policy.host_allowed("1.2.3.5")
    assert not NetworkPolicy().host_allowed("example.com")  # deny by default


def test_unlisted_host_is_refused_before_dns() -> None:
    calls: list[str] = []

    def resolver(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        return ["93.184.216.34"]

    with pytest.raises(NetworkDenied, match="allowlist"):
        NetworkPolicy(["*.example.org"], resolver=resolver).check_url("http://evil.com/")
    assert calls == []


def test_wildcard_host_resolves_and_is_checked() -> None:
    public = NetworkPolicy(["*.example.org"], resolver=lambda h, p: ["93.184.216.34"])
    assert public.check_url("http://a.example.org:8080/").address == "93.184.216.34"
    # Rebinding: one public and one private answer. ANY private address refuses.
    mixed = NetworkPolicy(["*.example.org"], resolver=lambda h, p: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(NetworkDenied, match=r"10\.0\.0\.7"):
        mixed.check_url("http://a.example.org/")


def test_unresolvable_host_is_refused() -> None:
    def resolver(host: str, port: int) -> Sequence[str]:
        raise OSError("no such host")

    with pytest.raises(NetworkDenied, match="resolve"):
        NetworkPolicy(["x.test"], resolver=resolver).check_url("http://x.test/")


async def test_loopback_server_unreachable_without_allow_private(server: LoopbackServer) -> None:
    for policy in (NetworkPolicy(["*"]), NetworkPolicy(["localhost"])):
        for url in (server.url, f"http://localhost:{server.port}/", f"http://127.1:{server.port}/"):
            with pytest.raises(NetworkDenied):
                await fetch(policy, "GET", url)
    assert server.requests == []


async def test_allowed_loopback_literal_reaches_server(server: LoopbackServer) -> None:
    reply = await fetch(NetworkPolicy(["127.0.0.1"]), "GET", f"{server.url}/hello")
    assert reply.status_code == 200
    assert reply.json()["path"] == "/hello"
    assert len(server.requests) == 1


async def test_connection_is_pinned_to_the_checked_address(server: LoopbackServer) -> None:
    # "svc.test" has no DNS entry: the request can only arrive via the pinned address,
    # and the Host header still names the host.
    policy = NetworkPolicy(["svc.test"], allow_private=True, resolver=lambda h, p: ["127.0.0.1"])
    reply = await fetch(policy, "GET", f"http://svc.test:{server.port}/pinned")
    assert reply.json() == {"path": "/pinned", "host": f"svc.test:{server.port}"}


def redirect_to(location: str) -> LoopbackServer:
    async def handler(request: RecordedRequest) -> JsonReply:
        return JsonReply(302, {}, headers={"Location": location})

    return LoopbackServer(handler)


async def test_redirect_to_metadata_is_refused() -> None:
    with redirect_to("http://169.254.169.254/latest/meta-data/") as first:
        with pytest.raises(NetworkDenied, match=r"169\.254\.169\.254"):
            await fetch(NetworkPolicy(["127.0.0.1"]), "GET", first.url)
        async with safe_async_client(NetworkPolicy(["127.0.0.1"])) as client:
            with pytest.raises(NetworkDenied):
                await client.get(first.url)
        assert len(first.requests) == 2


@pytest.mark.parametrize("allowed", [["127.0.0.1"], ["127.0.0.1", "localhost"]])
async def test_redirect_to_unallowed_loopback_server_never_hits_it(
    server: LoopbackServer, allowed: list[str]
) -> None:
    # Either "localhost" is not listed, or it is but resolves to loopback, which only an
    # IP literal host or allow_private permits: both refuse the hop before connecting.
    with redirect_to(f"http://localhost:{server.port}/stolen") as first:
        with pytest.raises(NetworkDenied):
            await fetch(NetworkPolicy(allowed), "GET", first.url)
        assert len(first.requests) == 1
    assert server.requests == []


async def test_redirect_limit() -> None:
    with redirect_to("/again") as looping:
        async with safe_async_client(NetworkPolicy(["127.0.0.1"]), max_redirects=3) as client:
            import httpx

            with pytest.raises(httpx.TooManyRedirects):
                await client.get(looping.url)
        assert len(looping.requests) == 4


async def test_size_cap_while_streaming() -> None:
    async def handler(request: RecordedRequest) -> RawReply:
        return RawReply(200, b"x" * 5000)

    with LoopbackServer(handler) as srv:
        policy = NetworkPolicy(["127.0.0.1"])
        with pytest.raises(ResponseTooLarge):
            await fetch(policy, "GET", srv.url, max_bytes=1000)
        async with safe_async_client(policy, max_bytes=1000) as client:
            with pytest.raises(ResponseTooLarge):
                await client.get(srv.url)
        ok = await fetch(policy, "GET", srv.url, max_bytes=5000)
        assert ok.content == b"x" * 5000


async def test_size_cap_without_content_length() -> None:
    from tests.servers import StreamReply

    async def handler(request: RecordedRequest) -> StreamReply:
        return StreamReply(200, [b"y" * 700] * 10, content_type="text/plain")

    with LoopbackServer(handler) as srv:
        async with safe_async_client(NetworkPolicy(["127.0.0.1"]), max_bytes=2000) as client:
            with pytest.raises(ResponseTooLarge):
                await client.get(srv.url)
            async with client.stream("GET", srv.url) as response:
                with pytest.raises(ResponseTooLarge):
                    await response.aread()


async def test_fetch_refuses_plain_httpx_client() -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        with pytest.raises(TypeError):
            await fetch(client, "GET", "http://127.0.0.1/")


async def test_https_request_is_pinned_with_host_and_sni(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from llmkit.policy.pinned import PinnedTransport

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"ok")

    policy = NetworkPolicy(["api.example.com"], resolver=lambda h, p: ["93.184.216.34"])
    transport = PinnedTransport(policy, max_bytes=100)
    # Stands in for the connection pool: records what would be sent, connects nowhere.
    monkeypatch.setattr(transport, "_pool", lambda target: httpx.MockTransport(handler))
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("https://api.example.com/v1")
    assert response.text == "ok"
    (sent,) = seen
    assert str(sent.url) == "https://93.184.216.34/v1"
    assert sent.headers["host"] == "api.example.com"
    assert sent.extensions["sni_hostname"] == "api.example.com"
