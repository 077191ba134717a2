"""Plesk's version negotiation: ``<packet><server><get_protos/></server></packet>``.

The answer lists the protocol versions the server speaks:
``<packet version="..."><server><get_protos><result><status>ok</status>
<protos><proto>1.6.9.1</proto>...</protos></result></get_protos></server></packet>``.
Both sides are checked against the reduced server schemas in ``xsd/``.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Literal

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent / "xsd"
_lock = threading.Lock()  # an XMLSchema's error_log is shared state


def answer(version: str, protos: list[str]) -> bytes:
    packet = etree.Element("packet", version=version)
    result = etree.SubElement(
        etree.SubElement(etree.SubElement(packet, "server"), "get_protos"), "result"
    )
    etree.SubElement(result, "status").text = "ok"
    listed = etree.SubElement(result, "protos")
    for proto in protos:
        etree.SubElement(listed, "proto").text = proto
    return bytes(etree.tostring(packet, xml_declaration=True, encoding="UTF-8"))


RELEASE_OF = {
    "1.6.6.0": "12.0.18",
    "1.6.7.0": "12.5.30",
    "1.6.8.0": "17.0.17",
    "1.6.9.1": "18.0.60",
}
"""A Plesk release that speaks each protocol version as its newest (the
README's version table): what an emulator of that version says it is."""


def stat_answer(version: str, plesk_version: str) -> bytes:
    """``<server><get><stat/></get></server>``: the product version, as Plesk says it
    (``result/stat/version/plesk_version``, e.g. ``18.0.60``)."""
    packet = etree.Element("packet", version=version)
    get = etree.SubElement(etree.SubElement(packet, "server"), "get")
    result = etree.SubElement(get, "result")
    etree.SubElement(result, "status").text = "ok"
    found = etree.SubElement(etree.SubElement(result, "stat"), "version")
    etree.SubElement(found, "plesk_name").text = "Plesk"
    etree.SubElement(found, "plesk_version").text = plesk_version
    return bytes(etree.tostring(packet, xml_declaration=True, encoding="UTF-8"))


@functools.cache
def _schema(side: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"server_{side}.xsd")))


def schema_errors(side: Literal["request", "response"], data: bytes) -> list[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    document = etree.fromstring(data, parser)
    with _lock:
        schema = _schema(side)
        if schema.validate(document):
            return []
        return [f"line {e.line}: {e.message}" for e in schema.error_log]
