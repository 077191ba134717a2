"""What every ``plesk-mail`` command does once click has parsed it.

Options become a typed request, rows of ``--from-file`` become batch items,
the chosen version's client sends them, and the answer is printed as a table
or one JSON document. Exit codes: 0 all ok, 1 some items or rows failed,
2 usage error, 3 connection, TLS, authentication or server failure. Imports
nothing heavy: lxml, httpx and the models load only when a command runs.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import enum
import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NoReturn

import click

from .protocols import availability

EXIT_OK = 0
EXIT_ITEMS_FAILED = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
_SIZE = re.compile(r"^\s*(-?\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.I)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


@dataclass(frozen=True)
class Option:
    """One command option, as the generator's CLI model describes it."""

    flag: str
    dest: str
    path: tuple[str, ...]
    classes: tuple[str, ...]
    kind: str
    target: str
    multiple: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    versions: frozenset[str] | None = None
    """The protocol versions that have the option; ``None``: every version."""
    needed: bool = False
    help: str = ""
    secret: bool = False

    @property
    def column(self) -> str:
        return self.flag.removeprefix("--")


@dataclass(frozen=True)
class Command:
    name: str
    operation: str
    options: tuple[Option, ...]
    item_field: str | None = None
    item_class: str | None = None
    required_structs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Required request structures whose fields all come from options."""
    help: str = ""


@dataclass(frozen=True)
class App:
    """What the generated ``cli`` module hands the runtime: versions, models, connect."""

    versions: tuple[str, ...]
    auto: str
    models: ModuleType
    connect: Callable[..., Any]
    supports: Callable[[str, type, str], bool]
    """Whether a protocol version has a field of a model class."""


@dataclass
class Settings:
    """The global options."""

    host: str | None = None
    port: int = 8443
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    protocol: str = ""
    ca_file: str | None = None
    insecure: bool = False
    timeout: float = 30.0
    chunk_size: int = 100
    json: bool = False
    verbose: int = 0


class VersionError(click.UsageError):
    """An option or column that the chosen protocol version does not have."""


class RowError(Exception):
    """A ``--from-file`` row that cannot become an item."""


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


def _click_type(option: Option) -> Any:
    if option.kind == "int":
        return int
    if option.kind == "size":
        return SIZE
    if option.kind == "enum":
        return click.Choice(option.choices)
    if option.kind == "date":
        return click.DateTime(["%Y-%m-%d"])
    return str


def _click_option(option: Option) -> click.Option:
    if option.kind == "flag":
        return click.Option(
            [option.flag, option.dest], is_flag=True, default=False, help=option.help
        )
    if option.kind == "bool":
        switch = f"{option.flag}/--no-{option.flag[2:]}"
        return click.Option([switch, option.dest], default=None, help=option.help)
    return click.Option(
        [option.flag, option.dest],
        type=_click_type(option),
        multiple=option.multiple,
        required=option.required and option.target == "request",
        envvar=f"PLESK_{option.dest.upper()}" if option.secret else None,
        help=option.help,
    )


JSON_OPTION_HELP = "One JSON document instead of a table."


def make_command(command: Command, app: App) -> click.Command:
    """The click command of one operation, built from its table entry."""
    params: list[click.Parameter] = [_click_option(o) for o in command.options]
    if command.item_field is not None:
        params.append(
            click.Option(
                ["--from-file"],
                type=click.Path(exists=True, dir_okay=False, allow_dash=True),
                default=None,
                help="CSV (header row) or JSON lines (.jsonl): one item per row.",
            )
        )
    params.append(
        click.Option(["--json", "json_output"], is_flag=True, help=JSON_OPTION_HELP)
    )

    def callback(
        json_output: bool, from_file: str | None = None, **values: Any
    ) -> None:
        settings = click.get_current_context().find_object(Settings)
        assert settings is not None, "the plesk-mail group sets Settings"
        settings.json = settings.json or json_output
        run(settings, command, values, from_file, app)

    return click.Command(
        command.name, params=params, callback=callback, help=command.help
    )


def convert(option: Option, text: str) -> Any:
    """A file cell (text) as the option's Python value."""
    text = text.strip()
    if option.kind == "int":
        return int(text)
    if option.kind == "size":
        return parse_size(text)
    if option.kind in ("bool", "flag"):
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off", ""):
            return False
        raise ValueError(f"{text!r} is not true or false")
    if option.kind == "date":
        return datetime.date.fromisoformat(text)
    if option.kind == "enum" and text not in option.choices:
        raise ValueError(f"{text!r} is not one of {', '.join(option.choices)}")
    return text


def is_set(option: Option, value: Any) -> bool:
    """Whether the user gave the option: ``--no-x`` (False) counts for switches."""
    if option.kind == "bool":
        return value is not None
    return given(value)


def given(value: Any) -> bool:
    if value is None or value is False:
        return False
    return not (isinstance(value, (tuple, list)) and not value)


def version_error(
    what: str, option: Option, protocol: str, app: App
) -> VersionError | None:
    """The error for an option the protocol version lacks, or ``None`` if it has it."""
    if option.versions is None or protocol in option.versions:
        return None
    return VersionError(
        f"{what} needs {availability(option.versions, app.versions)} "
        f"(--protocol is {protocol})"
    )


def check_versions(
    command: Command, values: dict[str, Any], protocol: str, app: App
) -> None:
    for option in command.options:
        if is_set(option, values.get(option.dest)):
            error = version_error(option.flag, option, protocol, app)
            if error is not None:
                raise error


def _assign(target: dict[str, Any], option: Option, value: Any) -> None:
    node = target
    for part, cls in zip(option.path[:-1], option.classes, strict=True):
        node = node.setdefault(part, {"__class__": cls})
    node[option.path[-1]] = list(value) if option.multiple else value


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
    models: Any, options: Sequence[Option], values: dict[str, Any]
) -> dict[str, Any]:
    """Keyword arguments (nested models included) from option values.

    Raises ``click.UsageError`` when a nested value the schema requires is
    missing (``--mailbox-quota`` without ``--mailbox-enabled``).
    """
    tree: dict[str, Any] = {}
    for option in options:
        value = values.get(option.dest)
        if isinstance(value, datetime.datetime) and option.kind == "date":
            value = value.date()
        if is_set(option, value):
            _assign(tree, option, value)
    for option in options:
        if not option.needed or is_set(option, values.get(option.dest)):
            continue
        parent: Any = tree
        for part in option.path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and option.path[-1] not in parent:
            siblings = [
                o.flag
                for o in options
                if o.path[:-1] == option.path[:-1] and is_set(o, values.get(o.dest))
            ]
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


def read_rows(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of a CSV file (header row) or a JSON-lines file (``.jsonl``)."""
    try:
        with click.open_file(path, encoding="utf-8") as stream:
            text = stream.read()
    except UnicodeDecodeError as exc:
        raise click.UsageError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.endswith((".jsonl", ".ndjson", ".json")):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"__error__": f"not JSON: {exc.msg}"}
                continue
            yield number, (
                row if isinstance(row, dict) else {"__error__": "not a JSON object"}
            )
        return
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def row_values(
    command: Command, row: dict[str, Any], protocol: str, app: App
) -> dict[str, Any]:
    """Option values (by dest) of one file row; raises ``RowError``."""
    if "__error__" in row:
        raise RowError(row["__error__"])
    by_column = {o.column: o for o in command.options if o.target == "item"}
    unknown = sorted(set(row) - set(by_column))
    if unknown:
        raise RowError(f"unknown column(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for column, raw in row.items():
        option = by_column[column]
        if raw is None or raw == "":
            continue
        error = version_error(column, option, protocol, app)
        if error is not None:
            raise error
        cells = (
            raw
            if isinstance(raw, list)
            else (str(raw).split(";") if option.multiple else [raw])
        )
        try:
            converted = [
                convert(option, str(cell)) if not isinstance(cell, bool) else cell
                for cell in cells
            ]
        except ValueError as exc:
            raise RowError(f"{column}: {exc}") from None
        values[option.dest] = converted if option.multiple else converted[0]
    for option in command.options:
        if (
            option.target == "item"
            and option.required
            and not is_set(option, values.get(option.dest))
        ):
            raise RowError(f"missing {option.column}")
    return values


# -- output ----------------------------------------------------------------------


def plain(value: Any, has: Callable[[type, str], bool] = lambda cls, name: True) -> Any:
    """JSON-ready form of a result; secret fields (repr=False) are masked.

    ``has`` says whether the protocol version in use has a field: fields it
    lacks are left out rather than shown as null.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            inner = getattr(value, item.name)
            if not has(type(value), item.name):
                continue
            if not item.repr and inner is not None:
                result[item.name] = "***"
            else:
                result[item.name] = plain(inner, has)
        return result
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v, has) for v in value]
    return value


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return {prefix[:-1]: ", ".join(str(v) for v in value)}
        return {prefix[:-1]: json.dumps(value)}
    return {prefix[:-1]: "" if value is None else value}


def table(rows: list[dict[str, Any]]) -> str:
    flat = [_flatten(row) for row in rows]
    columns: list[str] = []
    for row in flat:
        for key, value in row.items():
            if key not in columns and value not in ("", None):
                columns.append(key)
    if not columns:
        return "(no results)"
    cells = [[str(row.get(c, "")) for c in columns] for row in flat]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()
    ]
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in cells
    ]
    return "\n".join(lines)


# -- running -----------------------------------------------------------------------


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"plesk-mail: error: {message}", err=True)
    sys.exit(code)


def configure_logging(verbose: int) -> None:
    if verbose <= 0:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("plesk_mail")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose == 1 else 5)


def password_of(settings: Settings) -> str | None:
    if settings.secret_key or settings.password:
        return settings.password
    if sys.stdin.isatty():
        value: str = click.prompt(
            f"Plesk password for {settings.login}", hide_input=True
        )
        return value
    raise click.UsageError(
        "no password: set PLESK_PASSWORD, PLESK_SECRET_KEY or use a terminal"
    )


def run(
    settings: Settings,
    command: Command,
    values: dict[str, Any],
    from_file: str | None,
    app: App,
) -> NoReturn:
    from .errors import (
        PacketError,
        ResponseError,
        TransportError,
        ValidationError,
    )

    if not settings.host:
        raise click.UsageError("no host: use --host or PLESK_HOST")
    negotiate = settings.protocol == app.auto
    if not negotiate:
        check_versions(command, values, settings.protocol, app)
    configure_logging(settings.verbose)
    password = password_of(settings) if not settings.secret_key else None
    try:
        # No network traffic yet, unless the version is negotiated.
        client = app.connect(
            settings.host,
            login=None if settings.secret_key else (settings.login or "admin"),
            password=password,
            secret_key=settings.secret_key,
            protocol=settings.protocol,
            port=settings.port,
            timeout=settings.timeout,
            verify=False if settings.insecure else (settings.ca_file or True),
            chunk_size=settings.chunk_size,
        )
    except (TransportError, PacketError, ResponseError) as exc:
        fail(str(exc), EXIT_CONNECTION)
    except (
        ValueError
    ) as exc:  # a host that is no host name, bad credentials combination
        raise click.UsageError(str(exc)) from None
    with client:
        if negotiate:
            settings.protocol = client.protocol_version
            check_versions(command, values, settings.protocol, app)
        items, kwargs, bad_rows, row_numbers = _inputs(
            command, values, from_file, settings, app
        )
        try:
            answer = _call(
                client, command, kwargs, items, settings, from_file is not None
            )
        except ValidationError as exc:
            fail(str(exc), EXIT_USAGE)
        except (TransportError, PacketError, ResponseError) as exc:
            fail(str(exc), EXIT_CONNECTION)
    _print(settings, command, answer, bad_rows, row_numbers, app)
    failed = any(not getattr(r, "ok", True) for r in _as_list(answer))
    sys.exit(EXIT_ITEMS_FAILED if failed or bad_rows else EXIT_OK)


def _inputs(
    command: Command,
    values: dict[str, Any],
    from_file: str | None,
    settings: Settings,
    app: App,
) -> tuple[list[Any] | None, dict[str, Any], list[dict[str, Any]], list[int]]:
    """Request arguments, batch items, and the file rows that could not become items."""
    models = app.models
    request_options = [o for o in command.options if o.target == "request"]
    item_options = [o for o in command.options if o.target == "item"]
    kwargs = build(models, request_options, values)
    for field_name, flags in command.required_structs:
        if field_name not in kwargs:
            raise click.UsageError(
                f"{command.name} needs at least one of {', '.join(flags)}"
            )
    bad_rows: list[dict[str, Any]] = []
    row_numbers: list[int] = []
    items: list[Any] | None = None
    if command.item_field is not None:
        if from_file is not None:
            items = []
            for number, row in read_rows(from_file):
                try:
                    items.append(
                        _item(
                            models,
                            command,
                            item_options,
                            row_values(command, row, settings.protocol, app),
                        )
                    )
                    row_numbers.append(number)
                except RowError as exc:
                    bad_rows.append({"row": number, "error": _message(exc)})
                except VersionError:
                    raise  # a column the protocol lacks: the file is for another version
                except click.UsageError as exc:
                    bad_rows.append({"row": number, "error": _message(exc)})
            for bad in bad_rows:
                click.echo(f"plesk-mail: row {bad['row']}: {bad['error']}", err=True)
        elif command.item_class is not None:
            missing = [
                o.flag
                for o in item_options
                if o.required and not is_set(o, values.get(o.dest))
            ]
            if missing:
                raise click.UsageError(
                    f"missing option {', '.join(missing)} (or use --from-file)"
                )
            items = [_item(models, command, item_options, values)]
        else:
            items = list(values.get(item_options[0].dest) or ()) if item_options else []
    return items, kwargs, bad_rows, row_numbers


def _message(exc: Exception) -> str:
    return exc.format_message() if isinstance(exc, click.UsageError) else str(exc)


def _item(
    models: Any, command: Command, options: Sequence[Option], values: dict[str, Any]
) -> Any:
    if command.item_class is None:
        option = options[0]
        value = values.get(option.dest)
        if isinstance(value, list):
            if len(value) != 1:
                raise RowError(f"{option.column}: one value per row")
            return value[0]
        return value
    return getattr(models, command.item_class)(**build(models, options, values))


def _call(
    client: Any,
    command: Command,
    kwargs: dict[str, Any],
    items: list[Any] | None,
    settings: Settings,
    bulk: bool,
) -> Any:
    method = getattr(client, command.operation)
    if items is None or command.item_field is None:
        return method(**kwargs)
    if not bulk or not items:
        return method(**kwargs, **{command.item_field: items})
    chunks = [
        items[i : i + settings.chunk_size]
        for i in range(0, len(items), settings.chunk_size)
    ]
    show = sys.stdout.isatty() and not settings.json
    answers: list[Any] = []
    with click.progressbar(
        length=len(items),
        label=command.name,
        file=sys.stderr if show else io.StringIO(),
    ) as bar:
        for chunk in chunks:
            answers.extend(method(**kwargs, **{command.item_field: chunk}))
            bar.update(len(chunk))
    return answers


def _as_list(answer: Any) -> list[Any]:
    return list(answer) if isinstance(answer, list) else [answer]


def _print(
    settings: Settings,
    command: Command,
    answer: Any,
    bad_rows: list[dict[str, Any]],
    row_numbers: list[int],
    app: App,
) -> None:
    def has(cls: type, name: str) -> bool:
        return app.supports(settings.protocol, cls, name)

    results = [plain(item, has) for item in _as_list(answer)]
    if row_numbers and len(row_numbers) == len(results) and command.item_class:
        # Per-item results follow the sent rows: say which file row each answers.
        results = [
            {"row": number, **r} for number, r in zip(row_numbers, results, strict=True)
        ]
    failed = sum(1 for item in _as_list(answer) if not getattr(item, "ok", True))
    if settings.json:
        document = {
            "command": command.name,
            "protocol": settings.protocol,
            "ok": not failed and not bad_rows,
            "results": results,
            "failed_rows": bad_rows,
        }
        click.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    click.echo(table([{"#": i, **r} for i, r in enumerate(results)]))
    if len(results) > 1 or failed or bad_rows:
        summary = f"{len(results)} result(s), {failed} failed"
        if bad_rows:
            summary += f", {len(bad_rows)} bad row(s) not sent"
        click.echo(summary, err=True)
