"""Build model instances for any class of any version, guided by the operation model.

Tests use the generator's own operation model to know which fields exist and
which choice branches exclude each other; the generated classes do the rest.
"""

from __future__ import annotations

import datetime
import enum
from types import ModuleType
from typing import Any

from plesk_mailgen.model import Field, Protocol, Struct

SCALARS: dict[str, Any] = {
    "str": "value",
    "int": 7,
    "bool": True,
    "date": datetime.date(2026, 11, 23),
    "datetime": datetime.datetime(2026, 11, 23, 12, 30),
    "float": 1.5,
    "bytes": b"bytes",
}


def choice_fields(struct: Struct, variant: int) -> tuple[set[str], set[str]]:
    """Fields to leave out and fields to force so that one branch per choice is used."""
    excluded: set[str] = set()
    forced: set[str] = set()
    for choice in struct.choices:
        chosen = variant % len(choice.branches)
        for index, branch in enumerate(choice.branches):
            if index != chosen:
                excluded.update(branch)
            elif choice.required:
                forced.update(branch)
    return excluded, forced


def value_for(
    field: Field, protocol: Protocol, models: ModuleType, variant: int, full: bool
) -> Any:
    kind = field.type.kind
    if kind == "flag":
        return True
    if kind == "enum":
        members = list(getattr(models, str(field.type.ref)))
        member: enum.Enum = members[variant % len(members)]
        return member
    if kind == "struct":
        return build(str(field.type.ref), protocol, models, variant, full)
    value = SCALARS[str(field.type.scalar)]
    if field.type.scalar == "str":
        return f"{field.name}-{variant}"
    return value


def build(
    name: str,
    protocol: Protocol,
    models: ModuleType,
    variant: int = 0,
    full: bool = True,
) -> Any:
    """An instance of class ``name``: every optional field set when ``full``."""
    struct = protocol.struct(name)
    excluded, forced = choice_fields(struct, variant)
    kwargs: dict[str, Any] = {}
    for field in struct.fields:
        if field.name in excluded:
            continue
        if not (full or field.required or field.min_items or field.name in forced):
            continue
        if field.repeated:
            count = max(field.min_items, 2 if full else 0)
            kwargs[field.name] = [
                value_for(field, protocol, models, variant + i, full)
                for i in range(count)
            ]
        else:
            kwargs[field.name] = value_for(field, protocol, models, variant, full)
    return getattr(models, name)(**kwargs)


def variants(protocol: Protocol, name: str, seen: frozenset[str] = frozenset()) -> int:
    """How many variants it takes to use every branch of every choice below ``name``."""
    struct = protocol.struct(name)
    count = max((len(c.branches) for c in struct.choices), default=1)
    for field in struct.fields:
        if field.type.kind == "struct" and field.type.ref not in seen:
            count = max(count, variants(protocol, str(field.type.ref), seen | {name}))
    return count
