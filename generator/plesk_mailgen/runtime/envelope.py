"""The ``<packet>`` envelope, the same in every protocol version.

A request is ``<packet version="..."><mail>...</mail></packet>``; a response
carries ``<mail>`` or, when the server refused the whole packet, ``<system>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from . import xml as rt
from .errors import ResponseError

OPERATOR = "mail"


@dataclass(slots=True, kw_only=True)
class SystemResult:
    """A packet-level failure: bad credentials, parse error, unsupported version."""

    status: str = "error"
    errcode: int | None = None
    errtext: str = ""
    output: str | None = None


def new_packet(version: str) -> tuple[rt.Element, rt.Element]:
    """A new ``<packet>`` and its ``<mail>`` element."""
    packet = etree.Element("packet", version=version)
    return packet, etree.SubElement(packet, OPERATOR)


def open_packet(
    data: bytes, max_size: int = rt.DEFAULT_MAX_SIZE
) -> tuple[str, rt.Element | None, SystemResult | None]:
    """Parse a packet: its version and either the ``<mail>`` or the ``<system>`` part."""
    root = rt.parse(data, max_size)
    if root.tag != "packet":
        raise ResponseError(
            f"expected a <packet> document, got <{root.tag!s}>", rt.excerpt(data)
        )
    version = root.get("version", "")
    system = root.find("system")
    if system is not None:
        return version, None, decode_system(system, root.find("output"))
    mail = root.find(OPERATOR)
    if mail is None:
        raise ResponseError(
            "packet holds neither <mail> nor <system>", rt.excerpt(data)
        )
    for child in root.iterchildren(etree.Element):
        if child is not mail:
            rt.unexpected(child)
    return version, mail, None


def decode_system(system: rt.Element, output: rt.Element | None) -> SystemResult:
    status = system.findtext("status", "").strip()
    errcode_text = system.findtext("errcode")
    try:
        errcode = int(errcode_text.strip()) if errcode_text else None
    except ValueError:
        errcode = None
    return SystemResult(
        status=status or "error",
        errcode=errcode,
        errtext=" ".join(system.findtext("errtext", "").split()),
        output=output.text if output is not None else None,
    )


def encode_system(version: str, result: SystemResult) -> bytes:
    packet = etree.Element("packet", version=version)
    system = etree.SubElement(packet, "system")
    etree.SubElement(system, "status").text = result.status
    if result.errcode is not None:
        etree.SubElement(system, "errcode").text = str(result.errcode)
    etree.SubElement(system, "errtext").text = result.errtext
    if result.output is not None:
        etree.SubElement(packet, "output").text = result.output
    return rt.serialize(packet)
