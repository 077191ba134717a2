"""The runtime's schema and version checks, tested where they are written.

Small dataclasses stand in for generated models, so each rule (a limited
field, enum value or class, a choice, a range, a field required only where it
exists) is exercised on its own, including the ones today's schemas do not use.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field

import pytest
from plesk_mailgen.runtime.base.errors import ValidationError
from plesk_mailgen.runtime.base.protocols import Conflict, availability
from plesk_mailgen.runtime.engine.checks import FieldRule, Rules, check

VERSIONS = ("1.0", "2.0", "3.0")
NEWER = frozenset({"2.0", "3.0"})


class Color(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(slots=True, kw_only=True)
class Inner:
    day: datetime.date | None = None
    color: Color | None = None
    count: int | None = None


@dataclass(slots=True, kw_only=True)
class Outer:
    site_id: int
    items: list[Inner] = field(default_factory=list)
    label: str | None = None
    note: str | None = None
    flag: bool = False


RULES = Rules(
    versions=VERSIONS,
    models=__name__,
    fields={
        (Outer, "site_id"): FieldRule(min_value=1),
        (Outer, "items"): FieldRule(max_items=2),
        (Outer, "note"): FieldRule(versions=NEWER, required=True),
        (Inner, "day"): FieldRule(versions=frozenset({"3.0"})),
    },
    choices={Outer: ((False, (("label",), ("flag",))),)},
    values={Color.BLUE: NEWER},
    operations={"op": None, "late": NEWER},
)


def run(message: object, version: str, validate: bool = True) -> Conflict | None:
    return check(RULES, message, version, root="op", validate=validate)


def test_a_limited_field_is_a_conflict_with_its_path_and_versions() -> None:
    message = Outer(
        site_id=1, note="n", items=[Inner(), Inner(day=datetime.date(2026, 1, 1))]
    )
    assert run(message, "3.0") is None
    conflict = run(message, "2.0", validate=False)
    assert conflict == Conflict("items[1].day", frozenset({"3.0"}))
    assert availability(conflict.versions, VERSIONS) == "protocol 3.0 or newer"


def test_an_enum_value_newer_than_the_version_is_a_conflict() -> None:
    message = Outer(site_id=1, items=[Inner(color=Color.BLUE)])
    assert run(message, "1.0", validate=False) == Conflict(
        "items[0].color='blue'", NEWER
    )
    assert run(Outer(site_id=1, items=[Inner(color=Color.RED)]), "1.0") is None


def test_a_field_required_only_where_it_exists() -> None:
    with pytest.raises(ValidationError, match=r"^op\.note: is required$"):
        run(Outer(site_id=1), "2.0")
    assert run(Outer(site_id=1), "1.0") is None  # 1.0 has no note at all


def test_schema_rules_raise_with_the_python_path() -> None:
    cases = [
        (Outer(site_id=0, note="n"), r"op\.site_id: must be at least 1"),
        (
            Outer(site_id=1, note="n", items=[Inner()] * 3),
            r"op\.items: takes at most 2",
        ),
        (
            Outer(site_id=1, note="n", label="x", flag=True),
            r"op: label and flag exclude",
        ),
        (Outer(site_id=1, note="n", items=[Inner(count="3")]), r"items\[0\]\.count: expected an integer"),  # type: ignore[arg-type]
    ]
    for message, pattern in cases:
        with pytest.raises(ValidationError, match=pattern):
            run(message, "3.0")


def test_a_look_alike_class_is_named_with_its_module() -> None:
    @dataclass(slots=True, kw_only=True)
    class Inner:  # same name, another class
        day: datetime.date | None = None

    message = Outer(site_id=1, note="n", items=[Inner()])  # type: ignore[list-item]
    with pytest.raises(ValidationError) as info:
        run(message, "3.0")
    text = str(info.value)
    assert f"expected {__name__}.Inner, got {__name__}." in text
    assert text.count("Inner") == 2 and "<locals>" in text


def test_has_answers_for_known_names_and_refuses_unknown_ones() -> None:
    assert RULES.has("1.0", Outer, "label")
    assert not RULES.has("1.0", Outer, "note") and RULES.has("2.0", Outer, "note")
    assert not RULES.has("1.0", "late") and RULES.has("1.0", "op")
    with pytest.raises(ValueError, match="has no field 'nope'"):
        RULES.has("1.0", Outer, "nope")
    with pytest.raises(ValueError, match="unknown operation 'nope'"):
        RULES.has("1.0", "nope")
    with pytest.raises(ValueError, match="is not a model class"):
        RULES.has("1.0", int)
