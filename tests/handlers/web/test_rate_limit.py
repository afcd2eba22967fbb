"""The survey page's limiter and the client address it counts against."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from bot.core.config import Settings, load_settings
from bot.domain.errors import ConfigError
from handlers.web.rate_limit import WINDOW, RateLimit, client_address


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_limit_a_window_then_a_fresh_window() -> None:
    clock = Clock()
    limiter = RateLimit(3, clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    clock.now += WINDOW
    assert limiter.allow("a")


def test_many_distinct_keys_keep_memory_bounded_and_the_busy_key_limited() -> None:
    clock = Clock()
    limiter = RateLimit(5, clock, max_keys=1_000)
    for _ in range(5):
        limiter.allow("198.51.100.7")
    for i in range(30_000):  # a client inventing addresses within one window
        limiter.allow(f"203.0.{i // 256}.{i % 256}")
        if i % 500 == 0:
            assert not limiter.allow("198.51.100.7")  # still counted: it keeps being seen
    assert len(limiter) <= 1_000


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    forged = ["6.6.6.6, 7.7.7.7"]
    assert client_address("192.0.2.1", forged, ()) == "192.0.2.1"
    assert client_address("192.0.2.1", forged, [ip_network("10.0.0.0/8")]) == "192.0.2.1"
    proxies = [ip_network("10.0.0.0/8")]
    chain = ["6.6.6.6, 198.51.100.7", "10.1.2.3"]  # two header lines: the proxies' hops
    assert client_address("10.0.0.2", chain, proxies) == "198.51.100.7"
    assert client_address("10.0.0.2", ["10.0.0.9, 10.0.0.8"], proxies) == "10.0.0.9"
    assert client_address("10.0.0.2", [], proxies) == "10.0.0.2"


def test_ipv6_clients_count_by_slash_64() -> None:
    one = client_address("2001:db8:1:2::aaaa", [], ())
    assert one == client_address("2001:db8:1:2:ffff::1", [], ()) == "2001:db8:1:2::/64"
    assert client_address("::ffff:192.0.2.7", [], ()) == "192.0.2.7"


def test_trusted_proxies_are_read_as_networks() -> None:
    settings = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.7")
    assert settings.trusted_proxies == (ip_network("10.0.0.0/8"), ip_network("192.0.2.7/32"))
    assert Settings().trusted_proxies == ()


def test_a_malformed_trusted_proxies_is_one_line_naming_it() -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES='10.0.0.0/33' is not valid: use IP"):
        load_settings(trusted_proxies="10.0.0.0/33")
