"""What a protocol version offers, element by element, in comparable form.

``diff`` and the compatibility matrix both read versions through this one
inventory: per operation, every request and response element path with its
type and cardinality, plus the values of every enumeration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .model import Field, Protocol, Struct

Side = Literal["request", "response"]
SIDES: tuple[Side, ...] = ("request", "response")


@dataclass(frozen=True)
class Element:
    """One element below an operation: ``filter/mailname/autoresponder/end_date``."""

    operation: str
    side: Side
    path: str
    type: str
    cardinality: str

    @property
    def key(self) -> tuple[str, Side, str]:
        return (self.operation, self.side, self.path)

    def describe(self) -> str:
        return f"{self.type}, {self.cardinality}"


def cardinality(field: Field) -> str:
    if field.repeated:
        upper = "n" if field.max_items is None else str(field.max_items)
        return f"{field.min_items}..{upper}"
    return "1" if field.required else "0..1"


def type_name(field: Field) -> str:
    kind = field.type.kind
    if kind == "scalar":
        return str(field.type.scalar)
    if kind == "flag":
        return "flag"
    return str(field.type.ref)


def elements(protocol: Protocol) -> dict[tuple[str, Side, str], Element]:
    """Every element of every operation, keyed by (operation, side, path)."""
    found: dict[tuple[str, Side, str], Element] = {}
    for op in protocol.operations:
        for side in SIDES:
            root = protocol.struct(op.request if side == "request" else op.response)
            for element in _walk(protocol, op.name, side, root, "", frozenset()):
                found[element.key] = element
    return found


def _walk(
    protocol: Protocol,
    operation: str,
    side: Side,
    struct: Struct,
    prefix: str,
    seen: frozenset[str],
) -> Iterator[Element]:
    for field in struct.fields:
        base = f"{prefix}{field.wrapper}/" if field.wrapper else prefix
        path = f"{base}{field.tag}"
        yield Element(operation, side, path, type_name(field), cardinality(field))
        ref = field.type.ref
        if field.type.kind == "struct" and ref is not None and ref not in seen:
            yield from _walk(
                protocol,
                operation,
                side,
                protocol.struct(ref),
                path + "/",
                seen | {struct.name},
            )


def enum_values(protocol: Protocol) -> dict[str, tuple[str, ...]]:
    return {e.name: tuple(v.value for v in e.values) for e in protocol.enums}
