"""Merge the protocol versions into one version-neutral ``Api``.

Each class, enum and operation exists once, with every field and value any
version has; what only some versions have records those versions. What the
neutral model cannot express (a field whose type changes between versions,
fields that swap places, a choice that gains a branch) is a ``GeneratorError``
naming the class, the field and both versions, never a silent pick.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from .addressing import with_addressing
from .errors import GeneratorError
from .model import (
    Api,
    Choice,
    Enum,
    EnumValue,
    Everything,
    Field,
    Operation,
    Payload,
    Protocol,
    Struct,
    Versions,
    bases_first,
)
from .naming import Overrides


class Named(typing.Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


def merge(protocols: Sequence[Protocol], overrides: Overrides) -> Api:
    """The neutral API of ``protocols`` (sorted oldest first)."""
    if not protocols:
        raise GeneratorError("no protocol versions to generate")
    everywhere = tuple(p.version for p in protocols)
    enums = [
        _merge_enum(name, found, everywhere)
        for name, found in _by_name(protocols, lambda p: p.enums).items()
    ]
    structs = [
        _merge_struct(name, found, everywhere)
        for name, found in _by_name(protocols, lambda p: p.structs).items()
    ]
    structs = [_inherited(s, {x.name: x for x in structs}) for s in structs]
    by_struct = {s.name: s for s in structs}
    operations = [
        _merge_operation(found[0][1].name, found, everywhere, by_struct, overrides)
        for found in _operations_by_key(list(reversed(protocols))).values()
    ]
    order = _operation_order(protocols)
    api = Api(
        operations=tuple(sorted(operations, key=lambda op: order[op.key])),
        structs=bases_first(sorted(structs, key=lambda s: s.name)),
        enums=tuple(sorted(enums, key=lambda e: e.name)),
        operators=tuple(dict.fromkeys(o for p in protocols for o in p.operators)),
        protocols=tuple(protocols),
    )
    return with_addressing(
        replace(api, codec_shared=_shared(api.structs, _codec_shape)), overrides
    )


def _codec_shape(struct: Struct) -> object:
    """What encode and decode functions depend on: tags, types, cardinality, base."""
    return struct.base, tuple(
        (f.name, f.tag, f.type.signature(), f.mandatory, f.repeated, f.wrapper)
        for f in struct.fields
    )


def _shared(
    structs: Sequence[Struct], shape: Callable[[Struct], object]
) -> dict[str, str]:
    """Structs of one shape, mapped to the first of them by name (groups of 2+ only).

    Classes such as ``ForwardingInfo`` and ``ForwardingUpdate`` stay distinct for
    their users but are written and read by one function.
    """
    groups: dict[object, list[str]] = {}
    for struct in sorted(structs, key=lambda s: s.name):
        if struct.fields:
            groups.setdefault(shape(struct), []).append(struct.name)
    return {
        name: names[0] for names in groups.values() if len(names) > 1 for name in names
    }


def _by_name(
    protocols: Sequence[Protocol], items: Callable[[Protocol], Sequence[T]]
) -> dict[str, list[tuple[str, T]]]:
    """``{name: [(version, item), ...]}`` over every version that has the name."""
    found: dict[str, list[tuple[str, T]]] = {}
    for protocol in protocols:
        for item in items(protocol):
            found.setdefault(item.name, []).append((protocol.version, item))
    return found


def _operations_by_key(
    protocols: Sequence[Protocol],
) -> dict[tuple[str, str], list[tuple[str, Operation]]]:
    """``{(operator, path): [(version, operation), ...]}``: an operation's identity."""
    found: dict[tuple[str, str], list[tuple[str, Operation]]] = {}
    for protocol in protocols:
        for operation in protocol.operations:
            found.setdefault(operation.key, []).append((protocol.version, operation))
    return found


def _versions(present: Sequence[str], everywhere: Sequence[str]) -> Versions:
    """``None`` when ``present`` covers ``everywhere``, else the versions, oldest first."""
    if set(everywhere) <= set(present):
        return None
    return tuple(v for v in everywhere if v in present)


def _ordered_union(
    owner: str, sequences: Sequence[tuple[str, Sequence[str]]]
) -> list[str]:
    """Names of every version, each version's relative order kept.

    A name new in a version goes right after the name it follows there.
    """
    order: list[str] = []
    for _, names in sequences:
        previous: str | None = None
        for name in names:
            if name not in order:
                order.insert(order.index(previous) + 1 if previous else 0, name)
            previous = name
    for version, names in sequences:
        positions = [order.index(n) for n in names]
        if positions != sorted(positions):
            raise GeneratorError(
                f"{owner}: protocol {version} orders {', '.join(names)} differently "
                "from another version; one codec cannot write both orders"
            )
    return order


def _merge_enum(
    name: str, found: list[tuple[str, Enum]], everywhere: tuple[str, ...]
) -> Enum:
    order = _ordered_union(
        f"enum {name}", [(v, [x.value for x in e.values]) for v, e in found]
    )
    present: dict[str, list[str]] = {}
    members: dict[str, EnumValue] = {}
    for version, enum in found:
        for value in enum.values:
            present.setdefault(value.value, []).append(version)
            members[value.value] = value
    enum_versions = [v for v, _ in found]
    newest = found[-1][1]
    return replace(
        newest,
        values=tuple(
            replace(members[v], versions=_versions(present[v], enum_versions))
            for v in order
        ),
        versions=_versions(enum_versions, everywhere),
        sources=_union_sources(e.sources for _, e in found),
    )


def _merge_struct(
    name: str, found: list[tuple[str, Struct]], everywhere: tuple[str, ...]
) -> Struct:
    struct_versions = [v for v, _ in found]
    first_version, first = found[0]
    for version, struct in found[1:]:
        for label, old, new in (
            ("base class", first.base, struct.base),
            ("result flag", first.is_result, struct.is_result),
        ):
            if old != new:
                raise GeneratorError(
                    f"{name}: {label} changes from {old!r} in protocol {first_version} "
                    f"to {new!r} in {version}"
                )
    order = _ordered_union(name, [(v, [f.name for f in s.fields]) for v, s in found])
    fields: dict[str, Field] = {}
    present: dict[str, list[str]] = {}
    since: dict[str, str] = {}
    for version, struct in found:
        for item in struct.fields:
            known = fields.get(item.name)
            if known is not None and known.signature() != item.signature():
                raise GeneratorError(
                    f"{name}.{item.name} changes between protocol {since[item.name]} "
                    f"and {version} (type, cardinality or element); the version-neutral "
                    "model needs one definition: rename one of them under [fields] "
                    "in schemas/names.toml"
                )
            fields[item.name] = replace(
                item, doc=item.doc or (known.doc if known is not None else None)
            )
            present.setdefault(item.name, []).append(version)
            since.setdefault(item.name, version)
    newest = found[-1][1]
    return replace(
        newest,
        fields=tuple(
            replace(fields[n], versions=_versions(present[n], struct_versions))
            for n in order
        ),
        choices=_merge_choices(name, found),
        versions=_versions(struct_versions, everywhere),
        doc=next((s.doc for _, s in reversed(found) if s.doc), None),
        sources=_union_sources(s.sources for _, s in found),
    )


def _inherited(struct: Struct, by_name: dict[str, Struct]) -> Struct:
    """Recount inherited fields against the merged base class."""
    if struct.base is None:
        return struct
    base = by_name[struct.base]
    count = len(base.fields)
    if [f.name for f in struct.fields[:count]] != [f.name for f in base.fields]:
        raise GeneratorError(
            f"{struct.name}: its fields do not start with those of its base {base.name}"
        )
    return replace(struct, inherited_count=count)


def _merge_choices(name: str, found: list[tuple[str, Struct]]) -> tuple[Choice, ...]:
    """Choices matched by position; a branch holds every field any version gives it."""
    first_version, first = found[0]
    for version, struct in found[1:]:
        shape = [(c.required, len(c.branches)) for c in struct.choices]
        if shape != [(c.required, len(c.branches)) for c in first.choices]:
            raise GeneratorError(
                f"{name}: its xs:choice structure differs between protocol "
                f"{first_version} and {version}; not supported by the neutral model"
            )
    merged = []
    for index, choice in enumerate(first.choices):
        branches = []
        for branch_index in range(len(choice.branches)):
            names: dict[str, None] = {}
            for _, struct in found:
                names.update(
                    dict.fromkeys(struct.choices[index].branches[branch_index])
                )
            branches.append(tuple(names))
        merged.append(Choice(required=choice.required, branches=tuple(branches)))
    return tuple(merged)


def _union_sources(groups: Iterable[Sequence[str]]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for group in groups:
        names.update(dict.fromkeys(group))
    return tuple(names)


def _operation_order(protocols: Sequence[Protocol]) -> dict[tuple[str, str], int]:
    """The newest version's operation order, older-only operations after it."""
    order: list[tuple[str, str]] = []
    for protocol in reversed(protocols):
        order += [op.key for op in protocol.operations if op.key not in order]
    return {key: index for index, key in enumerate(order)}


def _merge_operation(
    name: str,
    found: list[tuple[str, Operation]],
    everywhere: tuple[str, ...],
    structs: dict[str, Struct],
    overrides: Overrides,
) -> Operation:
    """One operation over its versions (``found`` newest first)."""
    newest_version, newest = found[0]
    wrapped = [(v, op) for v, op in found if op.result_field is not None]
    bare = [(v, op) for v, op in found if op.result_field is None]
    reference = wrapped[0][1] if wrapped else newest
    for version, op in found:
        expected = replace(reference, doc=op.doc)
        if op.result_field is None and wrapped:
            expected = replace(
                expected,
                result_field=None,
                result_type=None,
                results_repeated=False,
            )
        if op != expected:
            raise GeneratorError(
                f"operation {name} changes between protocol {version} and "
                f"{newest_version} beyond added or removed fields; not supported "
                "by the neutral model"
            )
    operation = replace(
        reference,
        versions=_versions([v for v, _ in found], everywhere),
        doc=newest.doc,
    )
    if wrapped and bare:
        operation = replace(
            operation,
            bare_versions=tuple(sorted(v for v, _ in bare)),
            bare_fields=_bare_fields(operation, structs),
        )
    return replace(
        operation,
        payload=_payload(operation, structs, overrides),
        everything=_everything(operation, structs, overrides),
        identity=_identity(operation, structs, overrides),
        read_only=name in overrides.read_only,
    )


def _identity(
    operation: Operation, structs: dict[str, Struct], overrides: Overrides
) -> tuple[str, tuple[str, ...]] | None:
    entry = overrides.identities.get(operation.name)
    if entry is None:
        return None
    item_field, path = entry
    where = f"[identities] {operation.name} in {overrides.path}"
    request = structs[operation.request]
    batch = next((f for f in request.fields if f.name == operation.batch_field), None)
    if batch is None or batch.type.kind != "struct" or not operation.results_per_item:
        raise GeneratorError(f"{where}: the operation has no list of items to match")
    _follow(structs, str(batch.type.ref), (item_field,), where)
    _follow(structs, str(operation.result_type), path, where)
    return entry


def _follow(
    structs: dict[str, Struct], start: str, path: tuple[str, ...], where: str
) -> None:
    """Refuse a field path that does not lead through ``start`` to a value."""
    struct = structs[start]
    for index, name in enumerate(path):
        try:
            item = struct.field_named(name)
        except KeyError:
            raise GeneratorError(
                f"{where}: {struct.name} has no field {name!r}"
            ) from None
        if index < len(path) - 1:
            struct = structs[str(item.type.ref)]


def _everything(
    operation: Operation, structs: dict[str, Struct], overrides: Overrides
) -> Everything | None:
    entry = overrides.everything.get(operation.name)
    if entry is None:
        return None
    field_name, flag, means = entry
    request = structs[operation.request]
    try:
        listed = request.field_named(field_name)
    except KeyError:
        listed = None
    if listed is None or not listed.repeated or listed.mandatory:
        raise GeneratorError(
            f"[everything] {operation.name} in {overrides.path}: {request.name} has no "
            f"optional list {field_name!r}"
        )
    if any(f.name == flag for f in request.fields):
        raise GeneratorError(
            f"[everything] {operation.name}: flag {flag!r} is a field of {request.name}"
        )
    return Everything(field=field_name, flag=flag, means=means)


def _bare_fields(operation: Operation, structs: dict[str, Struct]) -> tuple[str, ...]:
    """Response fields that older versions send without the ``result`` wrapper.

    Protocol 1.6.6.0 lists ``<mail-provider>`` elements directly where newer
    versions wrap them in ``<result>``: the client turns the bare form into one
    ``ok`` result so every version returns the same type.
    """
    response = structs[operation.response]
    result = structs[str(operation.result_type)]
    own = {f.name: f for f in result.own_fields}
    bare = [f for f in response.fields if f.name != operation.result_field]
    for item in bare:
        match = own.get(item.name)
        if match is None or match.type != item.type or match.repeated != item.repeated:
            raise GeneratorError(
                f"operation {operation.name}: older versions answer with "
                f"{item.name!r}, which its result type {result.name} does not hold "
                "the same way; not supported by the neutral model"
            )
    return tuple(f.name for f in bare)


def _payload(
    operation: Operation, structs: dict[str, Struct], overrides: Overrides
) -> Payload | None:
    entry = overrides.payloads.get(operation.name)
    if entry is None:
        return None
    method, field_name = entry
    where = f"[payloads] {operation.name} in {overrides.path}"
    if operation.result_type is None or not operation.results_repeated:
        raise GeneratorError(f"{where}: the operation has no list of results")
    result = structs[operation.result_type]
    if f"{result.name}s" in structs:
        raise GeneratorError(
            f"{where}: the results class {result.name}s would take the name of a "
            "model class; rename that class under [types]"
        )
    if field_name is None:
        return Payload(method=method, field=None)
    try:
        return Payload(method=method, field=result.field_named(field_name))
    except KeyError:
        raise GeneratorError(
            f"{where}: result type {result.name} has no field {field_name!r}"
        ) from None
