"""Checks run before a request is sent, so the schema's rules fail locally.

Each check names the offending field by its Python path
(``create.mailnames[0].mailbox.quota``); the generated per-version
``validation`` module calls them field by field.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Sequence
from typing import NoReturn

from ..base.errors import ValidationError

# Characters XML 1.0 cannot carry; lxml would refuse them with a vaguer message.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def fail(path: str, problem: str) -> NoReturn:
    raise ValidationError(path, problem)


def _type_name(value: object) -> str:
    return type(value).__name__


def present(value: object, path: str) -> None:
    if value is None:
        fail(path, "is required")


def text(
    value: object,
    path: str,
    min_length: int | None = None,
    max_length: int | None = None,
) -> None:
    if not isinstance(value, str):
        fail(path, f"expected a string, got {_type_name(value)}")
    match = _NOT_XML.search(value)
    if match:
        fail(path, f"character {match.group()!r} cannot be sent in XML")
    if min_length is not None and len(value) < min_length:
        fail(path, f"needs at least {min_length} character(s), got {len(value)}")
    if max_length is not None and len(value) > max_length:
        fail(path, f"takes at most {max_length} character(s), got {len(value)}")


def integer(
    value: object, path: str, min_value: int | None = None, max_value: int | None = None
) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, f"expected an integer, got {_type_name(value)}")
    if min_value is not None and value < min_value:
        fail(path, f"must be at least {min_value}, got {value}")
    if max_value is not None and value > max_value:
        fail(path, f"must be at most {max_value}, got {value}")


def boolean(value: object, path: str) -> None:
    if not isinstance(value, bool):
        fail(path, f"expected True or False, got {_type_name(value)}")


def date(value: object, path: str) -> None:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        fail(path, f"expected a datetime.date, got {_type_name(value)}")


def date_time(value: object, path: str) -> None:
    if not isinstance(value, datetime.datetime):
        fail(path, f"expected a datetime.datetime, got {_type_name(value)}")


def number(value: object, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(path, f"expected a number, got {_type_name(value)}")


def binary(value: object, path: str) -> None:
    if not isinstance(value, bytes):
        fail(path, f"expected bytes, got {_type_name(value)}")


def enum_member(value: object, enum_type: type[enum.Enum], path: str) -> None:
    allowed = [str(member.value) for member in enum_type]
    if isinstance(value, enum_type):
        return
    if isinstance(value, str) and value in allowed:
        return
    fail(path, f"{value!r} is not one of {', '.join(allowed)}")


def instance(value: object, cls: type, path: str) -> None:
    if not isinstance(value, cls):
        expected, got = cls.__name__, _type_name(value)
        if expected == got:  # a look-alike class from another module
            expected = f"{cls.__module__}.{cls.__qualname__}"
            got = f"{type(value).__module__}.{type(value).__qualname__}"
        fail(path, f"expected {expected}, got {got}")


def items(
    values: object, path: str, min_items: int, max_items: int | None
) -> Sequence[object]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        fail(path, f"expected a list, got {_type_name(values)}")
    if len(values) < min_items:
        fail(path, f"needs at least {min_items} item(s), got {len(values)}")
    if max_items is not None and len(values) > max_items:
        fail(path, f"takes at most {max_items} item(s), got {len(values)}")
    return values


def choice(path: str, branches: Sequence[tuple[str, bool]], required: bool) -> None:
    """At most one branch of an ``xs:choice`` may be used; one if ``required``."""
    used = [name for name, is_used in branches if is_used]
    if len(used) > 1:
        fail(path, f"{' and '.join(used)} exclude each other; set only one")
    if required and not used:
        names = " or ".join(name for name, _ in branches)
        fail(path, f"needs one of {names}")
