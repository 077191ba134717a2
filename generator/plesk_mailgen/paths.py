"""Response element paths, and the protocol version that introduced each.

The client uses the index to say which protocol version an unknown element
belongs to. Built on the same inventory as ``diff`` and the matrix.
"""

from __future__ import annotations

from .inventory import Side, elements
from .model import Protocol


def element_paths(protocol: Protocol, side: Side) -> set[str]:
    """Every element path below ``<mail>`` (``get_info/result/mailname/id``)."""
    xml_path = {op.name: "/".join(op.path) for op in protocol.operations}
    paths = set(xml_path.values())
    for element in elements(protocol).values():
        if element.side == side:
            paths.add(f"{xml_path[element.operation]}/{element.path}")
    return paths


def first_seen(protocols: list[Protocol], side: Side = "response") -> dict[str, str]:
    """Paths missing from some version, mapped to the oldest version that has them.

    ``protocols`` must be sorted oldest first.
    """
    everywhere: set[str] | None = None
    first: dict[str, str] = {}
    for protocol in protocols:
        paths = element_paths(protocol, side)
        everywhere = paths if everywhere is None else everywhere & paths
        for path in paths:
            first.setdefault(path, protocol.version)
    common = everywhere or set()
    return {path: first[path] for path in sorted(first) if path not in common}
