"""Who is asking: the client's address, and whether the request comes from this machine.

A reverse proxy's address stands for its clients' only when it is trusted (`AUTH_PROXY_IPS`,
addresses or CIDR ranges): then the last address of X-Forwarded-For, the one it added, is the
client's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Hashable, Sequence

from flask import request

from dashboard.config import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded")


def parse_address(text: str | None) -> IPAddress | None:
    """An IP address (an IPv4-mapped IPv6 one as IPv4), or None for anything else."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def trusted(address: IPAddress | None, networks: Sequence[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in networks)


def peer_address() -> IPAddress | None:
    """The address the request's connection comes from."""
    return parse_address(request.remote_addr)


def client_address(proxies: Sequence[IPNetwork]) -> IPAddress | None:
    """The client's address: the peer's, or the one a trusted proxy put last in X-Forwarded-For."""
    peer = peer_address()
    if trusted(peer, proxies):
        forwarded = parse_address(request.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1])
        if forwarded is not None:
            return forwarded
    return peer


def client_key(address: IPAddress | None) -> Hashable:
    """What counts as one client: an IPv4 address, or an IPv6 /64 (one host's usual share)."""
    if isinstance(address, ipaddress.IPv6Address):
        return ipaddress.ip_network(f"{address}/64", strict=False)
    return address


def from_this_machine() -> bool:
    """A loopback peer, not forwarding for anyone (a proxy on this host sends X-Forwarded-For)."""
    peer = peer_address()
    if peer is None or not peer.is_loopback:
        return False
    return not any(header in request.headers for header in FORWARDING_HEADERS)
