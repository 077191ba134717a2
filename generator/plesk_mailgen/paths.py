"""Element paths of a protocol version, and the version that introduced each.

The client uses the index to say which protocol version an unknown element
belongs to; ``diff`` and the compatibility matrix build on the same walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from .model import Protocol, Struct

Side = Literal["request", "response"]


def element_paths(protocol: Protocol, side: Side) -> set[str]:
    """Every element path below ``<mail>`` (``get_info/result/mailname/id``)."""
    paths: set[str] = set()
    for op in protocol.operations:
        root = protocol.struct(op.request if side == "request" else op.response)
        prefix = "/".join(op.path)
        paths.add(prefix)
        paths.update(_walk(protocol, root, prefix, frozenset()))
    return paths


def _walk(
    protocol: Protocol, struct: Struct, prefix: str, seen: frozenset[str]
) -> Iterator[str]:
    for field in struct.fields:
        base = f"{prefix}/{field.wrapper}" if field.wrapper else prefix
        path = f"{base}/{field.tag}"
        if field.wrapper:
            yield base
        yield path
        ref = field.type.ref
        if field.type.kind == "struct" and ref is not None and ref not in seen:
            yield from _walk(protocol, protocol.struct(ref), path, seen | {struct.name})


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
