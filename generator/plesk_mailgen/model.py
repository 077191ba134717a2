"""The operation model: what templates render, and nothing else.

Built from xsdata's resolved classes by ``build.py``. Names here are final
Python names; XSD names survive only in ``tag`` (the XML element name) and in
``sources`` (where a type came from, for error messages and overrides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ScalarKind = Literal["str", "int", "bool", "date", "datetime", "float", "bytes"]
TypeKind = Literal["scalar", "enum", "flag", "struct"]


@dataclass(frozen=True)
class FieldType:
    """What one XML child holds: a scalar, an enum, a flag or a struct."""

    kind: TypeKind
    scalar: ScalarKind | None = None
    ref: str | None = None
    collapse: bool = False
    min_value: int | None = None
    max_value: int | None = None

    def signature(self) -> tuple[object, ...]:
        return (
            self.kind,
            self.scalar,
            self.ref,
            self.collapse,
            self.min_value,
            self.max_value,
        )


@dataclass(frozen=True)
class Field:
    """One Python attribute, bound to one XML child element.

    ``wrapper`` names an element the schema wraps around this child (the
    ``filter`` of most requests): the wrapper is written and read by the codec
    but does not show up as a class of its own.
    """

    name: str
    tag: str
    type: FieldType
    required: bool
    repeated: bool
    min_items: int = 0
    max_items: int | None = None
    wrapper: str | None = None
    secret: bool = False
    doc: str | None = None

    def signature(self) -> tuple[object, ...]:
        return (
            self.name,
            self.tag,
            self.type.signature(),
            self.required,
            self.repeated,
            self.min_items,
            self.max_items,
            self.wrapper,
            self.secret,
        )


@dataclass(frozen=True)
class Choice:
    """An ``xs:choice`` that is not repeated: at most one branch may be used.

    Each branch lists the fields that belong to it; ``required`` means some
    branch must be used (no branch of the choice may stay empty).
    """

    required: bool
    branches: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Struct:
    """A model class. ``fields`` holds inherited fields first, then its own."""

    name: str
    fields: tuple[Field, ...]
    base: str | None = None
    choices: tuple[Choice, ...] = ()
    doc: str | None = None
    sources: tuple[str, ...] = ()
    is_result: bool = False

    inherited_count: int = 0

    @property
    def own_fields(self) -> tuple[Field, ...]:
        return self.fields[self.inherited_count :]

    def signature(self) -> tuple[object, ...]:
        return (
            self.name,
            self.base,
            tuple(f.signature() for f in self.fields),
            self.choices,
        )

    @property
    def groups(self) -> tuple[tuple[str | None, tuple[Field, ...]], ...]:
        """Consecutive fields that share a wrapper element (or none)."""
        result: list[tuple[str | None, list[Field]]] = []
        for item in self.fields:
            if result and result[-1][0] == item.wrapper:
                result[-1][1].append(item)
            else:
                result.append((item.wrapper, [item]))
        return tuple((wrapper, tuple(fields)) for wrapper, fields in result)

    @property
    def required_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    def field_named(self, name: str) -> Field:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: str


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[EnumValue, ...]
    doc: str | None = None
    sources: tuple[str, ...] = ()

    def signature(self) -> tuple[object, ...]:
        return (self.name, self.values)


@dataclass(frozen=True)
class Operation:
    """One operation of the mail operator, e.g. ``update_add``.

    ``path`` is the element path under ``<mail>`` (``("update", "add")``),
    the same on the request and response side. ``result_field`` is the field of
    the response that holds the per-item results, when the response has one.
    ``batch_field`` is the request list that may be split across packets;
    ``results_per_item`` says Plesk answers one result per item of it, in order.
    """

    name: str
    path: tuple[str, ...]
    request: str
    response: str
    result_field: str | None
    result_type: str | None = None
    results_repeated: bool = False
    batch_field: str | None = None
    results_per_item: bool = False
    doc: str | None = None

    @property
    def command(self) -> str:
        """CLI spelling of the operation name."""
        return self.name.replace("_", "-")


@dataclass(frozen=True)
class Protocol:
    """Everything generated for one protocol version."""

    version: str
    module: str
    plesk: tuple[str, ...]
    operations: tuple[Operation, ...]
    structs: tuple[Struct, ...]
    enums: tuple[Enum, ...]
    schema_pins: dict[str, str] = field(default_factory=dict)

    @property
    def operation_groups(self) -> tuple[tuple[str, tuple[Operation, ...]], ...]:
        """Operations by their first element (``update`` holds add/remove/set)."""
        result: dict[str, list[Operation]] = {}
        for operation in self.operations:
            result.setdefault(operation.path[0], []).append(operation)
        return tuple((tag, tuple(ops)) for tag, ops in result.items())

    @property
    def request_structs(self) -> tuple[Struct, ...]:
        """Classes a request can contain (what local validation has to check)."""
        pending = [op.request for op in self.operations]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            struct = self.struct(name)
            if struct.base:
                pending.append(struct.base)
            pending += [
                f.type.ref
                for f in struct.fields
                if f.type.kind == "struct" and f.type.ref
            ]
        return tuple(s for s in self.structs if s.name in seen)

    def struct(self, name: str) -> Struct:
        for item in self.structs:
            if item.name == name:
                return item
        raise KeyError(name)
