"""The operation model and generated module of every locked version, built once."""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

from plesk_mailgen.model import Protocol
from plesk_mailgen.pipeline import build_protocols, version_key
from plesk_mailgen.schemalock import read_lock

from .paths import PROJECT_DIR

VERSIONS: list[str] = sorted(read_lock(PROJECT_DIR).versions, key=version_key)


@functools.cache
def all_protocols() -> dict[str, Protocol]:
    from plesk_mailgen.schemalock import verified_lock

    protocols = build_protocols(verified_lock(PROJECT_DIR), PROJECT_DIR)
    return {p.version: p for p in protocols}


def protocol_model(version: str) -> Protocol:
    return all_protocols()[version]


def generated_module(version: str) -> ModuleType:
    """The generated package of ``version`` (``plesk_mail.v1_6_9_1``)."""
    return importlib.import_module(f"plesk_mail.{protocol_model(version).module}")
