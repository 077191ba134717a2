"""Validate packets against a version's pinned XSDs, through our own envelope."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Literal

from lxml import etree

from .paths import ENVELOPE_DIR, PROJECT_DIR

Side = Literal["request", "response"]
_lock = threading.Lock()  # building a schema, and its shared error_log, across threads


@functools.cache
def envelope_schema(protocol: str, side: Side) -> etree.XMLSchema:
    """The envelope schema of ``side`` with the version's mail schemas included."""
    from plesk_mailgen.schemalock import verified_lock

    version = verified_lock(PROJECT_DIR).version(protocol)
    text = (ENVELOPE_DIR / f"{side}.xsd").read_bytes()
    base_url = version.folder.resolve().as_uri() + "/"
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.fromstring(text, parser, base_url=base_url))


def schema_errors(protocol: str, side: Side, data: bytes) -> list[str]:
    """Every error of ``data`` against the envelope of ``protocol`` (thread-safe)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    document = etree.fromstring(data, parser)
    with _lock:
        schema = envelope_schema(protocol, side)
        if schema.validate(document):
            return []
        return [f"line {e.line}: {e.message}" for e in schema.error_log]


def assert_valid(protocol: str, side: Side, data: bytes) -> None:
    errors = schema_errors(protocol, side, data)
    assert not errors, (
        f"{side} packet is not valid for {protocol}:\n"
        + "\n".join(errors)
        + "\n"
        + data.decode()
    )


def schema_folder(protocol: str) -> Path:
    from plesk_mailgen.schemalock import verified_lock

    return verified_lock(PROJECT_DIR).version(protocol).folder
