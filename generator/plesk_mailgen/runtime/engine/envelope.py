"""The ``<packet>`` envelope, the same in every protocol version.

A request is ``<packet version="..."><mail>...</mail></packet>``; since
protocol 1.4.0.0 a packet may carry several operator elements
(``<site>...</site><mail>...</mail>``), answered in order. A response carries
the same operator elements or, when the server refused the whole packet,
``<system>``. Which operators exist is the generated codec's business: it
passes their element names in.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..base import xml as rt
from ..base.errors import ResponseError


@dataclass(slots=True, kw_only=True)
class SystemResult:
    """A packet-level failure: bad credentials, parse error, unsupported version."""

    status: str = "error"
    errcode: int | None = None
    errtext: str = ""
    output: str | None = None


def new_packet(version: str) -> rt.Element:
    """A new, empty ``<packet>``; ``operator_element`` adds to it."""
    return etree.Element("packet", version=version)


def operator_element(packet: rt.Element, operator: str) -> rt.Element:
    """Where the next operation of ``operator`` goes: the packet's last element if
    it is that operator's, else a new one (consecutive operations share one)."""
    last = packet[-1] if len(packet) else None
    if last is not None and last.tag == operator:
        return last
    return etree.SubElement(packet, operator)


def open_packet(
    data: bytes, operators: tuple[str, ...], max_size: int = rt.DEFAULT_MAX_SIZE
) -> tuple[str, list[rt.Element], SystemResult | None]:
    """Parse a packet: its version and either its operator elements, in order,
    or the ``<system>`` part. Any other element is unexpected."""
    root = rt.parse(data, max_size)
    if root.tag != "packet":
        raise ResponseError(
            f"expected a <packet> document, got <{root.tag!s}>", rt.excerpt(data)
        )
    version = root.get("version", "")
    system = root.find("system")
    if system is not None:
        return version, [], decode_system(system, root.find("output"))
    children = list(root.iterchildren(etree.Element))
    found = [child for child in children if child.tag in operators]
    if not found:
        named = ", ".join(f"<{name}>" for name in operators)
        raise ResponseError(
            f"packet holds neither an operator element ({named}) nor <system>",
            rt.excerpt(data),
        )
    for child in children:
        if child.tag not in operators:
            rt.unexpected(child)
    return version, found, None


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
        errtext=system.findtext("errtext", ""),  # exactly as sent
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
