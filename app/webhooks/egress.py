"""Where webhook deliveries may go: the public internet only (no SSRF).

A subscriber chooses the URL our worker posts to, from inside our network. Without a check it
could aim the worker at the cloud metadata service (169.254.169.254), at PostgreSQL's or Redis'
port on loopback, or at anything on the private network. So:

- at subscription, `refusal(url)` turns down URLs with credentials, `localhost` names and
  address literals outside the public internet, in every spelling (`127.1`, `2130706433`,
  `0x7f.1`, `[::ffff:127.0.0.1]`; pydantic already normalises most to dotted quads, and
  `_literal` parses the legacy forms itself for URLs stored before this check existed);
- at every delivery, `pin(url)` resolves the name, refuses if *any* address is outside the
  public internet, and returns the URL rewritten to the checked address, with the name kept in
  the `Host` header and as the TLS server name (certificate checked against the name). The
  connection goes to the address that was checked: a DNS answer that changes between the check
  and the connect (rebinding) cannot redirect it.

`GRID_WEBHOOK_ALLOW_HOSTS` lists exceptions, for tests and internal receivers: host names
(exact, any address they resolve to) and networks in CIDR form (`10.20.0.0/16`, `127.0.0.1/32`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
RESOLVE_TIMEOUT_SECONDS = 5.0

# Not the public internet, whatever `ipaddress.is_global` says in this Python version
# (3.11 calls multicast and ::/96 global). IANA special-purpose registries, in short.
_BLOCKED: tuple[IPNetwork, ...] = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/96",          # unspecified, loopback and the old IPv4-compatible addresses
    "64:ff9b::/96", "64:ff9b:1::/48",  # NAT64: reaches IPv4 addresses through a gateway
    "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",  # discard, IETF, docs, 6to4
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
_LOCAL_NAMES = re.compile(r"(^|\.)(localhost|localdomain|local|internal|home\.arpa)$")
_LEGACY_V4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")


class EgressRefused(Exception):
    """The destination is not on the public internet (and not explicitly allowed)."""


def blocked(ip: IPAddress) -> bool:
    """True for any address outside the public internet."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return blocked(ip.ipv4_mapped)
    return (any(ip in net for net in _BLOCKED if net.version == ip.version)
            or not ip.is_global or ip.is_multicast)


def _literal(host: str) -> IPAddress | None:
    """The address a host written as an address stands for, in any spelling inet_aton and
    browsers accept (`127.1`, `2130706433`, `0x7f.0.0.1`, `017700000001`), or None for a name."""
    h = host.strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    if _LEGACY_V4.match(h):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(h))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class Policy:
    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> Policy:
        hosts: set[str] = set()
        nets: list[IPNetwork] = []
        for entry in entries:
            e = entry.strip().lower()
            if not e:
                continue
            try:
                nets.append(ipaddress.ip_network(e.strip("[]"), strict=False))
            except ValueError:
                hosts.add(e.rstrip("."))
        return cls(frozenset(hosts), tuple(nets))

    def allows_host(self, host: str) -> bool:
        return host.rstrip(".").lower() in self.hosts

    def allows(self, ip: IPAddress) -> bool:
        return not blocked(ip) or any(ip in n for n in self.networks if n.version == ip.version)


def refusal(url: str, policy: Policy) -> str | None:
    """Why a subscription URL is refused (English, for the problem's field error), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs are allowed"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "credentials in the URL are not allowed (use the signature to authenticate)"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "the URL has no host"
    if policy.allows_host(host):
        return None
    ip = _literal(host)
    if ip is not None:
        return None if policy.allows(ip) else f"address {ip} is not on the public internet"
    if _LOCAL_NAMES.search(host) or "." not in host:
        return f"host {host} is a local name"
    return None


async def system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Target:
    """A checked destination: send to `url` (an address), present `host` as the name."""

    url: httpx.URL
    host_header: str
    server_name: str

    @property
    def extensions(self) -> dict[str, str]:
        # httpcore opens TLS with this server name: SNI and the certificate check use the
        # subscriber's name although the connection goes to the address we checked.
        return {"sni_hostname": self.server_name}


async def pin(url: str, policy: Policy, resolve: Resolver = system_resolve) -> Target:
    """Resolve, check every address, and return the URL rewritten to the first one."""
    reason = refusal(url, policy)
    if reason is not None:
        raise EgressRefused(reason)
    parsed = httpx.URL(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal = _literal(host)
    try:
        answers = [str(literal)] if literal is not None else await resolve(host, port)
    except (OSError, TimeoutError) as exc:
        raise EgressRefused(f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
    if not addresses:
        raise EgressRefused(f"{host} has no address")
    if not policy.allows_host(host):
        inside = [a for a in addresses if not policy.allows(a)]
        if inside:
            # One inside address is enough to refuse: we would not know which one we get.
            raise EgressRefused(f"{host} resolves to {inside[0]}, not on the public internet")
    netloc = parsed.netloc.decode("ascii")
    return Target(url=parsed.copy_with(host=str(addresses[0])), host_header=netloc,
                  server_name=host)
