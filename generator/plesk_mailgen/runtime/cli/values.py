"""From what a person typed (options, file cells) to model objects.

Every value is converted and checked here; anything that cannot become a
value (a size that is no size, a repeated single option, a JSON object in a
cell, an option the protocol version lacks) is refused by name, never dropped.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

import click

from ..base.protocols import availability
from .commands import App, Command, Option, RowError, VersionError
from .shape import ADDRESS, SERVER

_SIZE = re.compile(r"^\s*(-?\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.I)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """``500M`` -> 524288000; plain numbers are bytes; -1 means unlimited."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a size (bytes, or a number with K, M, G or T)"
        )
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


class SizeType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click stubs
    name = "size"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


SIZE = SizeType()


def click_type(option: Option) -> Any:
    if option.kind == "int":
        return int
    if option.kind == "size":
        return SIZE
    if option.kind == "enum":
        return click.Choice(option.choices)
    if option.kind == "date":
        return click.DateTime(["%Y-%m-%d"])
    return str


LONG = 2**63
"""Integers beyond xs:long are no value any Plesk field takes."""


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a JSON {'object' if isinstance(value, dict) else 'list'}"


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def convert(option: Option, cell: object, typed: bool = False) -> Any:
    """One value of a file row (CSV text, or a JSON value when ``typed``).

    JSON values keep their JSON types: text, dates and choices take a string,
    a number an integer in range, a switch ``true`` or ``false``; a size takes
    a number of bytes or a string such as ``500M``. Text is kept exactly as
    written; other values may have spaces around them.
    """
    kind = option.kind
    if isinstance(cell, str) and (
        not typed or kind in ("text", "enum", "date", "size")
    ):
        return _from_text(option, cell)
    if kind in ("bool", "flag") and isinstance(cell, bool):
        return cell
    if kind in ("int", "size") and isinstance(cell, int) and not isinstance(cell, bool):
        if not -LONG <= cell < LONG:
            raise ValueError(f"{cell} is out of range")
        return cell
    wanted = {
        "bool": "true or false",
        "flag": "true or false",
        "int": "an integer",
        "size": "a number of bytes or a size such as 500M",
    }.get(kind, "a string")
    raise ValueError(f"expected {wanted}, got {_json_type(cell)}")


def _from_text(option: Option, cell: str) -> Any:
    if option.kind == "text":
        return cell  # exactly as written: a password or a description keeps its spaces
    text = cell.strip()
    if option.kind == "int":
        if not text.lstrip("-").isascii() or not text.lstrip("-").isdigit():
            raise ValueError(f"{text!r} is not an integer")
        if len(text) > 20:
            raise ValueError(f"{text[:20]}... is out of range")
        return int(text)
    if option.kind == "size":
        return parse_size(text)
    if option.kind in ("bool", "flag"):
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if option.kind == "date":
        if not _DATE.match(text):
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
        return datetime.date.fromisoformat(text)
    if text not in option.choices:
        raise ValueError(f"{text!r} is not one of {', '.join(option.choices)}")
    return text


def blank(value: object) -> bool:
    """An empty or whitespace-only text: no value at all."""
    return isinstance(value, str) and not value.strip()


def is_set(option: Option, value: Any) -> bool:
    """Whether the user gave the option: ``--no-x`` (False) counts for switches."""
    if option.kind == "bool":
        return value is not None
    return given(value)


def given(value: Any) -> bool:
    if value is None or value is False:
        return False
    return not (isinstance(value, tuple | list) and not value)


def singles(command: Command, values: dict[str, Any]) -> dict[str, Any]:
    """Values of single-value options, which click collects as lists to catch repeats.

    ``--name a1 --name a2`` would otherwise keep ``a2`` and drop ``a1``. A
    blank value (``--name " "``) is refused: it is no value at all.
    """
    result = dict(values)
    for option in command.options:
        value = values.get(option.dest)
        if isinstance(value, tuple) and any(blank(v) for v in value):
            raise click.UsageError(f"{option.flag} was given a blank value")
        if option.multiple or not isinstance(value, tuple):
            continue
        if len(value) > 1:
            shown = ", ".join(repr(str(v)) for v in value)
            raise click.UsageError(
                f"{option.flag} was given {len(value)} times ({shown}); give it once"
                + (" (many items: --from-file)" if option.target == "item" else "")
            )
        result[option.dest] = value[0] if value else None
    return result


def option_problem(command: Command, path: str, problem: str) -> str | None:
    """``--site-id: must be at least 1`` for ``create.site_id``; ``None`` if no option fits."""
    parts = path.split(".")[1:]  # without the operation
    if not parts:
        return None
    head, _, index = parts[0].partition("[")
    if index and head == command.item_field:
        rest = tuple(parts[1:])
        for option in command.item_options:
            if option.path == rest or (not rest and command.item_class is None):
                return f"{option.flag}: {problem}"
        return None
    wanted = (head, *parts[1:])
    for option in command.request_options:
        if option.path == wanted:
            return f"{option.flag}: {problem}"
    return None


def version_error(
    what: str, option: Option, protocol: str, app: App
) -> VersionError | None:
    """The error for an option the protocol version lacks, or ``None`` if it has it."""
    if option.versions is None or protocol in option.versions:
        return None
    return VersionError(
        f"{what} needs {availability(option.versions, app.versions)} "
        f"(protocol {protocol} in use)"
    )


def check_versions(
    command: Command, values: Mapping[str, Any], protocol: str, app: App
) -> None:
    for option in command.options:
        if is_set(option, values.get(option.dest)):
            error = version_error(option.flag, option, protocol, app)
            if error is not None:
                raise error


def check_columns(command: Command, columns: Sequence[str], app: App) -> None:
    """Refuse a file whose header names a column no option has.

    Columns of plesk-mail's own output that this command does not take
    (``status``, ``id`` for ``create``) are left out, with a note: an exported
    and edited file reads back. A column the protocol version lacks is checked
    row by row, once the version is known: empty, it is no error.
    """
    by_column = {o.column: o for o in command.item_options}
    if command.addresses and ADDRESS in columns:  # name too: an export, checked by row
        columns = [c for c in columns if c not in (ADDRESS, "name")]
    ignored = [
        c for c in columns if c not in by_column and c in app.outputs and c != SERVER
    ]
    if ignored:
        click.echo(
            f"plesk-mail: ignoring column(s) {', '.join(ignored)} (output that "
            f"{command.name} does not take)",
            err=True,
        )
    unknown = [c for c in columns if c not in by_column and c not in app.outputs]
    if unknown:
        raise click.UsageError(
            f"unknown column(s) {', '.join(unknown)}; the columns are "
            f"{', '.join(by_column)}"
        )


def _instantiate(models: Any, cls: str, values: dict[str, Any]) -> Any:
    kwargs = {}
    for key, value in values.items():
        if key == "__class__":
            continue
        if isinstance(value, dict):
            value = _instantiate(models, value["__class__"], value)
        kwargs[key] = value
    return getattr(models, cls)(**kwargs)


def build(
    models: Any,
    options: Sequence[Option],
    values: Mapping[str, Any],
    in_file: bool = False,
) -> dict[str, Any]:
    """Keyword arguments (nested models included) from option values.

    Raises ``click.UsageError`` when a nested value the schema requires is
    missing (``--mailbox-quota`` without ``--mailbox-enabled``); ``in_file``
    names the columns to add instead of the options.
    """
    tree: dict[str, Any] = {}
    for option in options:
        value = values.get(option.dest)
        if isinstance(value, datetime.datetime) and option.kind == "date":
            value = value.date()
        if is_set(option, value):
            node = tree
            for part, cls in zip(option.path[:-1], option.classes, strict=True):
                node = node.setdefault(part, {"__class__": cls})
            node[option.path[-1]] = list(value or ()) if option.multiple else value
    for option in options:
        if not option.needed or is_set(option, values.get(option.dest)):
            continue
        parent: Any = tree
        for part in option.path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and option.path[-1] not in parent:
            siblings = [
                o.column if in_file else o.flag
                for o in options
                if o.path[:-1] == option.path[:-1] and is_set(o, values.get(o.dest))
            ]
            if in_file:
                example = " (true or false)" if option.kind == "bool" else ""
                raise RowError(
                    f"{', '.join(siblings)} needs {option.column}: add a "
                    f"{option.column} column{example}"
                )
            raise click.UsageError(
                f"{option.flag} is required with {', '.join(siblings)}"
            )
    return {
        key: (
            _instantiate(models, value["__class__"], value)
            if isinstance(value, dict)
            else value
        )
        for key, value in tree.items()
    }


def row_values(
    command: Command,
    row: Mapping[str, Any],
    protocol: str,
    app: App,
    typed: bool = False,
) -> dict[str, Any]:
    """Option values (by dest) of one file row; raises ``RowError`` naming the column."""
    if command.addresses and row.get(ADDRESS) in (None, ""):
        row = {k: v for k, v in row.items() if k != ADDRESS}  # named by name, if at all
    if command.addresses and ADDRESS in row:  # the account, named with its site
        address, name = str(row[ADDRESS]), row.get("name")
        local = address.rpartition("@")[0]
        if name not in (None, "") and str(name).casefold() != local.casefold():
            raise RowError(
                f"name {name!r} is not the mail name of address {address!r}; "
                "give one of them"
            )
        row = {**{k: v for k, v in row.items() if k != ADDRESS}, "name": address}
    by_column = {o.column: o for o in command.item_options}
    unknown = sorted(set(row) - set(by_column) - app.outputs)
    if unknown:
        raise RowError(f"unknown column(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for column, raw in row.items():
        option = by_column.get(column)
        if option is None:
            continue  # output that this command does not take
        if raw is None or blank(raw) or raw == "":
            continue
        error = version_error(column, option, protocol, app)
        if error is not None:
            raise RowError(error.format_message())
        try:
            values[option.dest] = _cell_values(option, raw, typed)
        except ValueError as exc:
            raise RowError(f"{column}: {exc}") from None
    for option in command.item_options:
        if option.required and not is_set(option, values.get(option.dest)):
            raise RowError(f"missing {option.column} (the cell is empty or blank)")
    return values


def _cell_values(option: Option, raw: object, typed: bool) -> Any:
    """The value(s) of one cell: a list for a list option, else one value."""
    if not option.multiple:
        if isinstance(raw, list):
            raise ValueError("expected one value, got a JSON list")
        return convert(option, raw, typed)
    if isinstance(raw, str) and not typed:
        cells = [cell.strip() for cell in raw.split(";")]
        if any(not cell for cell in cells):
            raise ValueError(f"{raw!r} has an empty item (items are separated by ';')")
    elif isinstance(raw, list):
        cells = raw
        if any(blank(cell) for cell in cells):
            raise ValueError("the list has an empty item")
    else:
        raise ValueError(f"expected a list, got {_json_type(raw)}")
    return [convert(option, cell, typed) for cell in cells]


def item_of(
    command: Command, app: App, values: Mapping[str, Any], in_file: bool = False
) -> Any:
    """The batch item (a model object, or a plain value) the option values describe."""
    options = command.item_options
    if command.item_class is None:
        option = options[0]
        value = values.get(option.dest)
        if isinstance(value, list):
            if len(value) != 1:
                raise RowError(f"{option.column}: one value per row")
            return value[0]
        if value is None:
            raise RowError(f"missing {option.column} (the cell is empty or blank)")
        return value
    cls = getattr(app.models, command.item_class)
    return cls(**build(app.models, options, values, in_file))
