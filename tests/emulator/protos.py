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
