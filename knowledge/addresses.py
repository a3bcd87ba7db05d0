"""Which network addresses a fetch may contact.

Address policy, see :func:`address_problem`:

* always refused: unspecified (``0.0.0.0/8``, ``::``), link-local
  (``169.254.0.0/16`` with the cloud metadata endpoint, ``fe80::/10``),
  multicast, reserved, and the known cloud metadata addresses. Nothing worth
  reading lives there, and they are the classic targets of request forgery.
* refused unless ``config.allow_private_urls``: loopback, private (RFC 1918,
  ``fc00::/7``), carrier-grade NAT ``100.64.0.0/10`` and other non-public ranges.
  The setting exists for tests and intranet wikis.

IPv6 forms that embed an IPv4 address (``::ffff:a.b.c.d``, NAT64, 6to4) are
judged by the address they embed.
"""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack ...
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server
    )
)
_UNSPECIFIED_V4 = ipaddress.ip_network("0.0.0.0/8")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why we refuse to contact ``ip`` ("a private address"), or None if we may."""
    problem = _classify(ip)
    if problem is None:
        return None
    description, always = problem
    if allow_private and not always:
        return None
    return description


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _classify(ip: IPAddress) -> tuple[str, bool] | None:
    """(description, refused even when private addresses are allowed), or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _classify(ip.ipv4_mapped)
        if ip in _NAT64:
            return _classify(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and (inner := _classify(ip.sixtofour)) is not None:
            return inner
    if ip in _METADATA:
        return "a cloud metadata address", True
    if ip.is_unspecified or ip in _UNSPECIFIED_V4:
        return "an unspecified address", True
    if ip.is_link_local:
        return "a link-local address", True
    if ip.is_multicast:
        return "a multicast address", True
    if ip.is_loopback:
        return "a loopback address", False
    if ip.is_reserved:
        return "a reserved address", True
    if ip in _CGNAT:
        return "a carrier-grade NAT address", False
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "a private address", False
    if not ip.is_global:
        return "a non-public address", False
    return None
