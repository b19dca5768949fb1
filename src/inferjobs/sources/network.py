"""Which hosts jobs may make the service connect to (checked after DNS resolution).

By default only public addresses: loopback, link-local and private ranges are refused, so a
job cannot turn the service against its own network. `INFERJOBS_SOURCES__ALLOWED_HOSTS` adds
host names, addresses and CIDR ranges.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from inferjobs.errors import BadRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class HostPolicy:
    names: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, allowed: str) -> HostPolicy:
        names: set[str] = set()
        networks: list[Network] = []
        for entry in (e.strip() for e in allowed.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def check(self, host: str, port: int, field: str) -> None:
        """Raise BadRequest unless every address `host` resolves to may be reached."""
        name = host.lower().rstrip(".").strip("[]")
        if name in self.names:
            return
        try:
            infos = socket.getaddrinfo(name, port, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            raise BadRequest(f"{field}: host {host!r} cannot be resolved") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not self._allowed(address):
                raise BadRequest(
                    f"{field}: host {host!r} resolves to {address}, an address this server "
                    "does not connect to (loopback, link-local and private ranges need "
                    "INFERJOBS_SOURCES__ALLOWED_HOSTS)"
                )

    def _allowed(self, address: Address) -> bool:
        if any(address in network for network in self.networks):
            return True
        return address.is_global and not address.is_multicast
