"""Customer URLs (callback URLs, alarm webhooks), the pure rules of the guard against server-side request forgery
(issue 14, finding 4): which URLs a customer may give, and which IP addresses a request to one may reach."""

from __future__ import annotations

import pytest

from core.domain.customer_urls import (
    check_customer_url,
    embedded_ipv4,
    is_public_address,
    platform_endpoints,
)

HOSTS, PORTS = platform_endpoints("127.0.0.1", 8080, "https://sms.example.com")


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8", "1.1.1.1", "11.0.0.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1",
        "192.0.1.1", "192.169.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.255",
        "2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8",  # IPv4-mapped: judged by its IPv4
        "2002:808:808::1",  # 6to4 of the public 8.8.8.8
        "2001:200::1",  # just past the IETF protocol assignments 2001::/23
    ],
)  # fmt: skip
def test_globally_reachable_unicast_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        # IPv4: this network, private, CGNAT, loopback, link-local (cloud metadata), IETF, documentation,
        # deprecated 6to4 relay, benchmarking, multicast, reserved, broadcast.
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",  # noqa: S104 - a value
        "127.0.0.1", "127.255.255.254", "169.254.169.254", "169.254.0.1", "172.16.0.1", "172.31.255.255",
        "192.0.0.8", "192.0.0.9", "192.0.2.1", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255",
        "198.51.100.1", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        # IPv6: unspecified, loopback, link-local (with a zone too), unique-local, site-local, multicast, discard.
        "::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "ff0e::1",
        "100::1",
        # IPv4-mapped private, loopback, link-local, unspecified.
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::ffff:100.64.0.1",
        # IPv4-compatible (deprecated), whatever it carries.
        "::127.0.0.1", "::10.0.0.1", "::169.254.169.254", "::8.8.8.8",
        # NAT64, well-known and local-use prefixes, whatever they carry: the translator reaches any IPv4.
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b::808:808", "64:ff9b:1::a00:1",
        "64:ff9b:1:ffff::1",
        # 6to4 carrying loopback, private, link-local, CGNAT, unspecified.
        "2002:7f00:1::1", "2002:a00:1::1", "2002:a9fe:a9fe::1", "2002:c0a8:101::1", "2002:6440:1::1", "2002::1",
        # Teredo (2001::/32, tunnels to any IPv4), and the rest of 2001::/23: benchmarking, ORCHID.
        "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:a00:1::", "2001:2::1", "2001:10::1",
        # Documentation, SRv6 SIDs and whatever else lies outside global unicast 2000::/3.
        "2001:db8::1", "3fff::1", "5f00::1", "4000::1", "e000::1",
        # Not an address at all.
        "not-an-address", "", "localhost", "1.2.3", "2130706433", "::ffff:127.0.0.1:80",
    ],
)  # fmt: skip
def test_everything_else_is_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"), ("::127.0.0.1", "127.0.0.1"), ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("2002:a00:1::1", "10.0.0.1"), ("::1", None), ("::", None), ("2001:4860:4860::8888", None),
    ],
)  # fmt: skip
def test_the_ipv4_an_ipv6_address_stands_for(address: str, carried: str | None) -> None:
    import ipaddress

    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(found) if found else None) == carried


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/sms/status",
        "http://example.com:8080/callback?token=abc",  # the platform's port on someone else's host
        "http://8.8.8.8/reports",
        "https://[2001:4860:4860::8888]:8443/cb",
        "https://[2002:808:808::1]/cb",
        "https://example.com/admin/",  # /admin/ on a customer's own host is theirs
        "https://xn--bcher-kva.example/cb",  # an international name in its ASCII form
        "http://under_score.example/cb",
        "http://example.com/" + "a" * (512 - len("http://example.com/")),
    ],
)
def test_acceptable_customer_urls(url: str) -> None:
    assert check_customer_url(url, platform_hosts=HOSTS, platform_port=PORTS) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9000/callback",  # a receiver on the same machine, another port
        "http://127.0.0.1:18080/cb",
        "http://10.0.0.7/alarm",
        "http://[fe80::1%25eth0]:9000/cb",
        "http://203.0.113.7/reports",
    ],
)
def test_a_development_stack_may_name_its_own_network(url: str) -> None:
    """SMS_CALLBACK_PRIVATE_NETWORKS lifts the address rule, not the others."""
    assert check_customer_url(url, platform_hosts=HOSTS, platform_port=PORTS, private_networks=True) is None
    assert check_customer_url(url, platform_hosts=HOSTS, platform_port=PORTS) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[::ffff:127.0.0.1]:9999/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::10.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:a9fe:a9fe::]/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        "http://100.64.0.1/",
        "http://192.168.0.10:8000/",
        "https://[fd00::1]/",
    ],
)
def test_a_literal_private_or_reserved_address_is_refused_when_set(url: str) -> None:
    """Finding 4: refused when the URL is set, not only when it is used."""
    problem = check_customer_url(url, platform_hosts=HOSTS, platform_port=PORTS)
    assert problem is not None and "private or reserved address" in problem, problem


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/cb", "http"),
        ("file:///etc/passwd", "http"),
        ("example.com/cb", "http"),
        ("javascript:alert(1)", "http"),
        ("", "http"),
        ("http://", "host"),
        ("http:///path", "host"),
        ("https://:443/cb", "host"),
        ("http://user:pw@example.com/cb", "user name or password"),
        ("http://user@example.com/cb", "user name or password"),
        ("http://example.com:99999/cb", "not valid"),
        ("http://example.com:port/cb", "not valid"),
        ("http://example.com/" + "a" * 512, "longer than 512"),
        (" http://example.com/cb", "spaces"),
        ("http://example.com/c b", "spaces"),
        ("http://example.com/cb\r\nX-Evil: 1", "spaces"),
        ("http://example.com/cb\x00", "control"),
        ("http://127.0.0.1:8080/admin/v1/apps/1400000001/callbacks", "platform's own API"),
        ("http://localhost:8080/carrier/reports", "platform's own API"),
        ("http://LOCALHOST:8080/", "platform's own API"),
        ("http://localhost.:8080/", "platform's own API"),
        ("http://[::1]:8080/cb", "platform's own API"),
        ("http://0.0.0.0:8080/cb", "platform's own API"),
        ("http://127.0.0.2:8080/cb", "platform's own API"),  # all of 127/8 is this machine
        ("http://api.localhost:8080/cb", "platform's own API"),
        ("https://sms.example.com/anything", "platform's own API"),  # the public URL's host and port
        ("http://sms.example.com:9999/admin/v1/openapi.yaml", "platform's own API"),
        ("http://127.0.0.1:18080/carrier/replies", "platform's own API"),  # admin/carrier on any local port
        ("http://127.0.0.1:18080/%61dmin/v1/", "platform's own API"),  # as the router decodes it
        ("http://127.0.0.1:18080//carrier/reports", "platform's own API"),
        # IPv6 spellings of this machine (finding 4: [::ffff:127.0.0.1] against the platform's own ports).
        ("http://[::ffff:127.0.0.1]:8080/", "platform's own API"),
        ("http://[::ffff:7f00:1]:8080/", "platform's own API"),
        ("http://[::127.0.0.1]:8080/", "platform's own API"),
        ("http://[64:ff9b::7f00:1]:8080/", "platform's own API"),
        ("http://[::ffff:0.0.0.0]:8080/", "platform's own API"),
        ("http://[::ffff:127.0.0.1]:18080/admin/v1/", "platform's own API"),
        # Numbers that resolvers read as IPv4 addresses (2130706433, 127.1 and 0x7f.1 are all 127.0.0.1).
        ("http://2130706433:8080/", "not a valid address"),
        ("http://127.1:8080/", "not a valid address"),
        ("http://0x7f.0.0.1/", "not a valid address"),
        ("http://017700000001/", "not a valid address"),
        ("http://example.123/", "not a valid address"),
        # Host names that some layer would turn into another host ("localhost" for both).
        ("http://ｌｏｃａｌｈｏｓｔ:8080/", "ASCII"),
        ("http://%6c%6fcalhost:8080/", "ASCII"),
    ],
)
def test_refused_customer_urls(url: str, reason: str) -> None:
    for private_networks in (False, True):  # none of these is a development convenience
        problem = check_customer_url(
            url, platform_hosts=HOSTS, platform_port=PORTS, private_networks=private_networks
        )
        assert problem is not None and reason in problem, problem


def test_the_platform_port_may_be_a_single_int() -> None:
    assert check_customer_url("http://127.0.0.1:8080/x", platform_hosts=(), platform_port=8080)
    assert (
        check_customer_url(
            "http://127.0.0.1:8081/x", platform_hosts=(), platform_port=8080, private_networks=True
        )
        is None
    )
    assert check_customer_url("http://10.0.0.5/x", platform_hosts=["10.0.0.5"], platform_port=80)


def test_the_platform_host_is_recognised_in_any_spelling() -> None:
    for host in ("10.0.0.5", "[::ffff:10.0.0.5]", "[::ffff:a00:5]"):
        problem = check_customer_url(
            f"http://{host}/admin/v1/", platform_hosts=["10.0.0.5"], platform_port=8080, private_networks=True
        )
        assert problem is not None and "platform's own API" in problem, host


def test_platform_endpoints_include_the_bind_address_and_the_public_url() -> None:
    assert platform_endpoints("10.0.0.1", 8080, "") == ({"10.0.0.1"}, {8080})
    assert platform_endpoints("127.0.0.1", 8080, "http://10.1.2.3:9000") == (
        {"127.0.0.1", "10.1.2.3"},
        {8080, 9000},
    )
    assert platform_endpoints("127.0.0.1", 8080, "http://bad:port") == ({"127.0.0.1", "bad"}, {8080})
