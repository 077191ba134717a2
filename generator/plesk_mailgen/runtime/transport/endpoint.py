"""Where a Plesk server is: a host name or address, with or without a port.

People write ``plesk.example.com``, ``203.0.113.5:8443``, ``::1`` or
``[2001:db8::1]:8443``; all of them become one URL, and anything that is not a
host is refused when the client is made, in one line.
"""

from __future__ import annotations

import ipaddress
import re

from ..base.errors import ConfigurationError

PATH = "/enterprise/control/agent.php"
DEFAULT_PORT = 8443
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")


def _port(text: str, host: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigurationError(f"not a port number: {text!r} in {host!r}")
    return int(text)


def split_host(text: str, port: int | None) -> tuple[str, int]:
    """``(host, port)`` of ``host``, ``host:port``, an IPv6 address or ``[v6]:port``.

    A port written in the host and a different ``port`` argument contradict
    each other and are refused.
    """
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
    ):
        raise ConfigurationError(f"not a port number: {port!r} (1 to 65535)")
    given: int | None = None
    host = text.strip()
    if host.startswith("["):
        inside, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ConfigurationError(f"not a host name or address: {text!r}")
        host, given = inside, _port(rest[1:], text) if rest else None
        _ipv6(host, text)
    elif host.count(":") == 1:
        host, _, number = host.partition(":")
        given = _port(number, text)
    elif ":" in host:
        _ipv6(host, text)
    if ":" not in host and not _HOST_NAME.match(host):
        raise ConfigurationError(f"not a host name or address: {text!r}")
    if given is not None and port is not None and given != port:
        raise ConfigurationError(
            f"{text!r} names port {given}, but port {port} was given too"
        )
    if given is not None:
        return host, given
    return host, port if port is not None else DEFAULT_PORT


def _ipv6(host: str, text: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise ConfigurationError(f"not a host name or address: {text!r}") from None


def url(host: str, port: int, scheme: str = "https") -> str:
    """The XML API URL of the server (IPv6 addresses in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}{PATH}"
