"""`NetworkPolicy`: which URLs may be fetched, checked down to the resolved IP address.

A URL passes when its scheme is http(s), its host is on the allowlist, and *every*
address the host resolves to is public (unless `allow_private`). The checked address is
returned so the caller connects to exactly that address (see `http.safe_async_client`),
which defeats DNS rebinding between the check and the connection.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .addresses import IPAddress, forbidden_reason, parse_ip_host
from .errors import NetworkDenied

__all__ = ["CheckedTarget", "NetworkPolicy", "Resolver"]

Resolver = Callable[[str, int], Sequence[str]]
"""Turns (host, port) into IP address strings; the default uses `socket.getaddrinfo`."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    """A URL target that passed the policy: connect to `address`, say `host` in Host/SNI."""

    scheme: str
    host: str
    port: int
    address: str


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses `socket.getaddrinfo` gives for `host` (TCP), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def normalise_host(host: str) -> str:
    """Lower-case ASCII form of a host name, without brackets or a trailing dot."""
    text = host.strip().strip("[]").rstrip(".").lower()
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise NetworkDenied(f"host {host!r} refused: not a valid host name") from None
    return text


class NetworkPolicy:
    """A host allowlist plus a refusal of private addresses.

    Args:
        allowed_hosts: Host names (`api.example.com`), wildcards (`*.example.com`, which
            matches subdomains only), IP literals, or `*` for any host. Empty: nothing
            is allowed (deny by default).
        allow_private: Permit loopback/private/link-local/... addresses. An allowlist
            entry that is an IP literal permits that one address even without it, when
            a URL names it by address (a host name resolving to it is still refused).
        resolver: Replaces DNS (tests, custom resolution).
    """

    def __init__(
        self,
        allowed_hosts: Sequence[str] = (),
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
    ) -> None:
        if isinstance(allowed_hosts, str):
            raise TypeError("allowed_hosts must be a sequence of hosts, not one string")
        self.allow_private = allow_private
        self._resolver: Resolver = resolver or system_resolver
        self._any = False
        self._names: set[str] = set()
        self._suffixes: list[str] = []
        self._addresses: set[IPAddress] = set()
        for entry in allowed_hosts:
            self._add(entry)
        self.allowed_hosts = tuple(allowed_hosts)

    def __repr__(self) -> str:
        return f"NetworkPolicy({list(self.allowed_hosts)!r}, allow_private={self.allow_private})"

    def _add(self, entry: str) -> None:
        text = entry.strip()
        if text == "*":
            self._any = True
        elif text.startswith("*."):
            self._suffixes.append("." + normalise_host(text[2:]))
        elif (address := parse_ip_host(text)) is not None:
            self._addresses.add(address)
        else:
            self._names.add(normalise_host(text))

    def host_allowed(self, host: str) -> bool:
        """Whether `host` (any numeric spelling normalised first) is on the allowlist."""
        name = normalise_host(host)
        address = parse_ip_host(name)
        if address is not None:
            return self._any or address in self._addresses
        if self._any or name in self._names:
            return True
        return any(name.endswith(suffix) for suffix in self._suffixes)

    def check_url(self, url: str) -> CheckedTarget:
        """Check `url` and resolve its host (blocking DNS); raises `NetworkDenied`."""
        scheme, host, port = _split(url)
        return self.check_target(scheme, host, port)

    async def acheck_url(self, url: str) -> CheckedTarget:
        """`check_url` with DNS run in a worker thread."""
        scheme, host, port = _split(url)
        return await self.acheck_target(scheme, host, port)

    def check_target(self, scheme: str, host: str, port: int | None) -> CheckedTarget:
        """Check an already split URL; see `check_url`."""
        scheme, name, port, literal = self._precheck(scheme, host, port)
        if literal is not None:
            return self._pick(scheme, name, port, [literal], literal=True)
        return self._pick(scheme, name, port, self._resolve(name, port), literal=False)

    async def acheck_target(self, scheme: str, host: str, port: int | None) -> CheckedTarget:
        """`check_target` with DNS run in a worker thread."""
        scheme, name, port, literal = self._precheck(scheme, host, port)
        if literal is not None:
            return self._pick(scheme, name, port, [literal], literal=True)
        addresses = await asyncio.to_thread(self._resolve, name, port)
        return self._pick(scheme, name, port, addresses, literal=False)

    def _precheck(
        self, scheme: str, host: str, port: int | None
    ) -> tuple[str, str, int, IPAddress | None]:
        scheme = scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise NetworkDenied(f"scheme {scheme!r} refused: only http and https are allowed")
        if not host:
            raise NetworkDenied("URL refused: it has no host")
        name = normalise_host(host)
        # Numeric spellings become one canonical address before the allowlist sees them.
        literal = parse_ip_host(name)
        if literal is not None:
            name = str(literal)
        if not self.host_allowed(name):
            raise NetworkDenied(f"host {name!r} refused: not on the allowlist")
        port = _DEFAULT_PORTS[scheme] if port is None else port
        if not 0 < port < 65536:
            raise NetworkDenied(f"port {port} refused: out of range")
        return scheme, name, port, literal

    def _resolve(self, name: str, port: int) -> list[IPAddress]:
        try:
            found = self._resolver(name, port)
        except OSError as exc:
            raise NetworkDenied(f"host {name!r} refused: it does not resolve ({exc})") from None
        addresses: list[IPAddress] = []
        for text in found:
            address = parse_ip_host(text)
            if address is None:
                raise NetworkDenied(f"host {name!r} refused: resolver gave {text!r}")
            addresses.append(address)
        if not addresses:
            raise NetworkDenied(f"host {name!r} refused: it resolves to no address")
        return addresses

    def _pick(
        self,
        scheme: str,
        name: str,
        port: int,
        addresses: Sequence[IPAddress],
        *,
        literal: bool,
    ) -> CheckedTarget:
        # ANY bad address refuses the host: otherwise a rebinding name could list a public
        # address for the check and a private one for the connection.
        for address in addresses:
            # A listed IP literal, used as the URL's host, is an explicit grant; a name
            # that merely resolves to it is not (it still needs allow_private).
            if self.allow_private or (literal and address in self._addresses):
                continue
            reason = forbidden_reason(address)
            if reason is not None:
                raise NetworkDenied(f"host {name!r} refused: {address} is {reason}")
        return CheckedTarget(scheme=scheme, host=name, port=port, address=str(addresses[0]))


def _split(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise NetworkDenied(f"URL {url!r} refused: {exc}") from None
    return parts.scheme, parts.hostname or "", port
