"""URLs a customer gives the platform to call (callback URLs, alarm webhooks; later the Alibaba and UCloud
pushes), and the IP addresses such a request may reach: the pure half of the guard against server-side request
forgery. Resolving names and connecting is core.infra.outbound's half; it uses is_public_address for every
address it resolves and every socket it opens."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable
from urllib.parse import unquote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_CHARS = 512
# Host names that always mean "this machine".
_LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})
# The platform's own endpoints a customer URL must never be aimed at, on any port of one of its hosts.
_PLATFORM_PATHS = ("/admin/", "/carrier/")
# A host name: ASCII letters, digits, '-', '_' and dots only. Anything else (percent-escapes, full-width
# letters that IDNA folds into "localhost") could name a host other than the one checked here.
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
# A last label such resolvers read as a number: 2130706433, 127.1, 0x7f.1 all mean 127.0.0.1 to inet_aton.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# IPv4 ranges that are not globally reachable unicast (IANA special-purpose registry). Written out rather than
# taken from ipaddress.is_global, whose answers change between Python releases.
_REFUSED_V4 = _networks(
    "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local machine
    "10.0.0.0/8",  # private
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, cloud metadata at 169.254.169.254
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # documentation (TEST-NET-1)
    "192.88.99.0/24",  # deprecated 6to4 relay anycast
    "192.168.0.0/16",  # private
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # documentation (TEST-NET-2)
    "203.0.113.0/24",  # documentation (TEST-NET-3)
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the broadcast address 255.255.255.255
)
# IPv6: only global unicast (2000::/3) may be public. That alone refuses ::, ::1, IPv4-compatible ::a.b.c.d,
# NAT64 64:ff9b::/96 and 64:ff9b:1::/48 (a translator would carry the request to any IPv4 address, the
# platform's own network included), discard 100::/64, unique-local fc00::/7, link-local fe80::/10, site-local
# fec0::/10 and multicast ff00::/8. IPv4-mapped ::ffff:a.b.c.d and 6to4 are judged by the IPv4 they carry.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_REFUSED_V6 = _networks(
    "2001::/23",  # IETF protocol assignments: Teredo 2001::/32 (tunnels to any IPv4), benchmarking, ORCHID
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def parse_address(host: str) -> IPAddress | None:
    """The IP address `host` is written as (an IPv6 zone such as %eth0 dropped), or None for a name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for by a standard mapping or translation: IPv4-mapped
    ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::/48."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if (ip in _IPV4_COMPATIBLE and int(ip) > 1) or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """Whether a request to a customer's URL may connect to this IP address: a globally reachable unicast one.
    Not loopback, private, shared (CGNAT), link-local (cloud metadata), documentation, benchmarking, reserved,
    unspecified or multicast; not a translation or tunnel that carries the request on to an IPv4 address of the
    platform's network (NAT64, IPv4-compatible, Teredo); an IPv4-mapped or 6to4 address is judged by its IPv4."""
    ip = parse_address(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        carried = ip.ipv4_mapped if ip.ipv4_mapped is not None else ip.sixtofour
        if carried is not None:
            ip = carried
        elif ip not in _GLOBAL_UNICAST_V6:
            return False
        else:
            return not any(ip in net for net in _REFUSED_V6)
    return not any(ip in net for net in _REFUSED_V4)


def _is_local(host: str) -> bool:
    """`host` names this machine: a local name, a loopback or unspecified address, or an IPv6 form of one
    ([::ffff:127.0.0.1], [::127.0.0.1], [64:ff9b::7f00:1], [2002:7f00:1::])."""
    if host in _LOCAL_NAMES or host.endswith((".localhost", ".localhost.")):
        return True
    ip = parse_address(host)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        carried = embedded_ipv4(ip)
        if carried is not None and (carried.is_loopback or carried.is_unspecified):
            return True
    return ip.is_loopback or ip.is_unspecified


def _canonical(host: str) -> str:
    """One spelling per address, so [::ffff:10.0.0.5] and [::ffff:a00:5] are both the host 10.0.0.5."""
    ip = parse_address(host)
    if ip is None:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        carried = embedded_ipv4(ip)
        if carried is not None:
            return str(carried)
    return str(ip)


def _host_problem(host: str) -> str | None:
    if parse_address(host) is not None:
        return None
    if not _NAME.fullmatch(host):
        return (
            "The URL's host must be an IP address or an ASCII host name (an international name in its xn--"
            " form)."
        )
    if _NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]):
        return "The URL's host is not a valid address: write an IPv4 address as four decimal numbers."
    return None


def check_customer_url(
    url: str,
    *,
    platform_hosts: Iterable[str],
    platform_port: int | Collection[int],
    private_networks: bool = False,
) -> str | None:
    """Why `url` cannot be a customer URL the platform calls (a callback URL, an alarm webhook), or None when
    it can: an http(s) URL with a host, at most 512 characters, no credentials, not the platform's own API (a
    local or platform host on a platform port, or the platform's /admin/ and /carrier/ endpoints on any port
    of its hosts), and unless `private_networks` (a development setting) no local name and no literal address
    that is not public. Other host names are resolved by core.infra.outbound.check_destination."""
    if len(url) > MAX_URL_CHARS:
        return f"The URL is longer than {MAX_URL_CHARS} characters."
    if url != url.strip() or any(c.isspace() or ord(c) < 0x20 for c in url):
        return "The URL must not contain spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The URL is not valid (bad host or port)."
    if parts.scheme.lower() not in ("http", "https"):
        return "The URL must start with http:// or https://."
    host = (parts.hostname or "").lower()
    if not host:
        return "The URL must name a host."
    if parts.username is not None or parts.password is not None:
        return "The URL must not contain a user name or password."
    problem = _host_problem(host)
    if problem:
        return problem
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    own_hosts = {_canonical(h.lower().strip("[]")) for h in platform_hosts if h}
    own_ports = {platform_port} if isinstance(platform_port, int) else set(platform_port)
    platform_host = _is_local(host) or _canonical(host) in own_hosts
    # As the API's router sees it: percent-escapes decoded, repeated leading slashes as one.
    path = "/" + unquote(parts.path).lstrip("/")
    if platform_host and (port in own_ports or path.startswith(_PLATFORM_PATHS)):
        return "The URL must not point at the platform's own API."
    literal = parse_address(host) is not None
    if not private_networks and ((literal and not is_public_address(host)) or _is_local(host)):
        return refused_address_message(host)
    return None


def refused_address_message(host: str) -> str:
    """The customer's reason, naming only the host the customer wrote."""
    return (
        f"The URL's host {host} is a private or reserved address: the platform calls public addresses only."
    )


def platform_endpoints(api_host: str, api_port: int, public_api_url: str) -> tuple[set[str], set[int]]:
    """The hosts and ports the platform's API is configured to answer on (its bind address and its public
    URL), for check_customer_url."""
    hosts, ports = {api_host}, {api_port}
    try:
        public = urlsplit(public_api_url)
        if public.hostname:
            hosts.add(public.hostname)
            ports.add(public.port or (443 if public.scheme.lower() == "https" else 80))
    except ValueError:
        pass
    return hosts, ports
