"""Ask a Plesk server which protocol versions it speaks, and pick one.

``<packet><server><get_protos/></server></packet>`` is answered with a list of
``<proto>`` elements; the newest version both sides know wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..base import xml as rt
from ..base.errors import (
    ErrorCode,
    PleskError,
    ProtocolVersionError,
    ResponseError,
    masked,
    packet_error,
    shortened,
)
from ..base.protocols import version_key
from ..transport.http import Transport
from .envelope import decode_system

MAX_LISTED = 20
"""At most this many of the server's versions in an error message."""
GET_PROTOS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b"<packet><server><get_protos/></server></packet>"
)


def server_protocols(transport: Transport) -> list[str]:
    """The protocol versions the server says it supports."""
    data = transport.post(GET_PROTOS, "server.get_protos")
    try:
        return protocols_in(data, transport.max_response_size)
    except PleskError as exc:
        raise masked(exc, transport.mask) from None


def protocols_in(data: bytes, max_size: int) -> list[str]:
    """The versions listed in a ``get_protos`` answer, or the failure it reports."""
    root = rt.parse(data, max_size)
    if root.tag != "packet":
        raise ResponseError(
            f"expected a <packet> document, got <{root.tag!s}>", rt.excerpt(data)
        )
    system = root.find("system")
    if system is not None:
        failure = decode_system(system, None)
        raise packet_error(failure.errcode, failure.errtext or "get_protos refused")
    result = root.find("server/get_protos/result")
    if result is None:
        raise ResponseError(
            "no <server><get_protos><result> in the answer", rt.excerpt(data)
        )
    if result.findtext("status", "").strip() != "ok":
        code = result.findtext("errcode", "").strip()
        raise packet_error(
            int(code) if code.isascii() and code.isdigit() else None,
            shortened(
                " ".join(result.findtext("errtext", "get_protos failed").split())
            ),
        )
    protos = [" ".join((p.text or "").split()) for p in result.iter("proto")]
    protos = [p for p in protos if p]
    if not protos:
        raise ResponseError("the server listed no protocol versions", rt.excerpt(data))
    return protos


def choose(server: Sequence[str], known: Sequence[str]) -> str:
    """The newest version in both lists, or ``ProtocolVersionError`` naming both."""
    offered = set(server)
    common = [version for version in known if version in offered]
    if not common:
        listed = ", ".join(server[:MAX_LISTED])
        if len(server) > MAX_LISTED:
            listed += f" and {len(server) - MAX_LISTED} more"
        raise ProtocolVersionError(
            ErrorCode.PROTOCOL_VERSION_NOT_SUPPORTED,
            f"no common protocol version: the server speaks {listed}; "
            f"this package speaks {', '.join(known)}",
        )
    return max(common, key=version_key)


def stat_packet(version: str) -> bytes:
    """``<server><get><stat/></get></server>``: what product version a server runs."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><packet version="{version}">'
        "<server><get><stat/></get></server></packet>"
    ).encode()


def plesk_version_in(data: bytes, max_size: int) -> str | None:
    """``result/stat/version/plesk_version`` of a ``server/get`` answer, if it says."""
    try:
        root = rt.parse(data, max_size)
    except PleskError:
        return None
    found = root.findtext("server/get/result/stat/version/plesk_version")
    text = " ".join((found or "").split())
    return text[:40] if text and all(c.isalnum() or c in ".-" for c in text) else None


def release(plesk_version: str | None, releases: Sequence[str]) -> str:
    """The Plesk release a server runs, as precisely as it says: ``Obsidian 18.0.60``
    when it told its version, else every release its protocol version has."""
    if plesk_version:
        for name in releases:  # "Obsidian 18.x", "Onyx 17.8", "12.5"
            words = name.split()
            number = words[-1].removesuffix(".x")
            if plesk_version == number or plesk_version.startswith(f"{number}."):
                return " ".join([*(words[:-1] or ["Plesk"]), plesk_version])
        return f"Plesk {plesk_version}"
    return ", ".join(releases)
