"""The compatibility matrix: which protocol versions have each operation and element.

Rows are operations and their request/response elements; columns are the
protocol versions. Rendered into ``generated/COMPATIBILITY.md`` and the
importable ``plesk_mail.compatibility``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .inventory import elements
from .model import Protocol


@dataclass(frozen=True)
class Row:
    operation: str
    side: str
    path: str
    versions: tuple[str, ...]


def matrix(protocols: list[Protocol]) -> tuple[Row, ...]:
    """Rows in operation order (newest version's order first), elements in schema order."""
    present: dict[tuple[str, str, str], list[str]] = {}
    for protocol in protocols:
        for op in protocol.operations:
            present.setdefault((op.name, "", ""), []).append(protocol.version)
        for key in elements(protocol):
            present.setdefault(key, []).append(protocol.version)
    operation_order: list[str] = []
    for protocol in reversed(protocols):
        for op in protocol.operations:
            if op.name not in operation_order:
                operation_order.append(op.name)
    rank = {name: i for i, name in enumerate(operation_order)}
    position = {key: i for i, key in enumerate(present)}
    keys = sorted(
        present,
        key=lambda k: (rank[k[0]], k[1] != "", k[1] != "request", position[k]),
    )
    return tuple(Row(k[0], k[1], k[2], tuple(present[k])) for k in keys)
