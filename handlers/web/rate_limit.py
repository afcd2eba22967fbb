"""Requests a minute per key, and the client address a key is made of.

The limiter keeps one fixed one-minute window per key (its start and a count) in an
OrderedDict used as an LRU: each request touches one entry, and past `max_keys` the key
idle longest is forgotten, so a request costs the same whatever the number of keys and
memory stays bounded whatever a client invents. A fixed window lets a client reach twice
the limit across a window's edge; for a page that takes a score and a comment that is
enough, and it needs no timestamps per request nor a dependency.

The client address is the peer's, unless the peer is one of `TRUSTED_PROXIES`: then it is
the rightmost `X-Forwarded-For` hop that is not a trusted proxy (the hops further left
were written by the client and prove nothing). IPv6 clients count by /64, the block one
host is usually given.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Networks = Sequence[IPv4Network | IPv6Network]

WINDOW = 60.0  # seconds
MAX_KEYS = 20_000  # per limiter: a minute of a busy page's distinct links or addresses
HOP_MAX = 64  # characters kept of an address that does not parse


class RateLimit:
    """At most `limit` requests a `WINDOW` per key; O(1) a request, at most `max_keys` keys."""

    def __init__(
        self,
        limit: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.max_keys = max_keys
        self._windows: OrderedDict[str, list[float]] = OrderedDict()  # key → [start, count]

    def allow(self, key: str) -> bool:
        """Count one request for `key`; False when its window is already full."""
        now = self.clock()
        window = self._windows.get(key)
        if window is None or now - window[0] >= WINDOW:
            window = self._windows[key] = [now, 0.0]
        self._windows.move_to_end(key)
        if len(self._windows) > self.max_keys:
            self._windows.popitem(last=False)
        if window[1] >= self.limit:
            return False
        window[1] += 1
        return True

    def __len__(self) -> int:
        return len(self._windows)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Networks) -> str:
    """The address to count a request against (see the module's docstring).

    Args:
        peer: the TCP peer's address (aiohttp's `request.remote`).
        forwarded_for: every `X-Forwarded-For` header line, in order.
        trusted: the proxies whose `X-Forwarded-For` is believed.
    """
    client = peer or "?"
    if not trusted or not _trusted(client, trusted):
        return _bucket(client)
    hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        client = hop[:HOP_MAX]
        if not _trusted(client, trusted):
            break
    return _bucket(client)


def _trusted(address: str, trusted: Networks) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def _bucket(address: str) -> str:
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.7 is 192.0.2.7
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
