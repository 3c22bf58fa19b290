"""Which addresses a function's fetch may connect to (SSRF protection)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA's special-purpose registries (RFC 6890 and later) beyond what `is_global` knows
# in every supported Python: none of these is an ordinary public host.
_EXTRA_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.175.48.0/24",  # AS112 direct delegation
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/8",  # unspecified, loopback, IPv4-compatible
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "100:0:0:1::/64",  # dummy prefix
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID, AMT, ...
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: an embedded IPv4 address reached through a relay
        "2620:4f:8000::/48",  # AS112
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local (AWS metadata fd00:ec2::254 among them)
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
]
# Only global unicast space is ever assigned to public hosts.
_IPV6_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 6761: these names mean this machine, whatever a resolver says.
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class NameNotResolved(OSError):
    pass


class BlockedAddress(Exception):
    """The destination is loopback, private, link-local, metadata, multicast or reserved."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped or well-known NAT64 address reaches."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
        if ip not in _IPV6_UNICAST:
            return False
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return False
    return not any(ip.version == net.version and ip in net for net in _EXTRA_BLOCKED)


_lookups: concurrent.futures.ThreadPoolExecutor | None = None
# getaddrinfo blocks: lookups run on their own threads (started on first use), enough
# of them that a batch's fetches to different hosts do not queue behind each other.
LOOKUP_THREADS = 16


def _lookup_pool() -> concurrent.futures.ThreadPoolExecutor:
    global _lookups
    if _lookups is None:
        _lookups = concurrent.futures.ThreadPoolExecutor(
            LOOKUP_THREADS, thread_name_prefix="functions-dns"
        )
    return _lookups


_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")


def normalise_host(host: str) -> str:
    """The name as a resolver would take it: no brackets, lower case, no final dot
    (`127.0.0.1.` and `localhost.` are the same hosts as without it)."""
    host = host.strip("[]").lower()
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):
        # Decimal, octal, hex and short spellings (`2130706433`, `0x7f.1`) as
        # inet_aton reads them, parsed here rather than by the system resolver.
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def canonical_ipv4(host: str) -> str | None:
    """The dotted form of an IPv4 address spelled the legacy way (`0x7f.1`, `2130706433`),
    as a URL parser (WHATWG's, node-fetch's) writes the host; None for anything else."""
    literal = _literal(normalise_host(host)) if _LEGACY_IPV4.match(normalise_host(host)) else None
    return str(literal) if isinstance(literal, ipaddress.IPv4Address) else None


def _known(host: str) -> list[IPAddress] | None:
    """The addresses of a literal or a local name, which need no lookup; else None."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return [ipaddress.IPv4Address("127.0.0.1")]
    return None


def _looked_up(host: str, port: int) -> list[IPAddress]:
    """getaddrinfo's addresses of `host` (it blocks)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise NameNotResolved(f"getaddrinfo ENOTFOUND {host}") from exc
    # For AF_INET/AF_INET6 the sockaddr starts with the address text; str() narrows
    # typeshed's wider union (which also allows an int there) without changing it.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def _addresses(host: str, port: int) -> list[IPAddress]:
    known = _known(host)
    if known is not None:
        return known
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_lookup_pool(), _looked_up, host, port)


def _pinned_address(host: str, addresses: list[IPAddress], allow_private: bool) -> str:
    if not addresses:
        raise NameNotResolved(f"getaddrinfo ENOTFOUND {host}")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise BlockedAddress(f"{host} resolves to a non-public address ({address})")
    return str(addresses[0])


async def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """Resolve once and return the address to pin the connection to.

    Every record must be public ("one bad apple" rule): a name that resolves to both a
    public and a private address is refused, so rebinding cannot pick the private one.
    Failed resolution fails closed.
    """
    host = normalise_host(host)
    return _pinned_address(host, await _addresses(host, port), allow_private)


def resolve_blocking(host: str, port: int, *, allow_private: bool) -> str:
    """`resolve` for a caller with no event loop (the webhook sender, once per batch): the
    same rule, without an event loop made and closed around one lookup (asyncio.run was
    a fortieth of a sending worker's CPU)."""
    host = normalise_host(host)
    known = _known(host)
    addresses = known if known is not None else _looked_up(host, port)
    return _pinned_address(host, addresses, allow_private)
