"""Who the client is, when a reverse proxy stands between it and us.

Anyone can send `X-Forwarded-For: 1.2.3.4`; believing it from anyone would let a client pick a
fresh address for every login attempt, or write someone else's into the audit log. The headers
count only on connections from PORTAL_TRUSTED_PROXIES, and never reach the application otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
FORWARDED = {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"}


class TrustedProxies:
    """Take client address, scheme and host from the `X-Forwarded-*` headers of trusted proxies only."""

    def __init__(self, app: ASGIApp, *, proxies: Sequence[Network]) -> None:
        self.app = app
        self.proxies = tuple(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        forwarded: dict[bytes, list[str]] = {}
        headers = []
        for name, value in scope["headers"]:
            if name in FORWARDED:
                forwarded.setdefault(name, []).append(value.decode("latin-1"))
            else:
                headers.append((name, value))
        scope = {**scope, "headers": headers}
        peer = scope.get("client")
        if peer and self.trusts(_address(peer[0])):
            scope = self.apply(scope, forwarded, peer[0])
        await self.app(scope, receive, send)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.proxies)

    def apply(self, scope: Scope, forwarded: dict[bytes, list[str]], peer: str) -> Scope:
        """The scope as the client sent it to the outermost trusted proxy."""
        client = peer
        # Each proxy appends the address it saw: the first untrusted one from the right is the
        # client; anything left of it was written by the client and may be made up.
        for hop in reversed(_values(forwarded.get(b"x-forwarded-for"))):
            address = _address(hop)
            if address is None:
                break
            client = str(address)
            if not self.trusts(address):
                break
        scope = {**scope, "client": (client, 0)}
        scheme = (_values(forwarded.get(b"x-forwarded-proto")) or [""])[-1].lower()
        if scheme in ("http", "https"):
            scope["scheme"] = scheme
        host = (_values(forwarded.get(b"x-forwarded-host")) or [""])[-1]
        if host:
            # Checked against the allowed hosts like any Host header, by the next layer in.
            scope["headers"] = [h for h in scope["headers"] if h[0] != b"host"] + [
                (b"host", host.encode("latin-1"))
            ]
        return scope


def client_ip(request: Request) -> str:
    """Return the client's address, as TrustedProxies settled it ("" when there is none)."""
    return request.client.host if request.client else ""


def _values(headers: list[str] | None) -> list[str]:
    """The comma-separated values of every copy of one header, in order."""
    return [item.strip() for header in headers or [] for item in header.split(",") if item.strip()]


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None
