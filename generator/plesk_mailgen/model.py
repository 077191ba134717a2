"""The operation model: what templates render, and nothing else.

Built from xsdata's resolved classes by ``build.py``, one ``Protocol`` per
version; ``api.py`` merges them into the version-neutral ``Api``. Names here are
final Python names; XSD names survive only in ``tag`` (the XML element name) and
in ``sources`` (where a type came from, for error messages and overrides).

``versions`` (on fields, structs, enums, enum values and operations) is set
only in the merged ``Api``: ``None`` means every supported protocol version
has the thing, a tuple lists the versions that do (oldest first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Versions = tuple[str, ...] | None
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
    min_length: int | None = None
    max_length: int | None = None
    """Length facets of a string type (``domainName``: 1 to 255 characters)."""

    def signature(self) -> tuple[object, ...]:
        return (
            self.kind,
            self.scalar,
            self.ref,
            self.collapse,
            self.min_value,
            self.max_value,
            self.min_length,
            self.max_length,
        )


@dataclass(frozen=True)
class Field:
    """One Python attribute, bound to one XML child element.

    ``wrapper`` names an element the schema wraps around this child (the
    ``filter`` of most requests): the wrapper is written and read by the codec
    but does not show up as a class of its own. An ``optional_wrapper`` (the
    ``data`` of a site result) is written only when one of its fields is set.
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
    versions: Versions = None
    optional_wrapper: bool = False

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
            self.optional_wrapper,
        )

    @property
    def mandatory(self) -> bool:
        """Required in every version: a Python argument without default."""
        return self.versions is None and (
            self.required or (self.repeated and self.min_items > 0)
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
    versions: Versions = None

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

    def field_named(self, name: str) -> Field:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

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
    def own_groups(self) -> tuple[tuple[str | None, tuple[Field, ...]], ...]:
        """Like ``groups``, for the fields declared here (not inherited)."""
        return tuple(
            (w, fs[max(0, self.inherited_count - start) :])
            for (w, fs), start in zip(self.groups, self._group_starts(), strict=True)
            if start + len(fs) > self.inherited_count
        )

    def _group_starts(self) -> list[int]:
        starts, position = [], 0
        for _, fields in self.groups:
            starts.append(position)
            position += len(fields)
        return starts

    @property
    def required_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: str
    versions: Versions = None
    doc: str | None = None


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[EnumValue, ...]
    doc: str | None = None
    sources: tuple[str, ...] = ()
    versions: Versions = None

    def signature(self) -> tuple[object, ...]:
        return (self.name, self.values)


@dataclass(frozen=True)
class Payload:
    """Typed access to what successful items carry: ``results.accounts()``.

    ``method`` returns ``field`` of every ``ok`` result that has it (lists
    flattened), or without a field the ``ok`` results themselves (a site's
    result is the site: its id and its ``gen_info``), and raises
    ``ItemErrors`` when any item failed.
    """

    method: str
    field: Field | None


@dataclass(frozen=True)
class Everything:
    """An empty ``field`` makes the operation act on everything: it needs ``flag``."""

    field: str
    flag: str
    means: str


@dataclass(frozen=True)
class ByName:
    """A request field a person may give by name: ``site="example.com"`` for ``site_id``.

    ``lookup`` is the operation that finds names (its list field ``filter``);
    ``value`` is the result field that holds the id, ``key`` the one that names
    what a result answers.
    """

    field: str
    param: str
    many: bool
    lookup: str
    filter: str
    value: str
    key: str
    doc: str | None = None


@dataclass(frozen=True)
class Operation:
    """One operation of an operator, e.g. ``update_add`` of ``<mail>``.

    ``operator`` is the operator's element (``mail``, ``site``); ``path`` is the
    element path under it (``("update", "add")``), the same on the request and
    response side; ``key`` (operator and path) identifies the operation.
    ``name`` is its Python name (``update_add``, ``get_sites``): the client
    method, the CLI command and the key of the tables, unique across operators.
    ``result_field`` is the field of the response that holds the per-item
    results, when the response has one. ``batch_field`` is the request list
    that may be split across packets; ``results_per_item`` says Plesk answers
    one result per item of it, in order.
    """

    name: str
    operator: str
    path: tuple[str, ...]
    request: str
    response: str
    result_field: str | None
    result_type: str | None = None
    results_repeated: bool = False
    batch_field: str | None = None
    results_per_item: bool = False
    doc: str | None = None
    versions: Versions = None
    bare_versions: tuple[str, ...] = ()
    """Versions whose response holds the result's fields directly, unwrapped."""
    bare_fields: tuple[str, ...] = ()
    payload: Payload | None = None
    returns_doc: str | None = None
    examples: tuple[str, ...] = ()
    """Command lines that show the operation in ``plesk-mail``'s help."""
    everything: Everything | None = None
    read_only: bool = False
    """Sending it twice changes nothing (``get_info``): safe to retry."""
    identity: tuple[str, tuple[str, ...]] | None = None
    """(item field, result path) naming the same item, to match results to items."""
    by_name: ByName | None = None
    """The request field a call may give by name instead (``site_id`` as ``site``)."""
    address: tuple[str | None, tuple[str, ...]] | None = None
    """Where an item names its account (``None``: the item is the name) and where
    a result names it back: a call that names no site may name accounts by address."""
    lookup: bool = False
    """Other operations find ids by name with this one (``get_sites``)."""

    @property
    def command(self) -> str:
        """CLI spelling of the operation name."""
        return self.name.replace("_", "-")

    @property
    def key(self) -> tuple[str, str]:
        """The operation's identity: its operator and its element path there."""
        return self.operator, "/".join(self.path)


@dataclass(frozen=True, kw_only=True)
class Schema:
    """Operations, model classes and enums: one version's, or all merged."""

    operations: tuple[Operation, ...]
    structs: tuple[Struct, ...]
    enums: tuple[Enum, ...]
    operators: tuple[str, ...] = ()
    """The operator elements, in lock order (``mail``, ``site``)."""

    def operation_groups(
        self, operator: str
    ) -> tuple[tuple[str, tuple[Operation, ...]], ...]:
        """An operator's operations by their first element (``update`` holds add/remove/set)."""
        result: dict[str, list[Operation]] = {}
        for operation in self.operations:
            if operation.operator == operator:
                result.setdefault(operation.path[0], []).append(operation)
        return tuple((tag, tuple(ops)) for tag, ops in result.items())

    @property
    def request_structs(self) -> tuple[Struct, ...]:
        """Classes a request can contain (what local validation has to check)."""
        return self.reachable(op.request for op in self.operations)

    def reachable(self, roots: Iterable[str]) -> tuple[Struct, ...]:
        """Structs reachable from ``roots`` through fields and bases, in model order."""
        pending = list(roots)
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

    def enum(self, name: str) -> Enum:
        for item in self.enums:
            if item.name == name:
                return item
        raise KeyError(name)


@dataclass(frozen=True, kw_only=True)
class Protocol(Schema):
    """Everything one protocol version's schemas define."""

    version: str
    module: str
    plesk: tuple[str, ...]
    schema_pins: dict[str, str] = field(default_factory=dict)
    omitted: frozenset[str] = frozenset()
    """The lock's ``omit`` entries this version's schemas have."""


@dataclass(frozen=True, kw_only=True)
class Api(Schema):
    """All protocol versions merged: each class once, with every field any version has.

    Fields, classes, enum values and operations that only some versions have
    carry those versions.
    """

    protocols: tuple[Protocol, ...]
    codec_shared: dict[str, str] = field(default_factory=dict)
    """Struct -> the struct whose encode/decode functions it uses (same shape)."""

    @property
    def bases(self) -> frozenset[str]:
        """Structs that other structs extend."""
        return frozenset(s.base for s in self.structs if s.base is not None)

    def codec_members(self, name: str) -> tuple[str, ...]:
        """The structs that use ``name``'s codec functions (``name`` first)."""
        shared = self.codec_shared
        return (name, *sorted(k for k, v in shared.items() if v == name and k != name))

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(p.version for p in self.protocols)

    @property
    def latest(self) -> Protocol:
        return self.protocols[-1]

    @property
    def version_sets(self) -> tuple[tuple[str, ...], ...]:
        """Every distinct ``versions`` tuple used, in a stable order."""
        everything: list[Versions] = [op.versions for op in self.operations]
        for enum in self.enums:
            everything += [enum.versions, *(v.versions for v in enum.values)]
        for struct in self.structs:
            everything += [struct.versions, *(f.versions for f in struct.fields)]
        found = {versions: None for versions in everything if versions is not None}
        order = {v: i for i, v in enumerate(self.versions)}
        return tuple(sorted(found, key=lambda vs: [order[v] for v in vs]))


def bases_first(structs: Iterable[Struct]) -> tuple[Struct, ...]:
    """Keep the given order, but put every base class before its subclasses."""
    by_name = {s.name: s for s in structs}
    ordered: list[Struct] = []
    done: set[str] = set()

    def visit(struct: Struct) -> None:
        if struct.name in done:
            return
        if struct.base is not None:
            visit(by_name[struct.base])
        done.add(struct.name)
        ordered.append(struct)

    for struct in by_name.values():
        visit(struct)
    return tuple(ordered)
