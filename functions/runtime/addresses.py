"""Which addresses a function's fetch may connect to (SSRF protection)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges `is_global` lets through but that are not ordinary public hosts.
_EXTRA_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",
        "fd00:ec2::/32",  # AWS metadata over IPv6 (inside fc00::/7, listed for clarity)
    )
]


class NameNotResolved(OSError):
    pass


class BlockedAddress(Exception):
    """The destination is loopback, private, link-local, metadata, multicast or reserved."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in IPv4-mapped, 6to4 and NAT64 forms."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
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


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _addresses(host: str, port: int) -> list[IPAddress]:
    literal = _literal(host)
    if literal is not None:
        # An address in canonical form needs no lookup. Other spellings (decimal,
        # octal, short forms) still go through getaddrinfo, which normalises them.
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.run_in_executor(
            _lookup_pool(),
            functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM),
        )
    except OSError as exc:
        raise NameNotResolved(f"getaddrinfo ENOTFOUND {host}") from exc
    # For AF_INET/AF_INET6 the sockaddr starts with the address text; str() narrows
    # typeshed's wider union (which also allows an int there) without changing it.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """Resolve once and return the address to pin the connection to.

    Every record must be public ("one bad apple" rule): a name that resolves to both a
    public and a private address is refused, so rebinding cannot pick the private one.
    Failed resolution fails closed.
    """
    addresses = await _addresses(host, port)
    if not addresses:
        raise NameNotResolved(f"getaddrinfo ENOTFOUND {host}")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise BlockedAddress(f"{host} resolves to a non-public address ({address})")
    return str(addresses[0])
