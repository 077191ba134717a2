"""Ask a Plesk server which protocol versions it speaks, and pick one.

``<packet><server><get_protos/></server></packet>`` is answered with a list of
``<proto>`` elements; the newest version both sides know wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import xml as rt
from .envelope import decode_system
from .errors import ErrorCode, ProtocolVersionError, ResponseError, packet_error
from .protocols import version_key
from .transport import Transport

GET_PROTOS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b"<packet><server><get_protos/></server></packet>"
)


def server_protocols(transport: Transport) -> list[str]:
    """The protocol versions the server says it supports."""
    data = transport.post(GET_PROTOS, "server.get_protos")
    root = rt.parse(data, transport.max_response_size)
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
            int(code) if code.isdigit() else None,
            " ".join(result.findtext("errtext", "get_protos failed").split()),
        )
    protos = [" ".join((p.text or "").split()) for p in result.iter("proto")]
    protos = [p for p in protos if p]
    if not protos:
        raise ResponseError("the server listed no protocol versions", rt.excerpt(data))
    return protos


def choose(server: Sequence[str], known: Sequence[str]) -> str:
    """The newest version in both lists, or ``ProtocolVersionError`` naming both."""
    common = [version for version in known if version in server]
    if not common:
        raise ProtocolVersionError(
            ErrorCode.PROTOCOL_VERSION_NOT_SUPPORTED,
            f"no common protocol version: the server speaks {', '.join(server)}; "
            f"this package speaks {', '.join(known)}",
        )
    return max(common, key=version_key)
