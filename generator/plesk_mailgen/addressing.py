"""Which operations take a site by name, and accounts by address: from the tables.

``[by_name]`` in ``schemas/names.toml`` says which request fields a person
may give by name (``site_id`` as ``site="example.com"``) and which operation
finds the names (``get_sites``); ``[addresses]`` which operations may name
their accounts by address when a call names no site. This stage checks both
against the merged API and records them on its operations, for the
templates to render.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import GeneratorError
from .model import Api, ByName, Operation, Struct
from .naming import Overrides


def with_addressing(api: Api, overrides: Overrides) -> Api:
    """``api`` with each operation's ``by_name``, ``address`` and ``lookup``."""
    structs = {struct.name: struct for struct in api.structs}
    operations = {operation.name: operation for operation in api.operations}
    lookups = {entry["lookup"] for entry in overrides.by_name.values()}
    for name in sorted(lookups):
        if name not in operations:
            raise GeneratorError(
                f"[by_name] in {overrides.path}: no operation {name!r} to look names up"
            )
    found = []
    for operation in api.operations:
        found.append(
            replace(
                operation,
                by_name=_by_name(operation, structs, operations, overrides),
                address=_address(operation, structs, overrides),
                lookup=operation.name in lookups,
            )
        )
    unused = sorted(set(overrides.addresses) - set(operations))
    if unused:
        raise GeneratorError(
            f"[addresses] in {overrides.path}: no operation {unused[0]!r}"
        )
    return replace(api, operations=tuple(found))


def _by_name(
    operation: Operation,
    structs: dict[str, Struct],
    operations: dict[str, Operation],
    overrides: Overrides,
) -> ByName | None:
    request = structs[operation.request]
    fields = [f for f in request.fields if f.name in overrides.by_name]
    if not fields:
        return None
    if len(fields) > 1:
        raise GeneratorError(
            f"[by_name] in {overrides.path}: {operation.name} has two fields "
            f"given by name ({fields[0].name}, {fields[1].name})"
        )
    [field] = fields
    entry = overrides.by_name[field.name]
    lookup = operations[entry["lookup"]]
    where = f"[by_name.{field.name}] in {overrides.path}"
    lookup_request = structs[lookup.request]
    if entry["filter"] not in {f.name for f in lookup_request.fields if f.repeated}:
        raise GeneratorError(
            f"{where}: {lookup.request} has no list field {entry['filter']!r}"
        )
    result = structs[str(lookup.result_type)]
    for key in ("value", "key"):
        if entry[key] not in {f.name for f in result.fields}:
            raise GeneratorError(
                f"{where}: {result.name} has no field {entry[key]!r} ({key})"
            )
    if field.type.kind != "scalar" or field.type.scalar != "int":
        raise GeneratorError(f"{where}: {request.name}.{field.name} is no id")
    return ByName(
        field=field.name,
        param=entry["param"],
        many=field.repeated,
        lookup=lookup.name,
        filter=entry["filter"],
        value=entry["value"],
        key=entry["key"],
    )


def _address(
    operation: Operation, structs: dict[str, Struct], overrides: Overrides
) -> tuple[str | None, tuple[str, ...]] | None:
    entry = overrides.addresses.get(operation.name)
    if entry is None:
        return None
    where = f"[addresses] {operation.name} in {overrides.path}"
    item_field, path = entry
    request = structs[operation.request]
    batch = next((f for f in request.fields if f.name == operation.batch_field), None)
    if batch is None:
        raise GeneratorError(f"{where}: the operation has no list of accounts")
    if item_field == batch.name and batch.type.kind == "scalar":
        name: str | None = None  # a list of names: the item is the name
    elif batch.type.kind == "struct":
        item = structs[str(batch.type.ref)]
        if item_field not in {f.name for f in item.fields}:
            raise GeneratorError(f"{where}: {item.name} has no field {item_field!r}")
        name = item_field
    else:
        raise GeneratorError(f"{where}: {item_field!r} names no account")
    struct = structs[str(operation.result_type)]
    for index, part in enumerate(path):
        try:
            found = struct.field_named(part)
        except KeyError:
            raise GeneratorError(
                f"{where}: {struct.name} has no field {part!r}"
            ) from None
        if index < len(path) - 1:
            struct = structs[str(found.type.ref)]
    return name, path
