"""Check a message against the schema's rules and a protocol version, by walking it.

The Python types of the models say most of what the schema says; the
generated ``Rules`` add the rest (integer ranges, list sizes, ``xs:choice``,
and which protocol versions have a class, field or value). One walk serves
two purposes: ``validate`` (types, required values, ranges, sizes, choices)
and the version check, which always runs: a value the protocol version in use
does not have is refused, never dropped. Paths name fields the Python way
(``create.mailnames[0].mailbox.quota``).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..base.protocols import Conflict
from . import validate as v

Kind = typing.Literal[
    "struct", "enum", "str", "int", "bool", "float", "bytes", "date", "datetime"
]
_SCALARS: dict[type, Kind] = {
    str: "str",
    bool: "bool",
    int: "int",
    float: "float",
    bytes: "bytes",
    datetime.datetime: "datetime",
    datetime.date: "date",
}
_CHECKS: dict[str, Callable[[object, str], None]] = {
    "bool": v.boolean,
    "float": v.number,
    "bytes": v.binary,
    "date": v.date,
    "datetime": v.date_time,
}


@dataclass(frozen=True)
class FieldRule:
    """What the schema says of one field beyond its Python type."""

    min_value: int | None = None
    max_value: int | None = None
    min_items: int = 0
    max_items: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    """Characters a string may have at least / at most."""
    versions: frozenset[str] | None = None
    """The protocol versions that have the field; ``None``: all of them."""
    required: bool = False
    """Required in the versions that have it, although its Python type allows None."""


@dataclass(frozen=True)
class Rules:
    """The schema's rules for the model classes, as the generator found them."""

    versions: tuple[str, ...]
    models: str
    """The module that defines the model classes."""
    fields: Mapping[tuple[type, str], FieldRule] = field(default_factory=dict)
    classes: Mapping[type, frozenset[str]] = field(default_factory=dict)
    choices: Mapping[type, tuple[tuple[bool, tuple[tuple[str, ...], ...]], ...]] = (
        field(default_factory=dict)
    )
    """Per class: ``(required, branches)`` of each ``xs:choice``; a branch lists fields."""
    values: Mapping[enum.Enum, frozenset[str]] = field(default_factory=dict)
    """Enumeration values that not every protocol version has."""
    operations: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    """Every operation, with the versions that have it (``None``: all)."""

    def has(self, version: str, what: type | str, name: str | None = None) -> bool:
        """Whether ``version`` has an operation, a model class or a field of one.

        Raises ``ValueError`` for a name this package does not know, so a typo
        never reads as "not supported".
        """
        if isinstance(what, str):
            if name is not None:
                raise ValueError("give a model class with a field name")
            if what not in self.operations:
                raise ValueError(f"unknown operation {what!r}")
            limited = self.operations[what]
            return limited is None or version in limited
        if not dataclasses.is_dataclass(what) or what.__module__ != self.models:
            raise ValueError(f"{what!r} is not a model class of this package")
        if name is not None:
            if name not in {f.name for f in dataclasses.fields(what)}:
                raise ValueError(f"{what.__name__} has no field {name!r}")
            if not self.has_field(version, what, name):
                return False
        limited = self.classes.get(what)
        return limited is None or version in limited

    def has_field(self, version: str, cls: type, name: str) -> bool:
        """Whether ``version`` has field ``name`` wherever it has ``cls``."""
        rule = self.fields.get((cls, name))
        return rule is None or rule.versions is None or version in rule.versions


@dataclass(frozen=True)
class _Slot:
    """One field of a class, as the walk sees it."""

    name: str
    kind: Kind
    target: Any
    """The item type: a model class, an enum or a scalar type."""
    optional: bool
    repeated: bool
    mandatory: bool
    rule: FieldRule


_PLANS: dict[tuple[int, type], tuple[_Slot, ...]] = {}
_REACHES: dict[tuple[int, type], bool] = {}
_LIMITED_PLANS: dict[tuple[int, type], tuple[_Slot, ...]] = {}


def _unwrap(hint: Any) -> tuple[Any, bool, bool]:
    """``(item type, optional, repeated)`` of ``X``, ``X | None`` or ``list[X]``."""
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [m for m in typing.get_args(hint) if m is not type(None)]
        optional = len(members) < len(typing.get_args(hint))
        hint = members[0]
    if typing.get_origin(hint) is list:
        return typing.get_args(hint)[0], optional, True
    return hint, optional, False


def _kind(target: Any) -> Kind:
    if dataclasses.is_dataclass(target):
        return "struct"
    if isinstance(target, type) and issubclass(target, enum.Enum):
        return "enum"
    return _SCALARS[target]


def _plan(rules: Rules, cls: type) -> tuple[_Slot, ...]:
    key = (id(rules), cls)
    plan = _PLANS.get(key)
    if plan is None:
        hints = typing.get_type_hints(cls)
        slots = []
        for item in dataclasses.fields(cls):
            target, optional, repeated = _unwrap(hints[item.name])
            mandatory = (
                item.default is dataclasses.MISSING
                and item.default_factory is dataclasses.MISSING
            )
            slots.append(
                _Slot(
                    item.name,
                    _kind(target),
                    target,
                    optional,
                    repeated,
                    mandatory,
                    rules.fields.get((cls, item.name), FieldRule()),
                )
            )
        plan = _PLANS[key] = tuple(slots)
    return plan


def _reaches_limited(rules: Rules, cls: type) -> bool:
    """Whether anything below ``cls`` is limited to some versions (the check's pruning)."""
    key = (id(rules), cls)
    known = _REACHES.get(key)
    if known is not None:
        return known
    _REACHES[key] = False  # a class that contains itself adds nothing new
    enums = {type(member) for member in rules.values}
    found = cls in rules.classes or any(
        slot.rule.versions is not None
        or slot.target in enums
        or (slot.kind == "struct" and _reaches_limited(rules, slot.target))
        for slot in _plan(rules, cls)
    )
    _REACHES[key] = found
    return found


def _limited_plan(rules: Rules, cls: type) -> tuple[_Slot, ...]:
    """The slots of ``cls`` a version check must look at; the rest cannot conflict."""
    key = (id(rules), cls)
    plan = _LIMITED_PLANS.get(key)
    if plan is None:
        enums = {type(member) for member in rules.values}
        plan = _LIMITED_PLANS[key] = tuple(
            slot
            for slot in _plan(rules, cls)
            if slot.rule.versions is not None
            or slot.target in enums
            or (slot.kind == "struct" and _reaches_limited(rules, slot.target))
        )
    return plan


def _used(value: object) -> bool:
    if isinstance(value, list | tuple):
        return len(value) > 0
    return value is not None and value is not False


class _Walk:
    """One check of one message: a schema error raises, a version conflict is returned."""

    def __init__(self, rules: Rules, version: str, validate: bool, root: str) -> None:
        self.rules = rules
        self.version = version
        self.validate = validate
        self.root = root

    def struct(self, obj: object, cls: type, relative: str) -> Conflict | None:
        if not self.validate and not _reaches_limited(self.rules, cls):
            return None
        limited = self.rules.classes.get(cls)
        if limited is not None and self.version not in limited:
            return Conflict(relative.rsplit(".", 1)[-1] or cls.__name__, limited)
        plan = _plan if self.validate else _limited_plan
        for slot in plan(self.rules, cls):
            value = getattr(obj, slot.name)
            here = f"{relative}.{slot.name}" if relative else slot.name
            found = self.slot(slot, value, here)
            if found is not None:
                return found
        if self.validate:
            self.choices(obj, cls, relative)
        return None

    def slot(self, slot: _Slot, value: object, here: str) -> Conflict | None:
        rule = slot.rule
        if rule.versions is not None and self.version not in rule.versions:
            return Conflict(here, rule.versions) if _used(value) else None
        if not slot.repeated:
            if value is None:
                if self.validate and (slot.mandatory or rule.required):
                    v.fail(self.full(here), "is required")
                return None
            return self.value(slot, value, here)
        if self.validate:
            items = v.items(value, self.full(here), rule.min_items, rule.max_items)
        elif isinstance(value, list | tuple):
            items = value
        else:
            return None
        for index, item in enumerate(items):
            found = self.value(slot, item, f"{here}[{index}]")
            if found is not None:
                return found
        return None

    def value(self, slot: _Slot, value: object, here: str) -> Conflict | None:
        if slot.kind == "struct":
            if self.validate:
                v.instance(value, slot.target, self.full(here))
            if not isinstance(value, slot.target):
                return None
            return self.struct(value, slot.target, here)
        if slot.kind == "enum":
            if self.validate:
                v.enum_member(value, slot.target, self.full(here))
            member = _member(slot.target, value)
            limited = self.rules.values.get(member) if member is not None else None
            if member is not None and limited and self.version not in limited:
                return Conflict(f"{here}={member.value!r}", limited)
            return None
        if self.validate:
            rule = slot.rule
            if slot.kind == "int":
                v.integer(value, self.full(here), rule.min_value, rule.max_value)
            elif slot.kind == "str":
                v.text(value, self.full(here), rule.min_length, rule.max_length)
            else:
                _CHECKS[slot.kind](value, self.full(here))
        return None

    def choices(self, obj: object, cls: type, relative: str) -> None:
        for required, branches in self.rules.choices.get(cls, ()):
            v.choice(
                self.full(relative),
                [
                    ("+".join(branch), any(_used(getattr(obj, n)) for n in branch))
                    for branch in branches
                ],
                required=required,
            )

    def full(self, relative: str) -> str:
        return f"{self.root}.{relative}" if relative else self.root


def _member(enum_type: type[enum.Enum], value: object) -> enum.Enum | None:
    try:
        return enum_type(value)
    except ValueError:
        return None


def check(
    rules: Rules, message: object, version: str, *, root: str, validate: bool
) -> Conflict | None:
    """Walk ``message`` for protocol ``version``.

    With ``validate``, a schema error raises ``ValidationError`` naming the
    field below ``root``. Returns the first value the version lacks, if any
    (its path relative to the message), so the caller can say what it means.
    """
    return _Walk(rules, version, validate, root).struct(message, type(message), "")


def answer_conflict(
    rules: Rules, operation: str, body: object, version: str
) -> tuple[str, Conflict] | None:
    """A value in an answer that protocol ``version`` does not have: where, and which
    versions have it. A server that sends one answers in another schema than asked."""
    conflict = check(rules, body, version, root=operation, validate=False)
    return None if conflict is None else (f"{operation}.{conflict.path}", conflict)
